//! One error type for every HTTP surface, rendered as Graph's `{"error":{"code","message"}}`.
//!
//! Client mistakes carry their code and a sentence a person can act on;
//! internal faults log their detail and show a generic sentence, so a store
//! error never reaches a response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// A refusal or a fault, as the caller will see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed or asks for something invalid.
    #[error("{message}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// What was wrong and how to fix it.
        message: String,
    },
    /// 401: no valid credentials were presented.
    #[error("{message}")]
    Unauthorized {
        /// Stable code.
        code: &'static str,
        /// What was wrong.
        message: String,
    },
    /// 403: the caller is known but may not do this.
    #[error("{message}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Which permission or role is missing.
        message: String,
    },
    /// 404.
    #[error("{message}")]
    NotFound {
        /// Stable code.
        code: &'static str,
        /// What was not found.
        message: String,
    },
    /// 409: the change conflicts with the current state.
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// What conflicts.
        message: String,
    },
    /// 412: an `If-Match` precondition failed.
    #[error("{message}")]
    PreconditionFailed {
        /// What changed meanwhile.
        message: String,
    },
    /// 429: too many attempts.
    #[error("{message}")]
    TooManyRequests {
        /// Stable code.
        code: &'static str,
        /// When to try again.
        message: String,
    },
    /// 503: the store cannot be reached or written.
    #[error("{message}")]
    Unavailable {
        /// What the operator should check.
        message: String,
    },
    /// 500: a fault of ours; `detail` goes to the log only.
    #[error("internal error: {detail}")]
    Internal {
        /// For the log.
        detail: String,
    },
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// A 403 naming what is missing.
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Forbidden {
            code,
            message: message.into(),
        }
    }

    /// A 404 for `what`.
    pub fn not_found(what: impl Into<String>) -> Self {
        ApiError::NotFound {
            code: "Request_ResourceNotFound",
            message: what.into(),
        }
    }

    /// A 500 whose detail is logged, never shown.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError::Internal {
            detail: detail.to_string(),
        }
    }

    fn parts(&self) -> (StatusCode, &str, String) {
        match self {
            ApiError::BadRequest { code, message } => (StatusCode::BAD_REQUEST, code, message.clone()),
            ApiError::Unauthorized { code, message } => (StatusCode::UNAUTHORIZED, code, message.clone()),
            ApiError::Forbidden { code, message } => (StatusCode::FORBIDDEN, code, message.clone()),
            ApiError::NotFound { code, message } => (StatusCode::NOT_FOUND, code, message.clone()),
            ApiError::Conflict { code, message } => (StatusCode::CONFLICT, code, message.clone()),
            ApiError::PreconditionFailed { message } => {
                (StatusCode::PRECONDITION_FAILED, "Request_PreconditionFailed", message.clone())
            }
            ApiError::TooManyRequests { code, message } => (StatusCode::TOO_MANY_REQUESTS, code, message.clone()),
            ApiError::Unavailable { message } => (StatusCode::SERVICE_UNAVAILABLE, "serviceUnavailable", message.clone()),
            ApiError::Internal { .. } => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "generalException",
                "Something went wrong on our side; the details are in the server log. Try again, and tell your administrator if it persists.".into(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal { detail } = &self {
            tracing::error!(%detail, "internal error");
        }
        let (status, code, message) = self.parts();
        (
            status,
            Json(json!({"error": {"code": code, "message": message}})),
        )
            .into_response()
    }
}

impl From<keybound_store::StoreError> for ApiError {
    fn from(error: keybound_store::StoreError) -> Self {
        use keybound_store::StoreError as E;
        match error {
            E::NotFound { .. } => ApiError::NotFound {
                code: "Request_ResourceNotFound",
                message: error.to_string(),
            },
            E::Conflict { .. } => ApiError::Conflict {
                code: "Request_MultipleObjectsWithSameKeyValue",
                message: error.to_string(),
            },
            E::InvalidInput { .. } => ApiError::BadRequest {
                code: "Request_BadRequest",
                message: error.to_string(),
            },
            E::Unavailable { .. } | E::ReadOnly { .. } => {
                tracing::error!(%error, "store unavailable");
                ApiError::Unavailable {
                    message: "The directory's database cannot be written right now; try again shortly. Operators: see the server log.".into(),
                }
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<keybound_policy::PolicyError> for ApiError {
    fn from(error: keybound_policy::PolicyError) -> Self {
        match error.status() {
            404 => ApiError::NotFound {
                code: "itemNotFound",
                message: error.to_string(),
            },
            400..=499 => ApiError::BadRequest {
                code: "badRequest",
                message: error.to_string(),
            },
            _ => ApiError::internal(error),
        }
    }
}
