//! The interface: one trait, used as `Arc<dyn Store>`.

use async_trait::async_trait;
use keybound_webauthn::{CredentialId, UserHandle};

use crate::error::StoreError;
use crate::ids::{GroupId, MethodId, UserId};
use crate::logs::{AuditEntry, AuditQuery, SignInEntry, SignInQuery};
use crate::records::{
    AuthMethodUse, Backend, Ceremony, CeremonyKind, DirectoryRole, Group, GroupChanges, ListQuery,
    MdsBlob, MdsBlobInfo, MethodsSummary, Page, Passkey, PasswordMethod, PolicyVersion, Purged,
    Session, SigningKey, SoftwareOathMethod, TemporaryAccessPass, TrustAnchor, User, UserChanges,
};
use crate::time::Timestamp;

/// Keybound's persistence.
///
/// Rules every implementation keeps:
///
/// - A method that takes an [`AuditEntry`] changes security state and writes
///   that entry in the same transaction: both are stored or neither (a
///   refused change — duplicate name, missing object — writes nothing).
/// - Times come from the caller; the store reads no clock.
/// - Secrets arrive already hashed (PHC strings) or encrypted by the caller.
/// - Errors are [`StoreError`]s; nothing panics.
#[async_trait]
pub trait Store: Send + Sync {
    // --- Operations ---------------------------------------------------------

    /// Which database this is.
    fn backend(&self) -> Backend;

    /// Whether the database answers (for `/readyz`).
    async fn health(&self) -> Result<(), StoreError>;

    /// Problems found by SQLite's `PRAGMA integrity_check` and
    /// `foreign_key_check` (PostgreSQL: a round trip); empty when healthy.
    async fn integrity_check(&self) -> Result<Vec<String>, StoreError>;

    /// The schema version the database is at.
    async fn schema_version(&self) -> Result<i64, StoreError>;

    /// Closes every connection; later calls fail with `Unavailable`.
    async fn close(&self);

    // --- Users --------------------------------------------------------------

    /// Adds a user. `Conflict` if the userPrincipalName (ignoring case), the
    /// user handle or the id is taken.
    async fn create_user(&self, user: &User, audit: &AuditEntry) -> Result<(), StoreError>;

    /// The user with this id.
    async fn get_user(&self, id: &UserId) -> Result<Option<User>, StoreError>;

    /// The user with this userPrincipalName, ignoring case.
    async fn get_user_by_upn(&self, upn: &str) -> Result<Option<User>, StoreError>;

    /// The user with this WebAuthn user handle (usernameless sign-in).
    async fn get_user_by_handle(&self, handle: &UserHandle) -> Result<Option<User>, StoreError>;

    /// A page of users ordered by id, optionally filtered by name.
    async fn list_users(&self, query: &ListQuery) -> Result<Page<User>, StoreError>;

    /// Changes a user and returns it as stored. `NotFound`, or `Conflict` on a taken userPrincipalName.
    async fn update_user(
        &self,
        id: &UserId,
        changes: &UserChanges,
        audit: &AuditEntry,
    ) -> Result<User, StoreError>;

    /// Deletes a user with their methods, memberships, roles, sessions and
    /// pending ceremonies.
    async fn delete_user(&self, id: &UserId, audit: &AuditEntry) -> Result<(), StoreError>;

    // --- Groups -------------------------------------------------------------

    /// Adds a group. `Conflict` if the id is taken.
    async fn create_group(&self, group: &Group, audit: &AuditEntry) -> Result<(), StoreError>;

    /// The group with this id.
    async fn get_group(&self, id: &GroupId) -> Result<Option<Group>, StoreError>;

    /// A page of groups ordered by id, optionally filtered by display name.
    async fn list_groups(&self, query: &ListQuery) -> Result<Page<Group>, StoreError>;

    /// Changes a group and returns it as stored.
    async fn update_group(
        &self,
        id: &GroupId,
        changes: &GroupChanges,
        audit: &AuditEntry,
    ) -> Result<Group, StoreError>;

    /// Deletes a group and its memberships.
    async fn delete_group(&self, id: &GroupId, audit: &AuditEntry) -> Result<(), StoreError>;

    /// Makes a user a member. `NotFound` for a missing group or user, `Conflict` if already a member.
    async fn add_member(
        &self,
        group: &GroupId,
        user: &UserId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Ends a membership. `NotFound` if there was none.
    async fn remove_member(
        &self,
        group: &GroupId,
        user: &UserId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// The group's members, ordered by id.
    async fn list_members(&self, group: &GroupId) -> Result<Vec<User>, StoreError>;

    /// The groups a user belongs to, ordered by id (policy targets are groups).
    async fn groups_of_user(&self, user: &UserId) -> Result<Vec<Group>, StoreError>;

    // --- Directory roles ----------------------------------------------------

    /// Gives a user a role. `NotFound` for a missing user, `Conflict` if already held.
    async fn assign_role(
        &self,
        user: &UserId,
        role: DirectoryRole,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Takes a role away. `NotFound` if not held.
    async fn remove_role(
        &self,
        user: &UserId,
        role: DirectoryRole,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// The roles a user holds.
    async fn roles_of_user(&self, user: &UserId) -> Result<Vec<DirectoryRole>, StoreError>;

    /// The users holding a role, ordered by id.
    async fn users_with_role(&self, role: DirectoryRole) -> Result<Vec<UserId>, StoreError>;

    /// How many users hold a role (to refuse removing the last Global Administrator).
    async fn count_users_with_role(&self, role: DirectoryRole) -> Result<u64, StoreError>;

    // --- Passkeys -----------------------------------------------------------

    /// Registers a passkey. `Conflict` if the credential ID is registered
    /// already (to anyone), `NotFound` for a missing user.
    async fn create_passkey(&self, passkey: &Passkey, audit: &AuditEntry)
        -> Result<(), StoreError>;

    /// A user's passkeys, oldest first.
    async fn list_passkeys(&self, user: &UserId) -> Result<Vec<Passkey>, StoreError>;

    /// One of a user's passkeys.
    async fn get_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
    ) -> Result<Option<Passkey>, StoreError>;

    /// The passkey with this credential ID, whoever owns it: the sign-in
    /// lookup, one indexed query.
    async fn find_passkey(
        &self,
        credential_id: &CredentialId,
    ) -> Result<Option<Passkey>, StoreError>;

    /// Records a successful sign-in's counter, backup state and time (one
    /// UPDATE, no audit entry: the sign-in log records it).
    async fn record_passkey_use(
        &self,
        credential_id: &CredentialId,
        sign_count: u32,
        backed_up: bool,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Renames one of a user's passkeys.
    async fn rename_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
        display_name: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Notes something odd about a passkey (counter regression, BE change).
    async fn flag_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
        note: &str,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Deletes one of a user's passkeys.
    async fn delete_passkey(
        &self,
        user: &UserId,
        id: &MethodId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    // --- Temporary Access Passes ---------------------------------------------

    /// Issues a pass, replacing the user's previous one (one per user).
    async fn create_tap(
        &self,
        tap: &TemporaryAccessPass,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// The user's pass, usable or not (see [`TemporaryAccessPass::usability`]).
    async fn get_tap(&self, user: &UserId) -> Result<Option<TemporaryAccessPass>, StoreError>;

    /// Uses a pass whose code the caller has verified: returns it if it is
    /// usable at `now` (and, for a one-time pass, marks it spent in the same
    /// statement, so of concurrent calls exactly one succeeds), writing the
    /// audit entry; `None` (and no audit entry) if it is spent, expired, not
    /// yet valid or gone.
    async fn consume_tap(
        &self,
        id: &MethodId,
        now: Timestamp,
        audit: &AuditEntry,
    ) -> Result<Option<TemporaryAccessPass>, StoreError>;

    /// Counts a wrong code against a pass; returns the new count. No audit
    /// entry: the sign-in log records failures.
    async fn record_tap_failure(&self, id: &MethodId) -> Result<i64, StoreError>;

    /// Deletes a user's pass.
    async fn delete_tap(
        &self,
        user: &UserId,
        id: &MethodId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    // --- Passwords ----------------------------------------------------------

    /// Sets (or replaces) a user's password hash.
    async fn set_password(
        &self,
        password: &PasswordMethod,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// A user's password hash.
    async fn get_password(&self, user: &UserId) -> Result<Option<PasswordMethod>, StoreError>;

    /// Removes a user's password. `NotFound` if there was none.
    async fn remove_password(&self, user: &UserId, audit: &AuditEntry) -> Result<(), StoreError>;

    // --- Software OATH tokens -------------------------------------------------

    /// Adds a software OATH token.
    async fn create_software_oath(
        &self,
        method: &SoftwareOathMethod,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// A user's software OATH tokens, oldest first.
    async fn list_software_oath(
        &self,
        user: &UserId,
    ) -> Result<Vec<SoftwareOathMethod>, StoreError>;

    /// Deletes one of a user's software OATH tokens.
    async fn delete_software_oath(
        &self,
        user: &UserId,
        id: &MethodId,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Accepts time step `step` for a token if it is later than the last
    /// accepted one (an atomic compare-and-set): `false` means a replay.
    /// `NotFound` if the token is gone.
    async fn advance_oath_step(&self, id: &MethodId, step: i64) -> Result<bool, StoreError>;

    // --- Registration report ------------------------------------------------

    /// Per user, which methods they hold: a page ordered by user id.
    async fn methods_summary(&self, query: &ListQuery) -> Result<Page<MethodsSummary>, StoreError>;

    // --- Authentication-methods policy --------------------------------------

    /// The newest policy version, if one was ever saved.
    async fn current_policy(&self) -> Result<Option<PolicyVersion>, StoreError>;

    /// Saves a new policy version. With `expected_etag`, `Conflict` unless it
    /// is the current version's ETag (optimistic concurrency); without, the
    /// save is unconditional. The new version's time is the audit entry's.
    async fn save_policy(
        &self,
        expected_etag: Option<&str>,
        json: &str,
        author: &str,
        audit: &AuditEntry,
    ) -> Result<PolicyVersion, StoreError>;

    /// Every saved version, oldest first.
    async fn policy_versions(&self) -> Result<Vec<PolicyVersion>, StoreError>;

    /// One saved version.
    async fn policy_version(&self, version: i64) -> Result<Option<PolicyVersion>, StoreError>;

    // --- Pending WebAuthn ceremonies ---------------------------------------------

    /// Keeps a ceremony's state until its answer arrives. `Conflict` if the
    /// challenge is pending already.
    async fn put_ceremony(&self, ceremony: &Ceremony) -> Result<(), StoreError>;

    /// Takes a ceremony out (deleting it, so it can finish once), along with
    /// every expired one; `None` if unknown, of another kind, or expired.
    async fn take_ceremony(
        &self,
        challenge: &[u8],
        kind: CeremonyKind,
        now: Timestamp,
    ) -> Result<Option<Ceremony>, StoreError>;

    /// Deletes expired ceremonies and sessions.
    async fn purge_expired(&self, now: Timestamp) -> Result<Purged, StoreError>;

    // --- Sessions -----------------------------------------------------------

    /// Starts a session.
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The session with this id hash, unless it has expired at `now`.
    async fn get_session(
        &self,
        id_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError>;

    /// Records the authentication steps passed and the new expiry. `NotFound` if gone.
    async fn update_session(
        &self,
        id_hash: &[u8],
        auth_methods: &[AuthMethodUse],
        expires_at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Ends a session; `false` if there was none.
    async fn delete_session(&self, id_hash: &[u8]) -> Result<bool, StoreError>;

    /// Ends all of a user's sessions; returns how many.
    async fn delete_user_sessions(&self, user: &UserId) -> Result<u64, StoreError>;

    // --- Signing keys ---------------------------------------------------------

    /// Every signing key, newest first.
    async fn list_signing_keys(&self) -> Result<Vec<SigningKey>, StoreError>;

    /// Adds a signing key. `Conflict` if the kid is taken.
    async fn add_signing_key(&self, key: &SigningKey, audit: &AuditEntry)
        -> Result<(), StoreError>;

    /// Stops a key from signing. `NotFound` if unknown or already retired.
    async fn retire_signing_key(
        &self,
        kid: &str,
        at: Timestamp,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Deletes a key (once nothing it signed is still valid).
    async fn delete_signing_key(&self, kid: &str, audit: &AuditEntry) -> Result<(), StoreError>;

    // --- Attestation trust ------------------------------------------------------

    /// Adds a trust anchor. `Conflict` if the id is taken.
    async fn add_trust_anchor(
        &self,
        anchor: &TrustAnchor,
        audit: &AuditEntry,
    ) -> Result<(), StoreError>;

    /// Every trust anchor, oldest first.
    async fn list_trust_anchors(&self) -> Result<Vec<TrustAnchor>, StoreError>;

    /// Removes a trust anchor.
    async fn remove_trust_anchor(&self, id: &str, audit: &AuditEntry) -> Result<(), StoreError>;

    /// Keeps a verified MDS BLOB. `Conflict` if one with this number is loaded.
    async fn add_mds_blob(&self, blob: &MdsBlob, audit: &AuditEntry) -> Result<(), StoreError>;

    /// The loaded BLOBs without payloads, newest number first.
    async fn list_mds_blobs(&self) -> Result<Vec<MdsBlobInfo>, StoreError>;

    /// The BLOB with the highest number.
    async fn latest_mds_blob(&self) -> Result<Option<MdsBlob>, StoreError>;

    /// Removes a loaded BLOB.
    async fn remove_mds_blob(&self, number: i64, audit: &AuditEntry) -> Result<(), StoreError>;

    // --- Logs ---------------------------------------------------------------

    /// Appends an audit entry on its own (a refused operation, a sign-in
    /// event). `Conflict` if the id is taken.
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// One audit entry.
    async fn get_audit(&self, id: &str) -> Result<Option<AuditEntry>, StoreError>;

    /// Audit entries, newest first, a page at a time.
    async fn query_audit(&self, query: &AuditQuery) -> Result<Page<AuditEntry>, StoreError>;

    /// Appends a sign-in entry. `Conflict` if the id is taken.
    async fn append_sign_in(&self, entry: &SignInEntry) -> Result<(), StoreError>;

    /// Sign-in entries, newest first, a page at a time.
    async fn query_sign_ins(&self, query: &SignInQuery) -> Result<Page<SignInEntry>, StoreError>;
}
