//! `fido-u2f` (§8.6): U2F security keys, signed by a batch attestation key over
//! the U2F registration data.

use super::{bad_certificate, AttestationFormat, AttestationType, Statement, Verified};
use crate::crypto::{Curve, Hash, PublicKey, SignatureScheme};
use crate::error::Error;
use crate::x509;

const FORMAT: AttestationFormat = AttestationFormat::FidoU2f;

pub(crate) fn verify(statement: &Statement<'_>) -> Result<Verified, Error> {
    let sig = statement.bytes(FORMAT, "sig")?;
    let x5c = statement
        .x5c(FORMAT)?
        .ok_or_else(|| super::malformed(FORMAT, "`x5c` is missing".into()))?;
    // Step 2: exactly one certificate, with a P-256 key.
    if x5c.len() != 1 {
        return Err(super::malformed(
            FORMAT,
            format!("`x5c` must hold exactly one certificate, not {}", x5c.len()),
        ));
    }
    let cert = x509::parse(&x5c[0]).map_err(|e| bad_certificate(FORMAT, e))?;
    let cert_key =
        x509::public_key(&cert).map_err(|e| bad_certificate(FORMAT, format!("{e:?}")))?;
    if !matches!(
        cert_key,
        PublicKey::Ec {
            curve: Curve::P256,
            ..
        }
    ) {
        return Err(bad_certificate(
            FORMAT,
            "the attestation key is not an EC P-256 key",
        ));
    }

    // Steps 3–4: the credential key as an uncompressed P-256 point.
    let PublicKey::Ec {
        curve: Curve::P256,
        point,
    } = statement.credential.public_key.public_key()
    else {
        return Err(super::malformed(
            FORMAT,
            "U2F credentials must be EC2 P-256 (ES256) keys".into(),
        ));
    };

    // Step 5: verificationData = 0x00 ‖ rpIdHash ‖ clientDataHash ‖ credentialId ‖ publicKeyU2F.
    let credential_id = statement.credential.credential_id.as_bytes();
    let mut data = Vec::with_capacity(1 + 32 + 32 + credential_id.len() + point.len());
    data.push(0);
    data.extend_from_slice(&statement.auth_data.rp_id_hash);
    data.extend_from_slice(statement.client_data_hash);
    data.extend_from_slice(credential_id);
    data.extend_from_slice(point);

    // Step 6.
    if !cert_key.verify(SignatureScheme::Ecdsa(Hash::Sha256), &data, sig) {
        return Err(Error::AttestationSignature { format: FORMAT });
    }
    Ok(Verified {
        attestation_type: AttestationType::Basic,
        trust_path: x5c,
    })
}
