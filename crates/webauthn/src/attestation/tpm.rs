//! `tpm` (§8.3): a TPM 2.0 quote. The TPM certifies the credential key
//! (`pubArea`) with its attestation identity key (AIK), binding the
//! registration through `extraData`; the AIK certificate comes from an
//! attestation CA (Windows Hello: Microsoft's TPM CAs).
//!
//! `pubArea` (TPMT_PUBLIC) and `certInfo` (TPMS_ATTEST) are TPM 2.0 Part 2
//! structures, big-endian, with `TPM2B` fields prefixed by a 16-bit length.
//! Both are read strictly: every length is checked and trailing bytes are refused.

use x509_parser::extensions::GeneralName;
use x509_parser::prelude::X509Certificate;

use super::{
    bad_certificate, check_aaguid_extension, malformed, AttestationFormat, AttestationType,
    Statement, Verified,
};
use crate::cose::CoseAlgorithm;
use crate::crypto::{strip_leading_zeros, Curve, Hash, PublicKey};
use crate::error::Error;
use crate::x509;

const FORMAT: AttestationFormat = AttestationFormat::Tpm;

/// TPM_GENERATED_VALUE: `certInfo` was made by a TPM, not supplied from outside it.
const TPM_GENERATED_VALUE: u32 = 0xff54_4347;
/// TPM_ST_ATTEST_CERTIFY: `certInfo` is the result of TPM2_Certify.
const TPM_ST_ATTEST_CERTIFY: u16 = 0x8017;

// TPM_ALG_ID values (TPM 2.0 Part 2 §6.3).
const TPM_ALG_RSA: u16 = 0x0001;
const TPM_ALG_SHA1: u16 = 0x0004;
const TPM_ALG_AES: u16 = 0x0006;
const TPM_ALG_MGF1: u16 = 0x0007;
const TPM_ALG_XOR: u16 = 0x000A;
const TPM_ALG_SHA256: u16 = 0x000B;
const TPM_ALG_SHA384: u16 = 0x000C;
const TPM_ALG_SHA512: u16 = 0x000D;
const TPM_ALG_NULL: u16 = 0x0010;
const TPM_ALG_SM4: u16 = 0x0013;
const TPM_ALG_RSASSA: u16 = 0x0014;
const TPM_ALG_RSAES: u16 = 0x0015;
const TPM_ALG_RSAPSS: u16 = 0x0016;
const TPM_ALG_OAEP: u16 = 0x0017;
const TPM_ALG_ECDSA: u16 = 0x0018;
const TPM_ALG_ECDH: u16 = 0x0019;
const TPM_ALG_ECDAA: u16 = 0x001A;
const TPM_ALG_SM2: u16 = 0x001B;
const TPM_ALG_ECSCHNORR: u16 = 0x001C;
const TPM_ALG_ECMQV: u16 = 0x001D;
const TPM_ALG_KDF1_SP800_56A: u16 = 0x0020;
const TPM_ALG_KDF2: u16 = 0x0021;
const TPM_ALG_KDF1_SP800_108: u16 = 0x0022;
const TPM_ALG_ECC: u16 = 0x0023;
const TPM_ALG_CAMELLIA: u16 = 0x0026;

// TPM_ECC_CURVE values (TPM 2.0 Part 2 §6.4).
const TPM_ECC_NIST_P256: u16 = 0x0003;
const TPM_ECC_NIST_P384: u16 = 0x0004;
const TPM_ECC_NIST_P521: u16 = 0x0005;

/// tcg-kp-AIKCertificate, the extended key usage of an AIK certificate.
const TCG_KP_AIK_CERTIFICATE: &str = "2.23.133.8.3";
/// tcg-at-tpmManufacturer, tcg-at-tpmModel, tcg-at-tpmVersion: the SAN directoryName attributes.
const TCG_AT_TPM_MANUFACTURER: &str = "2.23.133.2.1";
const TCG_AT_TPM_MODEL: &str = "2.23.133.2.2";
const TCG_AT_TPM_VERSION: &str = "2.23.133.2.3";

pub(crate) fn verify(statement: &Statement<'_>) -> Result<Verified, Error> {
    // Step 1: the statement has its fields, with `ver` "2.0" and an AIK certificate.
    let ver = statement.text(FORMAT, "ver")?;
    if ver != "2.0" {
        return Err(malformed(
            FORMAT,
            format!("`ver` is \"{ver}\"; only TPM 2.0 statements (\"2.0\") exist"),
        ));
    }
    let alg_id = statement.alg(FORMAT)?;
    let alg = CoseAlgorithm::from_id(alg_id).ok_or(Error::UnsupportedAlgorithm { alg: alg_id })?;
    let Some(alg_hash) = alg.hash() else {
        return Err(malformed(
            FORMAT,
            format!("`alg` {alg} is not a TPM signature algorithm: it names no hash for extraData"),
        ));
    };
    let sig = statement.bytes(FORMAT, "sig")?;
    let cert_info_bytes = statement.bytes(FORMAT, "certInfo")?;
    let pub_area_bytes = statement.bytes(FORMAT, "pubArea")?;
    let x5c = statement.x5c(FORMAT)?.ok_or_else(|| {
        malformed(
            FORMAT,
            "`x5c` is missing; a tpm statement must carry the AIK certificate".into(),
        )
    })?;

    // Step 2: the key in pubArea is the credential public key.
    let pub_area = PubArea::parse(pub_area_bytes)?;
    if !pub_area.is_key(statement.credential.public_key.public_key()) {
        return Err(Error::AttestationKeyMismatch { format: FORMAT });
    }

    // Step 3: certInfo is a TPM-generated TPM2_Certify result (magic and type).
    let cert_info = CertInfo::parse(cert_info_bytes)?;

    // Step 3: extraData is the hash of attToBeSigned with the hash of `alg`.
    if alg_hash.digest(&statement.signed_data()) != cert_info.extra_data {
        return Err(Error::AttestationNonce {
            format: FORMAT,
            detail: format!(
                "certInfo.extraData is not the {} hash (the hash of `alg` {alg}) of authenticatorData ‖ clientDataHash",
                hash_name(alg_hash)
            ),
        });
    }

    // Step 3: attested.name is the Name of pubArea: nameAlg ‖ H_nameAlg(pubArea).
    let mut name = pub_area.name_alg.to_be_bytes().to_vec();
    name.extend(pub_area.name_hash.digest(pub_area_bytes));
    if cert_info.attested_name != name {
        return Err(Error::AttestationNonce {
            format: FORMAT,
            detail: format!(
                "certInfo.attested.name is not the Name of pubArea (nameAlg ‖ {} of pubArea): the TPM certified another key",
                hash_name(pub_area.name_hash)
            ),
        });
    }

    // Step 4: `sig` over certInfo verifies with the AIK certificate's key and `alg`.
    let aik = x509::parse(&x5c[0]).map_err(|e| bad_certificate(FORMAT, e))?;
    let aik_key = x509::public_key(&aik).map_err(|e| {
        bad_certificate(
            FORMAT,
            format!("the AIK certificate's key is unusable: {e:?}"),
        )
    })?;
    if !aik_key.verify(alg.scheme(), cert_info_bytes, sig) {
        return Err(Error::AttestationSignature { format: FORMAT });
    }

    // Step 4: the AIK certificate meets §8.3.1, and names this model if it names one.
    check_aik_certificate(&aik)?;
    check_aaguid_extension(FORMAT, &aik, statement.credential.aaguid)?;

    // Step 5.
    Ok(Verified {
        attestation_type: AttestationType::AttCa,
        trust_path: x5c,
    })
}

/// A short name of a hash for messages.
fn hash_name(hash: Hash) -> &'static str {
    match hash {
        Hash::Sha1 => "SHA-1",
        Hash::Sha256 => "SHA-256",
        Hash::Sha384 => "SHA-384",
        Hash::Sha512 => "SHA-512",
    }
}

/// The hash a TPM_ALG_ID names, for the hashes a Name may use.
fn tpm_hash(alg: u16) -> Option<Hash> {
    Some(match alg {
        TPM_ALG_SHA1 => Hash::Sha1,
        TPM_ALG_SHA256 => Hash::Sha256,
        TPM_ALG_SHA384 => Hash::Sha384,
        TPM_ALG_SHA512 => Hash::Sha512,
        _ => return None,
    })
}

/// Reads one TPM structure front to back; every read is bounds-checked.
struct Reader<'a> {
    structure: &'static str,
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(structure: &'static str, data: &'a [u8]) -> Self {
        Reader { structure, data }
    }

    fn take(&mut self, field: &str, len: usize) -> Result<&'a [u8], Error> {
        if self.data.len() < len {
            return Err(malformed(
                FORMAT,
                format!(
                    "{} ends inside `{field}`: {len} bytes needed, {} left",
                    self.structure,
                    self.data.len()
                ),
            ));
        }
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    fn u16(&mut self, field: &str) -> Result<u16, Error> {
        self.array(field).map(u16::from_be_bytes)
    }

    fn u32(&mut self, field: &str) -> Result<u32, Error> {
        self.array(field).map(u32::from_be_bytes)
    }

    /// A TPM2B: 16-bit length, then that many bytes.
    fn sized(&mut self, field: &str) -> Result<&'a [u8], Error> {
        let len = self.u16(field)?;
        self.take(field, usize::from(len))
    }

    fn finish(self) -> Result<(), Error> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(malformed(
                FORMAT,
                format!(
                    "{} bytes follow the end of {}",
                    self.data.len(),
                    self.structure
                ),
            ))
        }
    }

    fn unknown(&self, field: &str, value: u16) -> Error {
        malformed(
            FORMAT,
            format!(
                "{} `{field}` is 0x{value:04x}, which TPM 2.0 does not define there",
                self.structure
            ),
        )
    }
}

/// The key a TPMT_PUBLIC describes.
#[derive(Debug)]
enum TpmKey<'a> {
    Rsa {
        exponent: u32,
        modulus: &'a [u8],
    },
    Ecc {
        curve_id: u16,
        x: &'a [u8],
        y: &'a [u8],
    },
}

/// TPMT_PUBLIC, as far as verification needs it.
#[derive(Debug)]
struct PubArea<'a> {
    name_alg: u16,
    name_hash: Hash,
    key: TpmKey<'a>,
}

impl<'a> PubArea<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new("pubArea", bytes);
        let key_type = r.u16("type")?;
        let name_alg = r.u16("nameAlg")?;
        let name_hash = tpm_hash(name_alg).ok_or_else(|| {
            malformed(
                FORMAT,
                format!(
                    "pubArea `nameAlg` is 0x{name_alg:04x}; the Name can only be checked for SHA-1, SHA-256, SHA-384 or SHA-512"
                ),
            )
        })?;
        r.u32("objectAttributes")?;
        r.sized("authPolicy")?;
        let key = match key_type {
            TPM_ALG_RSA => {
                // TPMS_RSA_PARMS, then TPM2B_PUBLIC_KEY_RSA.
                symmetric(&mut r)?;
                let scheme = r.u16("parameters.scheme")?;
                match scheme {
                    TPM_ALG_NULL | TPM_ALG_RSAES => {}
                    TPM_ALG_RSASSA | TPM_ALG_RSAPSS | TPM_ALG_OAEP => {
                        r.u16("parameters.scheme.hashAlg")?;
                    }
                    other => return Err(r.unknown("parameters.scheme", other)),
                }
                r.u16("parameters.keyBits")?;
                let exponent = r.u32("parameters.exponent")?;
                let modulus = r.sized("unique")?;
                TpmKey::Rsa { exponent, modulus }
            }
            TPM_ALG_ECC => {
                // TPMS_ECC_PARMS, then TPMS_ECC_POINT.
                symmetric(&mut r)?;
                let scheme = r.u16("parameters.scheme")?;
                match scheme {
                    TPM_ALG_NULL => {}
                    TPM_ALG_ECDSA | TPM_ALG_ECDH | TPM_ALG_SM2 | TPM_ALG_ECSCHNORR
                    | TPM_ALG_ECMQV => {
                        r.u16("parameters.scheme.hashAlg")?;
                    }
                    TPM_ALG_ECDAA => {
                        r.u16("parameters.scheme.hashAlg")?;
                        r.u16("parameters.scheme.count")?;
                    }
                    other => return Err(r.unknown("parameters.scheme", other)),
                }
                let curve_id = r.u16("parameters.curveID")?;
                let kdf = r.u16("parameters.kdf")?;
                match kdf {
                    TPM_ALG_NULL => {}
                    TPM_ALG_MGF1
                    | TPM_ALG_KDF1_SP800_56A
                    | TPM_ALG_KDF2
                    | TPM_ALG_KDF1_SP800_108 => {
                        r.u16("parameters.kdf.hashAlg")?;
                    }
                    other => return Err(r.unknown("parameters.kdf", other)),
                }
                let x = r.sized("unique.x")?;
                let y = r.sized("unique.y")?;
                TpmKey::Ecc { curve_id, x, y }
            }
            other => {
                return Err(malformed(
                    FORMAT,
                    format!(
                        "pubArea `type` is 0x{other:04x}; a credential key is TPM_ALG_RSA (0x0001) or TPM_ALG_ECC (0x0023)"
                    ),
                ))
            }
        };
        r.finish()?;
        Ok(PubArea {
            name_alg,
            name_hash,
            key,
        })
    }

    /// Whether this is `credential`: RSA modulus and exponent, or EC curve and point.
    fn is_key(&self, credential: &PublicKey) -> bool {
        match (&self.key, credential) {
            (TpmKey::Rsa { exponent, modulus }, PublicKey::Rsa { n, e }) => {
                // An exponent of zero means the default, 2^16 + 1.
                let exponent = if *exponent == 0 { 65_537 } else { *exponent };
                strip_leading_zeros(modulus) == *n
                    && strip_leading_zeros(&exponent.to_be_bytes()) == *e
            }
            (TpmKey::Ecc { curve_id, x, y }, PublicKey::Ec { curve, point }) => {
                let tpm_curve = match *curve_id {
                    TPM_ECC_NIST_P256 => Curve::P256,
                    TPM_ECC_NIST_P384 => Curve::P384,
                    TPM_ECC_NIST_P521 => Curve::P521,
                    _ => return false,
                };
                let len = curve.coordinate_len();
                if tpm_curve != *curve || x.len() > len || y.len() > len {
                    return false;
                }
                // 04 ‖ x ‖ y, each coordinate left-padded to the curve's length.
                let mut expected = vec![4u8];
                for coordinate in [x, y] {
                    expected.resize(expected.len() + len - coordinate.len(), 0);
                    expected.extend_from_slice(coordinate);
                }
                expected == *point
            }
            _ => false,
        }
    }
}

/// TPMT_SYM_DEF_OBJECT: TPM_ALG_NULL for a signing key, else an algorithm, key size and mode.
fn symmetric(r: &mut Reader<'_>) -> Result<(), Error> {
    match r.u16("parameters.symmetric")? {
        TPM_ALG_NULL => Ok(()),
        TPM_ALG_XOR => r.u16("parameters.symmetric.hashAlg").map(drop),
        TPM_ALG_AES | TPM_ALG_SM4 | TPM_ALG_CAMELLIA => {
            r.u16("parameters.symmetric.keyBits")?;
            r.u16("parameters.symmetric.mode").map(drop)
        }
        other => Err(r.unknown("parameters.symmetric", other)),
    }
}

/// TPMS_ATTEST of type TPM_ST_ATTEST_CERTIFY, as far as verification needs it.
#[derive(Debug)]
struct CertInfo<'a> {
    extra_data: &'a [u8],
    attested_name: &'a [u8],
}

impl<'a> CertInfo<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let mut r = Reader::new("certInfo", bytes);
        let magic = r.u32("magic")?;
        if magic != TPM_GENERATED_VALUE {
            return Err(malformed(
                FORMAT,
                format!(
                    "certInfo `magic` is 0x{magic:08x}, not TPM_GENERATED_VALUE 0xff544347: the TPM did not produce it"
                ),
            ));
        }
        let attest_type = r.u16("type")?;
        if attest_type != TPM_ST_ATTEST_CERTIFY {
            return Err(malformed(
                FORMAT,
                format!(
                    "certInfo `type` is 0x{attest_type:04x}, not TPM_ST_ATTEST_CERTIFY 0x8017: it does not certify a key"
                ),
            ));
        }
        // qualifiedSigner, clockInfo and firmwareVersion are read past, not judged (§8.3).
        r.sized("qualifiedSigner")?;
        let extra_data = r.sized("extraData")?;
        // TPMS_CLOCK_INFO: clock (8), resetCount (4), restartCount (4), safe (1).
        r.take("clockInfo", 17)?;
        r.take("firmwareVersion", 8)?;
        // TPMS_CERTIFY_INFO.
        let attested_name = r.sized("attested.name")?;
        r.sized("attested.qualifiedName")?;
        r.finish()?;
        Ok(CertInfo {
            extra_data,
            attested_name,
        })
    }
}

/// §8.3.1: version 3, empty subject, TCG SAN, tcg-kp-AIKCertificate EKU, not a CA.
fn check_aik_certificate(cert: &X509Certificate<'_>) -> Result<(), Error> {
    if cert.version().0 != 2 {
        return Err(bad_certificate(
            FORMAT,
            "the AIK certificate is not X.509 version 3",
        ));
    }
    if cert.subject().iter_rdn().next().is_some() {
        return Err(bad_certificate(
            FORMAT,
            format!(
                "the AIK certificate's subject must be empty, but it is `{}`",
                x509::subject(cert)
            ),
        ));
    }
    check_tpm_san(cert)?;
    let aik_usage = match cert.extended_key_usage() {
        Ok(Some(eku)) => eku
            .value
            .other
            .iter()
            .any(|oid| oid.to_id_string() == TCG_KP_AIK_CERTIFICATE),
        Ok(None) => false,
        Err(e) => {
            return Err(bad_certificate(
                FORMAT,
                format!("the AIK certificate's extended key usage cannot be read: {e}"),
            ))
        }
    };
    if !aik_usage {
        return Err(bad_certificate(
            FORMAT,
            format!("the AIK certificate's extended key usage lacks tcg-kp-AIKCertificate ({TCG_KP_AIK_CERTIFICATE})"),
        ));
    }
    match cert.basic_constraints() {
        Ok(Some(bc)) if !bc.value.ca => Ok(()),
        Ok(Some(_)) => Err(bad_certificate(
            FORMAT,
            "the AIK certificate is a CA certificate (basicConstraints CA is true)",
        )),
        Ok(None) => Err(bad_certificate(
            FORMAT,
            "the AIK certificate has no basicConstraints extension; it must say CA false",
        )),
        Err(e) => Err(bad_certificate(
            FORMAT,
            format!("the AIK certificate's basicConstraints cannot be read: {e}"),
        )),
    }
}

/// The SAN names the TPM in a directoryName (TPMv2 EK profile §3.2.9).
///
/// Devices differ in how they group the attributes (one RDN each, as the
/// profile shows, or all in one multi-valued RDN) and in their order, so every
/// attribute of every directoryName counts, wherever it sits.
fn check_tpm_san(cert: &X509Certificate<'_>) -> Result<(), Error> {
    let san = match cert.subject_alternative_name() {
        Ok(Some(san)) => san,
        Ok(None) => {
            return Err(bad_certificate(
                FORMAT,
                "the AIK certificate has no subjectAltName; it must name the TPM (manufacturer, model, version)",
            ))
        }
        Err(e) => {
            return Err(bad_certificate(
                FORMAT,
                format!("the AIK certificate's subjectAltName cannot be read: {e}"),
            ))
        }
    };
    let has = |oid: &str| {
        san.value.general_names.iter().any(|name| match name {
            GeneralName::DirectoryName(dn) => dn
                .iter_attributes()
                .any(|attr| attr.attr_type().to_id_string() == oid && !attr.as_slice().is_empty()),
            _ => false,
        })
    };
    for (oid, what) in [
        (TCG_AT_TPM_MANUFACTURER, "tpmManufacturer"),
        (TCG_AT_TPM_MODEL, "tpmModel"),
        (TCG_AT_TPM_VERSION, "tpmVersion"),
    ] {
        if !has(oid) {
            return Err(bad_certificate(
                FORMAT,
                format!("the AIK certificate's subjectAltName directoryName lacks {what} ({oid})"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use ciborium::Value as Cbor;
    use serde_json::{json, Value};

    use super::*;
    use crate::encoding;
    use crate::{
        Challenge, Origin, RegistrationResponse, RegistrationState, RelyingParty, RpId,
        TrustAnchors, UserVerification, VerifiedRegistration,
    };

    /// The entries of a CBOR map (the attestation object, attStmt).
    type Entries = Vec<(Cbor, Cbor)>;

    const VECTORS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/webauthn-vectors/"
    );

    /// Every real `tpm` registration of the data set that must verify.
    const REAL_SUCCESSES: [&str; 17] = [
        "real/SimpleWebAuthn/tpm-aaguid-ext-match.json",
        "real/SimpleWebAuthn/tpm-ecc-webauthn-io.json",
        "real/SimpleWebAuthn/tpm-rs1-fido2-net-lib-sha1.json",
        "real/SimpleWebAuthn/tpm-rs1-sha1.json",
        "real/SimpleWebAuthn/tpm-rs256-dev-dontneeda.json",
        "real/SimpleWebAuthn/tpm-rs256-fido2-net-lib-sha256.json",
        "real/SimpleWebAuthn/tpm-rs256-sha256.json",
        "real/SimpleWebAuthn/tpm-san-non-spec-compliant.json",
        "real/SimpleWebAuthn/tpm-san-spec-compliant.json",
        "real/java-webauthn-server/tpm-thinkpad.json",
        "real/java-webauthn-server/tpm-windows-hello.json",
        "real/py_webauthn/tpm-ecc-webauthn-io.json",
        "real/py_webauthn/tpm-rs1-dell-xps-13.json",
        "real/py_webauthn/tpm-rs1-lenovo-carbon-x1.json",
        "real/py_webauthn/tpm-rs1-surface-pro-4.json",
        // webauthn-rs refuses these two only because `alg` is RS1 (see below).
        "real/webauthn-rs/tpm-ecc-aseigler-rejected.json",
        "real/webauthn-rs/tpm-windows-hello-rs1-rejected.json",
    ];
    const AAGUID_MISMATCH: &str = "real/SimpleWebAuthn/tpm-aaguid-ext-mismatch.json";
    const RSA_CASE: &str = "real/java-webauthn-server/tpm-windows-hello.json";
    const ECC_CASE: &str = "real/java-webauthn-server/tpm-thinkpad.json";

    fn load(path: &str) -> Value {
        let full = format!("{VECTORS}{path}");
        let text = std::fs::read_to_string(&full).unwrap_or_else(|e| {
            panic!(
                "test vector `{path}` cannot be read at {full} ({e}); the WebAuthn vectors belong in \
                 shared/data/webauthn-vectors beside the project checkout (see its README.md)"
            )
        });
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full} is not JSON: {e}"))
    }

    /// One registration with what the relying party expects.
    struct Case {
        name: String,
        response: Value,
        rp_id: String,
        origins: Vec<String>,
        challenge: Vec<u8>,
        time: SystemTime,
    }

    fn real_case(path: &str) -> Case {
        let file = load(path);
        let expected = &file["expected"];
        let origins = match &expected["origin"] {
            Value::String(o) => vec![o.clone()],
            Value::Array(list) => list
                .iter()
                .map(|o| o.as_str().unwrap().to_owned())
                .collect(),
            other => panic!("{path}: expected.origin is {other}"),
        };
        let challenge = encoding::decode(expected["challenge_b64url"].as_str().unwrap())
            .unwrap_or_else(|| panic!("{path}: challenge_b64url is not base64url"));
        Case {
            name: path.to_owned(),
            response: file["response"].clone(),
            rp_id: expected["rp_id"].as_str().unwrap().to_owned(),
            origins,
            challenge,
            time: expected["verification_time"]
                .as_str()
                .map_or_else(SystemTime::now, rfc3339),
        }
    }

    fn spec_case() -> Case {
        let file = load("spec/tpm-es256.json");
        let reg = &file["registration"];
        let text = |key: &str| reg[key].as_str().unwrap().to_owned();
        Case {
            name: "spec/tpm-es256.json".into(),
            response: json!({
                "id": text("credential_id_b64url"),
                "rawId": text("credential_id_b64url"),
                "type": "public-key",
                "response": {
                    "clientDataJSON": text("clientDataJSON_b64url"),
                    "attestationObject": text("attestationObject_b64url"),
                },
                "clientExtensionResults": {},
            }),
            rp_id: file["rp_id"].as_str().unwrap().to_owned(),
            origins: vec![file["origin"].as_str().unwrap().to_owned()],
            challenge: hex(&text("challenge")),
            // The spec's attestation certificates are valid 2024-01-01 to 3024-01-01.
            time: UNIX_EPOCH + Duration::from_secs(1_750_000_000),
        }
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// An RFC 3339 time (the vectors' are UTC), to the second.
    fn rfc3339(text: &str) -> SystemTime {
        let time =
            ::time::OffsetDateTime::parse(text, &::time::format_description::well_known::Rfc3339)
                .unwrap();
        UNIX_EPOCH + Duration::from_secs(u64::try_from(time.unix_timestamp()).unwrap())
    }

    fn verify_with(
        case: &Case,
        response: &Value,
        state: impl FnOnce(RegistrationState) -> RegistrationState,
    ) -> Result<VerifiedRegistration, Error> {
        let origins = case
            .origins
            .iter()
            .map(|o| Origin::parse(o).unwrap())
            .collect();
        let rp = RelyingParty::new(RpId::parse(&case.rp_id).unwrap(), "test", origins).unwrap();
        let registration =
            RegistrationResponse::from_json(&serde_json::to_string(response).unwrap())
                .unwrap_or_else(|e| panic!("{}: the response does not parse: {e}", case.name));
        let state = state(
            RegistrationState::new(Challenge::from_bytes(case.challenge.clone()).unwrap())
                .with_user_verification(UserVerification::Discouraged),
        );
        registration.verify(&rp, state, &TrustAnchors::new(), case.time)
    }

    fn verify_case(case: &Case) -> Result<VerifiedRegistration, Error> {
        verify_with(case, &case.response, |state| state)
    }

    fn attestation_object(response: &Value) -> Entries {
        let bytes =
            encoding::decode(response["response"]["attestationObject"].as_str().unwrap()).unwrap();
        match ciborium::de::from_reader::<Cbor, _>(bytes.as_slice()).unwrap() {
            Cbor::Map(entries) => entries,
            other => panic!("the attestation object is {other:?}"),
        }
    }

    fn att_stmt(object: &mut [(Cbor, Cbor)]) -> &mut Entries {
        object
            .iter_mut()
            .find_map(|(k, v)| match (k.as_text(), v) {
                (Some("attStmt"), Cbor::Map(m)) => Some(m),
                _ => None,
            })
            .unwrap()
    }

    fn stmt_value<'a>(stmt: &'a mut [(Cbor, Cbor)], name: &str) -> &'a mut Cbor {
        stmt.iter_mut()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
            .unwrap_or_else(|| panic!("attStmt has no `{name}`"))
    }

    fn stmt_bytes<'a>(stmt: &'a mut [(Cbor, Cbor)], name: &str) -> &'a mut Vec<u8> {
        match stmt_value(stmt, name) {
            Cbor::Bytes(b) => b,
            other => panic!("`{name}` is {other:?}"),
        }
    }

    /// The statement's byte field `name`, as received.
    fn field(case: &Case, name: &str) -> Vec<u8> {
        let mut object = attestation_object(&case.response);
        stmt_bytes(att_stmt(&mut object), name).clone()
    }

    /// The case's response with its attStmt edited.
    fn edited(case: &Case, edit: impl FnOnce(&mut Entries)) -> Value {
        let mut object = attestation_object(&case.response);
        edit(att_stmt(&mut object));
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&Cbor::Map(object), &mut bytes).unwrap();
        let mut response = case.response.clone();
        response["response"]["attestationObject"] = Value::String(encoding::encode(&bytes));
        response
    }

    /// Verifies the case with byte field `name` replaced.
    fn verify_replaced(case: &Case, name: &str, bytes: Vec<u8>) -> Result<(), Error> {
        let response = edited(case, |stmt| *stmt_bytes(stmt, name) = bytes);
        verify_with(case, &response, |s| s).map(drop)
    }

    fn flipped(mut bytes: Vec<u8>, index: usize) -> Vec<u8> {
        bytes[index] ^= 0x01;
        bytes
    }

    /// Offsets in certInfo of extraData's first byte, clockInfo and attested.name's first byte.
    fn cert_info_offsets(cert_info: &[u8]) -> (usize, usize, usize) {
        let len = |at: usize| usize::from(u16::from_be_bytes([cert_info[at], cert_info[at + 1]]));
        let extra_len_at = 6 + 2 + len(6);
        let clock = extra_len_at + 2 + len(extra_len_at);
        let name_len_at = clock + 17 + 8;
        (extra_len_at + 2, clock, name_len_at + 2)
    }

    #[test]
    fn spec_vector_verifies_as_attestation_ca() {
        let case = spec_case();
        let verified = verify_case(&case).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(verified.format(), AttestationFormat::Tpm);
        assert_eq!(verified.attestation_type(), AttestationType::AttCa);
        assert_eq!(verified.certificates().len(), 1);
    }

    #[test]
    fn every_real_tpm_registration_verifies() {
        let mut failures = Vec::new();
        for path in REAL_SUCCESSES {
            let case = real_case(path);
            match verify_case(&case) {
                Ok(verified) => {
                    assert_eq!(
                        verified.attestation_type(),
                        AttestationType::AttCa,
                        "{path}"
                    );
                    assert!(!verified.certificates().is_empty(), "{path}");
                }
                Err(e) => failures.push(format!("{path}: {e} ({})", e.code())),
            }
        }
        assert!(failures.is_empty(), "refused:\n{}", failures.join("\n"));
    }

    #[test]
    fn no_tpm_vector_is_left_out() {
        let mut listed: Vec<&str> = REAL_SUCCESSES.to_vec();
        listed.push(AAGUID_MISMATCH);
        let real = format!("{VECTORS}real");
        let suites = std::fs::read_dir(&real)
            .unwrap_or_else(|e| panic!("the real-device vectors are missing at {real}: {e}"));
        let mut found = 0;
        for suite in suites {
            let suite = suite.unwrap().path();
            for file in std::fs::read_dir(&suite).unwrap() {
                let file = file.unwrap().path();
                let name = file.file_name().unwrap().to_string_lossy().into_owned();
                if name.starts_with("tpm-") && name.ends_with(".json") {
                    let suite_name = suite.file_name().unwrap().to_string_lossy();
                    let relative = format!("real/{suite_name}/{name}");
                    assert!(
                        listed.contains(&relative.as_str()),
                        "{relative} is not checked here"
                    );
                    found += 1;
                }
            }
        }
        assert_eq!(
            found,
            listed.len(),
            "a listed tpm vector is missing under {real}"
        );
    }

    #[test]
    fn aaguid_extension_mismatch_is_refused() {
        let case = real_case(AAGUID_MISMATCH);
        assert_eq!(load(AAGUID_MISMATCH)["expected"]["outcome"], "error");
        match verify_case(&case) {
            Err(Error::AttestationAaguidMismatch {
                format: AttestationFormat::Tpm,
                certificate,
                claimed,
            }) => assert_ne!(certificate, claimed),
            other => panic!("expected an AAGUID mismatch, got {other:?}"),
        }
    }

    /// webauthn-rs refuses these with CredentialInsecureCryptography: the credential
    /// algorithm was in its allow-list, but the attestation statement's `alg` is RS1
    /// (RSASSA-PKCS1-v1_5 with SHA-1), which it refuses to hash or verify.
    #[test]
    fn webauthn_rs_refusals_are_the_rs1_statement_algorithm() {
        for path in [
            "real/webauthn-rs/tpm-ecc-aseigler-rejected.json",
            "real/webauthn-rs/tpm-windows-hello-rs1-rejected.json",
        ] {
            let file = load(path);
            let case = real_case(path);
            let mut object = attestation_object(&case.response);
            let alg = stmt_value(att_stmt(&mut object), "alg").clone();
            assert_eq!(alg, Cbor::from(-65535), "{path}: attStmt alg");
            // Restricted to the credential algorithms webauthn-rs was given, it still verifies.
            let allowed: Vec<CoseAlgorithm> = file["expected"]["credential_algorithms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|name| {
                    CoseAlgorithm::ALL
                        .into_iter()
                        .find(|a| a.name() == name.as_str().unwrap())
                        .unwrap()
                })
                .collect();
            let verified = verify_with(&case, &case.response, |s| s.with_algorithms(&allowed))
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(
                allowed.contains(&verified.public_key().algorithm()),
                "{path}"
            );
            assert_ne!(
                verified.public_key().algorithm(),
                CoseAlgorithm::Rs1,
                "{path}"
            );
        }
    }

    #[test]
    fn both_san_shapes_meet_the_certificate_requirements() {
        for path in [
            "real/SimpleWebAuthn/tpm-san-spec-compliant.json",
            "real/SimpleWebAuthn/tpm-san-non-spec-compliant.json",
        ] {
            let case = real_case(path);
            let mut object = attestation_object(&case.response);
            let Cbor::Array(x5c) = stmt_value(att_stmt(&mut object), "x5c").clone() else {
                panic!("{path}: x5c is not an array");
            };
            let der = x5c[0].as_bytes().unwrap();
            let cert = x509::parse(der).unwrap();
            check_aik_certificate(&cert).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }

    #[test]
    fn a_certificate_that_is_not_an_aik_certificate_is_refused() {
        let root = load("spec/attestation-root-cert.json");
        let der = hex(root["attestation_ca_cert_der_hex"].as_str().unwrap());
        let cert = x509::parse(&der).unwrap();
        match check_aik_certificate(&cert) {
            Err(Error::AttestationCertificate { detail, .. }) => {
                assert!(detail.contains("subject must be empty"), "{detail}")
            }
            other => panic!("expected a certificate error, got {other:?}"),
        }
    }

    #[test]
    fn flipped_extra_data_is_not_bound() {
        for path in [RSA_CASE, ECC_CASE] {
            let case = real_case(path);
            let cert_info = field(&case, "certInfo");
            let (extra, _, _) = cert_info_offsets(&cert_info);
            let result = verify_replaced(&case, "certInfo", flipped(cert_info, extra + 3));
            match result {
                Err(Error::AttestationNonce { detail, .. }) => {
                    assert!(detail.contains("extraData"), "{detail}")
                }
                other => panic!("{path}: expected a nonce error, got {other:?}"),
            }
        }
    }

    #[test]
    fn flipped_attested_name_is_not_bound() {
        let case = real_case(RSA_CASE);
        let cert_info = field(&case, "certInfo");
        let (_, _, name) = cert_info_offsets(&cert_info);
        match verify_replaced(&case, "certInfo", flipped(cert_info, name + 5)) {
            Err(Error::AttestationNonce { detail, .. }) => {
                assert!(detail.contains("attested.name"), "{detail}")
            }
            other => panic!("expected a nonce error, got {other:?}"),
        }
    }

    #[test]
    fn flipped_clock_info_breaks_the_signature() {
        let case = real_case(ECC_CASE);
        let cert_info = field(&case, "certInfo");
        let (_, clock, _) = cert_info_offsets(&cert_info);
        assert!(matches!(
            verify_replaced(&case, "certInfo", flipped(cert_info, clock + 7)),
            Err(Error::AttestationSignature { .. })
        ));
    }

    #[test]
    fn wrong_magic_or_type_is_malformed() {
        let case = real_case(RSA_CASE);
        let cert_info = field(&case, "certInfo");
        for (index, expected) in [(0, "magic"), (5, "type")] {
            match verify_replaced(&case, "certInfo", flipped(cert_info.clone(), index)) {
                Err(Error::AttestationMalformed { detail, .. }) => {
                    assert!(detail.contains(expected), "{detail}")
                }
                other => panic!("expected malformed {expected}, got {other:?}"),
            }
        }
    }

    #[test]
    fn flipped_pub_area_key_is_a_key_mismatch() {
        for path in [RSA_CASE, ECC_CASE] {
            let case = real_case(path);
            let pub_area = field(&case, "pubArea");
            let last = pub_area.len() - 1;
            assert!(
                matches!(
                    verify_replaced(&case, "pubArea", flipped(pub_area, last)),
                    Err(Error::AttestationKeyMismatch { .. })
                ),
                "{path}"
            );
        }
    }

    #[test]
    fn flipped_pub_area_attributes_break_the_name() {
        let case = real_case(ECC_CASE);
        let pub_area = field(&case, "pubArea");
        // objectAttributes, bytes 4..8: not part of the key, but part of the Name.
        match verify_replaced(&case, "pubArea", flipped(pub_area, 7)) {
            Err(Error::AttestationNonce { detail, .. }) => {
                assert!(detail.contains("attested.name"), "{detail}")
            }
            other => panic!("expected a nonce error, got {other:?}"),
        }
    }

    #[test]
    fn flipped_sig_is_refused() {
        for path in [RSA_CASE, ECC_CASE] {
            let case = real_case(path);
            let sig = field(&case, "sig");
            for index in [0, sig.len() / 2, sig.len() - 1] {
                assert!(
                    matches!(
                        verify_replaced(&case, "sig", flipped(sig.clone(), index)),
                        Err(Error::AttestationSignature { .. })
                    ),
                    "{path}: byte {index}"
                );
            }
        }
    }

    #[test]
    fn truncated_or_extended_structures_are_malformed() {
        for path in [RSA_CASE, ECC_CASE] {
            let case = real_case(path);
            for name in ["pubArea", "certInfo"] {
                let bytes = field(&case, name);
                for len in 0..bytes.len() {
                    match verify_replaced(&case, name, bytes[..len].to_vec()) {
                        Err(Error::AttestationMalformed { .. }) => {}
                        other => panic!("{path}: {name} cut to {len} bytes gave {other:?}"),
                    }
                }
                let mut longer = bytes.clone();
                longer.push(0);
                match verify_replaced(&case, name, longer) {
                    Err(Error::AttestationMalformed { detail, .. }) => {
                        assert!(detail.contains("follow"), "{detail}")
                    }
                    other => panic!("{path}: {name} with a trailing byte gave {other:?}"),
                }
            }
        }
    }

    #[test]
    fn every_single_byte_change_is_refused() {
        for path in [RSA_CASE, ECC_CASE] {
            let case = real_case(path);
            for name in ["pubArea", "certInfo"] {
                let bytes = field(&case, name);
                for index in 0..bytes.len() {
                    for mask in [0x01, 0x80] {
                        let mut changed = bytes.clone();
                        changed[index] ^= mask;
                        let result = verify_replaced(&case, name, changed);
                        assert!(
                            matches!(
                                result,
                                Err(Error::AttestationMalformed { .. }
                                    | Error::AttestationKeyMismatch { .. }
                                    | Error::AttestationNonce { .. }
                                    | Error::AttestationSignature { .. })
                            ),
                            "{path}: {name} byte {index} ^ {mask:#x} gave {result:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn statement_fields_are_required() {
        let case = real_case(RSA_CASE);
        let with =
            |edit: &dyn Fn(&mut Entries)| verify_with(&case, &edited(&case, edit), |s| s).map(drop);
        let result = with(&|stmt| *stmt_value(stmt, "ver") = Cbor::Text("1.2".into()));
        assert!(
            matches!(&result, Err(Error::AttestationMalformed { detail, .. }) if detail.contains("ver")),
            "{result:?}"
        );
        let result = with(&|stmt| stmt.retain(|(k, _)| k.as_text() != Some("x5c")));
        assert!(
            matches!(&result, Err(Error::AttestationMalformed { detail, .. }) if detail.contains("x5c")),
            "{result:?}"
        );
        let result = with(&|stmt| *stmt_value(stmt, "alg") = Cbor::from(-9999));
        assert!(
            matches!(result, Err(Error::UnsupportedAlgorithm { alg: -9999 })),
            "{result:?}"
        );
        // RS256 instead of RS1: extraData was made with SHA-1, so it no longer binds.
        let result = with(&|stmt| *stmt_value(stmt, "alg") = Cbor::from(-257));
        assert!(
            matches!(result, Err(Error::AttestationNonce { .. })),
            "{result:?}"
        );
    }

    #[test]
    fn pub_area_reads_tagged_unions() {
        // ECC key with an ECDSA/SHA-256 scheme and a KDF2/SHA-256 kdf: both carry a hashAlg.
        let mut bytes = vec![0x00, 0x23, 0x00, 0x0b, 0x00, 0x04, 0x00, 0x72, 0x00, 0x00];
        bytes.extend([
            0x00, 0x10, 0x00, 0x18, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x21, 0x00, 0x0b,
        ]);
        bytes.extend([0x00, 0x20]);
        bytes.extend([0x11; 32]);
        bytes.extend([0x00, 0x1f]);
        bytes.extend([0x22; 31]);
        let pub_area = PubArea::parse(&bytes).unwrap();
        assert_eq!(pub_area.name_hash, Hash::Sha256);
        let mut point = vec![4];
        point.extend([0x11; 32]);
        point.push(0);
        point.extend([0x22; 31]);
        assert!(pub_area.is_key(&PublicKey::Ec {
            curve: Curve::P256,
            point: point.clone()
        }));
        assert!(!pub_area.is_key(&PublicKey::Ec {
            curve: Curve::P384,
            point
        }));
        // An unknown scheme cannot be skipped safely.
        bytes[13] = 0x99;
        assert!(matches!(
            PubArea::parse(&bytes),
            Err(Error::AttestationMalformed { .. })
        ));
    }
}
