//! The identifiers a ceremony speaks of, parsed once at the edge.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::constant_time;

use crate::encoding;
use crate::error::Error;

/// An authenticator model's identifier (16 bytes), shown as a hyphenated UUID.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Aaguid([u8; 16]);

impl Aaguid {
    /// The all-zero AAGUID that U2F keys and anonymised attestations send.
    pub const ZERO: Aaguid = Aaguid([0; 16]);

    /// Wraps the 16 bytes authenticator data carries.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Aaguid(bytes)
    }

    /// The 16 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// Whether this is the all-zero AAGUID (no model claimed).
    pub fn is_zero(&self) -> bool {
        self.0 == [0; 16]
    }
}

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aaguid({self})")
    }
}

/// Why a text is not an AAGUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an AAGUID: write it as 32 hexadecimal digits in the 8-4-4-4-12 form, like 90a3ccdf-635c-4729-a248-9b709135078f")]
pub struct InvalidAaguid(pub String);

impl FromStr for Aaguid {
    type Err = InvalidAaguid;

    /// Parses the hyphenated form (any case); the bare 32-digit form is accepted too.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidAaguid(text.to_owned());
        let trimmed = text.trim();
        let hyphenated = trimmed.len() == 36;
        if hyphenated {
            let groups: Vec<&str> = trimmed.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            if lengths != [8, 4, 4, 4, 12] {
                return Err(invalid());
            }
        } else if trimmed.len() != 32 {
            return Err(invalid());
        }
        let mut bytes = [0u8; 16];
        let mut digits = trimmed.chars().filter(|c| *c != '-');
        for byte in &mut bytes {
            let hi = digits
                .next()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(invalid)?;
            let lo = digits
                .next()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(invalid)?;
            *byte = (hi * 16 + lo) as u8;
        }
        Ok(Aaguid(bytes))
    }
}

impl serde::Serialize for Aaguid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Aaguid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

macro_rules! byte_id {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $what:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Vec<u8>);

        impl $name {
            /// The smallest and largest lengths, in bytes, the specification allows.
            pub const LENGTHS: (usize, usize) = ($min, $max);

            /// Wraps raw bytes, refusing a length the specification does not allow.
            pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, Error> {
                if bytes.len() < $min || bytes.len() > $max {
                    return Err(Error::InvalidLength { what: $what, len: bytes.len(), min: $min, max: $max });
                }
                Ok($name(bytes))
            }

            /// Parses base64url text.
            pub fn from_base64url(text: &str) -> Result<Self, Error> {
                let bytes = encoding::decode(text).ok_or(Error::Base64 { field: $what })?;
                Self::from_bytes(bytes)
            }

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8] {
                &self.0
            }

            /// The unpadded base64url form used on the wire.
            pub fn to_base64url(&self) -> String {
                encoding::encode(&self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_base64url())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_base64url())
            }
        }
    };
}

byte_id!(
    /// A credential's identifier, chosen by the authenticator (1 to 1023 bytes).
    CredentialId, 1, 1023, "credential id"
);
byte_id!(
    /// The relying party's opaque handle for a user account (1 to 64 bytes).
    UserHandle, 1, 64, "user handle"
);

/// A ceremony's challenge: random bytes the relying party issued once.
#[derive(Clone)]
pub struct Challenge(Vec<u8>);

impl Challenge {
    /// Length of the challenges [`Challenge::random`] makes (the spec asks for at least 16).
    pub const RANDOM_LEN: usize = 32;

    /// Makes a fresh challenge from the operating system's random source.
    pub fn random() -> Result<Self, Error> {
        let mut bytes = vec![0u8; Self::RANDOM_LEN];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| Error::RandomUnavailable)?;
        Ok(Challenge(bytes))
    }

    /// Wraps challenge bytes issued earlier (for example restored from storage).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, Error> {
        if bytes.is_empty() {
            return Err(Error::InvalidLength {
                what: "challenge",
                len: 0,
                min: 1,
                max: usize::MAX,
            });
        }
        Ok(Challenge(bytes))
    }

    /// Parses the base64url form.
    pub fn from_base64url(text: &str) -> Result<Self, Error> {
        let bytes = encoding::decode(text).ok_or(Error::Base64 { field: "challenge" })?;
        Self::from_bytes(bytes)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The unpadded base64url form used on the wire.
    pub fn to_base64url(&self) -> String {
        encoding::encode(&self.0)
    }

    /// Compares in constant time, so a timing side channel reveals nothing of the expected value.
    pub fn matches(&self, received: &[u8]) -> bool {
        constant_time::verify_slices_are_equal(&self.0, received).is_ok()
    }
}

impl fmt::Debug for Challenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Challenge({})", self.to_base64url())
    }
}

/// A relying party identifier: a lowercase host name such as `example.org`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct RpId(String);

impl RpId {
    /// Parses an RP ID: a host name without scheme, port or path.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let host = text.trim().trim_end_matches('.').to_ascii_lowercase();
        let bad = || Error::InvalidRpId {
            rp_id: text.to_owned(),
        };
        if host.is_empty() || host.len() > 253 {
            return Err(bad());
        }
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if !host.split('.').all(valid_label) {
            return Err(bad());
        }
        Ok(RpId(host))
    }

    /// The host name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// SHA-256 of the RP ID, as authenticator data carries it.
    pub fn hash(&self) -> [u8; 32] {
        crate::crypto::sha256(self.0.as_bytes())
    }

    /// Whether `host` is this RP ID or a subdomain of it, as browsers require of an origin.
    pub fn is_registrable_suffix_of(&self, host: &str) -> bool {
        host == self.0
            || host
                .strip_suffix(self.0.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    }
}

impl fmt::Display for RpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A web origin (`https://login.example.org`, `http://localhost:8080`) or an
/// app origin (`android:apk-key-hash:…`), compared exactly after normalisation.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Origin(String);

impl Origin {
    /// Parses an origin: scheme, host and optional port; a trailing `/` is dropped.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = || Error::InvalidOrigin {
            origin: text.to_owned(),
        };
        let trimmed = text.trim();
        if let Some(app) = trimmed.strip_prefix("android:apk-key-hash:") {
            if app.is_empty() {
                return Err(bad());
            }
            return Ok(Origin(trimmed.to_owned()));
        }
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(bad)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(bad());
        }
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(bad());
        }
        Ok(Origin(format!(
            "{scheme}://{}",
            authority.to_ascii_lowercase()
        )))
    }

    /// The origin as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host of a web origin, without port; `None` for app origins.
    pub fn host(&self) -> Option<&str> {
        let (_, authority) = self.0.split_once("://")?;
        if let Some(v6) = authority.strip_prefix('[') {
            return v6.split_once(']').map(|(host, _)| host);
        }
        Some(
            authority
                .rsplit_once(':')
                .map_or(authority, |(host, _)| host),
        )
    }

    /// Whether this is a secure context as browsers define it: https, or http on localhost.
    pub fn is_potentially_trustworthy(&self) -> bool {
        self.0.starts_with("https://")
            || self.host().is_some_and(|h| {
                h == "localhost" || h.ends_with(".localhost") || h == "127.0.0.1" || h == "::1"
            })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aaguid_round_trips_and_rejects_garbage() {
        let text = "90a3ccdf-635c-4729-a248-9b709135078f";
        let aaguid: Aaguid = text.parse().unwrap();
        assert_eq!(aaguid.to_string(), text);
        assert_eq!(
            "90A3CCDF635C4729A2489B709135078F"
                .parse::<Aaguid>()
                .unwrap(),
            aaguid
        );
        for bad in [
            "",
            "90a3ccdf-635c-4729-a248-9b709135078",
            "90a3ccdf635c-4729-a248-9b709135078f-",
            "zza3ccdf-635c-4729-a248-9b709135078f",
        ] {
            assert!(bad.parse::<Aaguid>().is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_normalise_and_expose_host() {
        let o = Origin::parse("HTTPS://Login.Example.org/").unwrap();
        assert_eq!(o.as_str(), "https://login.example.org");
        assert_eq!(o.host(), Some("login.example.org"));
        assert_eq!(
            Origin::parse("http://localhost:8080").unwrap().host(),
            Some("localhost")
        );
        assert!(Origin::parse("http://localhost:8080")
            .unwrap()
            .is_potentially_trustworthy());
        assert!(!Origin::parse("http://example.org")
            .unwrap()
            .is_potentially_trustworthy());
        assert!(Origin::parse("https://example.org/path").is_err());
        assert!(Origin::parse("ftp://example.org").is_err());
    }

    #[test]
    fn rp_id_suffix_rule() {
        let rp = RpId::parse("example.org").unwrap();
        assert!(rp.is_registrable_suffix_of("example.org"));
        assert!(rp.is_registrable_suffix_of("login.example.org"));
        assert!(!rp.is_registrable_suffix_of("badexample.org"));
        assert!(RpId::parse("https://example.org").is_err());
    }
}
