//! Keybound's persistence: one [`Store`] trait, with SQLite and PostgreSQL
//! behind it.
//!
//! [`open`] takes a URL — `sqlite://PATH` for the embedded default, or
//! `postgres://USER:PASSWORD@HOST:PORT/DATABASE` for several nodes — creates
//! what is missing (the SQLite file and its directory), migrates the schema
//! forward, and hands back an `Arc<dyn Store>` for the server's state.
//!
//! # Design
//!
//! - **One implementation over sqlx's `Any` driver.** Both databases run the
//!   same SQL text: `$1` placeholders (SQLite accepts them too), `ON
//!   CONFLICT`, `RETURNING`, row-value comparisons. The values crossing the
//!   boundary are only integers, text and bytes — booleans are stored as 0/1
//!   and times as milliseconds — which `Any` carries identically on both, so
//!   one code path is tested by one suite on both databases. Two thin
//!   implementations would repeat every method's binding and decoding for no
//!   gain. What differs is confined to `sql/`: each migration's DDL (`BLOB`
//!   and `STRICT` tables, `BYTEA`), SQLite's connection pragmas (WAL,
//!   `synchronous=NORMAL`, foreign keys, busy timeout) and `BEGIN IMMEDIATE`
//!   for write transactions, PostgreSQL's advisory lock around migrations,
//!   the integrity check, and error codes.
//! - **Audit in the same transaction.** Every method that changes security
//!   state takes an [`AuditEntry`] and commits it with the change, or
//!   neither. Concurrency-sensitive changes (spending a one-time Temporary
//!   Access Pass, accepting a TOTP step, taking a ceremony, saving the policy
//!   against an ETag) are single conditional statements, so exactly one of
//!   several concurrent callers wins on either database.
//! - **Migrations** are numbered and embedded; `open` applies the missing
//!   ones in one transaction and refuses a database newer than this binary
//!   ([`StoreError::DatabaseTooNew`]) without touching it.
//!
//! # What it never does
//!
//! It reads no clock (times are [`Timestamp`]s the caller passes), never sees
//! a plaintext secret (passwords and passes arrive as PHC strings; TOTP
//! secrets and signing keys as the caller encrypted them), knows nothing of
//! HTTP, Graph JSON or policy decisions, and never panics: every failure is a
//! [`StoreError`] whose message says what to check.

mod error;
mod ids;
mod logs;
mod records;
mod sql;
mod store;
mod time;

use std::sync::Arc;

// The public interface.
pub use crate::{
    error::StoreError,
    ids::{GroupId, InvalidId, MethodId, UserId},
    logs::{
        AppIdentity, AuditEntry, AuditQuery, AuditResult, Initiator, KeyValue, ModifiedProperty,
        SignInEntry, SignInQuery, SignInStatus, TargetResource, UserIdentity,
    },
    records::{
        AttestationLevel, AuthMethodUse, Backend, Ceremony, CeremonyKind, DirectoryRole, Group,
        GroupChanges, ListQuery, MdsBlob, MdsBlobInfo, MethodsSummary, NameField, NameFilter,
        NameMatch, Page, Passkey, PasskeySummary, PasskeyType, PasswordMethod, PolicyVersion,
        Purged, Session, SigningKey, SoftwareOathMethod, TapUsability, TemporaryAccessPass,
        TrustAnchor, TrustAnchorKind, User, UserChanges,
    },
    store::Store,
    time::{InvalidTimestamp, Timestamp},
};

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = sql::SCHEMA_VERSION;

/// Opens the database `url` names — `sqlite://PATH` or `postgres://…` —
/// creating a missing SQLite file and its directory and migrating the schema
/// forward.
///
/// Refuses with [`StoreError::InvalidUrl`] for another scheme,
/// [`StoreError::DatabaseTooNew`] for a schema this build does not know, and
/// [`StoreError::Unavailable`] or [`StoreError::ReadOnly`] (naming what to
/// check) when the database cannot be reached or written.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    sql::open(url).await
}
