//! `keybound inspect`: verify a captured response and record every check.
//!
//! First the options become checked values ([`Settings`]) and every file is
//! read; only then does the engine run. The result is a [`Report`] for
//! [`crate::report`] to render; nothing here prints or exits.

use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use keybound_metadata::Catalog;
use keybound_webauthn::json::{AuthenticationResponseJson, RegistrationResponseJson};
use keybound_webauthn::{
    encoding, Aaguid, AuthenticationResponse, AuthenticationState, ChainTrust, Challenge, Check,
    CredentialId, CredentialPublicKey, Origin, RegistrationResponse, RegistrationState,
    RelyingParty, RpId, SignCount, StoredCredential, TrustAnchors, UserVerification,
};

use crate::args::{AuthenticationArgs, CommonArgs, Inspect, RegistrationArgs, UserVerificationArg};
use crate::error::Error;
use crate::partial;
use crate::report::{check_rows, describe, Ceremony, CheckRow, Outcome, Report, ATTESTATION_TRUST};
use crate::time;

/// A finished inspection and how it should be shown.
#[derive(Debug)]
pub(crate) struct Inspection {
    /// What was found.
    pub report: Report,
    /// Whether `--json` was given.
    pub json: bool,
}

/// Runs `keybound inspect registration|authentication`.
pub(crate) fn run(command: Inspect) -> Result<Inspection, Error> {
    match command {
        Inspect::Registration(args) => registration(args),
        Inspect::Authentication(args) => authentication(args),
    }
}

/// The options both ceremonies take, checked, with the response read.
struct Settings {
    challenge: Challenge,
    rp: RelyingParty,
    user_verification: UserVerification,
    catalog: Catalog,
    time: SystemTime,
    json: bool,
    input: Option<PathBuf>,
}

impl Settings {
    fn from_args(args: CommonArgs) -> Result<Self, Error> {
        let challenge =
            Challenge::from_base64url(&args.challenge).map_err(|_| Error::Challenge {
                text: args.challenge.clone(),
            })?;
        let origins = args
            .origins
            .iter()
            .map(|text| Origin::parse(text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| Error::Option {
                option: "--origin",
                source,
            })?;
        let rp_id = match &args.rp_id {
            Some(text) => RpId::parse(text).map_err(|source| Error::Option {
                option: "--rp-id",
                source,
            })?,
            None => rp_id_of(&origins)?,
        };
        let rp = RelyingParty::new(rp_id, "keybound inspect", origins).map_err(|source| {
            Error::Option {
                option: "--origin",
                source,
            }
        })?;
        let time = match &args.time {
            Some(text) => time::parse_utc(text)?,
            // The command line is the edge: the one place that may read the clock.
            None => SystemTime::now(),
        };
        let mut catalog = Catalog::builtin();
        if let Some(path) = &args.catalog {
            let text = read_file("the catalog", path)?;
            catalog
                .load_community_list(&text)
                .map_err(|source| Error::Catalog {
                    path: path.clone(),
                    source,
                })?;
        }
        let user_verification = match args.user_verification {
            UserVerificationArg::Required => UserVerification::Required,
            UserVerificationArg::Preferred => UserVerification::Preferred,
            UserVerificationArg::Discouraged => UserVerification::Discouraged,
        };
        Ok(Settings {
            challenge,
            rp,
            user_verification,
            catalog,
            time,
            json: args.json,
            input: args.file.filter(|path| path.as_os_str() != "-"),
        })
    }

    /// The response text and a name for it in messages.
    fn read_response(&self) -> Result<(String, String), Error> {
        match &self.input {
            Some(path) => Ok((read_file("the response", path)?, path.display().to_string())),
            None => {
                let mut stdin = io::stdin();
                if stdin.is_terminal() {
                    return Err(Error::StdinIsTerminal);
                }
                let mut text = String::new();
                stdin.read_to_string(&mut text).map_err(Error::ReadStdin)?;
                Ok((strip_bom(text), "standard input".to_owned()))
            }
        }
    }

    /// The catalog's name for an AAGUID.
    fn provider(&self, aaguid: Option<Aaguid>) -> Option<String> {
        self.catalog
            .get(aaguid?)
            .map(|provider| provider.name().to_owned())
    }
}

/// The RP ID browsers would default to: the first origin's host.
fn rp_id_of(origins: &[Origin]) -> Result<RpId, Error> {
    let first = origins.first().ok_or_else(|| Error::NoRpId {
        origin: String::new(),
    })?;
    first
        .host()
        .and_then(|host| RpId::parse(host).ok())
        .ok_or_else(|| Error::NoRpId {
            origin: first.to_string(),
        })
}

fn read_file(what: &'static str, path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path)
        .map(strip_bom)
        .map_err(|source| Error::Read {
            what,
            path: path.to_owned(),
            source,
        })
}

/// Editors on Windows may start a file with a byte order mark, which JSON does not allow.
fn strip_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

fn parse_wire<T: serde::de::DeserializeOwned>(
    text: &str,
    source_name: String,
    expected: &'static str,
) -> Result<T, Error> {
    if text.trim().is_empty() {
        return Err(Error::EmptyInput { source_name });
    }
    serde_json::from_str(text).map_err(|e| Error::NotAResponse {
        source_name,
        expected,
        detail: e.to_string(),
    })
}

fn registration(args: RegistrationArgs) -> Result<Inspection, Error> {
    let settings = Settings::from_args(args.common)?;
    let mut anchors = TrustAnchors::new();
    for path in &args.trust_anchors {
        let pem = read_file("the trust anchor", path)?;
        anchors.add_pem(&pem).map_err(|source| Error::TrustAnchor {
            path: path.clone(),
            source,
        })?;
    }
    let (text, source_name) = settings.read_response()?;
    let wire: RegistrationResponseJson =
        parse_wire(&text, source_name, "RegistrationResponseJSON")?;

    let mut report = Report::new(Ceremony::Registration);
    let result = match RegistrationResponse::from_wire(&wire) {
        Err(error) => {
            partial::registration(&wire, &mut report);
            Err(error)
        }
        Ok(response) => {
            let credential = response.credential();
            report.format = Some(response.format_identifier().to_owned());
            report.aaguid = Some(credential.aaguid);
            report.credential_id = Some(credential.credential_id.to_base64url());
            report.client_data = Some(response.client_data().clone());
            report.flags = Some(response.authenticator_data().flags);
            report.sign_count = Some(response.authenticator_data().sign_count);
            report.public_key = Some(credential.public_key.clone());
            report.certificates = Some(
                response
                    .certificates()
                    .iter()
                    .map(|der| describe(der))
                    .collect(),
            );
            let state = RegistrationState::new(settings.challenge.clone())
                .with_user_verification(settings.user_verification);
            let result = response.verify(&settings.rp, state, &anchors, settings.time);
            if result.is_err() {
                // The statement failed a check, but where its chain leads still helps the reader.
                report.trust = Some(anchors.evaluate(&response.certificates(), settings.time));
            }
            result
        }
    };
    report.checks = check_rows(&Check::REGISTRATION, result.as_ref().err());
    if let Ok(verified) = &result {
        report.attestation_type = Some(verified.attestation_type());
        report.certificates = Some(
            verified
                .certificates()
                .iter()
                .map(|der| describe(der))
                .collect(),
        );
        report.certificates_verified = true;
        report.trust = Some(verified.trust().clone());
    }
    report.trust_anchors = anchors.len();
    if !anchors.is_empty() {
        report.checks.push(trust_row(&report, result.is_ok()));
    }
    report.provider = settings.provider(report.aaguid);
    Ok(Inspection {
        report,
        json: settings.json,
    })
}

/// The check `--trust-anchor` adds: the chain must lead to one of the anchors.
fn trust_row(report: &Report, statement_verified: bool) -> CheckRow {
    let outcome = match &report.trust {
        _ if !statement_verified => Outcome::NotRun,
        None => Outcome::NotRun,
        Some(ChainTrust::Trusted { .. }) => Outcome::Passed,
        Some(ChainTrust::Untrusted { reason }) => Outcome::Failed(reason.clone()),
        Some(ChainTrust::NoChain) => Outcome::Failed(format!(
            "the {} attestation carries no certificate chain, so it cannot lead to a trust anchor; \
             register with attestation \"direct\" to get one, or drop --trust-anchor",
            report.format.as_deref().unwrap_or("response's")
        )),
    };
    CheckRow {
        name: ATTESTATION_TRUST,
        outcome,
    }
}

/// The stored credential an assertion is checked against.
struct Stored {
    public_key: CredentialPublicKey,
    /// Known only from `--registration`.
    credential_id: Option<CredentialId>,
    /// Known only from `--registration`.
    backup_eligible: Option<bool>,
    /// Known only from `--registration`.
    aaguid: Option<Aaguid>,
    /// Known only from `--registration`.
    format: Option<String>,
}

impl Stored {
    fn from_args(args: &AuthenticationArgs) -> Result<Self, Error> {
        match (&args.public_key, &args.registration) {
            (Some(text), None) => {
                let bytes = encoding::decode(text).ok_or(Error::PublicKeyBase64)?;
                let public_key =
                    CredentialPublicKey::from_cbor(&bytes).map_err(Error::PublicKey)?;
                Ok(Stored {
                    public_key,
                    credential_id: None,
                    backup_eligible: None,
                    aaguid: None,
                    format: None,
                })
            }
            (None, Some(path)) => {
                let registration_error = |source| Error::Registration {
                    path: path.clone(),
                    source,
                };
                let text = read_file("the registration", path)?;
                let registration =
                    RegistrationResponse::from_json(&text).map_err(registration_error)?;
                let credential = registration.credential();
                let public_key = CredentialPublicKey::new(credential.public_key.clone())
                    .map_err(registration_error)?;
                Ok(Stored {
                    public_key,
                    credential_id: Some(credential.credential_id.clone()),
                    backup_eligible: Some(
                        registration.authenticator_data().flags.backup_eligible(),
                    ),
                    aaguid: Some(credential.aaguid),
                    format: Some(registration.format_identifier().to_owned()),
                })
            }
            _ => Err(Error::StoredCredential),
        }
    }
}

fn authentication(args: AuthenticationArgs) -> Result<Inspection, Error> {
    let stored = Stored::from_args(&args)?;
    let stored_sign_count = args.sign_count;
    let settings = Settings::from_args(args.common)?;
    let (text, source_name) = settings.read_response()?;
    let wire: AuthenticationResponseJson =
        parse_wire(&text, source_name, "AuthenticationResponseJSON")?;

    let mut report = Report::new(Ceremony::Authentication);
    report.public_key = Some(stored.public_key.cose().clone());
    report.stored_sign_count = Some(stored_sign_count);
    report.from_registration = stored.aaguid.is_some();
    report.aaguid = stored.aaguid;
    report.format = stored.format.clone();

    let result = match AuthenticationResponse::from_wire(&wire) {
        Err(error) => {
            partial::authentication(&wire, &mut report);
            Err(error)
        }
        Ok(response) => {
            let data = response.authenticator_data();
            report.credential_id = Some(response.credential_id().to_base64url());
            report.client_data = Some(response.client_data().clone());
            report.flags = Some(data.flags);
            report.sign_count = Some(data.sign_count);
            report.sign_count_signal = Some(SignCount::compare(stored_sign_count, data.sign_count));
            let credential = StoredCredential {
                // With only --public-key, the credential is whichever answered.
                id: stored
                    .credential_id
                    .as_ref()
                    .unwrap_or_else(|| response.credential_id()),
                public_key: &stored.public_key,
                sign_count: stored_sign_count,
                user_handle: None,
                backup_eligible: stored
                    .backup_eligible
                    .unwrap_or_else(|| data.flags.backup_eligible()),
            };
            let state = AuthenticationState::new(settings.challenge.clone())
                .with_user_verification(settings.user_verification);
            response.verify(&settings.rp, state, &credential)
        }
    };
    report.checks = check_rows(&Check::AUTHENTICATION, result.as_ref().err());
    if let Ok(verified) = &result {
        if stored.backup_eligible.is_some() {
            report.backup_eligibility_changed = Some(verified.backup_eligibility_changed());
        }
    }
    report.provider = settings.provider(report.aaguid);
    Ok(Inspection {
        report,
        json: settings.json,
    })
}
