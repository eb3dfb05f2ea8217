//! The caller of a Graph endpoint, as an extractor: without one, a handler cannot run.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use keybound_store::{DirectoryRole, User};

use super::scope::Scope;
use super::session;
use super::token::{TokenClaims, TokenError};
use crate::audit::Initiator;
use crate::error::ApiError;
use crate::state::AppState;

/// A verified Graph caller.
#[derive(Clone, Debug)]
pub enum GraphCaller {
    /// A bearer token with scopes.
    Token(TokenClaims),
    /// A signed-in person (the admin center), whose directory roles decide.
    Session {
        /// The person.
        user: User,
        /// Their directory roles.
        roles: Vec<DirectoryRole>,
    },
}

/// The scopes a directory role grants, as Entra's built-in roles do.
fn role_scopes(role: DirectoryRole) -> &'static [Scope] {
    match role {
        DirectoryRole::GlobalAdministrator => &Scope::ALL,
        DirectoryRole::AuthenticationPolicyAdministrator => &[
            Scope::PolicyReadAll,
            Scope::PolicyReadAuthenticationMethod,
            Scope::PolicyReadWriteAuthenticationMethod,
        ],
        DirectoryRole::AuthenticationAdministrator => &[
            Scope::UserAuthenticationMethodReadAll,
            Scope::UserAuthenticationMethodReadWriteAll,
            Scope::UserReadAll,
        ],
    }
}

/// A role that grants `scope`, for messages.
fn role_granting(scope: Scope) -> &'static str {
    [
        DirectoryRole::AuthenticationPolicyAdministrator,
        DirectoryRole::AuthenticationAdministrator,
    ]
    .into_iter()
    .find(|role| role_scopes(*role).iter().any(|held| held.grants(scope)))
    .map_or("Global Administrator", |role| match role {
        DirectoryRole::AuthenticationPolicyAdministrator => "Authentication Policy Administrator",
        _ => "Authentication Administrator",
    })
}

impl GraphCaller {
    /// Refuses with 403 unless the caller holds one of `scopes`.
    pub fn require(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        let granted = match self {
            GraphCaller::Token(claims) => claims
                .scopes
                .iter()
                .any(|held| scopes.iter().any(|wanted| held.grants(*wanted))),
            GraphCaller::Session { roles, .. } => roles
                .iter()
                .flat_map(|role| role_scopes(*role))
                .any(|held| scopes.iter().any(|wanted| held.grants(*wanted))),
        };
        if granted {
            return Ok(());
        }
        let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        if let GraphCaller::Session { .. } = self {
            let role = scopes
                .first()
                .map_or("Global Administrator", |s| role_granting(*s));
            return Err(ApiError::forbidden(
                "Authorization_RequestDenied",
                format!("Insufficient privileges to complete the operation: it needs the {role} role (or the {} permission). Ask a Global Administrator to assign it.", names.join(" or ")),
            ));
        }
        Err(ApiError::forbidden(
            "Authorization_RequestDenied",
            format!(
                "Insufficient privileges to complete the operation: it needs the {} permission. Mint a token with it: keybound admin token --scopes \"{}\"",
                names.join(" or "),
                names.first().copied().unwrap_or_default()
            ),
        ))
    }

    /// Who to name in audit entries.
    pub fn initiator(&self) -> Initiator {
        match self {
            GraphCaller::Token(claims) => Initiator::token(&claims.subject, &claims.token_id),
            GraphCaller::Session { user, .. } => Initiator::user(user, None),
        }
    }

    /// A short description of the caller, for version authors.
    pub fn describe(&self) -> String {
        match self {
            GraphCaller::Token(claims) => format!("token:{}", claims.subject),
            GraphCaller::Session { user, .. } => user.user_principal_name.clone(),
        }
    }
}

impl FromRequestParts<AppState> for GraphCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |message: String| ApiError::Unauthorized {
            code: "InvalidAuthenticationToken",
            message,
        };
        let Some(header) = parts.headers.get(AUTHORIZATION) else {
            // The admin center calls Graph with its session cookie instead of a token.
            if let Some((session, user)) = session::current(state, &parts.headers).await? {
                if session::is_complete(&session) {
                    check_same_origin(parts, state)?;
                    let roles = state.store.roles_of_user(&user.id).await?;
                    return Ok(GraphCaller::Session { user, roles });
                }
            }
            return Err(unauthorized(
                "Access token is empty: send `Authorization: Bearer <token>`; mint one with `keybound admin token --scopes …`".into(),
            ));
        };
        let token = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| unauthorized("The Authorization header is not `Bearer <token>`".into()))?
            .trim();
        let now = state.clock.now();
        let claims = match state.tokens.verify(token, now) {
            Err(TokenError::UnknownKey) => {
                // A key made after start-up (by `keybound admin token` or another node).
                state.tokens.refresh(state.store.as_ref()).await?;
                state.tokens.verify(token, now)
            }
            other => other,
        }
        .map_err(|e| unauthorized(e.to_string()))?;
        Ok(GraphCaller::Token(claims))
    }
}

/// A cookie-authenticated change must come from Keybound's own pages: browsers send
/// `Origin` with every cross-origin POST, PATCH and DELETE, so a forged request
/// from another site is refused here (OWASP: verifying origin with standard headers).
fn check_same_origin(parts: &Parts, state: &AppState) -> Result<(), ApiError> {
    if parts.method.is_safe() {
        return Ok(());
    }
    let origin = parts
        .headers
        .get(axum::http::header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| {
        o.trim_end_matches('/')
            .eq_ignore_ascii_case(state.config.public_url.as_str())
    }) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "cross_site_request",
        format!(
            "A change made with a session cookie must come from {}; this request came from {}. Use a bearer token for automation.",
            state.config.public_url,
            origin.unwrap_or("an unknown origin")
        ),
    ))
}
