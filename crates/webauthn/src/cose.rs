//! COSE algorithms and credential public keys (RFC 9052/9053, RFC 8230, FIPS 204 COSE draft).
//!
//! A [`CoseKey`] is parsed strictly: the key type, algorithm and curve must
//! agree, coordinates must have their curve's length, and the point must be on
//! the curve. Re-encoding yields the canonical CBOR of the same key.

use std::fmt;

use aws_lc_rs::signature::ParsedPublicKey;
use ciborium::Value;
use coset::iana::{self, EnumI64};
use coset::{AsCborValue, CoseKey as CosetKey, KeyType, Label, RegisteredLabelWithPrivate};

use crate::crypto::{Curve, Hash, KeyProblem, MlDsaLevel, PublicKey, SignatureScheme};
use crate::error::Error;

/// A signature algorithm a credential may use, by its COSE identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CoseAlgorithm {
    /// ECDSA with SHA-256 on P-256 (-7).
    Es256,
    /// ECDSA with SHA-384 on P-384 (-35).
    Es384,
    /// ECDSA with SHA-512 on P-521 (-36).
    Es512,
    /// EdDSA (-8); Keybound verifies it with Ed25519 keys.
    EdDsa,
    /// Ed25519, fully specified (-19).
    Ed25519,
    /// RSASSA-PKCS1-v1_5 with SHA-256 (-257).
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384 (-258).
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512 (-259).
    Rs512,
    /// RSASSA-PSS with SHA-256 (-37).
    Ps256,
    /// RSASSA-PSS with SHA-384 (-38).
    Ps384,
    /// RSASSA-PSS with SHA-512 (-39).
    Ps512,
    /// RSASSA-PKCS1-v1_5 with SHA-1 (-65535): Windows Hello's older TPM keys. Weak; allow knowingly.
    Rs1,
    /// ML-DSA-44 (-48).
    MlDsa44,
    /// ML-DSA-65 (-49).
    MlDsa65,
    /// ML-DSA-87 (-50).
    MlDsa87,
}

impl CoseAlgorithm {
    /// Every algorithm the engine verifies.
    pub const ALL: [CoseAlgorithm; 15] = [
        CoseAlgorithm::Es256,
        CoseAlgorithm::Es384,
        CoseAlgorithm::Es512,
        CoseAlgorithm::EdDsa,
        CoseAlgorithm::Ed25519,
        CoseAlgorithm::Rs256,
        CoseAlgorithm::Rs384,
        CoseAlgorithm::Rs512,
        CoseAlgorithm::Ps256,
        CoseAlgorithm::Ps384,
        CoseAlgorithm::Ps512,
        CoseAlgorithm::Rs1,
        CoseAlgorithm::MlDsa44,
        CoseAlgorithm::MlDsa65,
        CoseAlgorithm::MlDsa87,
    ];

    /// The algorithms a relying party should offer by default, most preferred first.
    pub const RECOMMENDED: [CoseAlgorithm; 3] = [
        CoseAlgorithm::Es256,
        CoseAlgorithm::EdDsa,
        CoseAlgorithm::Rs256,
    ];

    /// The COSE identifier.
    pub const fn id(self) -> i64 {
        match self {
            CoseAlgorithm::Es256 => -7,
            CoseAlgorithm::Es384 => -35,
            CoseAlgorithm::Es512 => -36,
            CoseAlgorithm::EdDsa => -8,
            CoseAlgorithm::Ed25519 => -19,
            CoseAlgorithm::Rs256 => -257,
            CoseAlgorithm::Rs384 => -258,
            CoseAlgorithm::Rs512 => -259,
            CoseAlgorithm::Ps256 => -37,
            CoseAlgorithm::Ps384 => -38,
            CoseAlgorithm::Ps512 => -39,
            CoseAlgorithm::Rs1 => -65535,
            CoseAlgorithm::MlDsa44 => -48,
            CoseAlgorithm::MlDsa65 => -49,
            CoseAlgorithm::MlDsa87 => -50,
        }
    }

    /// Looks up a COSE identifier; `None` for algorithms the engine does not verify.
    pub fn from_id(id: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|alg| alg.id() == id)
    }

    /// The conventional name (`ES256`, `RS1`, `ML-DSA-44`).
    pub const fn name(self) -> &'static str {
        match self {
            CoseAlgorithm::Es256 => "ES256",
            CoseAlgorithm::Es384 => "ES384",
            CoseAlgorithm::Es512 => "ES512",
            CoseAlgorithm::EdDsa => "EdDSA",
            CoseAlgorithm::Ed25519 => "Ed25519",
            CoseAlgorithm::Rs256 => "RS256",
            CoseAlgorithm::Rs384 => "RS384",
            CoseAlgorithm::Rs512 => "RS512",
            CoseAlgorithm::Ps256 => "PS256",
            CoseAlgorithm::Ps384 => "PS384",
            CoseAlgorithm::Ps512 => "PS512",
            CoseAlgorithm::Rs1 => "RS1",
            CoseAlgorithm::MlDsa44 => "ML-DSA-44",
            CoseAlgorithm::MlDsa65 => "ML-DSA-65",
            CoseAlgorithm::MlDsa87 => "ML-DSA-87",
        }
    }

    /// The digest the algorithm signs with (ML-DSA and EdDSA sign the message itself).
    pub(crate) fn hash(self) -> Option<Hash> {
        Some(match self {
            CoseAlgorithm::Es256 | CoseAlgorithm::Rs256 | CoseAlgorithm::Ps256 => Hash::Sha256,
            CoseAlgorithm::Es384 | CoseAlgorithm::Rs384 | CoseAlgorithm::Ps384 => Hash::Sha384,
            CoseAlgorithm::Es512 | CoseAlgorithm::Rs512 | CoseAlgorithm::Ps512 => Hash::Sha512,
            CoseAlgorithm::Rs1 => Hash::Sha1,
            _ => return None,
        })
    }

    /// How signatures of this algorithm are checked, independent of any particular key.
    pub(crate) fn scheme(self) -> SignatureScheme {
        match self {
            CoseAlgorithm::Es256 => SignatureScheme::Ecdsa(Hash::Sha256),
            CoseAlgorithm::Es384 => SignatureScheme::Ecdsa(Hash::Sha384),
            CoseAlgorithm::Es512 => SignatureScheme::Ecdsa(Hash::Sha512),
            CoseAlgorithm::EdDsa | CoseAlgorithm::Ed25519 => SignatureScheme::Ed25519,
            CoseAlgorithm::Rs256 => SignatureScheme::RsaPkcs1(Hash::Sha256),
            CoseAlgorithm::Rs384 => SignatureScheme::RsaPkcs1(Hash::Sha384),
            CoseAlgorithm::Rs512 => SignatureScheme::RsaPkcs1(Hash::Sha512),
            CoseAlgorithm::Rs1 => SignatureScheme::RsaPkcs1(Hash::Sha1),
            CoseAlgorithm::Ps256 => SignatureScheme::RsaPss(Hash::Sha256),
            CoseAlgorithm::Ps384 => SignatureScheme::RsaPss(Hash::Sha384),
            CoseAlgorithm::Ps512 => SignatureScheme::RsaPss(Hash::Sha512),
            CoseAlgorithm::MlDsa44 => SignatureScheme::MlDsa(MlDsaLevel::Level44),
            CoseAlgorithm::MlDsa65 => SignatureScheme::MlDsa(MlDsaLevel::Level65),
            CoseAlgorithm::MlDsa87 => SignatureScheme::MlDsa(MlDsaLevel::Level87),
        }
    }
}

impl fmt::Display for CoseAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.id())
    }
}

/// A credential public key as the authenticator sent it, parsed and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoseKey {
    algorithm: CoseAlgorithm,
    key: PublicKey,
}

impl CoseKey {
    /// Parses one CBOR-encoded COSE_Key from the front of `bytes`; returns it and the bytes it used.
    pub fn parse_prefix(bytes: &[u8]) -> Result<(Self, usize), Error> {
        let mut reader = bytes;
        let value: Value = ciborium::de::from_reader(&mut reader).map_err(|e| Error::CoseKey {
            detail: format!("not CBOR: {e}"),
        })?;
        let used = bytes.len() - reader.len();
        Ok((Self::from_value(value)?, used))
    }

    /// Parses a COSE_Key that fills all of `bytes`.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, Error> {
        let (key, used) = Self::parse_prefix(bytes)?;
        if used != bytes.len() {
            return Err(Error::CoseKey {
                detail: format!("{} bytes follow the key", bytes.len() - used),
            });
        }
        Ok(key)
    }

    fn from_value(value: Value) -> Result<Self, Error> {
        let bad = |detail: &str| Error::CoseKey {
            detail: detail.to_owned(),
        };
        let cose = CosetKey::from_cbor_value(value).map_err(|e| Error::CoseKey {
            detail: format!("not a COSE_Key map: {e}"),
        })?;
        let alg_id = match &cose.alg {
            Some(RegisteredLabelWithPrivate::Assigned(alg)) => alg.to_i64(),
            Some(RegisteredLabelWithPrivate::PrivateUse(id)) => *id,
            Some(RegisteredLabelWithPrivate::Text(_)) => {
                return Err(bad("algorithm (3) is text, not a COSE identifier"))
            }
            None => return Err(bad("the algorithm (3) is missing")),
        };
        let algorithm =
            CoseAlgorithm::from_id(alg_id).ok_or(Error::UnsupportedAlgorithm { alg: alg_id })?;
        let param = |label: i64| {
            cose.params
                .iter()
                .find(|(l, _)| *l == Label::Int(label))
                .map(|(_, v)| v)
        };
        let bytes_param = |label: i64, name: &str| -> Result<Vec<u8>, Error> {
            match param(label) {
                Some(Value::Bytes(b)) => Ok(b.clone()),
                Some(_) => Err(bad(&format!("{name} ({label}) is not a byte string"))),
                None => Err(bad(&format!("{name} ({label}) is missing"))),
            }
        };
        let int_param = |label: i64, name: &str| -> Result<i64, Error> {
            match param(label) {
                Some(Value::Integer(i)) => {
                    i64::try_from(*i).map_err(|_| bad(&format!("{name} is out of range")))
                }
                Some(_) => Err(bad(&format!("{name} ({label}) is not an integer"))),
                None => Err(bad(&format!("{name} ({label}) is missing"))),
            }
        };
        let kty = match &cose.kty {
            KeyType::Assigned(kty) => *kty,
            KeyType::Text(text) => {
                return Err(bad(&format!(
                    "the key type (1) is the text {text:?}; COSE requires its registered integer (OKP = 1, EC2 = 2, RSA = 3, AKP = 7)"
                )))
            }
        };
        let key = match kty {
            iana::KeyType::EC2 => {
                let crv = int_param(-1, "curve")?;
                let curve = match crv {
                    1 => Curve::P256,
                    2 => Curve::P384,
                    3 => Curve::P521,
                    other => {
                        return Err(bad(&format!(
                            "EC2 curve {other} is not P-256, P-384 or P-521"
                        )))
                    }
                };
                let expected_curve = match algorithm {
                    CoseAlgorithm::Es256 => Curve::P256,
                    CoseAlgorithm::Es384 => Curve::P384,
                    CoseAlgorithm::Es512 => Curve::P521,
                    _ => {
                        return Err(Error::KeyAlgorithmMismatch {
                            alg: algorithm,
                            key: "EC2",
                        })
                    }
                };
                if curve != expected_curve {
                    return Err(Error::KeyAlgorithmMismatch {
                        alg: algorithm,
                        key: curve_name(curve),
                    });
                }
                let x = bytes_param(-2, "x coordinate")?;
                let y = match param(-3) {
                    Some(Value::Bytes(y)) => y.clone(),
                    Some(Value::Bool(_)) => {
                        return Err(bad("compressed EC points are not allowed in WebAuthn"))
                    }
                    _ => return Err(bad("y coordinate (-3) is missing")),
                };
                let len = curve.coordinate_len();
                if x.len() != len || y.len() != len {
                    return Err(bad(&format!(
                        "coordinates must be {len} bytes each on {}",
                        curve_name(curve)
                    )));
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend(&x);
                point.extend(&y);
                PublicKey::Ec { curve, point }
            }
            iana::KeyType::OKP => {
                let crv = int_param(-1, "curve")?;
                if !matches!(algorithm, CoseAlgorithm::EdDsa | CoseAlgorithm::Ed25519) {
                    return Err(Error::KeyAlgorithmMismatch {
                        alg: algorithm,
                        key: "OKP",
                    });
                }
                match crv {
                    6 => {}
                    7 => return Err(Error::UnsupportedAlgorithm { alg: -53 }),
                    other => return Err(bad(&format!("OKP curve {other} is not Ed25519"))),
                }
                let x = bytes_param(-2, "public key")?;
                if x.len() != 32 {
                    return Err(bad("Ed25519 public keys are 32 bytes"));
                }
                PublicKey::Ed25519(x)
            }
            iana::KeyType::RSA => {
                if !matches!(
                    algorithm.scheme(),
                    SignatureScheme::RsaPkcs1(_) | SignatureScheme::RsaPss(_)
                ) {
                    return Err(Error::KeyAlgorithmMismatch {
                        alg: algorithm,
                        key: "RSA",
                    });
                }
                let n = crate::crypto::strip_leading_zeros(&bytes_param(-1, "modulus")?);
                let e = crate::crypto::strip_leading_zeros(&bytes_param(-2, "exponent")?);
                if n.len() < 256 {
                    return Err(bad(&format!(
                        "RSA modulus is {} bits; at least 2048 are required",
                        n.len() * 8
                    )));
                }
                PublicKey::Rsa { n, e }
            }
            iana::KeyType::AKP => {
                let level = match algorithm {
                    CoseAlgorithm::MlDsa44 => MlDsaLevel::Level44,
                    CoseAlgorithm::MlDsa65 => MlDsaLevel::Level65,
                    CoseAlgorithm::MlDsa87 => MlDsaLevel::Level87,
                    _ => {
                        return Err(Error::KeyAlgorithmMismatch {
                            alg: algorithm,
                            key: "AKP",
                        })
                    }
                };
                PublicKey::MlDsa {
                    level,
                    key: bytes_param(-1, "public key")?,
                }
            }
            _ => return Err(bad("the key type (1) is not EC2, OKP, RSA or AKP")),
        };
        let key = CoseKey { algorithm, key };
        key.key
            .prepare(algorithm.scheme())
            .map_err(|problem| match problem {
                KeyProblem::Malformed(detail) | KeyProblem::Unsupported(detail) => {
                    Error::CoseKey { detail }
                }
            })?;
        Ok(key)
    }

    /// The algorithm the key is bound to.
    pub fn algorithm(&self) -> CoseAlgorithm {
        self.algorithm
    }

    /// The canonical CBOR encoding (RFC 8949 core deterministic: integer keys in order).
    pub fn to_cbor(&self) -> Vec<u8> {
        let int = |i: i64| Value::Integer(i.into());
        let mut entries: Vec<(Value, Value)> = Vec::new();
        match &self.key {
            PublicKey::Ec { curve, point } => {
                let len = curve.coordinate_len();
                let crv = match curve {
                    Curve::P256 => 1,
                    Curve::P384 => 2,
                    Curve::P521 => 3,
                };
                entries.push((int(1), int(2)));
                entries.push((int(3), int(self.algorithm.id())));
                entries.push((int(-1), int(crv)));
                entries.push((int(-2), Value::Bytes(point[1..1 + len].to_vec())));
                entries.push((int(-3), Value::Bytes(point[1 + len..].to_vec())));
            }
            PublicKey::Ed25519(x) => {
                entries.push((int(1), int(1)));
                entries.push((int(3), int(self.algorithm.id())));
                entries.push((int(-1), int(6)));
                entries.push((int(-2), Value::Bytes(x.clone())));
            }
            PublicKey::Rsa { n, e } => {
                entries.push((int(1), int(3)));
                entries.push((int(3), int(self.algorithm.id())));
                entries.push((int(-1), Value::Bytes(n.clone())));
                entries.push((int(-2), Value::Bytes(e.clone())));
            }
            PublicKey::MlDsa { key, .. } => {
                entries.push((int(1), int(7)));
                entries.push((int(3), int(self.algorithm.id())));
                entries.push((int(-1), Value::Bytes(key.clone())));
            }
        }
        // Deterministic order: positive keys ascending, then negative keys by encoded length/value.
        entries.sort_by_key(|(k, _)| {
            let i = k.as_integer().map_or(0, i128::from);
            if i >= 0 {
                (0, i)
            } else {
                (1, -i)
            }
        });
        let mut out = Vec::new();
        // Writing CBOR to a Vec cannot fail.
        let _ = ciborium::ser::into_writer(&Value::Map(entries), &mut out);
        out
    }

    /// The key in the form the rest of the engine compares and verifies with.
    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// A short description such as `EC P-256` or `RSA 2048`.
    pub fn describe(&self) -> String {
        match &self.key {
            PublicKey::Rsa { n, .. } => format!("RSA {}", n.len() * 8),
            other => other.kind_name().to_owned(),
        }
    }
}

fn curve_name(curve: Curve) -> &'static str {
    match curve {
        Curve::P256 => "EC2 P-256",
        Curve::P384 => "EC2 P-384",
        Curve::P521 => "EC2 P-521",
    }
}

/// A stored credential's public key, parsed once so each sign-in only checks a signature.
#[derive(Clone)]
pub struct CredentialPublicKey {
    cose: CoseKey,
    prepared: ParsedPublicKey,
}

impl CredentialPublicKey {
    /// Prepares a parsed COSE key for repeated verification.
    pub fn new(cose: CoseKey) -> Result<Self, Error> {
        let prepared =
            cose.key
                .prepare(cose.algorithm.scheme())
                .map_err(|problem| match problem {
                    KeyProblem::Malformed(detail) | KeyProblem::Unsupported(detail) => {
                        Error::CoseKey { detail }
                    }
                })?;
        Ok(CredentialPublicKey { cose, prepared })
    }

    /// Parses and prepares a CBOR COSE key as stored.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, Error> {
        Self::new(CoseKey::from_cbor(bytes)?)
    }

    /// The COSE key.
    pub fn cose(&self) -> &CoseKey {
        &self.cose
    }

    /// Whether `signature` is the key's signature over `message`.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        self.prepared.verify_sig(message, signature).is_ok()
    }
}

impl fmt::Debug for CredentialPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CredentialPublicKey")
            .field(&self.cose)
            .finish()
    }
}
