//! An organisation's own certificate authority for its authenticators'
//! attestation: checked once, before it becomes a trust anchor.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Why a certificate cannot be an attestation certificate authority.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// The text is not PEM.
    #[error("the certificate authority is not PEM text ({detail}); give the CA certificate as -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----")]
    NotPem {
        /// What the PEM reader said.
        detail: String,
    },
    /// The PEM holds no certificate.
    #[error("the PEM text holds no CERTIFICATE block; give the CA certificate as -----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----")]
    NoCertificate,
    /// The PEM holds more than one certificate.
    #[error("the PEM text holds {count} certificates; add one certificate authority at a time")]
    SeveralCertificates {
        /// How many.
        count: usize,
    },
    /// The block is not a DER certificate.
    #[error("the CERTIFICATE block is not an X.509 certificate: {detail}")]
    NotCertificate {
        /// What the parser said.
        detail: String,
    },
    /// basicConstraints does not say CA.
    #[error("certificate `{subject}` is not a certificate authority (its basicConstraints extension does not say cA=TRUE); give the CA that issues your authenticators' attestation certificates, not one of those certificates")]
    NotCa {
        /// The certificate's subject.
        subject: String,
    },
    /// keyUsage is present without keyCertSign.
    #[error("certificate `{subject}` may not sign certificates (its keyUsage extension lacks keyCertSign); give the CA that issues your authenticators' attestation certificates")]
    CannotSignCertificates {
        /// The certificate's subject.
        subject: String,
    },
    /// The certificate has expired.
    #[error(
        "certificate authority `{subject}` expired on {not_after}; give its renewed certificate"
    )]
    Expired {
        /// The certificate's subject.
        subject: String,
        /// When it expired.
        not_after: String,
    },
    /// The certificate is not valid yet.
    #[error("certificate authority `{subject}` is not valid before {not_before}; add it once it is, or check this machine's clock")]
    NotYetValid {
        /// The certificate's subject.
        subject: String,
        /// When it becomes valid.
        not_before: String,
    },
}

impl CaError {
    /// A stable code for the refusal.
    pub const fn code(&self) -> &'static str {
        match self {
            CaError::NotPem { .. } => "ca_not_pem",
            CaError::NoCertificate => "ca_no_certificate",
            CaError::SeveralCertificates { .. } => "ca_several_certificates",
            CaError::NotCertificate { .. } => "ca_not_certificate",
            CaError::NotCa { .. } => "ca_not_a_ca",
            CaError::CannotSignCertificates { .. } => "ca_cannot_sign_certificates",
            CaError::Expired { .. } => "ca_expired",
            CaError::NotYetValid { .. } => "ca_not_yet_valid",
        }
    }
}

/// A certificate authority's certificate, checked to be a CA valid at the time it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaCertificate {
    der: Vec<u8>,
    subject: String,
    not_before: i64,
    not_after: i64,
    not_before_text: String,
    not_after_text: String,
}

impl CaCertificate {
    /// Reads one PEM `CERTIFICATE` block and checks it is a CA valid at `now`.
    ///
    /// Keybound checks what a trust anchor must be: a CA (basicConstraints
    /// cA=TRUE, and keyCertSign if keyUsage is present) that is valid now. It
    /// need not be self-signed: an intermediate CA anchors the chains below it.
    pub fn from_pem(pem: &str, now: SystemTime) -> Result<CaCertificate, CaError> {
        let mut certificates = Vec::new();
        for item in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
            let item = item.map_err(|e| CaError::NotPem {
                detail: e.to_string(),
            })?;
            if item.label == "CERTIFICATE" {
                certificates.push(item.contents);
            }
        }
        match certificates.len() {
            0 => Err(CaError::NoCertificate),
            1 => CaCertificate::from_der(certificates.remove(0), now),
            count => Err(CaError::SeveralCertificates { count }),
        }
    }

    /// Checks a DER certificate is a CA valid at `now`.
    pub fn from_der(der: Vec<u8>, now: SystemTime) -> Result<CaCertificate, CaError> {
        let ca = CaCertificate::parse_der(der)?;
        let seconds = unix_seconds(now);
        if seconds > ca.not_after {
            return Err(CaError::Expired {
                subject: ca.subject,
                not_after: ca.not_after_text,
            });
        }
        if seconds < ca.not_before {
            return Err(CaError::NotYetValid {
                subject: ca.subject,
                not_before: ca.not_before_text,
            });
        }
        Ok(ca)
    }

    /// Checks a DER certificate is a CA, at no particular time: for
    /// describing certificates accepted earlier, which may have expired since.
    pub fn parse_der(der: Vec<u8>) -> Result<CaCertificate, CaError> {
        let certificate = match X509Certificate::from_der(&der) {
            Ok(([], certificate)) => certificate,
            Ok((rest, _)) => {
                return Err(CaError::NotCertificate {
                    detail: format!("{} bytes follow the certificate", rest.len()),
                })
            }
            Err(e) => {
                return Err(CaError::NotCertificate {
                    detail: e.to_string(),
                })
            }
        };
        let subject = {
            let text = certificate.subject().to_string();
            if text.is_empty() {
                "(empty subject)".to_owned()
            } else {
                text
            }
        };
        let is_ca = matches!(certificate.basic_constraints(), Ok(Some(bc)) if bc.value.ca);
        if !is_ca {
            return Err(CaError::NotCa { subject });
        }
        match certificate.key_usage() {
            Ok(Some(usage)) if !usage.value.key_cert_sign() => {
                return Err(CaError::CannotSignCertificates { subject });
            }
            Ok(_) => {}
            Err(e) => {
                return Err(CaError::NotCertificate {
                    detail: format!("its keyUsage extension is malformed ({e})"),
                })
            }
        }
        let validity = certificate.validity();
        let (not_before, not_after) = (
            validity.not_before.timestamp(),
            validity.not_after.timestamp(),
        );
        let (not_before_text, not_after_text) = (
            validity.not_before.to_string(),
            validity.not_after.to_string(),
        );
        Ok(CaCertificate {
            der,
            subject,
            not_before,
            not_after,
            not_before_text,
            not_after_text,
        })
    }

    /// Whether `time` falls inside the certificate's validity period.
    pub fn is_valid_at(&self, time: SystemTime) -> bool {
        let seconds = unix_seconds(time);
        self.not_before <= seconds && seconds <= self.not_after
    }

    /// The certificate, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate, DER, by value.
    pub fn into_der(self) -> Vec<u8> {
        self.der
    }

    /// The subject as a one-line distinguished name (`CN=…, O=…`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The start of validity.
    pub fn not_before(&self) -> SystemTime {
        system_time(self.not_before)
    }

    /// The end of validity.
    pub fn not_after(&self) -> SystemTime {
        system_time(self.not_after)
    }

    /// The SHA-256 fingerprint of the DER, as colon-separated upper-case hex.
    pub fn sha256_fingerprint(&self) -> String {
        fingerprint(&self.der)
    }
}

/// The SHA-256 fingerprint of DER bytes, as colon-separated upper-case hex (`CB:B5:22:…`).
pub fn fingerprint(der: &[u8]) -> String {
    let digest = digest::digest(&digest::SHA256, der);
    let mut text = String::with_capacity(digest.as_ref().len() * 3);
    for (i, byte) in digest.as_ref().iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        let _ = write!(text, "{byte:02X}");
    }
    text
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn system_time(seconds: i64) -> SystemTime {
    match u64::try_from(seconds) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after),
        Err(_) => UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs()),
    }
}
