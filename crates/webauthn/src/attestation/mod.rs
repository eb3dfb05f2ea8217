//! Attestation statement formats (WebAuthn Level 3 §8).
//!
//! Each format module has one entry point, `verify(&Statement) -> Result<Verified, Error>`,
//! that performs its format's "verification procedure" and returns the
//! attestation type and trust path. Whether the trust path leads to an anchor
//! is decided afterwards, for every format alike, in [`crate::trust`].

use std::fmt;
use std::time::SystemTime;

use ciborium::Value;

use crate::authenticator_data::{AttestedCredentialData, AuthenticatorData};
use crate::error::Error;

mod android_key;
mod android_safetynet;
mod apple;
mod fido_u2f;
mod none;
mod packed;
mod tpm;

/// An attestation statement format, by its registered identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttestationFormat {
    /// `none`: no attestation.
    None,
    /// `packed`: FIDO2's own format, with a certificate chain or self attestation.
    Packed,
    /// `tpm`: a TPM 2.0 quote (Windows Hello).
    Tpm,
    /// `android-key`: Android hardware-backed Keystore.
    AndroidKey,
    /// `android-safetynet`: Google SafetyNet (deprecated by Google, still seen).
    AndroidSafetyNet,
    /// `apple`: Apple anonymous attestation.
    Apple,
    /// `fido-u2f`: FIDO U2F security keys.
    FidoU2f,
}

impl AttestationFormat {
    /// Looks up a `fmt` value.
    pub fn from_identifier(fmt: &str) -> Option<Self> {
        Some(match fmt {
            "none" => AttestationFormat::None,
            "packed" => AttestationFormat::Packed,
            "tpm" => AttestationFormat::Tpm,
            "android-key" => AttestationFormat::AndroidKey,
            "android-safetynet" => AttestationFormat::AndroidSafetyNet,
            "apple" => AttestationFormat::Apple,
            "fido-u2f" => AttestationFormat::FidoU2f,
            _ => return None,
        })
    }

    /// The registered identifier.
    pub const fn identifier(self) -> &'static str {
        match self {
            AttestationFormat::None => "none",
            AttestationFormat::Packed => "packed",
            AttestationFormat::Tpm => "tpm",
            AttestationFormat::AndroidKey => "android-key",
            AttestationFormat::AndroidSafetyNet => "android-safetynet",
            AttestationFormat::Apple => "apple",
            AttestationFormat::FidoU2f => "fido-u2f",
        }
    }
}

impl fmt::Display for AttestationFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.identifier())
    }
}

/// What kind of attestation the statement is (WebAuthn Level 3 §6.5.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttestationType {
    /// No attestation: nothing is proven about the authenticator.
    None,
    /// Self attestation: signed by the credential key itself; proves nothing about the model.
    SelfAttestation,
    /// Basic: signed by a batch attestation key whose certificate names the model.
    Basic,
    /// Attestation CA: signed by a per-device key certified by a CA (TPM AIK).
    AttCa,
    /// Anonymization CA: a per-credential certificate from the vendor's CA (Apple).
    AnonCa,
}

impl AttestationType {
    /// The short name used in reports and JSON (`none`, `self`, `basic`, `attca`, `anonca`).
    pub const fn name(self) -> &'static str {
        match self {
            AttestationType::None => "none",
            AttestationType::SelfAttestation => "self",
            AttestationType::Basic => "basic",
            AttestationType::AttCa => "attca",
            AttestationType::AnonCa => "anonca",
        }
    }
}

impl fmt::Display for AttestationType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The inputs every format's verification procedure takes.
pub(crate) struct Statement<'a> {
    /// The attStmt map's entries.
    pub att_stmt: &'a [(Value, Value)],
    /// Parsed authenticator data.
    pub auth_data: &'a AuthenticatorData,
    /// Authenticator data exactly as received (it is what was signed).
    pub auth_data_bytes: &'a [u8],
    /// SHA-256 of clientDataJSON.
    pub client_data_hash: &'a [u8; 32],
    /// The new credential.
    pub credential: &'a AttestedCredentialData,
    /// The verification time, for formats that carry their own timestamps (SafetyNet).
    pub now: SystemTime,
}

/// A statement that passed its format's procedure.
#[derive(Debug)]
pub(crate) struct Verified {
    pub attestation_type: AttestationType,
    /// DER certificates, attestation certificate first; empty for none and self.
    pub trust_path: Vec<Vec<u8>>,
}

impl Verified {
    pub(crate) fn without_chain(attestation_type: AttestationType) -> Self {
        Verified {
            attestation_type,
            trust_path: Vec::new(),
        }
    }
}

/// Runs the format's verification procedure.
pub(crate) fn verify(
    format: AttestationFormat,
    statement: &Statement<'_>,
) -> Result<Verified, Error> {
    match format {
        AttestationFormat::None => none::verify(statement),
        AttestationFormat::Packed => packed::verify(statement),
        AttestationFormat::Tpm => tpm::verify(statement),
        AttestationFormat::AndroidKey => android_key::verify(statement),
        AttestationFormat::AndroidSafetyNet => android_safetynet::verify(statement),
        AttestationFormat::Apple => apple::verify(statement),
        AttestationFormat::FidoU2f => fido_u2f::verify(statement),
    }
}

impl Statement<'_> {
    /// The value under text key `name`.
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        self.att_stmt
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    }

    /// A required byte-string field.
    pub(crate) fn bytes(&self, format: AttestationFormat, name: &str) -> Result<&[u8], Error> {
        match self.field(name) {
            Some(Value::Bytes(b)) => Ok(b),
            Some(_) => Err(malformed(format, format!("`{name}` is not a byte string"))),
            None => Err(malformed(format, format!("`{name}` is missing"))),
        }
    }

    /// A required text field.
    pub(crate) fn text(&self, format: AttestationFormat, name: &str) -> Result<&str, Error> {
        match self.field(name) {
            Some(Value::Text(t)) => Ok(t),
            Some(_) => Err(malformed(format, format!("`{name}` is not text"))),
            None => Err(malformed(format, format!("`{name}` is missing"))),
        }
    }

    /// The required integer field `alg`.
    pub(crate) fn alg(&self, format: AttestationFormat) -> Result<i64, Error> {
        match self.field("alg") {
            Some(Value::Integer(i)) => {
                i64::try_from(*i).map_err(|_| malformed(format, "`alg` is out of range".into()))
            }
            Some(_) => Err(malformed(format, "`alg` is not an integer".into())),
            None => Err(malformed(format, "`alg` is missing".into())),
        }
    }

    /// The `x5c` array (leaf first), if present; an empty or non-bytes array is malformed.
    pub(crate) fn x5c(&self, format: AttestationFormat) -> Result<Option<Vec<Vec<u8>>>, Error> {
        let Some(value) = self.field("x5c") else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(malformed(format, "`x5c` is not an array".into()));
        };
        if items.is_empty() {
            return Err(malformed(format, "`x5c` is empty".into()));
        }
        items
            .iter()
            .map(|item| match item {
                Value::Bytes(b) => Ok(b.clone()),
                _ => Err(malformed(
                    format,
                    "an `x5c` entry is not a byte string".into(),
                )),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// authenticatorData ‖ clientDataHash: what most formats sign.
    pub(crate) fn signed_data(&self) -> Vec<u8> {
        let mut data = Vec::with_capacity(self.auth_data_bytes.len() + 32);
        data.extend_from_slice(self.auth_data_bytes);
        data.extend_from_slice(self.client_data_hash);
        data
    }
}

/// An [`Error::AttestationMalformed`] for `format`.
pub(crate) fn malformed(format: AttestationFormat, detail: String) -> Error {
    Error::AttestationMalformed { format, detail }
}

/// An [`Error::AttestationCertificate`] for `format`.
pub(crate) fn bad_certificate(format: AttestationFormat, detail: impl Into<String>) -> Error {
    Error::AttestationCertificate {
        format,
        detail: detail.into(),
    }
}

/// Checks id-fido-gen-ce-aaguid, when present, against the AAGUID in authenticator data.
///
/// The extension must not be critical (packed §8.2.1, tpm §8.3.1).
pub(crate) fn check_aaguid_extension(
    format: AttestationFormat,
    cert: &x509_parser::prelude::X509Certificate<'_>,
    claimed: crate::ids::Aaguid,
) -> Result<(), Error> {
    match crate::x509::aaguid_extension(cert).map_err(|e| bad_certificate(format, e))? {
        None => Ok(()),
        Some((_, true)) => Err(bad_certificate(
            format,
            "the id-fido-gen-ce-aaguid extension is marked critical",
        )),
        Some((certificate, false)) if certificate != claimed => {
            Err(Error::AttestationAaguidMismatch {
                format,
                certificate,
                claimed,
            })
        }
        Some(_) => Ok(()),
    }
}
