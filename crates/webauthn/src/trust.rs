//! Whether an attestation chain leads to a trust anchor the caller chose.
//!
//! The engine reports trust; it does not decide what to do about it. A policy
//! that enforces attestation refuses a registration whose chain is not
//! [`ChainTrust::Trusted`]. Revocation is the caller's: the metadata service's
//! status reports say which authenticators are revoked; the engine does no I/O.

use std::time::SystemTime;

use x509_parser::prelude::X509Certificate;

use crate::x509;

/// Root certificates the caller trusts for attestation (FIDO MDS roots, an organisation's CA).
#[derive(Clone, Debug, Default)]
pub struct TrustAnchors {
    roots: Vec<Vec<u8>>,
}

/// Why a trust anchor could not be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trust anchor is not a usable certificate: {0}")]
pub struct InvalidAnchor(pub String);

impl TrustAnchors {
    /// No anchors: every chain is reported untrusted.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a DER-encoded root certificate.
    pub fn add_der(&mut self, der: Vec<u8>) -> Result<(), InvalidAnchor> {
        x509::parse(&der).map_err(InvalidAnchor)?;
        self.roots.push(der);
        Ok(())
    }

    /// Adds every certificate in PEM text; returns how many were added.
    pub fn add_pem(&mut self, pem: &str) -> Result<usize, InvalidAnchor> {
        let mut added = 0;
        for item in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
            let item = item.map_err(|e| InvalidAnchor(format!("not PEM: {e}")))?;
            if item.label == "CERTIFICATE" {
                self.add_der(item.contents)?;
                added += 1;
            }
        }
        if added == 0 {
            return Err(InvalidAnchor(
                "the PEM text holds no CERTIFICATE block".into(),
            ));
        }
        Ok(added)
    }

    /// How many anchors there are.
    pub fn len(&self) -> usize {
        self.roots.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// Whether `chain` (DER, leaf first) leads to one of these anchors, every link valid at `time`.
    ///
    /// [`crate::RegistrationResponse::verify`] reports this for a verified
    /// statement; calling it directly is for reports on unverified ones.
    pub fn evaluate(&self, chain: &[Vec<u8>], time: SystemTime) -> ChainTrust {
        evaluate(chain, self, time)
    }
}

/// What the engine concluded about an attestation's certificate chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainTrust {
    /// The format carries no chain (none, self attestation).
    NoChain,
    /// The chain verifies up to an anchor, every certificate valid at the verification time.
    Trusted {
        /// The anchor's subject.
        anchor: String,
    },
    /// The chain does not reach an anchor, or a certificate is broken or out of date.
    Untrusted {
        /// Why, in a sentence.
        reason: String,
    },
}

impl ChainTrust {
    /// Whether the chain reached an anchor.
    pub fn is_trusted(&self) -> bool {
        matches!(self, ChainTrust::Trusted { .. })
    }
}

/// Walks `chain` (leaf first) and looks for an anchor that issued its last link.
pub(crate) fn evaluate(chain: &[Vec<u8>], anchors: &TrustAnchors, time: SystemTime) -> ChainTrust {
    let untrusted = |reason: String| ChainTrust::Untrusted { reason };
    if chain.is_empty() {
        return ChainTrust::NoChain;
    }
    let mut parsed: Vec<X509Certificate<'_>> = Vec::with_capacity(chain.len());
    for (i, der) in chain.iter().enumerate() {
        match x509::parse(der) {
            Ok(cert) => parsed.push(cert),
            Err(e) => return untrusted(format!("certificate {i} of the chain: {e}")),
        }
    }
    let anchors: Vec<X509Certificate<'_>> = anchors
        .roots
        .iter()
        .filter_map(|der| x509::parse(der).ok())
        .collect();

    for (i, cert) in parsed.iter().enumerate() {
        if !x509::valid_at(cert, time) {
            return untrusted(format!(
                "certificate `{}` is not valid at the verification time (valid {} to {})",
                x509::subject(cert),
                cert.validity().not_before,
                cert.validity().not_after
            ));
        }
        // A chain may carry its anchor, or an anchor may sit anywhere along it.
        if let Some(anchor) = anchors.iter().find(|a| a.as_ref() == cert.as_ref()) {
            return ChainTrust::Trusted {
                anchor: x509::subject(anchor),
            };
        }
        if let Some(anchor) = anchors.iter().find(|a| {
            a.subject() == cert.issuer() && x509::may_issue(a) && x509::is_signed_by(cert, a)
        }) {
            if !x509::valid_at(anchor, time) {
                return untrusted(format!(
                    "trust anchor `{}` is not valid at the verification time",
                    x509::subject(anchor)
                ));
            }
            return ChainTrust::Trusted {
                anchor: x509::subject(anchor),
            };
        }
        let Some(issuer) = parsed.get(i + 1) else {
            break;
        };
        if !x509::may_issue(issuer) {
            return untrusted(format!(
                "certificate `{}` is not a CA but issued another certificate",
                x509::subject(issuer)
            ));
        }
        if !x509::is_signed_by(cert, issuer) {
            return untrusted(format!(
                "certificate `{}` is not signed by the next certificate in the chain, `{}`",
                x509::subject(cert),
                x509::subject(issuer)
            ));
        }
    }
    let last = &parsed[parsed.len() - 1];
    untrusted(format!(
        "no trust anchor issued `{}` (issuer `{}`); add the authenticator vendor's root from FIDO metadata or your organisation's CA",
        x509::subject(last),
        last.issuer()
    ))
}
