//! What `keybound inspect` found, and its two renderings: a report for people
//! and one JSON object for programs.

use std::fmt::Write as _;

use keybound_webauthn::{
    encoding, Aaguid, AttestationType, CertificateInfo, ChainTrust, Check, ClientData, CoseKey,
    Error as WebauthnError, Flags, SignCount,
};
use serde::Serialize;

use crate::error::Error;

/// Which ceremony was inspected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ceremony {
    /// A new credential.
    Registration,
    /// A sign-in.
    Authentication,
}

impl Ceremony {
    fn name(self) -> &'static str {
        match self {
            Ceremony::Registration => "registration",
            Ceremony::Authentication => "authentication",
        }
    }
}

/// How one check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// It passed.
    Passed,
    /// It failed, for this reason.
    Failed(String),
    /// An earlier check failed, so it was not made.
    NotRun,
}

/// One row of the check list.
#[derive(Clone, Debug)]
pub(crate) struct CheckRow {
    /// The check's stable name (`challenge`, `origin`, …).
    pub name: &'static str,
    /// How it went.
    pub outcome: Outcome,
}

/// The name of the extra check `--trust-anchor` adds.
pub(crate) const ATTESTATION_TRUST: &str = "attestationTrust";

/// The ceremony's checks in order, given the verifier's result: those before
/// the failed one passed, the failed one failed with the error's message, the
/// rest did not run.
pub(crate) fn check_rows(checks: &[Check], failure: Option<&WebauthnError>) -> Vec<CheckRow> {
    let failed = failure.map(WebauthnError::check);
    let mut rows = Vec::with_capacity(checks.len() + 1);
    let mut seen_failure = false;
    if let (Some(check), Some(error)) = (failed, failure) {
        if !checks.contains(&check) {
            // A check this ceremony does not list: say so first, run nothing else.
            rows.push(CheckRow {
                name: check.name(),
                outcome: Outcome::Failed(error.to_string()),
            });
            seen_failure = true;
        }
    }
    for &check in checks {
        let outcome = match (seen_failure, failed, failure) {
            (true, _, _) => Outcome::NotRun,
            (false, Some(f), Some(error)) if f == check => {
                seen_failure = true;
                Outcome::Failed(error.to_string())
            }
            _ => Outcome::Passed,
        };
        rows.push(CheckRow {
            name: check.name(),
            outcome,
        });
    }
    rows
}

/// Everything inspection learned; a field is `None` when it could not be determined.
#[derive(Clone, Debug)]
pub(crate) struct Report {
    /// Which ceremony.
    pub ceremony: Ceremony,
    /// The attestation format identifier (for authentication: the registration's, when given).
    pub format: Option<String>,
    /// The AAGUID the authenticator claims.
    pub aaguid: Option<Aaguid>,
    /// Whether format and AAGUID come from `--registration` rather than the response.
    pub from_registration: bool,
    /// The catalog's name for the AAGUID.
    pub provider: Option<String>,
    /// The credential id, base64url.
    pub credential_id: Option<String>,
    /// The parsed client data.
    pub client_data: Option<ClientData>,
    /// The authenticator data flags.
    pub flags: Option<Flags>,
    /// The signature counter in the response.
    pub sign_count: Option<u32>,
    /// The stored counter it was compared with (authentication).
    pub stored_sign_count: Option<u32>,
    /// The engine's counter signal (authentication, after verification).
    pub sign_count_signal: Option<SignCount>,
    /// The credential public key.
    pub public_key: Option<CoseKey>,
    /// The verified attestation type (registration).
    pub attestation_type: Option<AttestationType>,
    /// The attestation certificates, leaf first (registration).
    pub certificates: Option<Vec<CertificateInfo>>,
    /// Whether `certificates` is the verified trust path (else the statement's x5c as sent).
    pub certificates_verified: bool,
    /// The trust verdict on the chain (registration, after verification).
    pub trust: Option<ChainTrust>,
    /// How many trust anchors were given (registration).
    pub trust_anchors: usize,
    /// Whether the engine refused to parse the response, so the facts come from the parts that did.
    pub partial: bool,
    /// Whether BE differs from the registration's (authentication, after verification).
    pub backup_eligibility_changed: Option<bool>,
    /// Every check in order.
    pub checks: Vec<CheckRow>,
}

impl Report {
    /// An empty report for `ceremony`.
    pub(crate) fn new(ceremony: Ceremony) -> Self {
        Report {
            ceremony,
            format: None,
            aaguid: None,
            from_registration: false,
            provider: None,
            credential_id: None,
            client_data: None,
            flags: None,
            sign_count: None,
            stored_sign_count: None,
            sign_count_signal: None,
            public_key: None,
            attestation_type: None,
            certificates: None,
            certificates_verified: false,
            trust: None,
            trust_anchors: 0,
            partial: false,
            backup_eligibility_changed: None,
            checks: Vec::new(),
        }
    }

    /// Whether every check passed.
    pub(crate) fn passed(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.outcome == Outcome::Passed)
    }

    /// The first failed check.
    fn failure(&self) -> Option<(&'static str, &str)> {
        self.checks.iter().find_map(|c| match &c.outcome {
            Outcome::Failed(reason) => Some((c.name, reason.as_str())),
            _ => None,
        })
    }
}

/// Describes a DER certificate for the report, even one that does not parse.
pub(crate) fn describe(der: &[u8]) -> CertificateInfo {
    keybound_webauthn::describe_certificate(der).unwrap_or_else(|| CertificateInfo {
        subject: "(certificate does not parse)".into(),
        issuer: String::new(),
        not_before: String::new(),
        not_after: String::new(),
    })
}

// ---------------------------------------------------------------- for people

/// The human report.
pub(crate) fn human(report: &Report) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_human(&mut out, report);
    out
}

fn write_human(out: &mut String, r: &Report) -> std::fmt::Result {
    let ceremony = r.ceremony.name();
    match r.failure() {
        None => writeln!(out, "{ceremony}: every check passed")?,
        Some((name, _)) => writeln!(out, "{ceremony}: the {name} check failed")?,
    }
    writeln!(out)?;

    let origin_note = if r.from_registration {
        " (from --registration)"
    } else {
        ""
    };
    let unknown = |what: &str| format!("unknown ({what})");
    let format = match (&r.format, r.ceremony) {
        (Some(format), _) => format!("{format}{origin_note}"),
        (None, Ceremony::Authentication) => {
            unknown("an assertion does not carry it; pass --registration")
        }
        (None, Ceremony::Registration) => unknown("the attestation object did not parse"),
    };
    field(out, "Format", &format)?;
    let aaguid = match (r.aaguid, r.ceremony) {
        (Some(aaguid), _) if aaguid.is_zero() => {
            format!("{aaguid} (no model claimed){origin_note}")
        }
        (Some(aaguid), _) => {
            let provider = r.provider.as_deref().unwrap_or("unknown provider");
            format!("{aaguid} — {provider}{origin_note}")
        }
        (None, Ceremony::Authentication) => {
            unknown("an assertion does not carry it; pass --registration")
        }
        (None, Ceremony::Registration) => unknown("the authenticator data did not parse"),
    };
    field(out, "AAGUID", &aaguid)?;
    if let Some(id) = &r.credential_id {
        field(out, "Credential ID", id)?;
    }
    if let Some(cd) = &r.client_data {
        let mut text = format!("{} from {}", cd.ceremony_type, cd.origin);
        if let Some(top) = &cd.top_origin {
            let _ = write!(text, " in a frame of {top}");
        } else if cd.cross_origin {
            text.push_str(" in a cross-origin frame");
        }
        field(out, "Client data", &text)?;
        field(out, "Challenge", &encoding::encode(&cd.challenge))?;
    }
    match r.flags {
        Some(flags) => {
            let bit = |b: bool| u8::from(b);
            field(
                out,
                "Flags",
                &format!(
                    "UP={} UV={} BE={} BS={}",
                    bit(flags.user_present()),
                    bit(flags.user_verified()),
                    bit(flags.backup_eligible()),
                    bit(flags.backed_up())
                ),
            )?;
            field(out, "Storage", &storage(r, flags))?;
        }
        None => field(
            out,
            "Flags",
            "unknown (the authenticator data did not parse)",
        )?,
    }
    match &r.public_key {
        Some(key) => field(
            out,
            "Algorithm",
            &format!("{}, {} key", key.algorithm(), key.describe()),
        )?,
        None => field(out, "Algorithm", "unknown")?,
    }
    field(out, "Sign count", &sign_count(r))?;
    if r.partial {
        field(
            out,
            "Note",
            "the response did not parse; the fields above come from the parts that did, unverified",
        )?;
    }
    if r.backup_eligibility_changed == Some(true) {
        field(
            out,
            "Warning",
            "BE differs from the registration's; it never changes for a real credential",
        )?;
    }

    if r.ceremony == Ceremony::Registration {
        writeln!(out)?;
        let attestation = r
            .attestation_type
            .map_or_else(|| "not verified".to_owned(), |t| t.name().to_owned());
        field(out, "Attestation", &attestation)?;
        match &r.certificates {
            None => field(out, "Certificates", "unknown")?,
            Some(certs) if certs.is_empty() => field(out, "Certificates", "none")?,
            Some(certs) => {
                let label = if r.certificates_verified {
                    "Certificates"
                } else {
                    "Certificates (as sent, unverified)"
                };
                writeln!(out, "{label}:")?;
                for (i, cert) in certs.iter().enumerate() {
                    writeln!(out, "  {}. {}", i + 1, cert.subject)?;
                    if !cert.issuer.is_empty() {
                        writeln!(out, "     issued by {}", cert.issuer)?;
                        writeln!(out, "     valid {} to {}", cert.not_before, cert.not_after)?;
                    }
                }
            }
        }
        let trust = match &r.trust {
            None => "not evaluated (the response did not parse)".to_owned(),
            Some(ChainTrust::NoChain) => {
                "no certificate chain, so nothing proves the model".to_owned()
            }
            Some(ChainTrust::Trusted { anchor }) if r.certificates_verified => {
                format!("trusted: the chain leads to `{anchor}`")
            }
            Some(ChainTrust::Trusted { anchor }) => {
                format!("the chain leads to `{anchor}`, but the statement failed a check, so it proves nothing")
            }
            Some(ChainTrust::Untrusted { reason }) if r.trust_anchors == 0 => {
                format!("untrusted (no --trust-anchor given): {reason}")
            }
            Some(ChainTrust::Untrusted { reason }) => format!("untrusted: {reason}"),
        };
        field(out, "Trust", &trust)?;
    }

    writeln!(out)?;
    writeln!(out, "Checks:")?;
    for row in &r.checks {
        match &row.outcome {
            Outcome::Passed => writeln!(out, "  ✓ {}", row.name)?,
            Outcome::Failed(reason) => writeln!(out, "  ✗ {}: {reason}", row.name)?,
            Outcome::NotRun => writeln!(out, "  · {}: not run", row.name)?,
        }
    }
    Ok(())
}

fn field(out: &mut String, name: &str, value: &str) -> std::fmt::Result {
    writeln!(out, "{:<15}{value}", format!("{name}:"))
}

/// "device-bound" or "synced", and whether anything proves it.
fn storage(r: &Report, flags: Flags) -> String {
    let kind = if flags.device_bound() {
        "device-bound (BE=0: the credential cannot be backed up)".to_owned()
    } else if flags.backed_up() {
        "synced (BE=1: the credential may be backed up; BS=1: it is backed up now)".to_owned()
    } else {
        "synced (BE=1: the credential may be backed up; BS=0: it is not backed up yet)".to_owned()
    };
    let proof = match (&r.trust, r.ceremony) {
        (Some(ChainTrust::Trusted { anchor }), _) => {
            format!("made by an authenticator whose attestation chain leads to `{anchor}`")
        }
        (_, Ceremony::Authentication) => {
            "the authenticator's claim (an assertion carries no attestation)".to_owned()
        }
        (_, Ceremony::Registration) => {
            "the authenticator's claim: without trusted attestation nothing proves it".to_owned()
        }
    };
    format!("{kind} — {proof}")
}

fn sign_count(r: &Report) -> String {
    match (r.sign_count_signal, r.sign_count, r.stored_sign_count) {
        (Some(SignCount::NotSupported), _, _) => {
            "not supported (stored 0, received 0: the authenticator keeps no counter)".to_owned()
        }
        (Some(SignCount::Advanced { stored, received }), _, _) => {
            format!("advanced {stored} → {received}")
        }
        (Some(SignCount::Regressed { stored, received }), _, _) => format!(
            "regressed: stored {stored}, received {received} (possible cloned authenticator)"
        ),
        (None, Some(received), Some(stored)) => {
            format!("received {received}, stored {stored} (not compared: verification failed)")
        }
        (_, Some(count), _) => count.to_string(),
        (_, None, _) => "unknown".to_owned(),
    }
}

// ---------------------------------------------------------------- for programs

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonReport<'a> {
    ceremony: &'static str,
    ok: bool,
    format: Option<&'a str>,
    aaguid: Option<String>,
    provider: Option<&'a str>,
    credential_id: Option<&'a str>,
    client_data: Option<JsonClientData<'a>>,
    flags: Option<JsonFlags>,
    device_bound: Option<bool>,
    sign_count: Option<u32>,
    stored_sign_count: Option<u32>,
    sign_count_signal: Option<&'static str>,
    public_key: Option<String>,
    algorithm: Option<&'static str>,
    attestation_type: Option<&'static str>,
    certificates: Option<Vec<&'a str>>,
    trust: Option<JsonTrust<'a>>,
    backup_eligibility_changed: Option<bool>,
    checks: Vec<JsonCheck<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonClientData<'a> {
    #[serde(rename = "type")]
    ceremony_type: &'a str,
    origin: &'a str,
    challenge: String,
    cross_origin: bool,
    top_origin: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonFlags {
    up: bool,
    uv: bool,
    be: bool,
    bs: bool,
}

#[derive(Serialize)]
struct JsonTrust<'a> {
    status: &'static str,
    anchor: Option<&'a str>,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    name: &'static str,
    ok: Option<bool>,
    reason: Option<&'a str>,
}

/// The JSON report: one object.
pub(crate) fn json(r: &Report) -> Result<String, Error> {
    let report = JsonReport {
        ceremony: r.ceremony.name(),
        ok: r.passed(),
        format: r.format.as_deref(),
        aaguid: r.aaguid.map(|a| a.to_string()),
        provider: r.provider.as_deref(),
        credential_id: r.credential_id.as_deref(),
        client_data: r.client_data.as_ref().map(|cd| JsonClientData {
            ceremony_type: &cd.ceremony_type,
            origin: &cd.origin,
            challenge: encoding::encode(&cd.challenge),
            cross_origin: cd.cross_origin,
            top_origin: cd.top_origin.as_deref(),
        }),
        flags: r.flags.map(|f| JsonFlags {
            up: f.user_present(),
            uv: f.user_verified(),
            be: f.backup_eligible(),
            bs: f.backed_up(),
        }),
        device_bound: r.flags.map(Flags::device_bound),
        sign_count: r.sign_count,
        stored_sign_count: r.stored_sign_count,
        sign_count_signal: r.sign_count_signal.map(|s| match s {
            SignCount::NotSupported => "notSupported",
            SignCount::Advanced { .. } => "advanced",
            SignCount::Regressed { .. } => "regressed",
        }),
        public_key: r
            .public_key
            .as_ref()
            .map(|k| encoding::encode(&k.to_cbor())),
        algorithm: r.public_key.as_ref().map(|k| k.algorithm().name()),
        attestation_type: r.attestation_type.map(AttestationType::name),
        certificates: r
            .certificates
            .as_ref()
            .map(|certs| certs.iter().map(|c| c.subject.as_str()).collect()),
        trust: r.trust.as_ref().map(|t| match t {
            ChainTrust::NoChain => JsonTrust {
                status: "noChain",
                anchor: None,
                reason: None,
            },
            ChainTrust::Trusted { anchor } => JsonTrust {
                status: "trusted",
                anchor: Some(anchor),
                reason: None,
            },
            ChainTrust::Untrusted { reason } => JsonTrust {
                status: "untrusted",
                anchor: None,
                reason: Some(reason),
            },
        }),
        backup_eligibility_changed: r.backup_eligibility_changed,
        checks: r
            .checks
            .iter()
            .map(|c| match &c.outcome {
                Outcome::Passed => JsonCheck {
                    name: c.name,
                    ok: Some(true),
                    reason: None,
                },
                Outcome::Failed(reason) => JsonCheck {
                    name: c.name,
                    ok: Some(false),
                    reason: Some(reason),
                },
                Outcome::NotRun => JsonCheck {
                    name: c.name,
                    ok: None,
                    reason: None,
                },
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).map_err(Error::Render)?;
    text.push('\n');
    Ok(text)
}
