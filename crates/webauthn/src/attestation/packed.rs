//! `packed` (§8.2): FIDO2's own format, with an attestation certificate (basic)
//! or signed by the credential key itself (self attestation).

use super::{
    bad_certificate, check_aaguid_extension, AttestationFormat, AttestationType, Statement,
    Verified,
};
use crate::cose::CoseAlgorithm;
use crate::error::Error;
use crate::x509;

const FORMAT: AttestationFormat = AttestationFormat::Packed;

pub(crate) fn verify(statement: &Statement<'_>) -> Result<Verified, Error> {
    let alg_id = statement.alg(FORMAT)?;
    let sig = statement.bytes(FORMAT, "sig")?;
    let signed = statement.signed_data();

    let Some(x5c) = statement.x5c(FORMAT)? else {
        // Self attestation: alg must be the credential's, and the credential key signs.
        let credential_key = &statement.credential.public_key;
        if alg_id != credential_key.algorithm().id() {
            return Err(super::malformed(
                FORMAT,
                format!(
                    "self attestation `alg` {alg_id} differs from the credential key's {}",
                    credential_key.algorithm()
                ),
            ));
        }
        if !credential_key
            .public_key()
            .verify(credential_key.algorithm().scheme(), &signed, sig)
        {
            return Err(Error::AttestationSignature { format: FORMAT });
        }
        return Ok(Verified::without_chain(AttestationType::SelfAttestation));
    };

    let alg = CoseAlgorithm::from_id(alg_id).ok_or(Error::UnsupportedAlgorithm { alg: alg_id })?;
    let leaf = x509::parse(&x5c[0]).map_err(|e| bad_certificate(FORMAT, e))?;
    let key = x509::public_key(&leaf).map_err(|e| bad_certificate(FORMAT, format!("{e:?}")))?;
    if !key.verify(alg.scheme(), &signed, sig) {
        return Err(Error::AttestationSignature { format: FORMAT });
    }
    check_certificate_requirements(&leaf)?;
    check_aaguid_extension(FORMAT, &leaf, statement.credential.aaguid)?;
    Ok(Verified {
        attestation_type: AttestationType::Basic,
        trust_path: x5c,
    })
}

/// §8.2.1: version 3, subject C/O/OU="Authenticator Attestation"/CN, not a CA.
fn check_certificate_requirements(
    cert: &x509_parser::prelude::X509Certificate<'_>,
) -> Result<(), Error> {
    if cert.version().0 != 2 {
        return Err(bad_certificate(
            FORMAT,
            "the attestation certificate is not X.509 version 3",
        ));
    }
    let subject = cert.subject();
    let has = |attr: Option<&x509_parser::x509::AttributeTypeAndValue<'_>>| {
        attr.is_some_and(|a| a.as_str().is_ok_and(|s| !s.is_empty()))
    };
    if !has(subject.iter_country().next()) {
        return Err(bad_certificate(FORMAT, "the subject has no country (C)"));
    }
    if !has(subject.iter_organization().next()) {
        return Err(bad_certificate(
            FORMAT,
            "the subject has no organisation (O)",
        ));
    }
    if !has(subject.iter_common_name().next()) {
        return Err(bad_certificate(
            FORMAT,
            "the subject has no common name (CN)",
        ));
    }
    let ou_ok = subject
        .iter_organizational_unit()
        .next()
        .is_some_and(|ou| ou.as_str() == Ok("Authenticator Attestation"));
    if !ou_ok {
        return Err(bad_certificate(
            FORMAT,
            "the subject's OU is not \"Authenticator Attestation\"",
        ));
    }
    if let Ok(Some(bc)) = cert.basic_constraints() {
        if bc.value.ca {
            return Err(bad_certificate(
                FORMAT,
                "the attestation certificate is a CA certificate",
            ));
        }
    }
    Ok(())
}
