//! Signing in: with a Temporary Access Pass; with a password and then a TOTP
//! code; with a passkey, username first or usernameless. Each success starts
//! a session; every attempt is written to the sign-in log.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keybound_policy::{Attestation, CredentialFacts, Decision};
use keybound_store::{AttestationLevel, AuthMethodUse, Passkey, SignInQuery, TapUsability, User};
use keybound_webauthn::{
    AuthenticationOptions, AuthenticationResponse, CredentialDescriptor, CredentialPublicKey,
    SignCount, StoredCredential,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::signin_log::{self, Attempt};
use super::{ceremony, memberships, policy, totp, webauthn_refusal, wire, ApiJson};
use crate::audit::{Audit, Initiator, Target};
use crate::auth::session::{self, Step};
use crate::error::ApiError;
use crate::secrets;
use crate::state::AppState;

/// Wrong codes a Temporary Access Pass survives; after this many it is locked.
const MAX_TAP_FAILURES: i64 = 10;
/// Wrong TOTP codes a user may enter within [`TOTP_FAILURE_WINDOW_MINUTES`].
const MAX_TOTP_FAILURES: u32 = 5;
/// The window over which wrong TOTP codes are counted, in minutes.
const TOTP_FAILURE_WINDOW_MINUTES: i64 = 10;

/// `POST /api/signin/tap`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TapBody {
    username: String,
    temporary_access_pass: String,
}

/// `POST /api/signin/password`.
#[derive(Deserialize)]
pub(super) struct PasswordBody {
    username: String,
    password: String,
}

/// `POST /api/signin/totp`.
#[derive(Deserialize)]
pub(super) struct TotpBody {
    code: String,
}

/// `POST /api/signin/passkey/options`.
#[derive(Deserialize)]
pub(super) struct PasskeyOptionsBody {
    #[serde(default)]
    username: Option<String>,
}

/// `POST /api/signin/passkey/verify`: an `AuthenticationResponseJSON`.
#[derive(Deserialize)]
pub(super) struct PasskeyVerifyBody {
    credential: Value,
}

/// `POST /api/signin/tap`: signs in with a Temporary Access Pass.
pub(super) async fn tap(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TapBody>,
) -> Result<Response, ApiError> {
    let mut attempt = Attempt::new(signin_log::TEMPORARY_ACCESS_PASS, Some(&body.username));
    let outcome = tap_sign_in(&state, &headers, &body, &mut attempt).await;
    attempt.finish(&state, outcome).await
}

async fn tap_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    body: &TapBody,
    attempt: &mut Attempt,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let user = state.store.get_user_by_upn(body.username.trim()).await?;
    let pass = match &user {
        Some(user) => {
            attempt.user(user);
            state.store.get_tap(&user.id).await?
        }
        None => None,
    };
    let (Some(user), Some(pass)) = (user, pass) else {
        // The same work and the same answer as a wrong pass.
        check_secret(&body.temporary_access_pass, None).await?;
        return Err(wrong_tap());
    };
    if pass.failed_attempts >= MAX_TAP_FAILURES {
        return Err(tap_locked());
    }
    if !check_secret(&body.temporary_access_pass, Some(pass.phc_hash.clone())).await? {
        let failures = state.store.record_tap_failure(&pass.id).await?;
        if failures >= MAX_TAP_FAILURES {
            return Err(tap_locked());
        }
        return Err(wrong_tap());
    }
    // The person knows the pass: from here on, refusals may say why.
    tap_usable(pass.usability(now))?;
    if !user.account_enabled {
        return Err(session::account_disabled());
    }
    let policy = policy(state).await?;
    let groups = memberships(state, &user.id).await?;
    if !policy.temporary_access_pass().is_usable_by(&groups) {
        return Err(ApiError::forbidden(
            "tap_not_allowed",
            "Signing in with a Temporary Access Pass is turned off for your account by your organisation's authentication-methods policy; ask your administrator.",
        ));
    }
    let audit = Audit::new(
        "User signed in with temporary access pass",
        "UserManagement",
        "Authentication Methods",
        "Update",
    )
    .by(Initiator::user(&user, None))
    .target(Target::user(&user))
    .detail("isUsableOnce", pass.usable_once.to_string())
    .correlation(attempt.correlation_id())
    .at(now)?;
    if state
        .store
        .consume_tap(&pass.id, now, &audit)
        .await?
        .is_none()
    {
        // Spent by a concurrent sign-in, or expired this very moment.
        tap_usable(TapUsability::OneTimeUsed)?;
    }
    let steps = vec![session::step(Step::TemporaryAccessPass, now)];
    signed_in(state, headers, &user, steps, false).await
}

/// `POST /api/signin/password`: the first step of a password sign-in; a TOTP code must follow.
pub(super) async fn password(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Response, ApiError> {
    let mut attempt = Attempt::new(signin_log::PASSWORD, Some(&body.username));
    let outcome = password_sign_in(&state, &headers, &body, &mut attempt).await;
    attempt.finish(&state, outcome).await
}

async fn password_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    body: &PasswordBody,
    attempt: &mut Attempt,
) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let user = state.store.get_user_by_upn(body.username.trim()).await?;
    let stored = match &user {
        Some(user) => {
            attempt.user(user);
            state.store.get_password(&user.id).await?
        }
        None => None,
    };
    let right = check_secret(&body.password, stored.map(|p| p.phc_hash)).await?;
    let (Some(user), true) = (user, right) else {
        return Err(ApiError::Unauthorized {
            code: "invalid_credentials",
            message: "The sign-in name or the password is not right.".into(),
        });
    };
    if !user.account_enabled {
        return Err(session::account_disabled());
    }
    let policy = policy(state).await?;
    let groups = memberships(state, &user.id).await?;
    let tokens = state.store.list_software_oath(&user.id).await?;
    if tokens.is_empty() || !policy.software_oath().is_usable_by(&groups) {
        return Err(ApiError::forbidden(
            "mfa_not_available",
            "Your password is right, but your account has no second factor to finish a password sign-in with. Ask your administrator for a Temporary Access Pass, and add a passkey with it.",
        ));
    }
    attempt.interrupted(
        signin_log::STRONG_AUTHENTICATION_REQUIRED,
        "password accepted; a code from the authenticator app is required",
    );
    let steps = vec![session::step(Step::Password, now)];
    signed_in(state, headers, &user, steps, true).await
}

/// `POST /api/signin/totp`: a code from the authenticator app, after the password.
pub(super) async fn totp(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<TotpBody>,
) -> Result<Response, ApiError> {
    let mut attempt = Attempt::new(signin_log::OATH_CODE, None);
    let outcome = totp_sign_in(&state, &headers, &body, &mut attempt).await;
    attempt.finish(&state, outcome).await
}

async fn totp_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    body: &TotpBody,
    attempt: &mut Attempt,
) -> Result<Response, ApiError> {
    let Some((current, user)) = session::current(state, headers).await? else {
        return Err(ApiError::Unauthorized {
            code: "sign_in_first",
            message: "Enter your sign-in name and password first, then the code.".into(),
        });
    };
    attempt.user(&user);
    let now = state.clock.now();
    let recent_failures = state
        .store
        .query_sign_ins(&SignInQuery {
            user_id: Some(user.id.as_str().to_owned()),
            error_code: Some(signin_log::SECOND_FACTOR_FAILED),
            from: Some(now.plus_minutes(-TOTP_FAILURE_WINDOW_MINUTES)),
            top: MAX_TOTP_FAILURES,
            ..SignInQuery::default()
        })
        .await?;
    if recent_failures.items.len() >= MAX_TOTP_FAILURES as usize {
        return Err(ApiError::TooManyRequests {
            code: "too_many_attempts",
            message: format!("Too many wrong codes in the last {TOTP_FAILURE_WINDOW_MINUTES} minutes; wait, then sign in again."),
        });
    }
    let policy = policy(state).await?;
    let groups = memberships(state, &user.id).await?;
    if !policy.software_oath().is_usable_by(&groups) {
        return Err(ApiError::forbidden(
            "totp_not_allowed",
            "Signing in with an authenticator app code is turned off for your account by your organisation's authentication-methods policy; ask your administrator for a Temporary Access Pass.",
        ));
    }
    let code: String = body.code.chars().filter(|c| !c.is_whitespace()).collect();
    let tokens = state.store.list_software_oath(&user.id).await?;
    let matched = tokens
        .iter()
        .find_map(|token| totp::matching_step(&token.secret, &code, now).map(|step| (token, step)));
    let Some((token, step)) = matched else {
        return Err(ApiError::Unauthorized {
            code: "totp_invalid",
            message:
                "That code is not right; enter the 6-digit code your authenticator app shows now."
                    .into(),
        });
    };
    if !state.store.advance_oath_step(&token.id, step).await? {
        return Err(ApiError::Unauthorized {
            code: "totp_reused",
            message: "That code was used already; wait for your authenticator app to show the next code and enter that.".into(),
        });
    }
    // A new cookie for the stronger session (the old one is ended).
    let mut steps: Vec<AuthMethodUse> = current.auth_methods;
    steps.push(session::step(Step::Totp, now));
    signed_in(state, headers, &user, steps, false).await
}

/// `POST /api/signin/passkey/options`: request options, for one user's passkeys or (no username) any discoverable one.
pub(super) async fn passkey_options(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasskeyOptionsBody>,
) -> Result<Json<Value>, ApiError> {
    let name = body
        .username
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    // An unknown name gets the same options as a usernameless sign-in.
    let user = match name {
        Some(name) => state.store.get_user_by_upn(name).await?,
        None => None,
    };
    let mut options = AuthenticationOptions::default();
    if let Some(user) = &user {
        options.allow_credentials = state
            .store
            .list_passkeys(&user.id)
            .await?
            .into_iter()
            .map(|p| CredentialDescriptor {
                id: p.credential_id,
                transports: p.transports,
            })
            .collect();
    }
    let (json, pending) = state
        .rp
        .start_authentication(&options)
        .map_err(ApiError::internal)?;
    let allowed: Vec<_> = options
        .allow_credentials
        .iter()
        .map(|c| c.id.clone())
        .collect();
    ceremony::put_authentication(
        &state,
        &pending,
        options.user_verification,
        &allowed,
        user.as_ref().map(|u| &u.id),
    )
    .await?;
    let mut public_key = serde_json::to_value(&json).map_err(ApiError::internal)?;
    if allowed.is_empty() {
        // Discoverable sign-in: the authenticator offers whichever passkeys it holds.
        if let Some(map) = public_key.as_object_mut() {
            map.remove("allowCredentials");
        }
    }
    Ok(Json(json!({ "publicKey": public_key })))
}

/// `POST /api/signin/passkey/verify`: signs in with a passkey's assertion.
pub(super) async fn passkey_verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<PasskeyVerifyBody>,
) -> Result<Response, ApiError> {
    let mut attempt = Attempt::new(signin_log::PASSKEY, None);
    let outcome = passkey_sign_in(&state, &headers, &body, &mut attempt).await;
    let unknown = matches!(
        &outcome,
        Err(ApiError::BadRequest {
            code: "credential_unknown",
            ..
        })
    );
    let credential = attempt.credential_id().map(|id| id.to_base64url());
    match attempt.finish(&state, outcome).await {
        Err(error) if unknown => Ok(unknown_credential(&state, &error, credential)),
        other => other,
    }
}

async fn passkey_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    body: &PasskeyVerifyBody,
    attempt: &mut Attempt,
) -> Result<Response, ApiError> {
    let response = AuthenticationResponse::from_json(&body.credential.to_string())
        .map_err(webauthn_refusal)?;
    attempt.credential(response.credential_id());
    let pending = ceremony::take_authentication(state, &response.client_data().challenge).await?;
    let Some(passkey) = state.store.find_passkey(response.credential_id()).await? else {
        return Err(credential_unknown());
    };
    attempt.passkey(&passkey);
    if pending
        .user_id
        .as_ref()
        .is_some_and(|u| *u != passkey.user_id)
    {
        return Err(ApiError::bad_request(
            "ceremony_user_mismatch",
            "This passkey belongs to another account than the one this sign-in was started for; start again and choose a passkey of that account.",
        ));
    }
    let Some(user) = state.store.get_user(&passkey.user_id).await? else {
        return Err(credential_unknown());
    };
    attempt.user(&user);
    let public_key =
        CredentialPublicKey::from_cbor(&passkey.public_key).map_err(ApiError::internal)?;
    let stored = StoredCredential {
        id: &passkey.credential_id,
        public_key: &public_key,
        sign_count: passkey.sign_count,
        user_handle: Some(&user.user_handle),
        backup_eligible: passkey.backup_eligible,
    };
    let verified = response
        .verify(&state.rp, pending.state, &stored)
        .map_err(webauthn_refusal)?;
    let now = state.clock.now();
    if !user.account_enabled {
        return Err(session::account_disabled());
    }
    if let Some(note) = &passkey.flagged {
        return Err(ApiError::forbidden(
            "passkey_flagged",
            format!("This passkey has been flagged ({note}) and cannot sign in; sign in another way and ask your administrator."),
        ));
    }
    if let SignCount::Regressed { stored, received } = verified.sign_count() {
        if received != 0 || stored != 0 {
            let note =
                format!("signature counter went backwards: stored {stored}, received {received}");
            flag(state, &user, &passkey, &note, attempt.correlation_id()).await?;
            return Err(ApiError::forbidden(
                "sign_count_regressed",
                "This passkey's signature counter went backwards, which happens when a passkey has been copied; it has been flagged — sign in another way and ask your administrator.",
            ));
        }
    }
    if verified.backup_eligibility_changed() {
        let note = format!(
            "backup eligibility changed: registered {}, now {}",
            passkey.backup_eligible,
            verified.flags().backup_eligible()
        );
        flag(state, &user, &passkey, &note, attempt.correlation_id()).await?;
        return Err(ApiError::forbidden(
            "backup_eligibility_changed",
            "This passkey now says it can be synced, which it did not when it was registered (or the reverse); it has been flagged — sign in another way and ask your administrator.",
        ));
    }
    // Key restrictions and passkey types apply at sign-in too, so a policy
    // change reaches passkeys registered before it.
    let policy = policy(state).await?;
    let groups = memberships(state, &user.id).await?;
    let facts = CredentialFacts {
        aaguid: passkey.aaguid,
        backup_eligible: passkey.backup_eligible,
        attestation: match passkey.attestation_level {
            AttestationLevel::Attested => Attestation::Attested { trusted: true },
            AttestationLevel::NotAttested => Attestation::NotAttested,
        },
    };
    let decision = {
        let catalog = state.catalog();
        policy.fido2().may_sign_in(&groups, &facts, &catalog)
    };
    if let Decision::Denied(denial) = decision {
        return Err(ApiError::forbidden(denial.code(), denial.message()));
    }
    let sign_count = match verified.sign_count() {
        SignCount::Advanced { received, .. } => received,
        SignCount::NotSupported | SignCount::Regressed { .. } => passkey.sign_count,
    };
    state
        .store
        .record_passkey_use(
            &passkey.credential_id,
            sign_count,
            verified.flags().backed_up(),
            now,
        )
        .await?;
    let steps = vec![session::step(Step::Passkey, now)];
    signed_in(state, headers, &user, steps, false).await
}

/// Notes something suspicious about a passkey, with its audit entry.
async fn flag(
    state: &AppState,
    user: &User,
    passkey: &Passkey,
    note: &str,
    correlation_id: &str,
) -> Result<(), ApiError> {
    let activity = format!("Flag {}", signin_log::passkey_method(passkey.passkey_type));
    let audit = Audit::new(
        &activity,
        "UserManagement",
        "Device Registration Service",
        "Update",
    )
    .by(Initiator::keybound())
    .target(Target::user(user))
    .detail("AAGUID", passkey.aaguid.to_string())
    .detail("CredentialId", passkey.credential_id.to_base64url())
    .detail("reason", note)
    .correlation(correlation_id)
    .at(state.clock.now())?;
    state
        .store
        .flag_passkey(&user.id, &passkey.id, note, &audit)
        .await?;
    Ok(())
}

/// Starts the session and answers with its cookie.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    steps: Vec<AuthMethodUse>,
    mfa_required: bool,
) -> Result<Response, ApiError> {
    let (session, cookie) = session::start(state, headers, user, steps).await?;
    let mut response = Json(wire::signed_in(user, &session, mfa_required)).into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    Ok(response)
}

/// Argon2 verification off the async threads; `None` verifies against the dummy hash and fails.
async fn check_secret(secret: &str, phc: Option<String>) -> Result<bool, ApiError> {
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || match phc {
        Some(phc) => secrets::verify_secret(&secret, &phc),
        None => {
            secrets::verify_dummy(&secret);
            false
        }
    })
    .await
    .map_err(ApiError::internal)
}

fn wrong_tap() -> ApiError {
    ApiError::Unauthorized {
        code: "invalid_credentials",
        message: "The sign-in name or the Temporary Access Pass is not right.".into(),
    }
}

fn tap_locked() -> ApiError {
    ApiError::forbidden(
        "tap_locked",
        "This Temporary Access Pass was entered wrongly too many times and is locked; ask your administrator for a new pass.",
    )
}

/// Refuses a pass whose code was right but which cannot be used now.
fn tap_usable(usability: TapUsability) -> Result<(), ApiError> {
    let (code, message) = match usability {
        TapUsability::Usable => return Ok(()),
        TapUsability::Expired => (
            "tap_expired",
            "This Temporary Access Pass has expired; ask your administrator for a new pass.",
        ),
        TapUsability::OneTimeUsed => (
            "tap_used",
            "This Temporary Access Pass could be used once and was used already; ask your administrator for a new pass.",
        ),
        TapUsability::NotYetValid => (
            "tap_not_yet_valid",
            "This Temporary Access Pass is not valid yet; try again from the start time your administrator gave you.",
        ),
    };
    Err(ApiError::Unauthorized {
        code,
        message: message.into(),
    })
}

fn credential_unknown() -> ApiError {
    ApiError::bad_request(
        "credential_unknown",
        "This passkey is not registered with your organisation (it may have been deleted), so it cannot sign in; choose another passkey or sign in another way. Your device may offer to remove it.",
    )
}

/// The `credential_unknown` refusal, plus what the page needs for
/// `PublicKeyCredential.signalUnknownCredential({rpId, credentialId})`.
fn unknown_credential(state: &AppState, error: &ApiError, credential: Option<String>) -> Response {
    let (code, message) = super::code_and_message(error);
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": {
            "code": code,
            "message": message,
            "signalUnknownCredential": {
                "rpId": state.rp.id().as_str(),
                "credentialId": credential,
            },
        }})),
    )
        .into_response()
}
