//! The JSON ceremony API under `/api`, for the sign-in and security-info
//! pages and the authenticator app.
//!
//! - Sign-in: `POST /api/signin/tap`, `POST /api/signin/password` then
//!   `POST /api/signin/totp`, and `POST /api/signin/passkey/options` then
//!   `POST /api/signin/passkey/verify`. Each success sets the session cookie
//!   (see [`crate::auth::session`]); every attempt, success or failure, goes
//!   to the sign-in log.
//! - A signed-in person's own methods: `GET /api/me/methods`,
//!   `POST /api/me/passkeys/options` then `POST /api/me/passkeys/verify`,
//!   `PATCH` and `DELETE /api/me/passkeys/{id}`, each change audited in the
//!   same store transaction.
//!
//! Options go out as WebAuthn Level 3 JSON under `publicKey`; responses come
//! back as `RegistrationResponseJSON` / `AuthenticationResponseJSON` under
//! `credential`. The server finds the pending ceremony by the challenge in
//! `clientDataJSON`, takes it out of the store (single use) and rebuilds the
//! engine's state from what was stored.
//!
//! # Cross-site requests
//!
//! Every state-changing call is a `POST` or `PATCH` with a JSON body read by
//! [`ApiJson`], which (like axum's `Json`) refuses a request without
//! `Content-Type: application/json`, or a `DELETE`. A page on another site
//! can send a cookie-bearing cross-site request only as a "simple request":
//! an HTML form or `fetch` with `GET`/`POST`/`HEAD` and a form or text content
//! type. An `application/json` body or a `PATCH`/`DELETE` method needs a CORS
//! preflight, and this server answers no preflight, so the browser never
//! sends the request. Together with the `SameSite=Lax` cookie this keeps
//! other sites from acting with a user's session. Explicit CSRF tokens come
//! later, for defence in depth.

mod ceremony;
mod me;
mod signin;
mod signin_log;
mod totp;
mod wire;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use keybound_policy::{AuthenticationMethodsPolicy, GroupId};
use keybound_store::UserId;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::state::AppState;

/// The ceremony API's routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/signin/tap", post(signin::tap))
        .route("/api/signin/password", post(signin::password))
        .route("/api/signin/totp", post(signin::totp))
        .route("/api/signin/passkey/options", post(signin::passkey_options))
        .route("/api/signin/passkey/verify", post(signin::passkey_verify))
        .route("/api/me/methods", get(me::methods))
        .route("/api/me/passkeys/options", post(me::passkey_options))
        .route("/api/me/passkeys/verify", post(me::passkey_verify))
        .route(
            "/api/me/passkeys/{id}",
            patch(me::rename_passkey).delete(me::delete_passkey),
        )
}

/// A JSON request body whose refusals are [`ApiError`]s in our shape.
///
/// It requires `Content-Type: application/json`, which is what keeps
/// cross-site forms out (see the module documentation).
pub(crate) struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::bad_request(
                "json_required",
                "Send the request body as JSON with `Content-Type: application/json`.",
            )),
            Err(JsonRejection::JsonDataError(e)) => Err(ApiError::bad_request(
                "invalid_request",
                format!(
                    "The request body does not have the fields this call takes: {}",
                    e.body_text()
                ),
            )),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::bad_request(
                "invalid_json",
                format!("The request body is not valid JSON: {}", e.body_text()),
            )),
            Err(other) => Err(ApiError::bad_request(
                "invalid_request",
                format!("The request body cannot be read: {}", other.body_text()),
            )),
        }
    }
}

/// The authentication-methods policy in force.
async fn policy(state: &AppState) -> Result<AuthenticationMethodsPolicy, ApiError> {
    Ok(crate::current_policy(state.store.as_ref()).await?.0)
}

/// The groups a user belongs to, as the policy names them.
async fn memberships(state: &AppState, user: &UserId) -> Result<Vec<GroupId>, ApiError> {
    Ok(state
        .store
        .groups_of_user(user)
        .await?
        .iter()
        .filter_map(|group| group.id.as_str().parse().ok())
        .collect())
}

/// A refused ceremony: the engine's stable code and sentence, as a 400.
fn webauthn_refusal(error: keybound_webauthn::Error) -> ApiError {
    ApiError::bad_request(error.code(), error.to_string())
}

/// The code and sentence a refusal shows (internal faults: a generic code, the detail for the log).
fn code_and_message(error: &ApiError) -> (&str, String) {
    match error {
        ApiError::BadRequest { code, message }
        | ApiError::Unauthorized { code, message }
        | ApiError::Forbidden { code, message }
        | ApiError::NotFound { code, message }
        | ApiError::Conflict { code, message }
        | ApiError::TooManyRequests { code, message } => (code, message.clone()),
        ApiError::PreconditionFailed { message } => ("Request_PreconditionFailed", message.clone()),
        ApiError::Unavailable { message } => ("serviceUnavailable", message.clone()),
        ApiError::Internal { .. } => (
            "generalException",
            "an internal error; see the server log".into(),
        ),
    }
}

/// Upper bound on a person-given display name, in characters.
const MAX_DISPLAY_NAME: usize = 100;

/// A display name a person gave: trimmed, 1 to 100 characters, no control characters.
fn display_name(text: &str) -> Result<String, ApiError> {
    let trimmed = text.trim();
    let length = trimmed.chars().count();
    if length == 0 || length > MAX_DISPLAY_NAME || trimmed.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_display_name",
            format!("A passkey's name must be 1 to {MAX_DISPLAY_NAME} characters without line breaks or other control characters; choose another name."),
        ));
    }
    Ok(trimmed.to_owned())
}
