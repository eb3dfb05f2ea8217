//! FIDO Metadata Service (MDS3) BLOBs: verified first, then read.
//!
//! A BLOB is a compact JWS (MDS v3.1.1 §3.1.7). [`MdsBlob::verify`] follows the
//! processing rules of §3.2 in order, one early return per check:
//!
//! 1. the text is three base64url parts joined by dots;
//! 2. the header is a JSON object whose `alg` is RS256 or ES256 (`none`, HS*
//!    and anything else are refused) and that names no `crit` extension;
//! 3. its `x5c` holds the signing chain, leaf first, standard base64 DER;
//! 4. the chain leads to one of the roots given (signatures, CA flags), by
//!    [`TrustAnchors::evaluate`];
//! 5. every certificate up to that root is valid at the time given (checked
//!    with step 4; a refused chain that holds a certificate out of its
//!    validity is reported as expired or not yet valid, the likely cause —
//!    certificates past the root, such as a cross-certificate, do not count);
//! 6. for FIDO's BLOB ([`MdsBlob::verify_fido`]), the signing certificate
//!    names the Metadata Service's host, `mds.fidoalliance.org`: GlobalSign's
//!    roots certify every GlobalSign customer's web site, and only FIDO's
//!    certificate may sign the BLOB;
//! 7. the JWS signature verifies with the leaf certificate's key;
//! 8. the payload is the `MetadataBLOBPayload` JSON;
//! 9. its `nextUpdate` has not passed (the reference's rule for a stale BLOB).
//!
//! FIDO's roots ([`fido_mds_roots`]) are GlobalSign Root R46, which BLOBs
//! chain to since FIDO rotated its signing certificate on 2026-08-21, and
//! GlobalSign Root CA - R3, which they chained to before (and which
//! cross-signs R46). `src/roots/` has both, with where they came from.
//!
//! Revocation lists (§3.2 step 4) are not fetched: this crate does no I/O.
//! Refusing a BLOB whose `no` is not newer than the one loaded is the
//! caller's, who knows what is loaded.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use keybound_webauthn::{encoding, Aaguid, ChainTrust, TrustAnchors};
use serde::Deserialize;
use time::{Date, Month, OffsetDateTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// The FIDO MDS3 roots, each with a note naming where it came from.
const FIDO_ROOTS_PEM: [&str; 2] = [
    include_str!("roots/globalsign-root-r46.pem"),
    include_str!("roots/globalsign-root-ca-r3.pem"),
];

/// The names FIDO's BLOB signing certificate may carry (a DNS subjectAltName or the subject CN).
pub const FIDO_MDS_SIGNER_NAMES: [&str; 2] = ["mds.fidoalliance.org", "mds3.fidoalliance.org"];

/// More certificates than any real signing chain has; a longer `x5c` is refused.
const MAX_CHAIN_LEN: usize = 8;

/// The roots a FIDO MDS3 BLOB's signing chain must end at (DER): GlobalSign
/// Root R46 (since 2026-08-21) and GlobalSign Root CA - R3 (before).
pub fn fido_mds_roots() -> Vec<Vec<u8>> {
    FIDO_ROOTS_PEM
        .iter()
        .flat_map(|pem| x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()))
        .filter_map(Result::ok)
        .filter(|pem| pem.label == "CERTIFICATE")
        .map(|pem| pem.contents)
        .collect()
}

/// Why a BLOB was refused; nothing of it may be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MdsError {
    /// Not three base64url parts joined by dots.
    #[error("the FIDO metadata BLOB is not a compact JWS ({detail}); give the file downloaded from https://mds3.fidoalliance.org/ unchanged")]
    NotJws {
        /// What is wrong with it.
        detail: String,
    },
    /// The JWS header is not what MDS sends.
    #[error("the FIDO metadata BLOB's JWS header is malformed: {detail}")]
    MalformedHeader {
        /// What is wrong with it.
        detail: String,
    },
    /// `alg` is `none` or an HMAC: a BLOB must be signed by FIDO's certificate.
    #[error("the FIDO metadata BLOB's JWS algorithm `{alg}` is refused: a BLOB must carry a signature by the FIDO Alliance's signing certificate (RS256 or ES256), never `none` or a shared-secret HMAC")]
    AlgorithmRefused {
        /// The `alg` given.
        alg: String,
    },
    /// `alg` is none Keybound verifies.
    #[error("the FIDO metadata BLOB's JWS algorithm `{alg}` is not supported; Keybound verifies RS256 and ES256, which the FIDO Metadata Service uses")]
    AlgorithmUnsupported {
        /// The `alg` given.
        alg: String,
    },
    /// No `x5c` signing chain in the header.
    #[error("the FIDO metadata BLOB's JWS header has no x5c certificate chain, so its signer cannot be checked; give the BLOB as FIDO publishes it")]
    MissingChain,
    /// An `x5c` entry is not a DER certificate in standard base64.
    #[error(
        "certificate {index} of the FIDO metadata BLOB's x5c chain is not a certificate: {detail}"
    )]
    MalformedCertificate {
        /// Its position, 0 being the signer.
        index: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// A certificate of the chain expired before the verification time.
    #[error("certificate `{subject}` of the FIDO metadata BLOB's signing chain expired on {not_after}; download a current BLOB from https://mds3.fidoalliance.org/ (or check this machine's clock)")]
    CertificateExpired {
        /// The certificate's subject.
        subject: String,
        /// When it expired.
        not_after: String,
    },
    /// A certificate of the chain is not valid yet.
    #[error("certificate `{subject}` of the FIDO metadata BLOB's signing chain is not valid before {not_before}; check this machine's clock")]
    CertificateNotYetValid {
        /// The certificate's subject.
        subject: String,
        /// When it becomes valid.
        not_before: String,
    },
    /// The chain does not lead to a trusted root.
    #[error("the FIDO metadata BLOB's signing chain does not lead to the FIDO Metadata Service root: {reason}; download the BLOB from https://mds3.fidoalliance.org/ itself")]
    ChainUntrusted {
        /// What the chain check found.
        reason: String,
    },
    /// The signing certificate is not the one the BLOB's publisher signs with.
    #[error("the FIDO metadata BLOB is signed by `{subject}`, which is not the FIDO Metadata Service's signing certificate (it must name {expected}), though its chain leads to a root that also certifies other web sites; download the BLOB from https://mds3.fidoalliance.org/ itself")]
    SignerNotAllowed {
        /// The signing certificate's subject.
        subject: String,
        /// The names it may carry, for the message.
        expected: String,
    },
    /// The leaf's key cannot make an `alg` signature.
    #[error("the FIDO metadata BLOB says it is signed with {alg}, but its signing certificate holds {key}")]
    KeyMismatch {
        /// The `alg` given.
        alg: &'static str,
        /// The kind of key the certificate holds.
        key: String,
    },
    /// The signature does not verify with the signing certificate's key.
    #[error("the FIDO metadata BLOB's signature does not verify with its signing certificate `{signer}`: the BLOB was changed after FIDO signed it; download it again from https://mds3.fidoalliance.org/")]
    Signature {
        /// The signing certificate's subject.
        signer: String,
    },
    /// The payload is not a `MetadataBLOBPayload`.
    #[error("the FIDO metadata BLOB's payload is malformed: {detail}")]
    MalformedPayload {
        /// What is wrong with it, naming the entry.
        detail: String,
    },
    /// `nextUpdate` has passed: a newer BLOB is out, with revocations this one lacks.
    #[error("the FIDO metadata BLOB is out of date: its nextUpdate was {next_update}, so a newer BLOB with more recent status reports exists; download it from https://mds3.fidoalliance.org/")]
    Stale {
        /// The BLOB's `nextUpdate`.
        next_update: MdsDate,
    },
}

impl MdsError {
    /// A stable code for the refusal.
    pub const fn code(&self) -> &'static str {
        match self {
            MdsError::NotJws { .. } => "mds_blob_not_jws",
            MdsError::MalformedHeader { .. } => "mds_header_malformed",
            MdsError::AlgorithmRefused { .. } => "mds_algorithm_refused",
            MdsError::AlgorithmUnsupported { .. } => "mds_algorithm_unsupported",
            MdsError::MissingChain => "mds_chain_missing",
            MdsError::MalformedCertificate { .. } => "mds_certificate_malformed",
            MdsError::CertificateExpired { .. } => "mds_certificate_expired",
            MdsError::CertificateNotYetValid { .. } => "mds_certificate_not_yet_valid",
            MdsError::ChainUntrusted { .. } => "mds_chain_untrusted",
            MdsError::SignerNotAllowed { .. } => "mds_signer_not_allowed",
            MdsError::KeyMismatch { .. } => "mds_key_mismatch",
            MdsError::Signature { .. } => "mds_signature_invalid",
            MdsError::MalformedPayload { .. } => "mds_payload_malformed",
            MdsError::Stale { .. } => "mds_blob_stale",
        }
    }
}

/// A calendar date as MDS writes them (`YYYY-MM-DD`, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MdsDate {
    /// Days since 1970-01-01.
    days: i64,
}

impl MdsDate {
    /// Parses `YYYY-MM-DD`; `None` for anything else or a day the month lacks.
    pub fn parse(text: &str) -> Option<MdsDate> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let part = text.get(range)?;
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date =
            Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?)
                .ok()?;
        Some(MdsDate {
            days: (date - OffsetDateTime::UNIX_EPOCH.date()).whole_days(),
        })
    }

    /// The date `time` falls on, in UTC.
    pub fn of(time: SystemTime) -> MdsDate {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
        };
        MdsDate {
            days: seconds.div_euclid(86_400),
        }
    }

    /// Midnight UTC at the start of the date.
    pub fn start(self) -> SystemTime {
        let seconds = self.days.saturating_mul(86_400);
        match u64::try_from(seconds) {
            Ok(after) => UNIX_EPOCH + Duration::from_secs(after),
            Err(_) => UNIX_EPOCH - Duration::from_secs(seconds.unsigned_abs()),
        }
    }

    /// Seconds from the Unix epoch to midnight UTC at the start of the date.
    pub fn unix_seconds(self) -> i64 {
        self.days.saturating_mul(86_400)
    }
}

impl fmt::Display for MdsDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Held to the years `time` can name (-9999 to 9999).
        let date = OffsetDateTime::UNIX_EPOCH
            .saturating_add(time::Duration::seconds(self.unix_seconds()))
            .date();
        write!(
            f,
            "{:04}-{:02}-{:02}",
            date.year(),
            u8::from(date.month()),
            date.day()
        )
    }
}

/// An authenticator's status in a status report (MDS §3.1.4, `AuthenticatorStatus`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthenticatorStatus {
    /// `NOT_FIDO_CERTIFIED`.
    NotFidoCertified,
    /// `FIDO_CERTIFIED`.
    FidoCertified,
    /// `USER_VERIFICATION_BYPASS`: malware can bypass user verification.
    UserVerificationBypass,
    /// `ATTESTATION_KEY_COMPROMISE`: an attestation key was leaked.
    AttestationKeyCompromise,
    /// `USER_KEY_REMOTE_COMPROMISE`: credential keys can be extracted remotely.
    UserKeyRemoteCompromise,
    /// `USER_KEY_PHYSICAL_COMPROMISE`: credential keys can be extracted with the device in hand.
    UserKeyPhysicalCompromise,
    /// `UPDATE_AVAILABLE`.
    UpdateAvailable,
    /// `REVOKED`: FIDO revoked the model's certification.
    Revoked,
    /// `SELF_ASSERTION_SUBMITTED`.
    SelfAssertionSubmitted,
    /// `FIDO_CERTIFIED_L1`.
    FidoCertifiedL1,
    /// `FIDO_CERTIFIED_L1plus`.
    FidoCertifiedL1Plus,
    /// `FIDO_CERTIFIED_L2`.
    FidoCertifiedL2,
    /// `FIDO_CERTIFIED_L2plus`.
    FidoCertifiedL2Plus,
    /// `FIDO_CERTIFIED_L3`.
    FidoCertifiedL3,
    /// `FIDO_CERTIFIED_L3plus`.
    FidoCertifiedL3Plus,
    /// A status a later MDS version added, as written.
    Other(String),
}

impl AuthenticatorStatus {
    const KNOWN: [(&'static str, AuthenticatorStatus); 15] = [
        ("NOT_FIDO_CERTIFIED", AuthenticatorStatus::NotFidoCertified),
        ("FIDO_CERTIFIED", AuthenticatorStatus::FidoCertified),
        (
            "USER_VERIFICATION_BYPASS",
            AuthenticatorStatus::UserVerificationBypass,
        ),
        (
            "ATTESTATION_KEY_COMPROMISE",
            AuthenticatorStatus::AttestationKeyCompromise,
        ),
        (
            "USER_KEY_REMOTE_COMPROMISE",
            AuthenticatorStatus::UserKeyRemoteCompromise,
        ),
        (
            "USER_KEY_PHYSICAL_COMPROMISE",
            AuthenticatorStatus::UserKeyPhysicalCompromise,
        ),
        ("UPDATE_AVAILABLE", AuthenticatorStatus::UpdateAvailable),
        ("REVOKED", AuthenticatorStatus::Revoked),
        (
            "SELF_ASSERTION_SUBMITTED",
            AuthenticatorStatus::SelfAssertionSubmitted,
        ),
        ("FIDO_CERTIFIED_L1", AuthenticatorStatus::FidoCertifiedL1),
        (
            "FIDO_CERTIFIED_L1plus",
            AuthenticatorStatus::FidoCertifiedL1Plus,
        ),
        ("FIDO_CERTIFIED_L2", AuthenticatorStatus::FidoCertifiedL2),
        (
            "FIDO_CERTIFIED_L2plus",
            AuthenticatorStatus::FidoCertifiedL2Plus,
        ),
        ("FIDO_CERTIFIED_L3", AuthenticatorStatus::FidoCertifiedL3),
        (
            "FIDO_CERTIFIED_L3plus",
            AuthenticatorStatus::FidoCertifiedL3Plus,
        ),
    ];

    /// Reads a status as MDS writes it; unknown ones are kept as [`AuthenticatorStatus::Other`].
    pub fn parse(text: &str) -> AuthenticatorStatus {
        Self::KNOWN
            .iter()
            .find(|(name, _)| *name == text)
            .map_or_else(
                || AuthenticatorStatus::Other(text.to_owned()),
                |(_, status)| status.clone(),
            )
    }

    /// The status as MDS writes it (`FIDO_CERTIFIED_L1`, `REVOKED`, …).
    pub fn as_str(&self) -> &str {
        if let AuthenticatorStatus::Other(text) = self {
            return text;
        }
        Self::KNOWN
            .iter()
            .find(|(_, status)| status == self)
            .map_or("", |(name, _)| name)
    }

    /// Whether the status says the model must not be trusted: revoked, user
    /// verification bypassable, or attestation or credential keys compromised.
    pub fn is_compromise(&self) -> bool {
        matches!(
            self,
            AuthenticatorStatus::Revoked
                | AuthenticatorStatus::UserVerificationBypass
                | AuthenticatorStatus::AttestationKeyCompromise
                | AuthenticatorStatus::UserKeyRemoteCompromise
                | AuthenticatorStatus::UserKeyPhysicalCompromise
        )
    }
}

impl fmt::Display for AuthenticatorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One status report of an entry (MDS §3.1.3, the fields Keybound reads).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusReport {
    status: AuthenticatorStatus,
    effective_date: Option<MdsDate>,
}

impl StatusReport {
    /// The status.
    pub fn status(&self) -> &AuthenticatorStatus {
        &self.status
    }

    /// The date the status took effect, if given.
    pub fn effective_date(&self) -> Option<MdsDate> {
        self.effective_date
    }
}

/// One authenticator model in a BLOB (MDS §3.1.1, `MetadataBLOBPayloadEntry`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdsEntry {
    aaguid: Option<Aaguid>,
    description: Option<String>,
    icon: Option<String>,
    attestation_roots: Vec<Vec<u8>>,
    status_reports: Vec<StatusReport>,
    time_of_last_status_change: Option<MdsDate>,
}

impl MdsEntry {
    /// The model's AAGUID; `None` for UAF and U2F models, which MDS names otherwise.
    pub fn aaguid(&self) -> Option<Aaguid> {
        self.aaguid
    }

    /// The model's name from its metadata statement (`YubiKey 5 Series`), if it has one.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The metadata statement's icon (a data URI, often PNG), if any.
    pub fn icon(&self) -> Option<&str> {
        self.icon.as_deref()
    }

    /// The roots the model's attestation certificates chain to (DER), from its metadata statement.
    pub fn attestation_roots(&self) -> Vec<Vec<u8>> {
        self.attestation_roots.clone()
    }

    /// Every status report, as the BLOB lists them.
    pub fn status_reports(&self) -> &[StatusReport] {
        &self.status_reports
    }

    /// The latest status report: the one with the latest effective date, the
    /// last listed among equals (a report without a date counts as earliest).
    pub fn status(&self) -> Option<&StatusReport> {
        self.status_reports
            .iter()
            .enumerate()
            .max_by_key(|(i, report)| (report.effective_date, *i))
            .map(|(_, report)| report)
    }

    /// The report that makes the model untrustworthy, if any: the latest one
    /// whose status is `REVOKED`, `USER_VERIFICATION_BYPASS`,
    /// `ATTESTATION_KEY_COMPROMISE`, `USER_KEY_REMOTE_COMPROMISE` or
    /// `USER_KEY_PHYSICAL_COMPROMISE`.
    ///
    /// The whole history counts, not only the latest report: a later
    /// `UPDATE_AVAILABLE` or `FIDO_CERTIFIED` for new firmware does not mend
    /// the devices already in people's hands, which share the AAGUID.
    pub fn compromise(&self) -> Option<&StatusReport> {
        self.status_reports
            .iter()
            .enumerate()
            .filter(|(_, report)| report.status.is_compromise())
            .max_by_key(|(i, report)| (report.effective_date, *i))
            .map(|(_, report)| report)
    }

    /// Whether any status report says the model is revoked or compromised (see [`MdsEntry::compromise`]).
    pub fn is_compromised(&self) -> bool {
        self.compromise().is_some()
    }

    /// When the status last changed.
    pub fn time_of_last_status_change(&self) -> Option<MdsDate> {
        self.time_of_last_status_change
    }
}

/// A FIDO MDS3 BLOB's payload, from a BLOB whose signature and chain were verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MdsBlob {
    number: u64,
    next_update: MdsDate,
    legal_header: Option<String>,
    entries: Vec<MdsEntry>,
    by_aaguid: BTreeMap<Aaguid, usize>,
    payload: String,
}

/// The JWS algorithms a BLOB may be signed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    Rs256,
    Es256,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Es256 => "ES256",
        }
    }
}

impl MdsBlob {
    /// Verifies a BLOB (the JWS text as downloaded) against `roots` (DER) at `now`, then reads it.
    ///
    /// Any certificate under `roots` may sign, so give roots that certify
    /// nothing but BLOB signers (a test's own, a private metadata service's);
    /// FIDO's BLOB is [`MdsBlob::verify_fido`]'s. The checks and their order
    /// are in the module documentation. Whitespace around the text is ignored.
    pub fn verify(jwt_text: &str, roots: &[Vec<u8>], now: SystemTime) -> Result<MdsBlob, MdsError> {
        MdsBlob::verify_inner(jwt_text, roots, None, now)
    }

    /// As [`MdsBlob::verify`], and the signing certificate must carry one of
    /// `signer_names` as a DNS subjectAltName or its subject CN (ignoring case).
    pub fn verify_named(
        jwt_text: &str,
        roots: &[Vec<u8>],
        signer_names: &[&str],
        now: SystemTime,
    ) -> Result<MdsBlob, MdsError> {
        MdsBlob::verify_inner(jwt_text, roots, Some(signer_names), now)
    }

    fn verify_inner(
        jwt_text: &str,
        roots: &[Vec<u8>],
        signer_names: Option<&[&str]>,
        now: SystemTime,
    ) -> Result<MdsBlob, MdsError> {
        // 1. Three base64url parts.
        let text = jwt_text.trim();
        let parts: Vec<&str> = text.split('.').collect();
        let [header_b64, payload_b64, signature_b64] = parts.as_slice() else {
            return Err(MdsError::NotJws {
                detail: format!(
                    "it has {} part(s) separated by dots where a JWS has 3",
                    parts.len()
                ),
            });
        };
        let not_base64 = |part: &str| MdsError::NotJws {
            detail: format!("its {part} is not base64url"),
        };
        let header_bytes = encoding::decode(header_b64).ok_or_else(|| not_base64("header"))?;
        let payload_bytes = encoding::decode(payload_b64).ok_or_else(|| not_base64("payload"))?;
        let signature = encoding::decode(signature_b64).ok_or_else(|| not_base64("signature"))?;

        // 2. The header and its algorithm.
        let header: serde_json::Value =
            serde_json::from_slice(&header_bytes).map_err(|e| MdsError::MalformedHeader {
                detail: format!("it is not JSON ({e})"),
            })?;
        let Some(header) = header.as_object() else {
            return Err(MdsError::MalformedHeader {
                detail: "it is not a JSON object".into(),
            });
        };
        let alg = header
            .get("alg")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| MdsError::MalformedHeader {
                detail: "it has no `alg` string".into(),
            })?;
        let algorithm = match alg {
            "RS256" => Algorithm::Rs256,
            "ES256" => Algorithm::Es256,
            refused if refused.eq_ignore_ascii_case("none") || refused.starts_with("HS") => {
                return Err(MdsError::AlgorithmRefused {
                    alg: refused.to_owned(),
                })
            }
            other => {
                return Err(MdsError::AlgorithmUnsupported {
                    alg: other.to_owned(),
                })
            }
        };
        if header.contains_key("crit") {
            return Err(MdsError::MalformedHeader {
                detail: "it names critical extensions (`crit`), which Keybound does not understand (RFC 7515 §4.1.11)".into(),
            });
        }

        // 3. The signing chain, leaf first.
        let x5c = header
            .get("x5c")
            .and_then(serde_json::Value::as_array)
            .filter(|chain| !chain.is_empty())
            .ok_or(MdsError::MissingChain)?;
        if x5c.len() > MAX_CHAIN_LEN {
            return Err(MdsError::MalformedHeader {
                detail: format!(
                    "its x5c chain has {} certificates; at most {MAX_CHAIN_LEN} are accepted",
                    x5c.len()
                ),
            });
        }
        let mut chain = Vec::with_capacity(x5c.len());
        for (index, item) in x5c.iter().enumerate() {
            let der = item.as_str().and_then(encoding::decode).ok_or_else(|| {
                MdsError::MalformedCertificate {
                    index,
                    detail: "it is not a base64 string".into(),
                }
            })?;
            chain.push(der);
        }
        let mut certificates = Vec::with_capacity(chain.len());
        for (index, der) in chain.iter().enumerate() {
            certificates.push(
                parse_certificate(der)
                    .map_err(|detail| MdsError::MalformedCertificate { index, detail })?,
            );
        }
        let Some(leaf) = certificates.first() else {
            return Err(MdsError::MissingChain);
        };

        // 4 and 5. The chain leads to a root, every certificate up to it valid now.
        let mut anchors = TrustAnchors::new();
        for root in roots {
            // A root that does not parse cannot anchor anything; the chain check says so.
            let _ = anchors.add_der(root.clone());
        }
        match anchors.evaluate(&chain, now) {
            ChainTrust::Trusted { .. } => {}
            ChainTrust::Untrusted { reason } => {
                return Err(out_of_validity(&certificates, now)
                    .unwrap_or(MdsError::ChainUntrusted { reason }))
            }
            ChainTrust::NoChain => return Err(MdsError::MissingChain),
        }

        // 6. The signer is the publisher's certificate.
        if let Some(names) = signer_names {
            if !names_one_of(leaf, names) {
                return Err(MdsError::SignerNotAllowed {
                    subject: subject(leaf),
                    expected: names.join(" or "),
                });
            }
        }

        // 7. The signature, with the leaf's key.
        let signing_input = text
            .get(..header_b64.len() + 1 + payload_b64.len())
            .ok_or_else(|| MdsError::NotJws {
                detail: "its parts could not be told apart".into(),
            })?;
        verify_signature(algorithm, leaf, signing_input.as_bytes(), &signature)?;

        // 8. The payload.
        let payload = String::from_utf8(payload_bytes).map_err(|_| MdsError::MalformedPayload {
            detail: "it is not UTF-8 text".into(),
        })?;
        let blob = MdsBlob::read(payload)?;

        // 9. Not stale.
        if MdsDate::of(now) > blob.next_update {
            return Err(MdsError::Stale {
                next_update: blob.next_update,
            });
        }
        Ok(blob)
    }

    /// Verifies FIDO's BLOB at `now`: the chain must lead to a FIDO root
    /// ([`fido_mds_roots`]) and the signer must be FIDO's certificate
    /// ([`FIDO_MDS_SIGNER_NAMES`]).
    pub fn verify_fido(jwt_text: &str, now: SystemTime) -> Result<MdsBlob, MdsError> {
        MdsBlob::verify_named(jwt_text, &fido_mds_roots(), &FIDO_MDS_SIGNER_NAMES, now)
    }

    /// Reads a payload that [`MdsBlob::verify`] accepted earlier and the
    /// caller kept ([`MdsBlob::payload_json`]), such as a BLOB in Keybound's store.
    ///
    /// It checks the format only: never give it text from anywhere but a
    /// verified BLOB. Staleness is not checked either; use [`MdsBlob::is_stale`].
    pub fn from_stored_payload(payload_json: &str) -> Result<MdsBlob, MdsError> {
        MdsBlob::read(payload_json.to_owned())
    }

    /// Parses the payload JSON into entries.
    fn read(payload: String) -> Result<MdsBlob, MdsError> {
        let raw: RawPayload =
            serde_json::from_str(&payload).map_err(|e| MdsError::MalformedPayload {
                detail: e.to_string(),
            })?;
        let next_update =
            MdsDate::parse(&raw.next_update).ok_or_else(|| MdsError::MalformedPayload {
                detail: format!(
                    "nextUpdate `{}` is not a date in the form YYYY-MM-DD",
                    raw.next_update
                ),
            })?;
        let mut entries = Vec::with_capacity(raw.entries.len());
        let mut by_aaguid = BTreeMap::new();
        for (index, raw_entry) in raw.entries.into_iter().enumerate() {
            let entry = entry(index, raw_entry)?;
            if let Some(aaguid) = entry.aaguid {
                // The first entry for an AAGUID wins, should a BLOB list one twice.
                by_aaguid.entry(aaguid).or_insert(index);
            }
            entries.push(entry);
        }
        Ok(MdsBlob {
            number: raw.no,
            next_update,
            legal_header: raw.legal_header,
            entries,
            by_aaguid,
            payload,
        })
    }

    /// The BLOB's serial number (`no`); a newer BLOB has a higher one.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The date by which FIDO publishes the next BLOB (`nextUpdate`).
    pub fn next_update(&self) -> MdsDate {
        self.next_update
    }

    /// Whether the date of `now` is past `nextUpdate`, so a newer BLOB exists.
    pub fn is_stale(&self, now: SystemTime) -> bool {
        MdsDate::of(now) > self.next_update
    }

    /// The legal header: the terms the BLOB is used under.
    pub fn legal_header(&self) -> Option<&str> {
        self.legal_header.as_deref()
    }

    /// Every entry, in the BLOB's order.
    pub fn entries(&self) -> &[MdsEntry] {
        &self.entries
    }

    /// The entry for an AAGUID.
    pub fn entry(&self, aaguid: Aaguid) -> Option<&MdsEntry> {
        self.by_aaguid
            .get(&aaguid)
            .and_then(|index| self.entries.get(*index))
    }

    /// The verified payload JSON exactly as signed, for keeping (see [`MdsBlob::from_stored_payload`]).
    pub fn payload_json(&self) -> &str {
        &self.payload
    }
}

/// The payload's fields Keybound reads; others are ignored, as later MDS versions add more.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawPayload {
    legal_header: Option<String>,
    no: u64,
    next_update: String,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    aaguid: Option<String>,
    metadata_statement: Option<RawStatement>,
    status_reports: Vec<RawStatusReport>,
    time_of_last_status_change: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatement {
    description: Option<String>,
    icon: Option<String>,
    #[serde(default)]
    attestation_root_certificates: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawStatusReport {
    status: String,
    effective_date: Option<String>,
}

/// Checks one entry's AAGUID, dates and root certificates' encoding.
fn entry(index: usize, raw: RawEntry) -> Result<MdsEntry, MdsError> {
    let name = match (
        &raw.aaguid,
        raw.metadata_statement
            .as_ref()
            .and_then(|s| s.description.as_deref()),
    ) {
        (_, Some(description)) => format!("entry {index} ({description})"),
        (Some(aaguid), None) => format!("entry {index} ({aaguid})"),
        (None, None) => format!("entry {index}"),
    };
    let malformed = |detail: String| MdsError::MalformedPayload {
        detail: format!("{name}: {detail}"),
    };
    let date = |field: &str, text: Option<String>| -> Result<Option<MdsDate>, MdsError> {
        text.map(|text| {
            MdsDate::parse(&text).ok_or_else(|| {
                malformed(format!(
                    "{field} `{text}` is not a date in the form YYYY-MM-DD"
                ))
            })
        })
        .transpose()
    };
    let aaguid = raw
        .aaguid
        .as_deref()
        .map(|text| {
            text.parse::<Aaguid>()
                .map_err(|_| malformed(format!("aaguid `{text}` is not an AAGUID")))
        })
        .transpose()?;
    let mut status_reports = Vec::with_capacity(raw.status_reports.len());
    for report in raw.status_reports {
        status_reports.push(StatusReport {
            status: AuthenticatorStatus::parse(&report.status),
            effective_date: date("a status report's effectiveDate", report.effective_date)?,
        });
    }
    let time_of_last_status_change =
        date("timeOfLastStatusChange", raw.time_of_last_status_change)?;
    let (description, icon, attestation_roots) = match raw.metadata_statement {
        Some(statement) => {
            let mut roots = Vec::with_capacity(statement.attestation_root_certificates.len());
            for (i, text) in statement.attestation_root_certificates.iter().enumerate() {
                let der = encoding::decode(text.trim()).ok_or_else(|| {
                    malformed(format!("attestationRootCertificates[{i}] is not base64"))
                })?;
                roots.push(der);
            }
            let description = statement
                .description
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty());
            (description, statement.icon, roots)
        }
        None => (None, None, Vec::new()),
    };
    Ok(MdsEntry {
        aaguid,
        description,
        icon,
        attestation_roots,
        status_reports,
        time_of_last_status_change,
    })
}

/// Parses one DER certificate; trailing bytes are refused.
fn parse_certificate(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match X509Certificate::from_der(der) {
        Ok(([], certificate)) => Ok(certificate),
        Ok((rest, _)) => Err(format!("{} bytes follow the certificate", rest.len())),
        Err(e) => Err(format!("not a DER X.509 certificate ({e})")),
    }
}

/// The subject as a one-line name, or `(empty subject)`.
fn subject(certificate: &X509Certificate<'_>) -> String {
    let text = certificate.subject().to_string();
    if text.is_empty() {
        "(empty subject)".into()
    } else {
        text
    }
}

/// The first certificate of the chain that is not valid at `now`, as an error.
fn out_of_validity(certificates: &[X509Certificate<'_>], now: SystemTime) -> Option<MdsError> {
    let seconds = unix_seconds(now);
    certificates.iter().find_map(|certificate| {
        let validity = certificate.validity();
        if seconds > validity.not_after.timestamp() {
            Some(MdsError::CertificateExpired {
                subject: subject(certificate),
                not_after: validity.not_after.to_string(),
            })
        } else if seconds < validity.not_before.timestamp() {
            Some(MdsError::CertificateNotYetValid {
                subject: subject(certificate),
                not_before: validity.not_before.to_string(),
            })
        } else {
            None
        }
    })
}

/// Whether the certificate names one of `names`: a DNS subjectAltName or a subject CN, ignoring case.
fn names_one_of(certificate: &X509Certificate<'_>, names: &[&str]) -> bool {
    let wanted = |name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    let in_san = match certificate.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .any(|name| matches!(name, GeneralName::DNSName(dns) if wanted(dns))),
        _ => false,
    };
    in_san
        || certificate
            .subject()
            .iter_common_name()
            .filter_map(|cn| cn.as_str().ok())
            .any(wanted)
}

fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";

/// Checks the JWS signature over `message` with the leaf certificate's key, for `algorithm`.
fn verify_signature(
    algorithm: Algorithm,
    leaf: &X509Certificate<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<(), MdsError> {
    let spki = leaf.public_key();
    let key_oid = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|oid| oid.to_id_string());
    let key_kind = match (key_oid.as_str(), curve.as_deref()) {
        (RSA_ENCRYPTION, _) => "an RSA key".to_owned(),
        (EC_PUBLIC_KEY, Some(P256)) => "an EC P-256 key".to_owned(),
        (EC_PUBLIC_KEY, Some(other)) => format!("an EC key on curve {other}"),
        (other, _) => format!("a key of algorithm {other}"),
    };
    let verifier: &'static dyn VerificationAlgorithm =
        match (algorithm, key_oid.as_str(), curve.as_deref()) {
            (Algorithm::Rs256, RSA_ENCRYPTION, _) => &signature::RSA_PKCS1_2048_8192_SHA256,
            (Algorithm::Es256, EC_PUBLIC_KEY, Some(P256)) => &signature::ECDSA_P256_SHA256_FIXED,
            _ => {
                return Err(MdsError::KeyMismatch {
                    alg: algorithm.name(),
                    key: key_kind,
                })
            }
        };
    // RSA: the RSAPublicKey DER inside the BIT STRING; EC: the uncompressed point.
    let key = UnparsedPublicKey::new(verifier, spki.subject_public_key.data.as_ref());
    key.verify(message, signature)
        .map_err(|_| MdsError::Signature {
            signer: subject(leaf),
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_refuse_impossible_days() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-12-31",
            "2029-03-18",
            "1969-12-31",
        ] {
            let date = MdsDate::parse(text).unwrap_or_else(|| panic!("{text} parses"));
            assert_eq!(date.to_string(), text);
            assert_eq!(MdsDate::of(date.start()), date);
        }
        assert_eq!(
            MdsDate::parse("1970-01-02").map(MdsDate::unix_seconds),
            Some(86_400)
        );
        for bad in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-1-01",
            "26-01-01",
            "2026/01/01",
            "+026-01-01",
            "",
        ] {
            assert_eq!(MdsDate::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn statuses_read_and_write_as_mds_spells_them() {
        for (name, status) in AuthenticatorStatus::KNOWN.iter() {
            assert_eq!(AuthenticatorStatus::parse(name), *status);
            assert_eq!(status.as_str(), *name);
        }
        let future = AuthenticatorStatus::parse("FIDO_CERTIFIED_L4");
        assert_eq!(future.as_str(), "FIDO_CERTIFIED_L4");
        assert!(!future.is_compromise());
    }
}
