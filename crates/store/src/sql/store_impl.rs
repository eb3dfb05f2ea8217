//! `impl Store for SqlStore`: every method as portable SQL.
//!
//! Shape of a security-state change: begin a write transaction, make the
//! change (its failure returns early and the dropped transaction rolls
//! back), write the audit entry, commit.

use async_trait::async_trait;
use keybound_webauthn::{CredentialId, UserHandle};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::rows::{self, flag, fold, get, page_size, Arg, Conditions};
use super::rows::{
    AUDIT_COLUMNS, CEREMONY_COLUMNS, GROUP_COLUMNS, OATH_COLUMNS, PASSKEY_COLUMNS, POLICY_COLUMNS,
    SESSION_COLUMNS, SIGNING_KEY_COLUMNS, SIGN_IN_COLUMNS, TAP_COLUMNS, TRUST_ANCHOR_COLUMNS,
    USER_COLUMNS,
};
use super::SqlStore;
use crate::error::StoreError;
use crate::ids::{GroupId, MethodId, UserId};
use crate::logs::{AuditEntry, AuditQuery, SignInEntry, SignInQuery};
use crate::records::{
    AuthMethodUse, Backend, Ceremony, CeremonyKind, DirectoryRole, Group, GroupChanges, ListQuery,
    MdsBlob, MdsBlobInfo, MethodsSummary, Page, Passkey, PasswordMethod, PolicyVersion, Purged,
    Session, SigningKey, SoftwareOathMethod, TemporaryAccessPass, TrustAnchor, User, UserChanges,
};
use crate::time::Timestamp;
use crate::Store;

/// `cols` with every column qualified by `alias` (`u.id, u.user_principal_name, …`).
fn qualified(cols: &str, alias: &str) -> String {
    cols.split(',')
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Cuts a `limit + 1` result to `limit` and makes the next token from the last item kept.
fn paginate<T>(mut items: Vec<T>, limit: i64, token: impl Fn(&T) -> String) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let more = items.len() > limit;
    items.truncate(limit);
    let next_skip_token = if more { items.last().map(token) } else { None };
    Page {
        items,
        next_skip_token,
    }
}

fn decode_all<T>(
    rows: Vec<AnyRow>,
    decode: fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    rows.iter().map(decode).collect()
}

fn user_conflict(which: &str, user: &User) -> String {
    if which.contains("upn") {
        format!(
            "a user with userPrincipalName {} exists already",
            user.user_principal_name
        )
    } else if which.contains("user_handle") {
        "a user with this WebAuthn user handle exists already".to_owned()
    } else {
        format!("a user with id {} exists already", user.id)
    }
}

fn method_conflict(which: &str, id: &MethodId) -> String {
    if which.contains("credential_id") {
        "this passkey's credential ID is registered already".to_owned()
    } else {
        format!("an authentication method with id {id} exists already")
    }
}

impl SqlStore {
    /// Records that a user's methods changed (for the registration report).
    async fn touch_methods(
        &self,
        conn: &mut sqlx::AnyConnection,
        user: &UserId,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET methods_updated_at = $2 WHERE id = $1")
            .bind(user.as_str())
            .bind(at.as_millis())
            .execute(conn)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn exists(
        &self,
        conn: &mut sqlx::AnyConnection,
        sql: &str,
        key: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(sql)
            .bind(key)
            .fetch_optional(conn)
            .await
            .map_err(|e| self.err(e))?;
        Ok(row.is_some())
    }

    async fn require_user(
        &self,
        conn: &mut sqlx::AnyConnection,
        user: &UserId,
    ) -> Result<(), StoreError> {
        if !self
            .exists(conn, "SELECT 1 FROM users WHERE id = $1", user.as_str())
            .await?
        {
            return Err(StoreError::not_found(format!("user {user}")));
        }
        Ok(())
    }

    async fn fetch_users(&self, sql: &str, key: &str) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(sql)
            .bind(key)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        decode_all(rows, rows::user)
    }

    async fn fetch_one_opt<T>(
        &self,
        sql: &str,
        key: &str,
        decode: fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let row = sqlx::query(sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(decode).transpose()
    }

    /// Deletes rows a statement selects, inside an audited transaction; `NotFound { what }` if none.
    async fn audited_delete(
        &self,
        sql: &str,
        keys: &[&str],
        what: String,
        touch: Option<&UserId>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let mut query = sqlx::query(sql);
        for key in keys {
            query = query.bind(*key);
        }
        let done = query.execute(&mut *tx).await.map_err(|e| self.err(e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(what));
        }
        if let Some(user) = touch {
            self.touch_methods(&mut tx, user, audit.activity_date_time)
                .await?;
        }
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    /// Runs an UPDATE inside an audited transaction; `NotFound { what }` if it matched nothing.
    async fn audited_update<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
        what: String,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let done = query.execute(&mut *tx).await.map_err(|e| self.err(e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(what));
        }
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn list_by_name<T>(
        &self,
        table: &str,
        columns: &str,
        has_upn: bool,
        query: &ListQuery,
        decode: fn(&AnyRow) -> Result<T, StoreError>,
        id_of: fn(&T) -> &str,
    ) -> Result<Page<T>, StoreError> {
        let mut c = Conditions::default();
        if let Some(filter) = &query.filter {
            c.name_filter(filter, "", has_upn)?;
        }
        if let Some(token) = &query.skip_token {
            let after = rows::decode_token(token)?;
            let p = c.arg(Arg::Text(after));
            c.push(format!("id > {p}"));
        }
        let limit = page_size(query.top);
        let lp = c.arg(Arg::Int(limit + 1));
        let sql = format!(
            "SELECT {columns} FROM {table}{} ORDER BY id LIMIT {lp}",
            c.where_clause()
        );
        let found = c
            .query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        let items = decode_all(found, decode)?;
        Ok(paginate(items, limit, |item| {
            rows::encode_token(id_of(item))
        }))
    }
}

#[async_trait]
impl Store for SqlStore {
    // --- Operations ---------------------------------------------------------

    fn backend(&self) -> Backend {
        self.backend
    }

    async fn health(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    async fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        if self.backend == Backend::Postgres {
            // PostgreSQL checks its own pages; a round trip shows the server is sound enough to answer.
            self.health().await?;
            return Ok(Vec::new());
        }
        let mut problems = Vec::new();
        let found = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        for row in &found {
            let line: String = row
                .try_get(0)
                .map_err(|e| StoreError::internal(e.to_string()))?;
            if line != "ok" {
                problems.push(line);
            }
        }
        let dangling = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        for row in &dangling {
            let table: String = get(row, "table")?;
            let parent: String = get(row, "parent")?;
            let rowid: Option<i64> = get(row, "rowid")?;
            problems.push(format!(
                "row {} of {table} refers to a missing row of {parent}",
                rowid.map_or_else(|| "?".to_owned(), |r| r.to_string())
            ));
        }
        Ok(problems)
    }

    async fn schema_version(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_version")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        get(&row, "v")
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    // --- Users --------------------------------------------------------------

    async fn create_user(&self, user: &User, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, user_principal_name, upn_folded, display_name, \
             display_name_folded, account_enabled, user_handle, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(user.id.as_str())
        .bind(&user.user_principal_name)
        .bind(fold(&user.user_principal_name))
        .bind(&user.display_name)
        .bind(fold(&user.display_name))
        .bind(flag(user.account_enabled))
        .bind(user.user_handle.as_bytes())
        .bind(user.created_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| self.write_err(e, |which| user_conflict(which, user), "user"))?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        self.fetch_one_opt(&sql, id.as_str(), rows::user).await
    }

    async fn get_user_by_upn(&self, upn: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE upn_folded = $1");
        self.fetch_one_opt(&sql, &fold(upn), rows::user).await
    }

    async fn get_user_by_handle(&self, handle: &UserHandle) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE user_handle = $1");
        let row = sqlx::query(&sql)
            .bind(handle.as_bytes())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(rows::user).transpose()
    }

    async fn list_users(&self, query: &ListQuery) -> Result<Page<User>, StoreError> {
        self.list_by_name("users", USER_COLUMNS, true, query, rows::user, |u| {
            u.id.as_str()
        })
        .await
    }

    async fn update_user(
        &self,
        id: &UserId,
        changes: &UserChanges,
        audit: &AuditEntry,
    ) -> Result<User, StoreError> {
        let mut c = Conditions::default();
        let mut sets = Vec::new();
        if let Some(upn) = &changes.user_principal_name {
            let (a, b) = (c.arg(Arg::Text(upn.clone())), c.arg(Arg::Text(fold(upn))));
            sets.push(format!("user_principal_name = {a}, upn_folded = {b}"));
        }
        if let Some(name) = &changes.display_name {
            let (a, b) = (c.arg(Arg::Text(name.clone())), c.arg(Arg::Text(fold(name))));
            sets.push(format!("display_name = {a}, display_name_folded = {b}"));
        }
        if let Some(enabled) = changes.account_enabled {
            let a = c.arg(Arg::Int(flag(enabled)));
            sets.push(format!("account_enabled = {a}"));
        }
        if sets.is_empty() {
            sets.push("id = id".to_owned());
        }
        let idp = c.arg(Arg::Text(id.as_str().to_owned()));
        let sql = format!(
            "UPDATE users SET {} WHERE id = {idp} RETURNING {USER_COLUMNS}",
            sets.join(", ")
        );
        let mut tx = self.begin().await?;
        let row = c.query(&sql).fetch_optional(&mut *tx).await.map_err(|e| {
            self.write_err(
                e,
                |_| {
                    format!(
                        "a user with userPrincipalName {} exists already",
                        changes.user_principal_name.as_deref().unwrap_or_default()
                    )
                },
                "user",
            )
        })?;
        let Some(row) = row else {
            return Err(StoreError::not_found(format!("user {id}")));
        };
        let user = rows::user(&row)?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(user)
    }

    async fn delete_user(&self, id: &UserId, audit: &AuditEntry) -> Result<(), StoreError> {
        // Methods, memberships, roles, sessions and ceremonies go with the
        // user through ON DELETE CASCADE, in this same transaction.
        self.audited_delete(
            "DELETE FROM users WHERE id = $1",
            &[id.as_str()],
            format!("user {id}"),
            None,
            audit,
        )
        .await
    }

    // --- Groups -------------------------------------------------------------

    async fn create_group(&self, group: &Group, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO groups (id, display_name, display_name_folded, description, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(group.id.as_str())
        .bind(&group.display_name)
        .bind(fold(&group.display_name))
        .bind(group.description.as_deref())
        .bind(group.created_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| format!("a group with id {} exists already", group.id),
                "group",
            )
        })?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn get_group(&self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let sql = format!("SELECT {GROUP_COLUMNS} FROM groups WHERE id = $1");
        self.fetch_one_opt(&sql, id.as_str(), rows::group).await
    }

    async fn list_groups(&self, query: &ListQuery) -> Result<Page<Group>, StoreError> {
        self.list_by_name("groups", GROUP_COLUMNS, false, query, rows::group, |g| {
            g.id.as_str()
        })
        .await
    }

    async fn update_group(
        &self,
        id: &GroupId,
        changes: &GroupChanges,
        audit: &AuditEntry,
    ) -> Result<Group, StoreError> {
        let mut c = Conditions::default();
        let mut sets = Vec::new();
        if let Some(name) = &changes.display_name {
            let (a, b) = (c.arg(Arg::Text(name.clone())), c.arg(Arg::Text(fold(name))));
            sets.push(format!("display_name = {a}, display_name_folded = {b}"));
        }
        match &changes.description {
            Some(Some(text)) => {
                let a = c.arg(Arg::Text(text.clone()));
                sets.push(format!("description = {a}"));
            }
            Some(None) => sets.push("description = NULL".to_owned()),
            None => {}
        }
        if sets.is_empty() {
            sets.push("id = id".to_owned());
        }
        let idp = c.arg(Arg::Text(id.as_str().to_owned()));
        let sql = format!(
            "UPDATE groups SET {} WHERE id = {idp} RETURNING {GROUP_COLUMNS}",
            sets.join(", ")
        );
        let mut tx = self.begin().await?;
        let row = c
            .query(&sql)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        let Some(row) = row else {
            return Err(StoreError::not_found(format!("group {id}")));
        };
        let group = rows::group(&row)?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(group)
    }

    async fn delete_group(&self, id: &GroupId, audit: &AuditEntry) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM groups WHERE id = $1",
            &[id.as_str()],
            format!("group {id}"),
            None,
            audit,
        )
        .await
    }

    async fn add_member(
        &self,
        group: &GroupId,
        user: &UserId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        if !self
            .exists(
                &mut tx,
                "SELECT 1 FROM groups WHERE id = $1",
                group.as_str(),
            )
            .await?
        {
            return Err(StoreError::not_found(format!("group {group}")));
        }
        self.require_user(&mut tx, user).await?;
        sqlx::query("INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)")
            .bind(group.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                self.write_err(
                    e,
                    |_| format!("user {user} is a member of group {group} already"),
                    "group or user",
                )
            })?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn remove_member(
        &self,
        group: &GroupId,
        user: &UserId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
            &[group.as_str(), user.as_str()],
            format!("membership of user {user} in group {group}"),
            None,
            audit,
        )
        .await
    }

    async fn list_members(&self, group: &GroupId) -> Result<Vec<User>, StoreError> {
        let sql = format!(
            "SELECT {} FROM users u JOIN group_members m ON m.user_id = u.id \
             WHERE m.group_id = $1 ORDER BY u.id",
            qualified(USER_COLUMNS, "u")
        );
        self.fetch_users(&sql, group.as_str()).await
    }

    async fn groups_of_user(&self, user: &UserId) -> Result<Vec<Group>, StoreError> {
        let sql = format!(
            "SELECT {} FROM groups g JOIN group_members m ON m.group_id = g.id \
             WHERE m.user_id = $1 ORDER BY g.id",
            qualified(GROUP_COLUMNS, "g")
        );
        let found = sqlx::query(&sql)
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        decode_all(found, rows::group)
    }

    // --- Directory roles ----------------------------------------------------

    async fn assign_role(
        &self,
        user: &UserId,
        role: DirectoryRole,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        self.require_user(&mut tx, user).await?;
        sqlx::query("INSERT INTO role_assignments (user_id, role) VALUES ($1, $2)")
            .bind(user.as_str())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                self.write_err(
                    e,
                    |_| format!("user {user} holds the {} role already", role.as_str()),
                    "user",
                )
            })?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn remove_role(
        &self,
        user: &UserId,
        role: DirectoryRole,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM role_assignments WHERE user_id = $1 AND role = $2",
            &[user.as_str(), role.as_str()],
            format!("the {} role of user {user}", role.as_str()),
            None,
            audit,
        )
        .await
    }

    async fn roles_of_user(&self, user: &UserId) -> Result<Vec<DirectoryRole>, StoreError> {
        let found = sqlx::query("SELECT role FROM role_assignments WHERE user_id = $1")
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        let mut roles = found
            .iter()
            .map(|row| {
                let name: String = get(row, "role")?;
                DirectoryRole::parse(&name).ok_or_else(|| {
                    StoreError::internal(format!("unknown directory role `{name}` stored"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        roles.sort();
        Ok(roles)
    }

    async fn users_with_role(&self, role: DirectoryRole) -> Result<Vec<UserId>, StoreError> {
        let found =
            sqlx::query("SELECT user_id FROM role_assignments WHERE role = $1 ORDER BY user_id")
                .bind(role.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
        found
            .iter()
            .map(|row| get(row, "user_id").map(UserId::from_db))
            .collect()
    }

    async fn count_users_with_role(&self, role: DirectoryRole) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM role_assignments WHERE role = $1")
            .bind(role.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        let n: i64 = get(&row, "n")?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    // --- Passkeys -----------------------------------------------------------

    async fn create_passkey(
        &self,
        passkey: &Passkey,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let transports = rows::to_json(&passkey.transports)?;
        let certificates = rows::certificates_json(&passkey.attestation_certificates)?;
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO passkeys (id, credential_id, user_id, display_name, created_at, \
             last_used_at, aaguid, public_key, sign_count, backup_eligible, backed_up, transports, \
             attestation_format, attestation_level, attestation_certificates, passkey_type, flagged) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(passkey.id.as_str())
        .bind(passkey.credential_id.as_bytes())
        .bind(passkey.user_id.as_str())
        .bind(&passkey.display_name)
        .bind(passkey.created_at.as_millis())
        .bind(passkey.last_used_at.map(Timestamp::as_millis))
        .bind(passkey.aaguid.as_bytes().as_slice())
        .bind(passkey.public_key.as_slice())
        .bind(i64::from(passkey.sign_count))
        .bind(flag(passkey.backup_eligible))
        .bind(flag(passkey.backed_up))
        .bind(transports)
        .bind(&passkey.attestation_format)
        .bind(passkey.attestation_level.as_str())
        .bind(certificates)
        .bind(passkey.passkey_type.as_str())
        .bind(passkey.flagged.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |which| method_conflict(which, &passkey.id),
                &format!("user {}", passkey.user_id),
            )
        })?;
        self.touch_methods(&mut tx, &passkey.user_id, audit.activity_date_time)
            .await?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn list_passkeys(&self, user: &UserId) -> Result<Vec<Passkey>, StoreError> {
        let sql = format!(
            "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at, id"
        );
        let found = sqlx::query(&sql)
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        decode_all(found, rows::passkey)
    }

    async fn get_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
    ) -> Result<Option<Passkey>, StoreError> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(user.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(rows::passkey).transpose()
    }

    async fn find_passkey(
        &self,
        credential_id: &CredentialId,
    ) -> Result<Option<Passkey>, StoreError> {
        let sql = format!("SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1");
        let row = sqlx::query(&sql)
            .bind(credential_id.as_bytes())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(rows::passkey).transpose()
    }

    async fn record_passkey_use(
        &self,
        credential_id: &CredentialId,
        sign_count: u32,
        backed_up: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE passkeys SET sign_count = $2, backed_up = $3, last_used_at = $4 \
             WHERE credential_id = $1",
        )
        .bind(credential_id.as_bytes())
        .bind(i64::from(sign_count))
        .bind(flag(backed_up))
        .bind(at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!(
                "passkey with credential ID {credential_id}"
            )));
        }
        Ok(())
    }

    async fn rename_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
        display_name: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let query =
            sqlx::query("UPDATE passkeys SET display_name = $3 WHERE user_id = $1 AND id = $2")
                .bind(user.as_str())
                .bind(id.as_str())
                .bind(display_name);
        self.audited_update(query, format!("passkey {id} of user {user}"), audit)
            .await
    }

    async fn flag_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
        note: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let query = sqlx::query("UPDATE passkeys SET flagged = $3 WHERE user_id = $1 AND id = $2")
            .bind(user.as_str())
            .bind(id.as_str())
            .bind(note);
        self.audited_update(query, format!("passkey {id} of user {user}"), audit)
            .await
    }

    async fn delete_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM passkeys WHERE user_id = $1 AND id = $2",
            &[user.as_str(), id.as_str()],
            format!("passkey {id} of user {user}"),
            Some(user),
            audit,
        )
        .await
    }

    // --- Temporary Access Passes ---------------------------------------------

    async fn create_tap(
        &self,
        tap: &TemporaryAccessPass,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM temporary_access_passes WHERE user_id = $1")
            .bind(tap.user_id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        sqlx::query(
            "INSERT INTO temporary_access_passes (id, user_id, phc_hash, created_at, start_at, \
             lifetime_minutes, usable_once, used_at, failed_attempts) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(tap.id.as_str())
        .bind(tap.user_id.as_str())
        .bind(&tap.phc_hash)
        .bind(tap.created_at.as_millis())
        .bind(tap.start_at.as_millis())
        .bind(tap.lifetime_minutes)
        .bind(flag(tap.usable_once))
        .bind(tap.used_at.map(Timestamp::as_millis))
        .bind(tap.failed_attempts)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |which| method_conflict(which, &tap.id),
                &format!("user {}", tap.user_id),
            )
        })?;
        self.touch_methods(&mut tx, &tap.user_id, audit.activity_date_time)
            .await?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn get_tap(&self, user: &UserId) -> Result<Option<TemporaryAccessPass>, StoreError> {
        let sql = format!("SELECT {TAP_COLUMNS} FROM temporary_access_passes WHERE user_id = $1");
        self.fetch_one_opt(&sql, user.as_str(), rows::tap).await
    }

    async fn consume_tap(
        &self,
        id: &MethodId,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<Option<TemporaryAccessPass>, StoreError> {
        // One statement decides and spends: the row lock (PostgreSQL) or the
        // write lock (SQLite) makes concurrent callers see the first one's
        // `used_at`, so only one of them matches. Reusable passes keep
        // `used_at` NULL.
        let sql = format!(
            "UPDATE temporary_access_passes \
             SET used_at = CASE WHEN usable_once = 1 THEN $2 ELSE used_at END \
             WHERE id = $1 AND used_at IS NULL AND start_at <= $2 \
             AND $2 < start_at + lifetime_minutes * 60000 \
             RETURNING {TAP_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(now.as_millis())
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        let Some(row) = row else {
            return Ok(None);
        };
        let tap = rows::tap(&row)?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(Some(tap))
    }

    async fn record_tap_failure(&self, id: &MethodId) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "UPDATE temporary_access_passes SET failed_attempts = failed_attempts + 1 \
             WHERE id = $1 RETURNING failed_attempts",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        match row {
            Some(row) => get(&row, "failed_attempts"),
            None => Err(StoreError::not_found(format!("Temporary Access Pass {id}"))),
        }
    }

    async fn delete_tap(
        &self,
        user: &UserId,
        id: &MethodId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM temporary_access_passes WHERE user_id = $1 AND id = $2",
            &[user.as_str(), id.as_str()],
            format!("Temporary Access Pass {id} of user {user}"),
            Some(user),
            audit,
        )
        .await
    }

    // --- Passwords ----------------------------------------------------------

    async fn set_password(
        &self,
        password: &PasswordMethod,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO password_methods (user_id, phc_hash, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE \
             SET phc_hash = excluded.phc_hash, created_at = excluded.created_at",
        )
        .bind(password.user_id.as_str())
        .bind(&password.phc_hash)
        .bind(password.created_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| "the password changed concurrently".to_owned(),
                &format!("user {}", password.user_id),
            )
        })?;
        self.touch_methods(&mut tx, &password.user_id, audit.activity_date_time)
            .await?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn get_password(&self, user: &UserId) -> Result<Option<PasswordMethod>, StoreError> {
        self.fetch_one_opt(
            "SELECT user_id, phc_hash, created_at FROM password_methods WHERE user_id = $1",
            user.as_str(),
            rows::password,
        )
        .await
    }

    async fn remove_password(&self, user: &UserId, audit: &AuditEntry) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM password_methods WHERE user_id = $1",
            &[user.as_str()],
            format!("password of user {user}"),
            Some(user),
            audit,
        )
        .await
    }

    // --- Software OATH tokens -------------------------------------------------

    async fn create_software_oath(
        &self,
        method: &SoftwareOathMethod,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO software_oath_methods (id, user_id, secret, created_at, last_used_step) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(method.id.as_str())
        .bind(method.user_id.as_str())
        .bind(method.secret.as_slice())
        .bind(method.created_at.as_millis())
        .bind(method.last_used_step)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |which| method_conflict(which, &method.id),
                &format!("user {}", method.user_id),
            )
        })?;
        self.touch_methods(&mut tx, &method.user_id, audit.activity_date_time)
            .await?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn list_software_oath(
        &self,
        user: &UserId,
    ) -> Result<Vec<SoftwareOathMethod>, StoreError> {
        let sql = format!(
            "SELECT {OATH_COLUMNS} FROM software_oath_methods WHERE user_id = $1 \
             ORDER BY created_at, id"
        );
        let found = sqlx::query(&sql)
            .bind(user.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        decode_all(found, rows::oath)
    }

    async fn delete_software_oath(
        &self,
        user: &UserId,
        id: &MethodId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM software_oath_methods WHERE user_id = $1 AND id = $2",
            &[user.as_str(), id.as_str()],
            format!("software OATH token {id} of user {user}"),
            Some(user),
            audit,
        )
        .await
    }

    async fn advance_oath_step(&self, id: &MethodId, step: i64) -> Result<bool, StoreError> {
        // Compare-and-set in one statement: a step at or before the last
        // accepted one matches nothing.
        let done = sqlx::query(
            "UPDATE software_oath_methods SET last_used_step = $2 \
             WHERE id = $1 AND last_used_step < $2",
        )
        .bind(id.as_str())
        .bind(step)
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        if done.rows_affected() > 0 {
            return Ok(true);
        }
        let exists = self
            .fetch_one_opt(
                "SELECT 1 AS present FROM software_oath_methods WHERE id = $1",
                id.as_str(),
                |_| Ok(()),
            )
            .await?;
        match exists {
            Some(()) => Ok(false),
            None => Err(StoreError::not_found(format!("software OATH token {id}"))),
        }
    }

    // --- Registration report ------------------------------------------------

    async fn methods_summary(&self, query: &ListQuery) -> Result<Page<MethodsSummary>, StoreError> {
        let mut c = Conditions::default();
        if let Some(filter) = &query.filter {
            c.name_filter(filter, "u.", true)?;
        }
        if let Some(token) = &query.skip_token {
            let after = rows::decode_token(token)?;
            let p = c.arg(Arg::Text(after));
            c.push(format!("u.id > {p}"));
        }
        let limit = page_size(query.top);
        let lp = c.arg(Arg::Int(limit + 1));
        let sql = format!(
            "SELECT u.id, u.user_principal_name, u.display_name, u.account_enabled, \
             COALESCE(u.methods_updated_at, u.created_at) AS last_updated, \
             (SELECT COUNT(*) FROM password_methods p WHERE p.user_id = u.id) AS passwords, \
             (SELECT COUNT(*) FROM software_oath_methods o WHERE o.user_id = u.id) AS oath, \
             (SELECT COUNT(*) FROM temporary_access_passes t WHERE t.user_id = u.id) AS taps, \
             (SELECT COUNT(*) FROM role_assignments r WHERE r.user_id = u.id) AS roles \
             FROM users u{} ORDER BY u.id LIMIT {lp}",
            c.where_clause()
        );
        let found = c
            .query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        let mut summaries = found
            .iter()
            .map(|row| {
                Ok(MethodsSummary {
                    user_id: UserId::from_db(get(row, "id")?),
                    user_principal_name: get(row, "user_principal_name")?,
                    display_name: get(row, "display_name")?,
                    account_enabled: get::<i64>(row, "account_enabled")? != 0,
                    is_admin: get::<i64>(row, "roles")? > 0,
                    passkeys: Vec::new(),
                    has_password: get::<i64>(row, "passwords")? > 0,
                    software_oath_count: u32::try_from(get::<i64>(row, "oath")?)
                        .unwrap_or(u32::MAX),
                    has_temporary_access_pass: get::<i64>(row, "taps")? > 0,
                    last_updated: Timestamp::from_millis(get(row, "last_updated")?),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let keep = usize::try_from(limit).unwrap_or(usize::MAX);
        if !summaries.is_empty() {
            let ids: Vec<String> = summaries
                .iter()
                .take(keep)
                .map(|s| s.user_id.as_str().to_owned())
                .collect();
            let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, user_id, aaguid, passkey_type, attestation_level FROM passkeys \
                 WHERE user_id IN ({}) ORDER BY created_at, id",
                placeholders.join(", ")
            );
            let mut passkeys = sqlx::query(&sql);
            for id in ids {
                passkeys = passkeys.bind(id);
            }
            let found = passkeys
                .fetch_all(&self.pool)
                .await
                .map_err(|e| self.err(e))?;
            for row in &found {
                let owner: String = get(row, "user_id")?;
                let summary = rows::passkey_summary(row)?;
                if let Some(s) = summaries.iter_mut().find(|s| s.user_id.as_str() == owner) {
                    s.passkeys.push(summary);
                }
            }
        }
        Ok(paginate(summaries, limit, |s| {
            rows::encode_token(s.user_id.as_str())
        }))
    }

    // --- Authentication-methods policy --------------------------------------

    async fn current_policy(&self) -> Result<Option<PolicyVersion>, StoreError> {
        let sql =
            format!("SELECT {POLICY_COLUMNS} FROM policy_versions ORDER BY version DESC LIMIT 1");
        let row = sqlx::query(&sql)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(rows::policy).transpose()
    }

    async fn save_policy(
        &self,
        expected_etag: Option<&str>,
        json: &str,
        author: &str,
        audit: &AuditEntry,
    ) -> Result<PolicyVersion, StoreError> {
        let etag = uuid::Uuid::new_v4().simple().to_string();
        let mut tx = self.begin().await?;
        // The head row is the compare-and-set point: with an expected ETag
        // only a head still carrying it advances; concurrent savers queue on
        // its lock and then find the ETag changed.
        let head = match expected_etag {
            Some(expected) => sqlx::query(
                "UPDATE policy_head SET version = version + 1, etag = $1 \
                 WHERE id = 1 AND etag = $2 RETURNING version",
            )
            .bind(&etag)
            .bind(expected)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.err(e))?,
            None => Some(
                sqlx::query(
                    "INSERT INTO policy_head (id, version, etag) VALUES (1, 1, $1) \
                     ON CONFLICT (id) DO UPDATE \
                     SET version = policy_head.version + 1, etag = excluded.etag \
                     RETURNING version",
                )
                .bind(&etag)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| self.err(e))?,
            ),
        };
        let Some(head) = head else {
            return Err(StoreError::conflict(format!(
                "the policy changed since it was read (ETag {} is no longer current); read it again and reapply the change",
                expected_etag.unwrap_or_default()
            )));
        };
        let version: i64 = get(&head, "version")?;
        let saved = PolicyVersion {
            version,
            json: json.to_owned(),
            etag,
            created_at: audit.activity_date_time,
            author: author.to_owned(),
        };
        sqlx::query(
            "INSERT INTO policy_versions (version, json, etag, created_at, author) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(saved.version)
        .bind(&saved.json)
        .bind(&saved.etag)
        .bind(saved.created_at.as_millis())
        .bind(&saved.author)
        .execute(&mut *tx)
        .await
        .map_err(|e| self.err(e))?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await?;
        Ok(saved)
    }

    async fn policy_versions(&self) -> Result<Vec<PolicyVersion>, StoreError> {
        let sql = format!("SELECT {POLICY_COLUMNS} FROM policy_versions ORDER BY version");
        let found = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        decode_all(found, rows::policy)
    }

    async fn policy_version(&self, version: i64) -> Result<Option<PolicyVersion>, StoreError> {
        let sql = format!("SELECT {POLICY_COLUMNS} FROM policy_versions WHERE version = $1");
        let row = sqlx::query(&sql)
            .bind(version)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(rows::policy).transpose()
    }

    // --- Pending WebAuthn ceremonies ---------------------------------------------

    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO ceremonies (challenge, kind, user_id, session_id, state_json, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(ceremony.challenge.as_slice())
        .bind(ceremony.kind.as_str())
        .bind(ceremony.user_id.as_ref().map(UserId::as_str))
        .bind(ceremony.session_id.as_deref())
        .bind(&ceremony.state_json)
        .bind(ceremony.expires_at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| "a ceremony with this challenge is pending already".to_owned(),
                "user",
            )
        })?;
        Ok(())
    }

    async fn take_ceremony(
        &self,
        challenge: &[u8],
        kind: CeremonyKind,
        now: Timestamp,
    ) -> Result<Option<Ceremony>, StoreError> {
        let sql = format!(
            "DELETE FROM ceremonies WHERE challenge = $1 AND kind = $2 RETURNING {CEREMONY_COLUMNS}"
        );
        let mut tx = self.begin().await?;
        let row = sqlx::query(&sql)
            .bind(challenge)
            .bind(kind.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        sqlx::query("DELETE FROM ceremonies WHERE expires_at <= $1")
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        self.commit(tx).await?;
        let ceremony = row.as_ref().map(rows::ceremony).transpose()?;
        Ok(ceremony.filter(|c| now < c.expires_at))
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<Purged, StoreError> {
        let mut tx = self.begin().await?;
        let ceremonies = sqlx::query("DELETE FROM ceremonies WHERE expires_at <= $1")
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?
            .rows_affected();
        let sessions = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?
            .rows_affected();
        self.commit(tx).await?;
        Ok(Purged {
            ceremonies,
            sessions,
        })
    }

    // --- Sessions -----------------------------------------------------------

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let methods = rows::to_json(&session.auth_methods)?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, created_at, expires_at, auth_methods, \
             csrf_token_hash) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.id_hash.as_slice())
        .bind(session.user_id.as_str())
        .bind(session.created_at.as_millis())
        .bind(session.expires_at.as_millis())
        .bind(methods)
        .bind(session.csrf_token_hash.as_slice())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| "a session with this id exists already".to_owned(),
                &format!("user {}", session.user_id),
            )
        })?;
        Ok(())
    }

    async fn get_session(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1 AND expires_at > $2"
        );
        let row = sqlx::query(&sql)
            .bind(id_hash)
            .bind(now.as_millis())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        row.as_ref().map(rows::session).transpose()
    }

    async fn update_session(
        &self,
        id_hash: &[u8],
        auth_methods: &[AuthMethodUse],
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        let methods = rows::to_json(&auth_methods)?;
        let done = sqlx::query(
            "UPDATE sessions SET auth_methods = $2, expires_at = $3 WHERE id_hash = $1",
        )
        .bind(id_hash)
        .bind(methods)
        .bind(expires_at.as_millis())
        .execute(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("session"));
        }
        Ok(())
    }

    async fn delete_session(&self, id_hash: &[u8]) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(done.rows_affected() > 0)
    }

    async fn delete_user_sessions(&self, user: &UserId) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        Ok(done.rows_affected())
    }

    // --- Signing keys ---------------------------------------------------------

    async fn list_signing_keys(&self) -> Result<Vec<SigningKey>, StoreError> {
        let sql = format!(
            "SELECT {SIGNING_KEY_COLUMNS} FROM signing_keys ORDER BY created_at DESC, kid DESC"
        );
        let found = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        decode_all(found, rows::signing_key)
    }

    async fn add_signing_key(
        &self,
        key: &SigningKey,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, private_key, created_at, retired_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&key.kid)
        .bind(&key.algorithm)
        .bind(key.private_key.as_slice())
        .bind(key.created_at.as_millis())
        .bind(key.retired_at.map(Timestamp::as_millis))
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| format!("a signing key with kid {} exists already", key.kid),
                "signing key",
            )
        })?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn retire_signing_key(
        &self,
        kid: &str,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE signing_keys SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL",
        )
        .bind(kid)
        .bind(at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| self.err(e))?;
        if done.rows_affected() == 0 {
            if self
                .exists(&mut tx, "SELECT 1 FROM signing_keys WHERE kid = $1", kid)
                .await?
            {
                return Err(StoreError::conflict(format!(
                    "signing key {kid} is retired already"
                )));
            }
            return Err(StoreError::not_found(format!("signing key {kid}")));
        }
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn delete_signing_key(&self, kid: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM signing_keys WHERE kid = $1",
            &[kid],
            format!("signing key {kid}"),
            None,
            audit,
        )
        .await
    }

    // --- Attestation trust ------------------------------------------------------

    async fn add_trust_anchor(
        &self,
        anchor: &TrustAnchor,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO trust_anchors (id, kind, der, subject, added_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&anchor.id)
        .bind(anchor.kind.as_str())
        .bind(anchor.der.as_slice())
        .bind(&anchor.subject)
        .bind(anchor.added_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| format!("a trust anchor with id {} exists already", anchor.id),
                "trust anchor",
            )
        })?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn list_trust_anchors(&self) -> Result<Vec<TrustAnchor>, StoreError> {
        let sql = format!("SELECT {TRUST_ANCHOR_COLUMNS} FROM trust_anchors ORDER BY added_at, id");
        let found = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        decode_all(found, rows::trust_anchor)
    }

    async fn remove_trust_anchor(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError> {
        self.audited_delete(
            "DELETE FROM trust_anchors WHERE id = $1",
            &[id],
            format!("trust anchor {id}"),
            None,
            audit,
        )
        .await
    }

    async fn add_mds_blob(&self, blob: &MdsBlob, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO mds_blobs (number, next_update, json, loaded_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(blob.number)
        .bind(blob.next_update.as_millis())
        .bind(&blob.json)
        .bind(blob.loaded_at.as_millis())
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| format!("MDS BLOB number {} is loaded already", blob.number),
                "MDS BLOB",
            )
        })?;
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    async fn list_mds_blobs(&self) -> Result<Vec<MdsBlobInfo>, StoreError> {
        let found = sqlx::query(
            "SELECT number, next_update, loaded_at FROM mds_blobs ORDER BY number DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        found
            .iter()
            .map(|row| {
                Ok(MdsBlobInfo {
                    number: get(row, "number")?,
                    next_update: Timestamp::from_millis(get(row, "next_update")?),
                    loaded_at: Timestamp::from_millis(get(row, "loaded_at")?),
                })
            })
            .collect()
    }

    async fn latest_mds_blob(&self) -> Result<Option<MdsBlob>, StoreError> {
        let row = sqlx::query(
            "SELECT number, next_update, json, loaded_at FROM mds_blobs \
             ORDER BY number DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await
        .map_err(|e| self.err(e))?;
        row.map(|row| {
            Ok(MdsBlob {
                number: get(&row, "number")?,
                next_update: Timestamp::from_millis(get(&row, "next_update")?),
                json: get(&row, "json")?,
                loaded_at: Timestamp::from_millis(get(&row, "loaded_at")?),
            })
        })
        .transpose()
    }

    async fn remove_mds_blob(&self, number: i64, audit: &AuditEntry) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let done = sqlx::query("DELETE FROM mds_blobs WHERE number = $1")
            .bind(number)
            .execute(&mut *tx)
            .await
            .map_err(|e| self.err(e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("MDS BLOB number {number}")));
        }
        self.write_audit(&mut tx, audit).await?;
        self.commit(tx).await
    }

    // --- Logs ---------------------------------------------------------------

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(|e| self.err(e))?;
        self.write_audit(&mut conn, entry).await
    }

    async fn get_audit(&self, id: &str) -> Result<Option<AuditEntry>, StoreError> {
        let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE id = $1");
        self.fetch_one_opt(&sql, id, rows::audit).await
    }

    async fn query_audit(&self, query: &AuditQuery) -> Result<Page<AuditEntry>, StoreError> {
        let mut c = Conditions::default();
        if let Some(name) = &query.activity_display_name {
            let p = c.arg(Arg::Text(name.clone()));
            c.push(format!("activity_display_name = {p}"));
        }
        if let Some(result) = query.result {
            let p = c.arg(Arg::Text(result.as_str().to_owned()));
            c.push(format!("result = {p}"));
        }
        if let Some(from) = query.from {
            let p = c.arg(Arg::Int(from.as_millis()));
            c.push(format!("activity_date_time >= {p}"));
        }
        if let Some(to) = query.to {
            let p = c.arg(Arg::Int(to.as_millis()));
            c.push(format!("activity_date_time <= {p}"));
        }
        if let Some(token) = &query.skip_token {
            let (at, id) = rows::decode_time_token(token)?;
            let (a, b) = (c.arg(Arg::Int(at)), c.arg(Arg::Text(id)));
            c.push(format!("(activity_date_time, id) < ({a}, {b})"));
        }
        let limit = page_size(query.top);
        let lp = c.arg(Arg::Int(limit + 1));
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log{} \
             ORDER BY activity_date_time DESC, id DESC LIMIT {lp}",
            c.where_clause()
        );
        let found = c
            .query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        let items = decode_all(found, rows::audit)?;
        Ok(paginate(items, limit, |e| {
            rows::encode_time_token(e.activity_date_time, &e.id)
        }))
    }

    async fn append_sign_in(&self, entry: &SignInEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sign_ins (id, created_at, user_id, user_principal_name, upn_folded, \
             app_id, ip, error_code, failure_reason, authentication_method, aaguid, \
             credential_id, correlation_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(&entry.id)
        .bind(entry.created_at.as_millis())
        .bind(entry.user_id.as_deref())
        .bind(entry.user_principal_name.as_deref())
        .bind(entry.user_principal_name.as_deref().map(fold))
        .bind(entry.app_id.as_deref())
        .bind(entry.ip.as_deref())
        .bind(entry.status.error_code)
        .bind(entry.status.failure_reason.as_deref())
        .bind(entry.authentication_method.as_deref())
        .bind(entry.aaguid.map(|a| a.as_bytes().to_vec()))
        .bind(entry.credential_id.as_ref().map(|c| c.as_bytes().to_vec()))
        .bind(entry.correlation_id.as_deref())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            self.write_err(
                e,
                |_| format!("a sign-in entry with id {} exists already", entry.id),
                "sign-in entry",
            )
        })?;
        Ok(())
    }

    async fn query_sign_ins(&self, query: &SignInQuery) -> Result<Page<SignInEntry>, StoreError> {
        let mut c = Conditions::default();
        if let Some(user) = &query.user_id {
            let p = c.arg(Arg::Text(user.clone()));
            c.push(format!("user_id = {p}"));
        }
        if let Some(upn) = &query.user_principal_name {
            let p = c.arg(Arg::Text(fold(upn)));
            c.push(format!("upn_folded = {p}"));
        }
        if let Some(code) = query.error_code {
            let p = c.arg(Arg::Int(code));
            c.push(format!("error_code = {p}"));
        }
        if let Some(from) = query.from {
            let p = c.arg(Arg::Int(from.as_millis()));
            c.push(format!("created_at >= {p}"));
        }
        if let Some(to) = query.to {
            let p = c.arg(Arg::Int(to.as_millis()));
            c.push(format!("created_at <= {p}"));
        }
        if let Some(token) = &query.skip_token {
            let (at, id) = rows::decode_time_token(token)?;
            let (a, b) = (c.arg(Arg::Int(at)), c.arg(Arg::Text(id)));
            c.push(format!("(created_at, id) < ({a}, {b})"));
        }
        let limit = page_size(query.top);
        let lp = c.arg(Arg::Int(limit + 1));
        let sql = format!(
            "SELECT {SIGN_IN_COLUMNS} FROM sign_ins{} ORDER BY created_at DESC, id DESC LIMIT {lp}",
            c.where_clause()
        );
        let found = c
            .query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.err(e))?;
        let items = decode_all(found, rows::sign_in)?;
        Ok(paginate(items, limit, |e| {
            rows::encode_time_token(e.created_at, &e.id)
        }))
    }
}
