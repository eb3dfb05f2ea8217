//! `apple` (§8.8): Apple's anonymous attestation; a per-credential certificate
//! whose extension carries a nonce over this registration.

use super::{bad_certificate, AttestationFormat, AttestationType, Statement, Verified};
use crate::crypto::sha256;
use crate::error::Error;
use crate::x509;

const FORMAT: AttestationFormat = AttestationFormat::Apple;
const NONCE_EXTENSION: &str = "1.2.840.113635.100.8.2";

pub(crate) fn verify(statement: &Statement<'_>) -> Result<Verified, Error> {
    let x5c = statement
        .x5c(FORMAT)?
        .ok_or_else(|| super::malformed(FORMAT, "`x5c` is missing".into()))?;
    let cred_cert = x509::parse(&x5c[0]).map_err(|e| bad_certificate(FORMAT, e))?;

    // Steps 2–4: nonce = SHA-256(authenticatorData ‖ clientDataHash) is in the certificate.
    let nonce = sha256(&statement.signed_data());
    let extension = x509::extension_value(&cred_cert, NONCE_EXTENSION).ok_or_else(|| {
        bad_certificate(
            FORMAT,
            format!("the credential certificate lacks extension {NONCE_EXTENSION}"),
        )
    })?;
    let certified = certified_nonce(extension).ok_or_else(|| {
        bad_certificate(
            FORMAT,
            format!("extension {NONCE_EXTENSION} is not a SEQUENCE {{ [1] OCTET STRING }}"),
        )
    })?;
    if certified != nonce {
        return Err(Error::AttestationNonce {
            format: FORMAT,
            detail:
                "the certificate's nonce is not SHA-256 of authenticatorData and clientDataHash"
                    .into(),
        });
    }

    // Step 5: the certificate is for the credential key.
    let cert_key =
        x509::public_key(&cred_cert).map_err(|e| bad_certificate(FORMAT, format!("{e:?}")))?;
    if &cert_key != statement.credential.public_key.public_key() {
        return Err(Error::AttestationKeyMismatch { format: FORMAT });
    }
    Ok(Verified {
        attestation_type: AttestationType::AnonCa,
        trust_path: x5c,
    })
}

/// Reads `SEQUENCE { [1] EXPLICIT OCTET STRING (32) }`.
fn certified_nonce(der: &[u8]) -> Option<&[u8]> {
    match der {
        [0x30, 0x24, 0xa1, 0x22, 0x04, 0x20, nonce @ ..] if nonce.len() == 32 => Some(nonce),
        _ => None,
    }
}
