//! The one error type of the store, with variants the server maps to HTTP.

/// What went wrong in the store.
///
/// The server maps `NotFound` to 404, `Conflict` to 409 (412 for a policy
/// ETag mismatch), `InvalidInput` to 400, and the rest to 503 or 500 with a
/// generic sentence, logging the message. Messages never contain secrets or
/// database passwords.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist (`what` names it, e.g. `user 73e4b2c6-…`).
    #[error("{what} does not exist")]
    NotFound {
        /// The missing object.
        what: String,
    },
    /// The change contradicts what is stored: a duplicate userPrincipalName or
    /// credential ID, an ETag that no longer matches. `what` is a sentence.
    #[error("{what}")]
    Conflict {
        /// What conflicts, as a sentence.
        what: String,
    },
    /// A value the caller passed cannot be used (a malformed continuation token).
    #[error("{what}")]
    InvalidInput {
        /// What is wrong, as a sentence.
        what: String,
    },
    /// The database URL is neither `sqlite://PATH` nor `postgres://…`.
    #[error("the database URL is not usable: {reason}")]
    InvalidUrl {
        /// What is wrong and the accepted forms.
        reason: String,
    },
    /// The database has a schema newer than this binary knows: refuse rather than corrupt it.
    #[error(
        "the database has schema version {found}, newer than the {supported} this Keybound knows: \
         upgrade Keybound to the release that wrote it (or restore a backup taken before that upgrade)"
    )]
    DatabaseTooNew {
        /// The version found in the database.
        found: i64,
        /// The newest version this binary can use.
        supported: i64,
    },
    /// The database cannot be reached or cannot write (disk full, connection
    /// refused, authentication failed); `reason` says what to check.
    #[error("the database at {location} is unavailable: {reason}")]
    Unavailable {
        /// The file path, or host, port and database name (never the password).
        location: String,
        /// What happened and what to check.
        reason: String,
    },
    /// The database refuses writes (read-only file, directory or server).
    #[error("the database at {location} is read-only: {reason}")]
    ReadOnly {
        /// The file path, or host, port and database name.
        location: String,
        /// What to check.
        reason: String,
    },
    /// Anything else; the details are for the log, never for a client.
    #[error("internal store error: {details}")]
    Internal {
        /// What happened, for the operator.
        details: String,
    },
}

impl StoreError {
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        StoreError::NotFound { what: what.into() }
    }

    pub(crate) fn conflict(what: impl Into<String>) -> Self {
        StoreError::Conflict { what: what.into() }
    }

    pub(crate) fn internal(details: impl Into<String>) -> Self {
        StoreError::Internal {
            details: details.into(),
        }
    }
}
