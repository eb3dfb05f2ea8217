//! Numbered migrations, embedded per backend, applied forward in one
//! transaction; a database newer than this binary is refused untouched.

use sqlx::AnyConnection;
use sqlx::{Connection, Row};

use crate::error::StoreError;
use crate::records::Backend;

/// One schema step. Versions are 1, 2, 3, … with no gaps; DDL differs per
/// backend only where the databases do (BLOB/BYTEA, STRICT tables).
struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "initial",
    sqlite: include_str!("../../migrations/sqlite/0001_initial.sql"),
    postgres: include_str!("../../migrations/postgres/0001_initial.sql"),
}];

/// The newest schema version this binary knows.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) enum MigrateError {
    Database(sqlx::Error),
    TooNew { found: i64 },
    NotWal { mode: String },
}

impl From<sqlx::Error> for MigrateError {
    fn from(e: sqlx::Error) -> Self {
        MigrateError::Database(e)
    }
}

impl MigrateError {
    pub(super) fn into_store_error(self, backend: Backend, location: &str) -> StoreError {
        match self {
            MigrateError::Database(e) => super::classify(e, backend, location),
            MigrateError::TooNew { found } => StoreError::DatabaseTooNew {
                found,
                supported: SCHEMA_VERSION,
            },
            MigrateError::NotWal { mode } => StoreError::Unavailable {
                location: location.to_owned(),
                reason: format!(
                    "SQLite kept journal mode `{mode}` instead of switching to WAL; \
                     put the database on a local file system that supports shared memory"
                ),
            },
        }
    }
}

/// Brings the database to [`SCHEMA_VERSION`] on a dedicated connection.
pub(super) async fn run(conn: &mut AnyConnection, backend: Backend) -> Result<(), MigrateError> {
    if backend == Backend::Sqlite {
        // Persistent in the file; lets readers proceed while one writer writes.
        let row = sqlx::query("PRAGMA journal_mode = WAL")
            .fetch_one(&mut *conn)
            .await?;
        let mode: String = row.try_get(0)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(MigrateError::NotWal { mode });
        }
    }
    let mut tx = match backend {
        // Take the write lock up front so two processes cannot both migrate.
        Backend::Sqlite => conn.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => conn.begin().await?,
    };
    if backend == Backend::Postgres {
        // Several nodes may start at once: one migrates, the others wait and then see it done.
        sqlx::query(
            "SELECT pg_advisory_xact_lock(hashtext('keybound-migrate:' || current_schema()))",
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, name TEXT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let found: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
        .fetch_one(&mut *tx)
        .await?
        .try_get("v")?;
    if found > SCHEMA_VERSION {
        // Dropping the transaction rolls it back: nothing is touched.
        return Err(MigrateError::TooNew { found });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        let ddl = match backend {
            Backend::Sqlite => migration.sqlite,
            Backend::Postgres => migration.postgres,
        };
        sqlx::raw_sql(ddl).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_version (version, name) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(migration.name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_count_up_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "migration {}", m.name);
        }
    }

    /// `(table, column)` pairs and index names declared by a DDL script.
    fn shape(ddl: &str) -> (Vec<(String, String)>, Vec<String>) {
        let mut columns = Vec::new();
        let mut indexes = Vec::new();
        let mut table = None;
        for line in ddl.lines().map(str::trim) {
            if line.starts_with("--") || line.is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                table = rest.split_whitespace().next().map(str::to_owned);
            } else if line.starts_with("CREATE INDEX ") {
                indexes.push(line.to_owned());
            } else if line.starts_with(')') {
                table = None;
            } else if let Some(table) = &table {
                let first = line.split_whitespace().next().unwrap_or_default();
                if !matches!(first, "PRIMARY" | "REFERENCES" | "CONSTRAINT") {
                    columns.push((table.clone(), first.to_owned()));
                }
            }
        }
        (columns, indexes)
    }

    #[test]
    fn both_backends_declare_the_same_tables_columns_and_indexes() {
        for m in MIGRATIONS {
            let (sqlite, postgres) = (shape(m.sqlite), shape(m.postgres));
            assert!(
                !sqlite.0.is_empty(),
                "migration {} declares no columns",
                m.name
            );
            assert_eq!(
                sqlite, postgres,
                "migration {} differs between backends",
                m.name
            );
        }
    }
}
