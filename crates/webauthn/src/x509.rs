//! The few things attestation needs from X.509 certificates, on x509-parser.
//!
//! Chain building is our own (see [`crate::trust`]) because attestation chains
//! break rules TLS verifiers enforce: version 1 roots, SHA-1 signatures on old
//! U2F keys, empty subjects on TPM AIK certificates.

use std::time::{SystemTime, UNIX_EPOCH};

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::crypto::{scheme_for_signature_oid, KeyProblem, PublicKey};
use crate::ids::Aaguid;

/// OID of the FIDO extension that names the authenticator model in an attestation certificate.
pub(crate) const ID_FIDO_GEN_CE_AAGUID: &str = "1.3.6.1.4.1.45724.1.1.4";

/// Parses one DER certificate; trailing bytes are refused.
pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match X509Certificate::from_der(der) {
        Ok(([], cert)) => Ok(cert),
        Ok((rest, _)) => Err(format!("{} bytes follow the certificate", rest.len())),
        Err(e) => Err(format!("not a DER X.509 certificate: {e}")),
    }
}

/// The certificate's subject public key.
pub(crate) fn public_key(cert: &X509Certificate<'_>) -> Result<PublicKey, KeyProblem> {
    PublicKey::from_spki(cert.public_key())
}

/// The contents of the extension with `oid` (the bytes inside extnValue), if present.
pub(crate) fn extension_value<'a>(cert: &'a X509Certificate<'_>, oid: &str) -> Option<&'a [u8]> {
    cert.extensions()
        .iter()
        .find(|ext| ext.oid.to_id_string() == oid)
        .map(|ext| ext.value)
}

/// Reads id-fido-gen-ce-aaguid: an OCTET STRING holding the 16-byte AAGUID.
pub(crate) fn aaguid_extension(
    cert: &X509Certificate<'_>,
) -> Result<Option<(Aaguid, bool)>, String> {
    let Some(ext) = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == ID_FIDO_GEN_CE_AAGUID)
    else {
        return Ok(None);
    };
    let value = ext.value;
    let inner = match value {
        [0x04, 0x10, rest @ ..] if rest.len() == 16 => rest,
        _ => return Err("id-fido-gen-ce-aaguid is not an OCTET STRING of 16 bytes".into()),
    };
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(inner);
    Ok(Some((Aaguid::from_bytes(bytes), ext.critical)))
}

/// Whether `issuer`'s key made `cert`'s signature.
pub(crate) fn is_signed_by(cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>) -> bool {
    let Some(scheme) = scheme_for_signature_oid(&cert.signature_algorithm.algorithm.to_id_string())
    else {
        return false;
    };
    let Ok(key) = public_key(issuer) else {
        return false;
    };
    key.verify(
        scheme,
        cert.tbs_certificate.as_ref(),
        &cert.signature_value.data,
    )
}

/// Seconds since the Unix epoch (negative before it).
pub(crate) fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// Whether `time` falls inside the certificate's validity period.
pub(crate) fn valid_at(cert: &X509Certificate<'_>, time: SystemTime) -> bool {
    let now = unix_seconds(time);
    let validity = cert.validity();
    validity.not_before.timestamp() <= now && now <= validity.not_after.timestamp()
}

/// The subject as a one-line distinguished name (`CN=…, O=…`), or `(empty subject)`.
pub(crate) fn subject(cert: &X509Certificate<'_>) -> String {
    let text = cert.subject().to_string();
    if text.is_empty() {
        "(empty subject)".into()
    } else {
        text
    }
}

/// Whether the certificate may issue others: basicConstraints CA, or a version 1 certificate (old roots).
pub(crate) fn may_issue(cert: &X509Certificate<'_>) -> bool {
    match cert.basic_constraints() {
        Ok(Some(bc)) => bc.value.ca,
        Ok(None) => cert.version().0 == 0,
        Err(_) => false,
    }
}

/// What a person troubleshooting an attestation wants to see of one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Start of validity (RFC 2822-like text, UTC).
    pub not_before: String,
    /// End of validity.
    pub not_after: String,
}

/// Describes a DER certificate; `None` if it does not parse.
pub fn describe(der: &[u8]) -> Option<CertificateInfo> {
    let cert = parse(der).ok()?;
    Some(CertificateInfo {
        subject: subject(&cert),
        issuer: cert.issuer().to_string(),
        not_before: cert.validity().not_before.to_string(),
        not_after: cert.validity().not_after.to_string(),
    })
}
