//! The one implementation of [`Store`](crate::Store): sqlx's `Any` driver
//! over SQLite or PostgreSQL, with portable SQL.
//!
//! Dialect differences are confined to this module: the DDL of each
//! migration, SQLite's connection pragmas and `BEGIN IMMEDIATE`,
//! PostgreSQL's advisory lock around migrations, the integrity check, and the
//! error codes. Everything else (`$n` placeholders, `ON CONFLICT`,
//! `RETURNING`, row values) is the same text on both.

mod migrate;
mod rows;
mod store_impl;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::pool::PoolConnectionMetadata;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};

use crate::error::StoreError;
use crate::logs::AuditEntry;
use crate::records::Backend;
use crate::Store;

pub(crate) use migrate::SCHEMA_VERSION;

/// How long a caller waits for a pooled connection before `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Per-connection SQLite settings: durable enough with WAL, references
/// enforced, and up to five seconds' wait for another writer.
const SQLITE_PRAGMAS: &str =
    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

/// The store over a pool of `Any` connections.
pub(crate) struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// File path, or host, port and database: for messages, never a password.
    location: String,
}

/// What a database URL names.
struct Target {
    backend: Backend,
    /// The URL handed to sqlx.
    url: String,
    location: String,
    /// The SQLite file's directory, created if missing.
    directory: Option<PathBuf>,
}

/// Opens (creating and migrating as needed) the database `url` names.
pub(crate) async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    install_drivers();
    let target = parse_url(url)?;
    if let Some(dir) = &target.directory {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Unavailable {
            location: target.location.clone(),
            reason: format!(
                "cannot create the directory {}: {e}; check the path and that the Keybound user may create it",
                dir.display()
            ),
        })?;
    }
    let mut conn = AnyConnection::connect(&target.url)
        .await
        .map_err(|e| classify(e, target.backend, &target.location))?;
    let migrated = migrate::run(&mut conn, target.backend).await;
    // Closing the migration connection is best effort; its outcome changes nothing.
    let _closed = conn.close().await;
    migrated.map_err(|e| e.into_store_error(target.backend, &target.location))?;

    let backend = target.backend;
    let mut options = AnyPoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .max_connections(match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 10,
        });
    if backend == Backend::Sqlite {
        options = options.after_connect(sqlite_after_connect);
    }
    let pool = options
        .connect(&target.url)
        .await
        .map_err(|e| classify(e, target.backend, &target.location))?;
    Ok(Arc::new(SqlStore {
        pool,
        backend,
        location: target.location,
    }))
}

/// Applies [`SQLITE_PRAGMAS`] to each new pooled connection.
fn sqlite_after_connect(
    conn: &mut AnyConnection,
    _meta: PoolConnectionMetadata,
) -> Pin<Box<dyn Future<Output = Result<(), sqlx::Error>> + Send + '_>> {
    Box::pin(async move {
        conn.execute(SQLITE_PRAGMAS).await?;
        Ok(())
    })
}

/// Registers the two drivers with sqlx's `Any` (once; a second call is a no-op).
fn install_drivers() {
    // Err only means they are installed already, by us or by the caller.
    let _already =
        sqlx::any::install_drivers(&[sqlx::postgres::any::DRIVER, sqlx::sqlite::any::DRIVER]);
}

fn parse_url(url: &str) -> Result<Target, StoreError> {
    let invalid = |reason: String| StoreError::InvalidUrl { reason };
    let forms = "write sqlite://PATH (sqlite:///var/lib/keybound/keybound.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE";
    let url = url.trim();
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let (path, params) = match rest.split_once('?') {
            Some((path, params)) => (path, Some(params)),
            None => (rest, None),
        };
        if path.is_empty() || path == ":memory:" {
            return Err(invalid(format!(
                "`{url}` names no file (an in-memory database would lose everything on restart); {forms}"
            )));
        }
        let path = std::path::absolute(Path::new(path))
            .map_err(|e| invalid(format!("`{url}` names no usable file path ({e}); {forms}")))?;
        let mut any_url = format!("sqlite://{}", percent_encode_path(&path.to_string_lossy()));
        match params {
            Some(params) if params.split('&').any(|p| p.starts_with("mode=")) => {
                any_url = format!("{any_url}?{params}");
            }
            Some(params) if !params.is_empty() => any_url = format!("{any_url}?{params}&mode=rwc"),
            _ => any_url.push_str("?mode=rwc"),
        }
        return Ok(Target {
            backend: Backend::Sqlite,
            url: any_url,
            location: path.display().to_string(),
            directory: path.parent().map(Path::to_path_buf),
        });
    }
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        let without_query = rest.split(['?', '#']).next().unwrap_or_default();
        let (authority, database) = without_query.split_once('/').unwrap_or((without_query, ""));
        // Never keep the user name and password: the location appears in messages.
        let host = match authority.rsplit('@').next().unwrap_or_default() {
            "" => "localhost",
            host => host,
        };
        return Ok(Target {
            backend: Backend::Postgres,
            url: format!("postgres://{rest}"),
            location: format!("postgres://{host}/{database}"),
            directory: None,
        });
    }
    match url.split_once("://") {
        Some((scheme, _)) => Err(invalid(format!(
            "the scheme `{scheme}` is not supported; {forms}"
        ))),
        None => Err(invalid(format!("`{url}` is not a database URL; {forms}"))),
    }
}

/// Percent-encodes every byte of a file path but unreserved ASCII and `/`,
/// so that sqlx (which splits its URL at `?` and percent-decodes the path)
/// gets the file name back exactly.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"/._-~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl SqlStore {
    /// Begins a write transaction: `BEGIN IMMEDIATE` on SQLite (the write
    /// lock is taken up front, waiting for other writers, so a transaction
    /// never fails half-way on a stale snapshot), plain `BEGIN` on PostgreSQL.
    async fn begin(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        tx.map_err(|e| self.err(e))
    }

    /// Commits, mapping failures like any other.
    async fn commit(&self, tx: Transaction<'static, Any>) -> Result<(), StoreError> {
        tx.commit().await.map_err(|e| self.err(e))
    }

    /// Maps a database error without special meaning at the call site.
    fn err(&self, e: sqlx::Error) -> StoreError {
        classify(e, self.backend, &self.location)
    }

    /// Maps a failed write: a uniqueness violation becomes `Conflict` with the
    /// sentence `conflict` makes from the violated constraint's name or
    /// message; a missing referenced row becomes `NotFound { missing }`.
    fn write_err(
        &self,
        e: sqlx::Error,
        conflict: impl FnOnce(&str) -> String,
        missing: &str,
    ) -> StoreError {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                ErrorKind::UniqueViolation => {
                    let which = db.constraint().unwrap_or(db.message()).to_owned();
                    return StoreError::conflict(conflict(&which));
                }
                ErrorKind::ForeignKeyViolation => return StoreError::not_found(missing),
                _ => {}
            }
        }
        self.err(e)
    }

    /// Writes an audit entry inside the caller's transaction.
    async fn write_audit(
        &self,
        conn: &mut AnyConnection,
        entry: &AuditEntry,
    ) -> Result<(), StoreError> {
        rows::insert_audit(conn, entry)
            .await?
            .map_err(|e| self.write_err(e, |_| audit_id_taken(entry), "audit entry"))
    }
}

fn audit_id_taken(entry: &AuditEntry) -> String {
    format!("an audit entry with id {} exists already", entry.id)
}

/// Maps an sqlx error to a [`StoreError`] whose message says what to check.
fn classify(e: sqlx::Error, backend: Backend, location: &str) -> StoreError {
    let unavailable = |reason: &str| StoreError::Unavailable {
        location: location.to_owned(),
        reason: reason.to_owned(),
    };
    match e {
        sqlx::Error::Io(io) => unavailable(&format!(
            "{io}; check that the database server is running and reachable at that host and port"
        )),
        sqlx::Error::PoolTimedOut => unavailable(
            "no connection became free in time; check that the database is up and not overloaded",
        ),
        sqlx::Error::PoolClosed => unavailable("the store has been closed"),
        sqlx::Error::Tls(tls) => unavailable(&format!(
            "{tls}; Keybound connects without TLS: reach PostgreSQL on a private network or local socket and set sslmode=disable"
        )),
        sqlx::Error::Configuration(config) => StoreError::InvalidUrl {
            reason: config.to_string(),
        },
        sqlx::Error::Database(db) => classify_database(db.as_ref(), backend, location),
        other => StoreError::internal(other.to_string()),
    }
}

fn classify_database(db: &dyn DatabaseError, backend: Backend, location: &str) -> StoreError {
    let unavailable = |reason: String| StoreError::Unavailable {
        location: location.to_owned(),
        reason,
    };
    let read_only = |reason: String| StoreError::ReadOnly {
        location: location.to_owned(),
        reason,
    };
    let message = db.message();
    let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
    match backend {
        Backend::Sqlite => {
            // Extended result codes carry the primary code in the low byte.
            match code.parse::<i32>().map(|c| c & 0xff) {
                Ok(13) => {
                    return unavailable(format!(
                        "{message}: the disk is full; free space on the disk that holds the database file"
                    ))
                }
                Ok(8) => {
                    return read_only(format!(
                        "{message}; check that the Keybound user can write the database file, its -wal and -shm files, and their directory"
                    ))
                }
                Ok(3 | 14) => {
                    return unavailable(format!(
                        "{message}; check that the path exists and the Keybound user can read and write the file and its directory"
                    ))
                }
                Ok(10) => {
                    return unavailable(format!(
                        "{message}: a disk input/output error; check the disk and the system log"
                    ))
                }
                Ok(5 | 6) => {
                    return unavailable(format!(
                        "{message}: another process held the database longer than the busy timeout; check that no other program keeps it open"
                    ))
                }
                Ok(11 | 26) => {
                    return unavailable(format!(
                        "{message}: the file is damaged or is not a Keybound database; restore it from a backup"
                    ))
                }
                _ => {}
            }
        }
        Backend::Postgres => {
            let reason = match code.as_str() {
                "53100" => Some("the server's disk is full; free space on the database server"),
                "53200" => Some("the server is out of memory"),
                "53300" => Some("the server has no free connection slots; raise max_connections or run fewer Keybound nodes"),
                "57P01" | "57P02" | "57P03" => Some("the server is shutting down or starting up; wait and retry"),
                "28000" | "28P01" => Some("authentication failed; check the user name and password in the database URL"),
                "3D000" => Some("the database does not exist; create it (createdb) or fix its name in the URL"),
                "42501" => Some("permission denied; grant the Keybound role rights on its schema"),
                "40001" | "40P01" => Some("a concurrent transaction conflicted; retry"),
                c if c.starts_with("08") => Some("the connection failed; check that the server is running and reachable"),
                _ => None,
            };
            if code == "25006" {
                return read_only(format!(
                    "{message}; the server accepts no writes (a standby?): point Keybound at the primary"
                ));
            }
            if let Some(reason) = reason {
                return unavailable(format!("{message}: {reason}"));
            }
        }
    }
    match db.kind() {
        ErrorKind::UniqueViolation => StoreError::conflict(format!("already exists ({message})")),
        ErrorKind::ForeignKeyViolation => StoreError::not_found("a referenced object"),
        _ => StoreError::internal(format!("database error {code}: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_parsed_and_passwords_stay_out_of_messages() {
        let t =
            parse_url("postgres://kb:s3cret@db.internal:5432/keybound?sslmode=disable").unwrap();
        assert_eq!(t.backend, Backend::Postgres);
        assert_eq!(t.location, "postgres://db.internal:5432/keybound");
        assert!(!t.location.contains("s3cret"));

        let t = parse_url("postgresql://kb@/keybound?host=/run/postgresql").unwrap();
        assert_eq!(t.location, "postgres://localhost/keybound");

        for bad in [
            "mysql://x/y",
            "sqlite::memory:",
            "sqlite://",
            "",
            "keybound.db",
        ] {
            assert!(
                matches!(parse_url(bad), Err(StoreError::InvalidUrl { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn sqlite_paths_are_encoded_for_sqlx() {
        assert_eq!(percent_encode_path("/var/lib/kb.db"), "/var/lib/kb.db");
        assert_eq!(
            percent_encode_path("/tmp/a b/50%?#.db"),
            "/tmp/a%20b/50%25%3F%23.db"
        );
        assert_eq!(percent_encode_path("/tmp/é.db"), "/tmp/%C3%A9.db");
    }
}
