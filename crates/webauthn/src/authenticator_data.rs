//! Authenticator data (WebAuthn Level 3 §6.1): RP ID hash, flags, sign count,
//! attested credential data and extensions.

use ciborium::Value;

use crate::cose::CoseKey;
use crate::error::Error;
use crate::ids::{Aaguid, CredentialId};

/// The flags byte of authenticator data.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Flags(u8);

impl Flags {
    const UP: u8 = 0x01;
    const UV: u8 = 0x04;
    const BE: u8 = 0x08;
    const BS: u8 = 0x10;
    const AT: u8 = 0x40;
    const ED: u8 = 0x80;

    /// Wraps a flags byte.
    pub const fn from_bits(bits: u8) -> Self {
        Flags(bits)
    }

    /// The raw byte.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// UP: a person was present (touched, clicked, unlocked).
    pub const fn user_present(self) -> bool {
        self.0 & Self::UP != 0
    }

    /// UV: the authenticator verified the user (PIN, biometric).
    pub const fn user_verified(self) -> bool {
        self.0 & Self::UV != 0
    }

    /// BE: the credential may be backed up (a synced passkey); fixed for the credential's life.
    pub const fn backup_eligible(self) -> bool {
        self.0 & Self::BE != 0
    }

    /// BS: the credential is backed up now.
    pub const fn backed_up(self) -> bool {
        self.0 & Self::BS != 0
    }

    /// AT: attested credential data follows.
    pub const fn attested_credential_data(self) -> bool {
        self.0 & Self::AT != 0
    }

    /// ED: extension data follows.
    pub const fn extension_data(self) -> bool {
        self.0 & Self::ED != 0
    }

    /// Whether the credential can never leave its device, as far as the flags claim.
    pub const fn device_bound(self) -> bool {
        !self.backup_eligible()
    }
}

/// The credential an authenticator created, as registration's authenticator data carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestedCredentialData {
    /// The authenticator model's identifier.
    pub aaguid: Aaguid,
    /// The new credential's identifier.
    pub credential_id: CredentialId,
    /// The new credential's public key.
    pub public_key: CoseKey,
}

/// Parsed authenticator data.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthenticatorData {
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    pub rp_id_hash: [u8; 32],
    /// The flags byte.
    pub flags: Flags,
    /// The signature counter (0 when the authenticator keeps none).
    pub sign_count: u32,
    /// Present when the AT flag is set.
    pub attested_credential: Option<AttestedCredentialData>,
    /// The extension outputs map, present when the ED flag is set.
    pub extensions: Option<Value>,
}

impl AuthenticatorData {
    /// Parses authenticator data, refusing truncated data, trailing bytes and flags that lie about what follows.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |detail: String| Error::AuthenticatorData { detail };
        if bytes.len() < 37 {
            return Err(bad(format!(
                "{} bytes is shorter than the 37-byte minimum",
                bytes.len()
            )));
        }
        let mut rp_id_hash = [0u8; 32];
        rp_id_hash.copy_from_slice(&bytes[..32]);
        let flags = Flags(bytes[32]);
        let sign_count = u32::from_be_bytes([bytes[33], bytes[34], bytes[35], bytes[36]]);
        let mut rest = &bytes[37..];

        let attested_credential = if flags.attested_credential_data() {
            if rest.len() < 18 {
                return Err(bad(
                    "attested credential data is truncated before the credential id length".into(),
                ));
            }
            let mut aaguid = [0u8; 16];
            aaguid.copy_from_slice(&rest[..16]);
            let id_len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
            rest = &rest[18..];
            if id_len > CredentialId::LENGTHS.1 {
                return Err(bad(format!(
                    "credential id length {id_len} exceeds 1023 bytes"
                )));
            }
            if rest.len() < id_len {
                return Err(bad(
                    "attested credential data is truncated inside the credential id".into(),
                ));
            }
            let credential_id = CredentialId::from_bytes(rest[..id_len].to_vec())?;
            rest = &rest[id_len..];
            let (public_key, used) = CoseKey::parse_prefix(rest)?;
            rest = &rest[used..];
            Some(AttestedCredentialData {
                aaguid: Aaguid::from_bytes(aaguid),
                credential_id,
                public_key,
            })
        } else {
            None
        };

        let extensions = if flags.extension_data() {
            let mut reader = rest;
            let value: Value = ciborium::de::from_reader(&mut reader)
                .map_err(|e| bad(format!("extension data is not CBOR: {e}")))?;
            if !value.is_map() {
                return Err(bad("extension data is not a CBOR map".into()));
            }
            rest = reader;
            Some(value)
        } else {
            None
        };

        if !rest.is_empty() {
            return Err(bad(format!(
                "{} unexpected bytes follow the authenticator data",
                rest.len()
            )));
        }
        Ok(AuthenticatorData {
            rp_id_hash,
            flags,
            sign_count,
            attested_credential,
            extensions,
        })
    }

    /// Encodes the data again; for data that came from [`Self::parse`], parsing the result gives back an equal value.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(37);
        out.extend(self.rp_id_hash);
        out.push(self.flags.0);
        out.extend(self.sign_count.to_be_bytes());
        if let Some(attested) = &self.attested_credential {
            out.extend(attested.aaguid.as_bytes());
            let id = attested.credential_id.as_bytes();
            // A CredentialId is at most 1023 bytes, so its length fits in two bytes.
            out.extend((id.len() as u16).to_be_bytes());
            out.extend(id);
            out.extend(attested.public_key.to_cbor());
        }
        if let Some(extensions) = &self.extensions {
            let _ = ciborium::ser::into_writer(extensions, &mut out);
        }
        out
    }
}
