//! Issuing Temporary Access Passes, shared by bootstrap, `keybound admin tap` and Graph.

use keybound_policy::AuthenticationMethodsPolicy;
use keybound_store::{MethodId, Store, TemporaryAccessPass, Timestamp, User};

use crate::audit::{Audit, Initiator, Target};
use crate::error::ApiError;
use crate::secrets;

/// What the issuer asked for; `None` takes the policy's default.
#[derive(Clone, Copy, Debug, Default)]
pub struct TapRequest {
    /// Minutes the pass stays valid.
    pub lifetime_minutes: Option<i64>,
    /// Whether it works once only.
    pub usable_once: Option<bool>,
    /// When it starts working (default: now).
    pub start_at: Option<Timestamp>,
}

/// A pass just issued: the record, and the code shown once.
#[derive(Debug)]
pub struct IssuedTap {
    /// What the store keeps (a hash, never the code).
    pub record: TemporaryAccessPass,
    /// The code, to show the issuer once.
    pub code: String,
}

/// Issues a pass for `user` within the policy's bounds, replacing any earlier one, with its audit entry.
pub async fn issue(
    store: &dyn Store,
    policy: &AuthenticationMethodsPolicy,
    user: &User,
    request: TapRequest,
    initiator: Initiator,
    now: Timestamp,
) -> Result<IssuedTap, ApiError> {
    let config = policy.temporary_access_pass();
    if config.state() != keybound_policy::MethodState::Enabled {
        return Err(ApiError::bad_request(
            "temporaryAccessPassDisabled",
            "The Temporary Access Pass method is disabled in the authentication-methods policy; enable it first (PATCH …/authenticationMethodConfigurations/TemporaryAccessPass {\"state\":\"enabled\"}).",
        ));
    }
    let (min, max) = (
        i64::from(config.minimum_lifetime_in_minutes()),
        i64::from(config.maximum_lifetime_in_minutes()),
    );
    let lifetime = request
        .lifetime_minutes
        .unwrap_or_else(|| i64::from(config.default_lifetime_in_minutes()));
    if !(min..=max).contains(&lifetime) {
        return Err(ApiError::bad_request(
            "badRequest",
            format!("lifetimeInMinutes {lifetime} is outside the policy's range of {min} to {max} minutes"),
        ));
    }
    // A policy that makes every pass one-time wins over the request.
    let usable_once = config.is_usable_once() || request.usable_once.unwrap_or(false);
    let length = usize::try_from(config.default_length()).unwrap_or(8);
    let code = secrets::new_temporary_access_pass(length)?;
    let record = TemporaryAccessPass {
        id: MethodId::random(),
        user_id: user.id.clone(),
        phc_hash: secrets::hash_secret(&code)?,
        created_at: now,
        start_at: request.start_at.unwrap_or(now),
        lifetime_minutes: lifetime,
        usable_once,
        used_at: None,
        failed_attempts: 0,
    };
    let audit = Audit::new(
        "Admin registered temporary access pass method for user",
        "UserManagement",
        "Authentication Methods",
        "Add",
    )
    .by(initiator)
    .target(Target::user(user))
    .detail("lifetimeInMinutes", lifetime.to_string())
    .detail("isUsableOnce", usable_once.to_string())
    .at(now)?;
    store.create_tap(&record, &audit).await?;
    Ok(IssuedTap { record, code })
}
