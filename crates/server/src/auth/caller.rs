//! The caller of a Graph endpoint, as an extractor: without one, a handler cannot run.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use super::scope::Scope;
use super::token::{TokenClaims, TokenError};
use crate::audit::Initiator;
use crate::error::ApiError;
use crate::state::AppState;

/// A verified Graph caller.
#[derive(Clone, Debug)]
pub enum GraphCaller {
    /// A bearer token with scopes.
    Token(TokenClaims),
}

impl GraphCaller {
    /// Refuses with 403 unless the caller holds one of `scopes`.
    pub fn require(&self, scopes: &[Scope]) -> Result<(), ApiError> {
        let granted = match self {
            GraphCaller::Token(claims) => claims
                .scopes
                .iter()
                .any(|held| scopes.iter().any(|wanted| held.grants(*wanted))),
        };
        if granted {
            return Ok(());
        }
        let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
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
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| unauthorized("Access token is empty: send `Authorization: Bearer <token>`; mint one with `keybound admin token --scopes …`".into()))?;
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
