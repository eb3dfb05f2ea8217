//! Pending WebAuthn ceremonies in the store.
//!
//! The engine's `RegistrationState` and `AuthenticationState` are opaque and
//! not serializable by design, so what the server keeps is the inputs it
//! built them from — the user verification requirement, the algorithms or
//! allowed credential ids, whose ceremony it is — as JSON in `state_json`.
//! After `take_ceremony` (which deletes the row, so a challenge finishes at
//! most once, and returns nothing once it has expired) the state is rebuilt
//! from those inputs and the stored challenge.

use keybound_store::{Ceremony, CeremonyKind, UserId};
use keybound_webauthn::{
    encoding, AuthenticationState, Challenge, CoseAlgorithm, CredentialId, RegistrationOptions,
    RegistrationState, UserVerification,
};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::secrets;
use crate::state::AppState;

/// What a registration's state is rebuilt from.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistrationInputs {
    user_verification: String,
    algorithms: Vec<i64>,
    user_id: String,
    /// base64url of the session's id hash.
    session: String,
}

/// What an authentication's state is rebuilt from.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthenticationInputs {
    user_verification: String,
    /// base64url credential ids; empty for a discoverable (usernameless) sign-in.
    allowed_credentials: Vec<String>,
    /// The user named in the options, when one was.
    user_id: Option<String>,
}

/// A registration taken out of the store, ready to verify.
pub(super) struct PendingRegistration {
    /// The engine's state, rebuilt.
    pub state: RegistrationState,
    /// Whose registration it is.
    pub user_id: UserId,
    /// The session that started it (its id hash).
    pub session_hash: Vec<u8>,
}

/// An authentication taken out of the store, ready to verify.
pub(super) struct PendingAuthentication {
    /// The engine's state, rebuilt.
    pub state: AuthenticationState,
    /// The user the options were for, when a username was given.
    pub user_id: Option<UserId>,
}

/// The refusal for a challenge that is unknown, expired, already used, or of the other ceremony.
pub(super) fn challenge_unknown() -> ApiError {
    ApiError::bad_request(
        "challenge_unknown",
        "This sign-in request has expired or was already used; start again.",
    )
}

/// Keeps a registration until its response arrives.
pub(super) async fn put_registration(
    state: &AppState,
    options: &RegistrationOptions,
    pending: &RegistrationState,
    user: &UserId,
    session_hash: &[u8],
) -> Result<(), ApiError> {
    let inputs = RegistrationInputs {
        user_verification: options.user_verification.as_str().into(),
        algorithms: options.algorithms.iter().map(|a| a.id()).collect(),
        user_id: user.as_str().into(),
        session: encoding::encode(session_hash),
    };
    put(
        state,
        pending.challenge(),
        CeremonyKind::Registration,
        Some(user.clone()),
        Some(session_hash.to_vec()),
        serde_json::to_string(&inputs).map_err(ApiError::internal)?,
        pending.timeout(),
    )
    .await
}

/// Keeps an authentication until its response arrives.
pub(super) async fn put_authentication(
    state: &AppState,
    pending: &AuthenticationState,
    user_verification: UserVerification,
    allowed: &[CredentialId],
    user: Option<&UserId>,
) -> Result<(), ApiError> {
    let inputs = AuthenticationInputs {
        user_verification: user_verification.as_str().into(),
        allowed_credentials: allowed.iter().map(CredentialId::to_base64url).collect(),
        user_id: user.map(|u| u.as_str().to_owned()),
    };
    put(
        state,
        pending.challenge(),
        CeremonyKind::Authentication,
        user.cloned(),
        None,
        serde_json::to_string(&inputs).map_err(ApiError::internal)?,
        pending.timeout(),
    )
    .await
}

async fn put(
    state: &AppState,
    challenge: &Challenge,
    kind: CeremonyKind,
    user_id: Option<UserId>,
    session_id: Option<Vec<u8>>,
    state_json: String,
    timeout: std::time::Duration,
) -> Result<(), ApiError> {
    let lifetime = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
    let ceremony = Ceremony {
        challenge: challenge.as_bytes().to_vec(),
        kind,
        user_id,
        session_id,
        state_json,
        expires_at: state.clock.now().plus_millis(lifetime),
    };
    state.store.put_ceremony(&ceremony).await?;
    Ok(())
}

/// Takes the registration whose challenge this is; `challenge_unknown` if there is none pending.
pub(super) async fn take_registration(
    state: &AppState,
    challenge: &[u8],
) -> Result<PendingRegistration, ApiError> {
    let ceremony = take(state, challenge, CeremonyKind::Registration).await?;
    let inputs: RegistrationInputs =
        serde_json::from_str(&ceremony.state_json).map_err(ApiError::internal)?;
    let user_id = UserId::parse(&inputs.user_id).map_err(ApiError::internal)?;
    let session_hash = encoding::decode(&inputs.session)
        .ok_or_else(|| ApiError::internal("a stored registration has an unreadable session"))?;
    let consistent = ceremony.user_id.as_ref() == Some(&user_id)
        && ceremony
            .session_id
            .as_deref()
            .is_some_and(|s| secrets::equal(s, &session_hash));
    if !consistent {
        return Err(ApiError::internal(
            "a stored registration's columns and state disagree",
        ));
    }
    let algorithms: Vec<CoseAlgorithm> = inputs
        .algorithms
        .iter()
        .map(|id| {
            CoseAlgorithm::from_id(*id)
                .ok_or_else(|| ApiError::internal(format!("stored algorithm {id} is unknown")))
        })
        .collect::<Result<_, _>>()?;
    let engine_state = RegistrationState::new(challenge_of(&ceremony)?)
        .with_user_verification(user_verification(&inputs.user_verification)?)
        .with_algorithms(&algorithms);
    Ok(PendingRegistration {
        state: engine_state,
        user_id,
        session_hash,
    })
}

/// Takes the authentication whose challenge this is; `challenge_unknown` if there is none pending.
pub(super) async fn take_authentication(
    state: &AppState,
    challenge: &[u8],
) -> Result<PendingAuthentication, ApiError> {
    let ceremony = take(state, challenge, CeremonyKind::Authentication).await?;
    let inputs: AuthenticationInputs =
        serde_json::from_str(&ceremony.state_json).map_err(ApiError::internal)?;
    let user_id = inputs
        .user_id
        .as_deref()
        .map(UserId::parse)
        .transpose()
        .map_err(ApiError::internal)?;
    if ceremony.user_id != user_id {
        return Err(ApiError::internal(
            "a stored authentication's columns and state disagree",
        ));
    }
    let allowed = inputs
        .allowed_credentials
        .iter()
        .map(|id| CredentialId::from_base64url(id))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    let engine_state = AuthenticationState::new(challenge_of(&ceremony)?)
        .with_user_verification(user_verification(&inputs.user_verification)?)
        .with_allowed_credentials(allowed);
    Ok(PendingAuthentication {
        state: engine_state,
        user_id,
    })
}

async fn take(
    state: &AppState,
    challenge: &[u8],
    kind: CeremonyKind,
) -> Result<Ceremony, ApiError> {
    if challenge.is_empty() {
        return Err(challenge_unknown());
    }
    state
        .store
        .take_ceremony(challenge, kind, state.clock.now())
        .await?
        .ok_or_else(challenge_unknown)
}

fn challenge_of(ceremony: &Ceremony) -> Result<Challenge, ApiError> {
    Challenge::from_bytes(ceremony.challenge.clone()).map_err(ApiError::internal)
}

fn user_verification(text: &str) -> Result<UserVerification, ApiError> {
    [
        UserVerification::Required,
        UserVerification::Preferred,
        UserVerification::Discouraged,
    ]
    .into_iter()
    .find(|uv| uv.as_str() == text)
    .ok_or_else(|| ApiError::internal(format!("stored user verification `{text}` is unknown")))
}
