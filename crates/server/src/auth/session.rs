//! Browser sessions: a random cookie whose SHA-256 is all the store keeps,
//! the authentication steps each session passed, and [`SignedInUser`], the
//! extractor that gives a handler the person, their session and those steps.
//!
//! The cookie is `keybound_session`: 32 random bytes, base64url, `HttpOnly`,
//! `SameSite=Lax`, `Path=/`, `Secure` unless the public URL is plain http
//! (which the configuration allows only for localhost), and it lives 8 hours.
//! A SHA-256 of 256 random bits needs no salt or slow hash: nobody can guess
//! the input, and a database leak yields no usable cookie.

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use keybound_store::{AuthMethodUse, Session, Timestamp, User};
use keybound_webauthn::encoding;

use crate::audit::Initiator;
use crate::error::ApiError;
use crate::secrets;
use crate::state::AppState;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "keybound_session";
/// How long a session lasts, in minutes (8 hours).
pub const LIFETIME_MINUTES: i64 = 8 * 60;
/// How recent a Temporary Access Pass or second factor must be to add a passkey, in minutes.
pub const RECENT_MINUTES: i64 = 5;
/// Random bytes in a session cookie.
const SECRET_BYTES: usize = 32;

/// An authentication step a session can have passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A passkey with user verification (possession and a PIN or biometric: multifactor).
    Passkey,
    /// A Temporary Access Pass issued by an administrator.
    TemporaryAccessPass,
    /// A password; a first factor only.
    Password,
    /// A TOTP code from an authenticator app, after the password.
    Totp,
}

impl Step {
    /// Every step.
    const ALL: [Step; 4] = [
        Step::Passkey,
        Step::TemporaryAccessPass,
        Step::Password,
        Step::Totp,
    ];

    /// How the session records it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Passkey => "passkey",
            Step::TemporaryAccessPass => "tap",
            Step::Password => "password",
            Step::Totp => "totp",
        }
    }

    /// The step a session recorded as `text`.
    pub fn parse(text: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the step completes a sign-in and counts as multifactor (or a
    /// Temporary Access Pass) for adding a passkey: everything but a password.
    pub const fn is_strong(self) -> bool {
        !matches!(self, Step::Password)
    }
}

/// A signed-in person: an unexpired session that passed a strong step, of an enabled account.
///
/// A handler that takes one cannot run for anyone else: without the cookie
/// it answers 401 `not_signed_in`; a session that passed only a password
/// answers 401 `mfa_required`; a disabled account answers 403 `account_disabled`.
#[derive(Clone, Debug)]
pub struct SignedInUser {
    /// The person.
    pub user: User,
    /// Their session (its `id_hash` is the cookie's SHA-256).
    pub session: Session,
}

impl SignedInUser {
    /// The authentication steps the session passed, in order.
    pub fn methods(&self) -> &[AuthMethodUse] {
        &self.session.auth_methods
    }

    /// Whether the session passed a strong step (Temporary Access Pass, TOTP, passkey)
    /// within the last [`RECENT_MINUTES`] before `now`.
    pub fn recently_verified(&self, now: Timestamp) -> bool {
        let since = now.plus_minutes(-RECENT_MINUTES).as_millis();
        self.methods()
            .iter()
            .any(|m| m.at >= since && Step::parse(&m.method).is_some_and(Step::is_strong))
    }

    /// The person, as audit entries name who made a change.
    pub fn initiator(&self) -> Initiator {
        Initiator::user(&self.user, None)
    }
}

impl FromRequestParts<AppState> for SignedInUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some((session, user)) = current(state, &parts.headers).await? else {
            return Err(ApiError::Unauthorized {
                code: "not_signed_in",
                message: "You are not signed in, or your session has ended; sign in again.".into(),
            });
        };
        if !is_complete(&session) {
            return Err(ApiError::Unauthorized {
                code: "mfa_required",
                message: "Your password was accepted; enter the code from your authenticator app to finish signing in.".into(),
            });
        }
        Ok(SignedInUser { user, session })
    }
}

/// Whether a session passed a step that completes a sign-in.
pub(crate) fn is_complete(session: &Session) -> bool {
    session
        .auth_methods
        .iter()
        .any(|m| Step::parse(&m.method).is_some_and(Step::is_strong))
}

/// The SHA-256 of the session cookie the request carries, if it carries a well-formed one.
pub(crate) fn cookie_hash(headers: &HeaderMap) -> Option<Vec<u8>> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| encoding::decode(value.trim()))
        .filter(|secret| secret.len() == SECRET_BYTES)
        .map(|secret| secrets::sha256(&secret))
}

/// The request's session and its user, if the cookie names an unexpired
/// session; refuses a disabled account with 403 `account_disabled`.
pub(crate) async fn current(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(Session, User)>, ApiError> {
    let Some(hash) = cookie_hash(headers) else {
        return Ok(None);
    };
    let now = state.clock.now();
    let Some(session) = state.store.get_session(&hash, now).await? else {
        return Ok(None);
    };
    let Some(user) = state.store.get_user(&session.user_id).await? else {
        return Ok(None);
    };
    if !user.account_enabled {
        return Err(account_disabled());
    }
    Ok(Some((session, user)))
}

/// The refusal for a disabled account.
pub(crate) fn account_disabled() -> ApiError {
    ApiError::forbidden(
        "account_disabled",
        "Your account is disabled, so it cannot sign in; ask your administrator.",
    )
}

/// Starts a session for `user` that passed `steps`, ending the session the
/// request carried (if any): a new sign-in always gets a new cookie.
/// Returns the session and the `Set-Cookie` value.
pub(crate) async fn start(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    steps: Vec<AuthMethodUse>,
) -> Result<(Session, HeaderValue), ApiError> {
    if let Some(previous) = cookie_hash(headers) {
        state.store.delete_session(&previous).await?;
    }
    let now = state.clock.now();
    let secret = secrets::random_bytes(SECRET_BYTES)?;
    let session = Session {
        id_hash: secrets::sha256(&secret),
        user_id: user.id.clone(),
        created_at: now,
        expires_at: now.plus_minutes(LIFETIME_MINUTES),
        auth_methods: steps,
        // Explicit CSRF tokens come later; until then none is issued (see `crate::api`).
        csrf_token_hash: Vec::new(),
    };
    state.store.create_session(&session).await?;
    let cookie = set_cookie(state, &encoding::encode(&secret), LIFETIME_MINUTES * 60)?;
    Ok((session, cookie))
}

/// One step, passed at `now`.
pub(crate) fn step(step: Step, now: Timestamp) -> AuthMethodUse {
    AuthMethodUse {
        method: step.as_str().into(),
        at: now.as_millis(),
    }
}

fn set_cookie(state: &AppState, value: &str, max_age_secs: i64) -> Result<HeaderValue, ApiError> {
    // The configuration accepts plain http only for localhost, where browsers
    // would drop a `Secure` cookie set over http.
    let secure = if state.config.public_url.as_str().starts_with("http://") {
        ""
    } else {
        "; Secure"
    };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Max-Age={max_age_secs}; Path=/; HttpOnly; SameSite=Lax{secure}"
    ))
    .map_err(ApiError::internal)
}
