//! Public keys and signature checks, on aws-lc-rs.
//!
//! Keys arrive in two shapes, COSE (credential keys) and X.509
//! SubjectPublicKeyInfo (attestation certificates); both become one
//! [`PublicKey`] so every format compares and verifies keys the same way.

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey, VerificationAlgorithm};
use x509_parser::prelude::SubjectPublicKeyInfo;
use x509_parser::public_key::PublicKey as X509PublicKey;

/// SHA-256 of `data`.
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, data).as_ref());
    out
}

/// A digest a signature scheme or attestation format names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        let algorithm = match self {
            Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
            Hash::Sha512 => &digest::SHA512,
        };
        digest::digest(algorithm, data).as_ref().to_vec()
    }
}

/// An elliptic curve the engine verifies on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    /// Length in bytes of one coordinate.
    pub(crate) fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }
}

/// ML-DSA parameter sets (FIPS 204).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MlDsaLevel {
    Level44,
    Level65,
    Level87,
}

/// How a signature is made: the verifier needs this and the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureScheme {
    /// ECDSA with an ASN.1 DER signature, over the given digest.
    Ecdsa(Hash),
    /// RSASSA-PKCS1-v1_5.
    RsaPkcs1(Hash),
    /// RSASSA-PSS with MGF1 of the same digest and salt of the digest's length.
    RsaPss(Hash),
    Ed25519,
    MlDsa(MlDsaLevel),
}

/// A public key in the form aws-lc-rs reads, with what kind it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// Uncompressed SEC1 point (`04 ‖ x ‖ y`).
    Ec { curve: Curve, point: Vec<u8> },
    /// The 32-byte Ed25519 key.
    Ed25519(Vec<u8>),
    /// Modulus and exponent, without leading zero bytes.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The raw ML-DSA public key.
    MlDsa { level: MlDsaLevel, key: Vec<u8> },
}

/// Why a key could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    /// The key type or curve is not one the engine knows.
    Unsupported(String),
    /// The key's bytes are not a valid key.
    Malformed(String),
}

impl PublicKey {
    /// Reads a certificate's SubjectPublicKeyInfo.
    pub(crate) fn from_spki(spki: &SubjectPublicKeyInfo<'_>) -> Result<Self, KeyProblem> {
        let oid = spki.algorithm.algorithm.to_id_string();
        let raw = spki.subject_public_key.data.to_vec();
        match oid.as_str() {
            // id-ecPublicKey: the curve is the algorithm's parameter.
            "1.2.840.10045.2.1" => {
                let curve_oid = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|o| o.to_id_string())
                    .unwrap_or_default();
                let curve = match curve_oid.as_str() {
                    "1.2.840.10045.3.1.7" => Curve::P256,
                    "1.3.132.0.34" => Curve::P384,
                    "1.3.132.0.35" => Curve::P521,
                    other => return Err(KeyProblem::Unsupported(format!("EC curve {other}"))),
                };
                if raw.len() != 1 + 2 * curve.coordinate_len() || raw.first() != Some(&4) {
                    return Err(KeyProblem::Malformed(
                        "EC point is not an uncompressed point on its curve".into(),
                    ));
                }
                Ok(PublicKey::Ec { curve, point: raw })
            }
            "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => match spki.parsed() {
                Ok(X509PublicKey::RSA(rsa)) => Ok(PublicKey::Rsa {
                    n: strip_leading_zeros(rsa.modulus),
                    e: strip_leading_zeros(rsa.exponent),
                }),
                _ => Err(KeyProblem::Malformed(
                    "RSA key is not a valid RSAPublicKey".into(),
                )),
            },
            "1.3.101.112" => {
                if raw.len() != 32 {
                    return Err(KeyProblem::Malformed("Ed25519 key is not 32 bytes".into()));
                }
                Ok(PublicKey::Ed25519(raw))
            }
            "2.16.840.1.101.3.4.3.17" => Ok(PublicKey::MlDsa {
                level: MlDsaLevel::Level44,
                key: raw,
            }),
            "2.16.840.1.101.3.4.3.18" => Ok(PublicKey::MlDsa {
                level: MlDsaLevel::Level65,
                key: raw,
            }),
            "2.16.840.1.101.3.4.3.19" => Ok(PublicKey::MlDsa {
                level: MlDsaLevel::Level87,
                key: raw,
            }),
            other => Err(KeyProblem::Unsupported(format!(
                "public key algorithm {other}"
            ))),
        }
    }

    /// Picks the aws-lc-rs algorithm that checks `scheme` with this key, if they fit together.
    fn algorithm(&self, scheme: SignatureScheme) -> Option<&'static dyn VerificationAlgorithm> {
        use Hash::*;
        Some(match (self, scheme) {
            (
                PublicKey::Ec {
                    curve: Curve::P256, ..
                },
                SignatureScheme::Ecdsa(h),
            ) => match h {
                Sha1 => &signature::ECDSA_P256_SHA1_ASN1,
                Sha256 => &signature::ECDSA_P256_SHA256_ASN1,
                Sha384 => &signature::ECDSA_P256_SHA384_ASN1,
                Sha512 => &signature::ECDSA_P256_SHA512_ASN1,
            },
            (
                PublicKey::Ec {
                    curve: Curve::P384, ..
                },
                SignatureScheme::Ecdsa(h),
            ) => match h {
                Sha1 => return None,
                Sha256 => &signature::ECDSA_P384_SHA256_ASN1,
                Sha384 => &signature::ECDSA_P384_SHA384_ASN1,
                Sha512 => &signature::ECDSA_P384_SHA512_ASN1,
            },
            (
                PublicKey::Ec {
                    curve: Curve::P521, ..
                },
                SignatureScheme::Ecdsa(h),
            ) => match h {
                Sha1 => &signature::ECDSA_P521_SHA1_ASN1,
                Sha256 => &signature::ECDSA_P521_SHA256_ASN1,
                Sha384 => &signature::ECDSA_P521_SHA384_ASN1,
                Sha512 => &signature::ECDSA_P521_SHA512_ASN1,
            },
            (PublicKey::Rsa { .. }, SignatureScheme::RsaPkcs1(h)) => match h {
                Sha1 => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
                Sha256 => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                Sha512 => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            },
            (PublicKey::Rsa { .. }, SignatureScheme::RsaPss(h)) => match h {
                Sha1 => return None,
                Sha256 => &signature::RSA_PSS_2048_8192_SHA256,
                Sha384 => &signature::RSA_PSS_2048_8192_SHA384,
                Sha512 => &signature::RSA_PSS_2048_8192_SHA512,
            },
            (PublicKey::Ed25519(_), SignatureScheme::Ed25519) => &signature::ED25519,
            (PublicKey::MlDsa { level, .. }, SignatureScheme::MlDsa(wanted))
                if *level == wanted =>
            {
                match level {
                    MlDsaLevel::Level44 => &signature::ML_DSA_44,
                    MlDsaLevel::Level65 => &signature::ML_DSA_65,
                    MlDsaLevel::Level87 => &signature::ML_DSA_87,
                }
            }
            _ => return None,
        })
    }

    /// The key bytes in the encoding aws-lc-rs expects for this key type.
    fn aws_lc_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::Ec { point, .. } => point.clone(),
            PublicKey::Ed25519(key) | PublicKey::MlDsa { key, .. } => key.clone(),
            PublicKey::Rsa { n, e } => rsa_public_key_der(n, e),
        }
    }

    /// Parses the key once for `scheme`, for repeated verification.
    pub(crate) fn prepare(&self, scheme: SignatureScheme) -> Result<ParsedPublicKey, KeyProblem> {
        let algorithm = self.algorithm(scheme).ok_or_else(|| {
            KeyProblem::Unsupported(format!(
                "{} key cannot check a {scheme:?} signature",
                self.kind_name()
            ))
        })?;
        ParsedPublicKey::new(algorithm, self.aws_lc_bytes())
            .map_err(|e| KeyProblem::Malformed(format!("{} key rejected: {e}", self.kind_name())))
    }

    /// Checks `signature` over `message`; `false` for any mismatch, malformed signature or unfit key.
    pub(crate) fn verify(&self, scheme: SignatureScheme, message: &[u8], signature: &[u8]) -> bool {
        self.prepare(scheme)
            .is_ok_and(|key| key.verify_sig(message, signature).is_ok())
    }

    /// A short name of the key type for messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            PublicKey::Ec {
                curve: Curve::P256, ..
            } => "EC P-256",
            PublicKey::Ec {
                curve: Curve::P384, ..
            } => "EC P-384",
            PublicKey::Ec {
                curve: Curve::P521, ..
            } => "EC P-521",
            PublicKey::Ed25519(_) => "Ed25519",
            PublicKey::Rsa { .. } => "RSA",
            PublicKey::MlDsa { .. } => "ML-DSA",
        }
    }
}

/// Drops the sign-padding zeros DER integers carry, so keys compare by value.
pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> Vec<u8> {
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    bytes[first..].to_vec()
}

/// Encodes PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }`.
fn rsa_public_key_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    let mut body = der_unsigned_integer(n);
    body.extend(der_unsigned_integer(e));
    let mut out = vec![0x30];
    out.extend(der_length(body.len()));
    out.extend(body);
    out
}

fn der_unsigned_integer(value: &[u8]) -> Vec<u8> {
    let value = strip_leading_zeros(value);
    let pad = value.first().is_some_and(|b| b & 0x80 != 0);
    let len = value.len() + usize::from(pad);
    let mut out = vec![0x02];
    out.extend(der_length(len));
    if pad {
        out.push(0);
    }
    out.extend(value);
    out
}

fn der_length(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes: Vec<u8> = len
        .to_be_bytes()
        .iter()
        .copied()
        .skip_while(|b| *b == 0)
        .collect();
    let mut out = vec![0x80 | bytes.len() as u8];
    out.extend(bytes);
    out
}

/// Maps an X.509 signature algorithm identifier to a scheme, for certificate signatures.
pub(crate) fn scheme_for_signature_oid(oid: &str) -> Option<SignatureScheme> {
    use Hash::*;
    Some(match oid {
        "1.2.840.10045.4.1" => SignatureScheme::Ecdsa(Sha1),
        "1.2.840.10045.4.3.2" => SignatureScheme::Ecdsa(Sha256),
        "1.2.840.10045.4.3.3" => SignatureScheme::Ecdsa(Sha384),
        "1.2.840.10045.4.3.4" => SignatureScheme::Ecdsa(Sha512),
        "1.2.840.113549.1.1.5" => SignatureScheme::RsaPkcs1(Sha1),
        "1.2.840.113549.1.1.11" => SignatureScheme::RsaPkcs1(Sha256),
        "1.2.840.113549.1.1.12" => SignatureScheme::RsaPkcs1(Sha384),
        "1.2.840.113549.1.1.13" => SignatureScheme::RsaPkcs1(Sha512),
        "1.3.101.112" => SignatureScheme::Ed25519,
        "2.16.840.1.101.3.4.3.17" => SignatureScheme::MlDsa(MlDsaLevel::Level44),
        "2.16.840.1.101.3.4.3.18" => SignatureScheme::MlDsa(MlDsaLevel::Level65),
        "2.16.840.1.101.3.4.3.19" => SignatureScheme::MlDsa(MlDsaLevel::Level87),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_integers_are_minimal_and_positive() {
        assert_eq!(der_unsigned_integer(&[0x00, 0x01]), vec![0x02, 0x01, 0x01]);
        assert_eq!(der_unsigned_integer(&[0x80]), vec![0x02, 0x02, 0x00, 0x80]);
        assert_eq!(der_length(0x1234), vec![0x82, 0x12, 0x34]);
    }
}
