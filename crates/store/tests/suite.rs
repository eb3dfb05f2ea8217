//! The store suite: every behaviour of `Store`, written once, run against
//! SQLite (always) and PostgreSQL (when `KEYBOUND_TEST_POSTGRES_URL` is set;
//! required when `CI` is set — `eval "$(scripts/postgres-for-tests)"` starts a
//! throwaway server and sets it).
//!
//! Each test gets its own database: a fresh SQLite file in a temporary
//! directory, or a fresh schema on the PostgreSQL server, so tests run in
//! parallel.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

use keybound_store::{
    open, AppIdentity, AttestationLevel, AuditEntry, AuditQuery, AuditResult, AuthMethodUse,
    Backend, Ceremony, CeremonyKind, DirectoryRole, Group, GroupChanges, GroupId, Initiator,
    KeyValue, ListQuery, MdsBlob, MethodId, ModifiedProperty, NameField, NameFilter, NameMatch,
    Passkey, PasskeyType, PasswordMethod, Session, SignInEntry, SignInQuery, SignInStatus,
    SigningKey, SoftwareOathMethod, Store, StoreError, TapUsability, TargetResource,
    TemporaryAccessPass, Timestamp, TrustAnchor, TrustAnchorKind, User, UserChanges, UserId,
    UserIdentity, SCHEMA_VERSION,
};
use keybound_webauthn::{Aaguid, CredentialId, UserHandle};
use sqlx::Connection;

// --- Databases ------------------------------------------------------------------

const POSTGRES_VAR: &str = "KEYBOUND_TEST_POSTGRES_URL";

struct TestDb {
    /// The URL `open` takes.
    url: String,
    store: Arc<dyn Store>,
    place: Place,
}

enum Place {
    Sqlite { dir: PathBuf, file: PathBuf },
    Postgres { base_url: String, schema: String },
}

impl TestDb {
    async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("keybound-store-{}", uuid::Uuid::new_v4()));
        // A nested, missing directory: `open` creates it.
        let file = dir.join("nested").join("keybound.db");
        let url = format!("sqlite://{}", file.display());
        let store = open(&url).await.unwrap();
        TestDb {
            url,
            store,
            place: Place::Sqlite { dir, file },
        }
    }

    async fn postgres() -> Option<TestDb> {
        let base_url = match std::env::var(POSTGRES_VAR) {
            Ok(url) if !url.trim().is_empty() => url,
            _ if std::env::var_os("CI").is_some() => panic!(
                "{POSTGRES_VAR} is not set, so the PostgreSQL half of the store suite cannot run \
                 and CI must not pass without it. Start a throwaway server with \
                 `eval \"$(scripts/postgres-for-tests)\"` (it installs PostgreSQL from the Debian \
                 packages if needed), or set {POSTGRES_VAR}=postgres://USER:PASSWORD@HOST:PORT/DATABASE \
                 for a server you have, then run the tests again."
            ),
            _ => {
                eprintln!(
                    "note: {POSTGRES_VAR} is not set; the PostgreSQL run is skipped \
                     (eval \"$(scripts/postgres-for-tests)\" to include it)"
                );
                return None;
            }
        };
        let schema = format!("kbt_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&base_url).await.unwrap();
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        let separator = if base_url.contains('?') { '&' } else { '?' };
        let url = format!("{base_url}{separator}options[search_path]={schema}");
        let store = open(&url).await.unwrap();
        Some(TestDb {
            url,
            store,
            place: Place::Postgres { base_url, schema },
        })
    }

    async fn reopen(&self) -> Result<Arc<dyn Store>, StoreError> {
        open(&self.url).await
    }

    /// Runs one statement on the database behind the store's back.
    async fn execute_directly(&self, sql: &str) {
        match &self.place {
            Place::Sqlite { file, .. } => {
                let mut conn =
                    sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
                        .await
                        .unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
            Place::Postgres { .. } => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
                sqlx::query(sql).execute(&mut conn).await.unwrap();
                conn.close().await.unwrap();
            }
        }
    }

    async fn finish(self) {
        self.store.close().await;
        match self.place {
            Place::Sqlite { dir, .. } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Postgres { base_url, schema } => {
                let mut admin = sqlx::PgConnection::connect(&base_url).await.unwrap();
                sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
            }
        }
    }
}

/// Runs each test once per database: `store` tests take the `Arc<dyn Store>`,
/// `db` tests the whole `TestDb` (they reopen it or touch it directly).
macro_rules! suite {
    (store: [$($s:ident),* $(,)?], db: [$($d:ident),* $(,)?]) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $s() {
                    let db = super::TestDb::sqlite().await;
                    super::$s(db.store.clone()).await;
                    db.finish().await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $d() {
                    let db = super::TestDb::sqlite().await;
                    super::$d(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $s() {
                    let Some(db) = super::TestDb::postgres().await else { return };
                    super::$s(db.store.clone()).await;
                    db.finish().await;
                }
            )*
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $d() {
                    let Some(db) = super::TestDb::postgres().await else { return };
                    super::$d(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}

suite!(
    store: [
        operations_report_a_healthy_current_database,
        users_round_trip,
        user_principal_names_are_unique_ignoring_case,
        deleting_a_user_deletes_everything_of_theirs,
        groups_and_memberships,
        directory_roles,
        passkeys_round_trip_and_sign_in_lookup,
        one_temporary_access_pass_per_user_and_its_validity,
        a_one_time_pass_is_spent_once_under_concurrency,
        passwords,
        totp_steps_cannot_be_replayed,
        policy_versions_and_etag_conflicts,
        ceremonies_are_single_use_and_expire,
        sessions,
        signing_keys,
        attestation_trust,
        audit_log_pages_and_filters,
        sign_in_log_pages_and_filters,
        user_and_group_listings_filter_and_page,
        registration_report_summarises_methods,
        refused_changes_write_no_audit_entry,
    ],
    db: [
        reopening_keeps_data_and_migrates_nothing,
        a_newer_database_is_refused_untouched,
    ]
);

// --- Fixtures -------------------------------------------------------------------

/// 2026-04-20T10:15:30Z.
const T0: Timestamp = Timestamp::from_secs(1_776_680_130);

fn at(minutes: i64) -> Timestamp {
    T0.plus_minutes(minutes)
}

fn audit(activity: &str) -> AuditEntry {
    audit_at(activity, T0)
}

fn audit_at(activity: &str, when: Timestamp) -> AuditEntry {
    AuditEntry {
        id: uuid::Uuid::new_v4().to_string(),
        activity_date_time: when,
        activity_display_name: activity.to_owned(),
        category: "UserManagement".to_owned(),
        result: AuditResult::Success,
        result_reason: String::new(),
        initiated_by: Initiator::User(UserIdentity {
            id: "00000000-0000-0000-0000-000000000001".to_owned(),
            display_name: Some("Admin".to_owned()),
            user_principal_name: Some("admin@contoso.com".to_owned()),
            ip_address: Some("192.0.2.1".to_owned()),
        }),
        target_resources: vec![TargetResource {
            id: None,
            display_name: Some("7ebzDmVTSreLsJkrjm1mNA==".to_owned()),
            resource_type: "User".to_owned(),
            user_principal_name: Some("kim@contoso.com".to_owned()),
            modified_properties: vec![ModifiedProperty {
                display_name: "displayName".to_owned(),
                old_value: Some("\"old\"".to_owned()),
                new_value: None,
            }],
        }],
        additional_details: vec![KeyValue {
            key: "AAGuid".to_owned(),
            value: "de1e552d-db1d-4423-a619-566b625cdc84".to_owned(),
        }],
        logged_by_service: "Authentication Methods".to_owned(),
        operation_type: "Add".to_owned(),
        correlation_id: uuid::Uuid::new_v4().to_string(),
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(n);
    while bytes.len() < n {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    bytes.truncate(n);
    bytes
}

fn new_user(upn: &str) -> User {
    User {
        id: UserId::random(),
        user_principal_name: upn.to_owned(),
        display_name: upn.split('@').next().unwrap_or(upn).to_owned(),
        account_enabled: true,
        user_handle: UserHandle::from_bytes(random_bytes(32)).unwrap(),
        created_at: T0,
    }
}

async fn add_user(store: &Arc<dyn Store>, upn: &str) -> User {
    let user = new_user(upn);
    store.create_user(&user, &audit("Add user")).await.unwrap();
    user
}

fn new_passkey(user: &UserId) -> Passkey {
    Passkey {
        id: MethodId::random(),
        credential_id: CredentialId::from_bytes(random_bytes(16)).unwrap(),
        user_id: user.clone(),
        display_name: "YubiKey 5".to_owned(),
        created_at: T0,
        last_used_at: None,
        aaguid: "cb69481e-8ff7-4039-93ec-0a2729a154a8"
            .parse::<Aaguid>()
            .unwrap(),
        public_key: random_bytes(77),
        sign_count: 3,
        backup_eligible: false,
        backed_up: false,
        transports: vec!["usb".to_owned(), "nfc".to_owned()],
        attestation_format: "packed".to_owned(),
        attestation_level: AttestationLevel::Attested,
        attestation_certificates: vec![random_bytes(300), random_bytes(500)],
        passkey_type: PasskeyType::DeviceBound,
        flagged: None,
    }
}

fn new_tap(user: &UserId, start: Timestamp, usable_once: bool) -> TemporaryAccessPass {
    TemporaryAccessPass {
        id: MethodId::random(),
        user_id: user.clone(),
        phc_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned(),
        created_at: T0,
        start_at: start,
        lifetime_minutes: 60,
        usable_once,
        used_at: None,
        failed_attempts: 0,
    }
}

/// Every audit entry, newest first, following continuation tokens.
async fn all_audit(store: &Arc<dyn Store>, mut query: AuditQuery) -> Vec<AuditEntry> {
    let mut all = Vec::new();
    loop {
        let page = store.query_audit(&query).await.unwrap();
        all.extend(page.items);
        match page.next_skip_token {
            Some(token) => query.skip_token = Some(token),
            None => return all,
        }
    }
}

async fn audit_ids(store: &Arc<dyn Store>) -> HashSet<String> {
    all_audit(store, AuditQuery::default())
        .await
        .into_iter()
        .map(|e| e.id)
        .collect()
}

#[track_caller]
fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::NotFound { .. })),
        "expected NotFound, got {result:?}"
    );
}

#[track_caller]
fn assert_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, mentions: &str) {
    match result {
        Err(StoreError::Conflict { what }) => {
            assert!(
                what.contains(mentions),
                "conflict `{what}` should mention `{mentions}`"
            )
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
}

// --- Operations -----------------------------------------------------------------

async fn operations_report_a_healthy_current_database(store: Arc<dyn Store>) {
    store.health().await.unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), Vec::<String>::new());
    assert_eq!(store.schema_version().await.unwrap(), SCHEMA_VERSION);
    assert!(matches!(
        store.backend(),
        Backend::Sqlite | Backend::Postgres
    ));
}

// --- Users ----------------------------------------------------------------------

async fn users_round_trip(store: Arc<dyn Store>) {
    let user = new_user("Kim.Akers@Contoso.com");
    let created = audit("Add user");
    store.create_user(&user, &created).await.unwrap();

    assert_eq!(store.get_user(&user.id).await.unwrap(), Some(user.clone()));
    assert_eq!(
        store
            .get_user_by_upn("kim.akers@CONTOSO.COM")
            .await
            .unwrap(),
        Some(user.clone())
    );
    assert_eq!(
        store.get_user_by_handle(&user.user_handle).await.unwrap(),
        Some(user.clone())
    );
    assert_eq!(store.get_user(&UserId::random()).await.unwrap(), None);
    // The audit entry came back exactly as given, JSON parts included.
    assert_eq!(store.get_audit(&created.id).await.unwrap(), Some(created));

    let changed = store
        .update_user(
            &user.id,
            &UserChanges {
                user_principal_name: Some("kim@contoso.com".to_owned()),
                display_name: Some("Kim Akers".to_owned()),
                account_enabled: Some(false),
            },
            &audit("Update user"),
        )
        .await
        .unwrap();
    assert_eq!(changed.user_principal_name, "kim@contoso.com");
    assert_eq!(changed.display_name, "Kim Akers");
    assert!(!changed.account_enabled);
    assert_eq!(changed.user_handle, user.user_handle);
    assert_eq!(store.get_user(&user.id).await.unwrap(), Some(changed));
    assert_eq!(
        store
            .get_user_by_upn("kim.akers@contoso.com")
            .await
            .unwrap(),
        None
    );
    assert_not_found(
        store
            .update_user(
                &UserId::random(),
                &UserChanges::default(),
                &audit("Update user"),
            )
            .await,
    );

    store
        .delete_user(&user.id, &audit("Delete user"))
        .await
        .unwrap();
    assert_eq!(store.get_user(&user.id).await.unwrap(), None);
    assert_not_found(store.delete_user(&user.id, &audit("Delete user")).await);
}

async fn user_principal_names_are_unique_ignoring_case(store: Arc<dyn Store>) {
    let kim = add_user(&store, "Kim@Contoso.com").await;

    let twin = new_user("kim@CONTOSO.com");
    let refused = audit("Add user");
    assert_conflict(store.create_user(&twin, &refused).await, "kim@CONTOSO.com");
    assert_eq!(store.get_audit(&refused.id).await.unwrap(), None);
    assert_eq!(store.get_user(&twin.id).await.unwrap(), None);

    let mut same_handle = new_user("other@contoso.com");
    same_handle.user_handle = kim.user_handle.clone();
    assert_conflict(
        store.create_user(&same_handle, &audit("Add user")).await,
        "user handle",
    );

    let lee = add_user(&store, "lee@contoso.com").await;
    let rename = audit("Update user");
    assert_conflict(
        store
            .update_user(
                &lee.id,
                &UserChanges {
                    user_principal_name: Some("KIM@contoso.com".to_owned()),
                    ..UserChanges::default()
                },
                &rename,
            )
            .await,
        "KIM@contoso.com",
    );
    assert_eq!(store.get_audit(&rename.id).await.unwrap(), None);
    assert_eq!(store.get_user(&lee.id).await.unwrap(), Some(lee));
}

async fn deleting_a_user_deletes_everything_of_theirs(store: Arc<dyn Store>) {
    let user = add_user(&store, "leaver@contoso.com").await;
    let stays = add_user(&store, "stays@contoso.com").await;
    let passkey = new_passkey(&user.id);
    store
        .create_passkey(&passkey, &audit("Add Passkey (device-bound)"))
        .await
        .unwrap();
    let kept_passkey = new_passkey(&stays.id);
    store
        .create_passkey(&kept_passkey, &audit("Add Passkey (device-bound)"))
        .await
        .unwrap();
    store
        .create_tap(&new_tap(&user.id, T0, true), &audit("Add TAP"))
        .await
        .unwrap();
    store
        .set_password(
            &PasswordMethod {
                user_id: user.id.clone(),
                phc_hash: "$argon2id$…".to_owned(),
                created_at: T0,
            },
            &audit("Set password"),
        )
        .await
        .unwrap();
    store
        .create_software_oath(
            &SoftwareOathMethod {
                id: MethodId::random(),
                user_id: user.id.clone(),
                secret: random_bytes(20),
                created_at: T0,
                last_used_step: 0,
            },
            &audit("Add OATH"),
        )
        .await
        .unwrap();
    let group = Group {
        id: GroupId::random(),
        display_name: "Passkey pilot".to_owned(),
        description: None,
        created_at: T0,
    };
    store
        .create_group(&group, &audit("Add group"))
        .await
        .unwrap();
    store
        .add_member(&group.id, &user.id, &audit("Add member"))
        .await
        .unwrap();
    store
        .add_member(&group.id, &stays.id, &audit("Add member"))
        .await
        .unwrap();
    store
        .assign_role(
            &user.id,
            DirectoryRole::AuthenticationAdministrator,
            &audit("Add role"),
        )
        .await
        .unwrap();
    let session = Session {
        id_hash: random_bytes(32),
        user_id: user.id.clone(),
        created_at: T0,
        expires_at: at(60),
        auth_methods: vec![],
        csrf_token_hash: random_bytes(32),
    };
    store.create_session(&session).await.unwrap();
    let ceremony = Ceremony {
        challenge: random_bytes(32),
        kind: CeremonyKind::Registration,
        user_id: Some(user.id.clone()),
        session_id: Some(session.id_hash.clone()),
        state_json: "{}".to_owned(),
        expires_at: at(5),
    };
    store.put_ceremony(&ceremony).await.unwrap();

    let deleted = audit("Delete user");
    store.delete_user(&user.id, &deleted).await.unwrap();

    assert!(store.get_audit(&deleted.id).await.unwrap().is_some());
    assert_eq!(store.list_passkeys(&user.id).await.unwrap(), vec![]);
    assert_eq!(
        store.find_passkey(&passkey.credential_id).await.unwrap(),
        None
    );
    assert_eq!(store.get_tap(&user.id).await.unwrap(), None);
    assert_eq!(store.get_password(&user.id).await.unwrap(), None);
    assert!(store.list_software_oath(&user.id).await.unwrap().is_empty());
    assert_eq!(
        store.list_members(&group.id).await.unwrap(),
        vec![stays.clone()]
    );
    assert_eq!(store.roles_of_user(&user.id).await.unwrap(), vec![]);
    assert_eq!(store.get_session(&session.id_hash, T0).await.unwrap(), None);
    assert_eq!(
        store
            .take_ceremony(&ceremony.challenge, CeremonyKind::Registration, T0)
            .await
            .unwrap(),
        None
    );
    // Someone else's things are untouched, and nothing dangles.
    assert_eq!(
        store
            .find_passkey(&kept_passkey.credential_id)
            .await
            .unwrap(),
        Some(kept_passkey)
    );
    assert_eq!(store.integrity_check().await.unwrap(), Vec::<String>::new());
}

// --- Groups and roles ----------------------------------------------------------------

async fn groups_and_memberships(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let lee = add_user(&store, "lee@contoso.com").await;
    let group = Group {
        id: GroupId::random(),
        display_name: "Passkey pilot".to_owned(),
        description: Some("First wave".to_owned()),
        created_at: T0,
    };
    store
        .create_group(&group, &audit("Add group"))
        .await
        .unwrap();
    assert_eq!(
        store.get_group(&group.id).await.unwrap(),
        Some(group.clone())
    );
    assert_conflict(
        store.create_group(&group, &audit("Add group")).await,
        "exists",
    );

    let renamed = store
        .update_group(
            &group.id,
            &GroupChanges {
                display_name: Some("Passkey wave 1".to_owned()),
                description: Some(None),
            },
            &audit("Update group"),
        )
        .await
        .unwrap();
    assert_eq!(renamed.display_name, "Passkey wave 1");
    assert_eq!(renamed.description, None);
    assert_not_found(
        store
            .update_group(
                &GroupId::random(),
                &GroupChanges::default(),
                &audit("Update group"),
            )
            .await,
    );

    store
        .add_member(&group.id, &kim.id, &audit("Add member"))
        .await
        .unwrap();
    store
        .add_member(&group.id, &lee.id, &audit("Add member"))
        .await
        .unwrap();
    assert_conflict(
        store
            .add_member(&group.id, &kim.id, &audit("Add member"))
            .await,
        "member",
    );
    assert_not_found(
        store
            .add_member(&group.id, &UserId::random(), &audit("Add member"))
            .await,
    );
    assert_not_found(
        store
            .add_member(&GroupId::random(), &kim.id, &audit("Add member"))
            .await,
    );

    let mut expected = vec![kim.clone(), lee.clone()];
    expected.sort_by(|a, b| a.id.cmp(&b.id));
    let mut members = store.list_members(&group.id).await.unwrap();
    members.sort_by(|a, b| a.id.cmp(&b.id));
    assert_eq!(members, expected);
    assert_eq!(
        store.groups_of_user(&kim.id).await.unwrap(),
        vec![renamed.clone()]
    );

    store
        .remove_member(&group.id, &kim.id, &audit("Remove member"))
        .await
        .unwrap();
    assert_not_found(
        store
            .remove_member(&group.id, &kim.id, &audit("Remove member"))
            .await,
    );
    assert_eq!(store.groups_of_user(&kim.id).await.unwrap(), vec![]);

    store
        .delete_group(&group.id, &audit("Delete group"))
        .await
        .unwrap();
    assert_eq!(store.get_group(&group.id).await.unwrap(), None);
    assert_eq!(store.groups_of_user(&lee.id).await.unwrap(), vec![]);
    assert!(store.get_user(&lee.id).await.unwrap().is_some());
    assert_not_found(store.delete_group(&group.id, &audit("Delete group")).await);
}

async fn directory_roles(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let lee = add_user(&store, "lee@contoso.com").await;
    let ga = DirectoryRole::GlobalAdministrator;
    store
        .assign_role(&kim.id, ga, &audit("Add member to role"))
        .await
        .unwrap();
    store
        .assign_role(&lee.id, ga, &audit("Add member to role"))
        .await
        .unwrap();
    store
        .assign_role(
            &kim.id,
            DirectoryRole::AuthenticationPolicyAdministrator,
            &audit("Add member to role"),
        )
        .await
        .unwrap();
    assert_conflict(
        store
            .assign_role(&kim.id, ga, &audit("Add member to role"))
            .await,
        "GlobalAdministrator",
    );
    assert_not_found(
        store
            .assign_role(&UserId::random(), ga, &audit("Add member to role"))
            .await,
    );

    assert_eq!(store.count_users_with_role(ga).await.unwrap(), 2);
    let mut holders = vec![kim.id.clone(), lee.id.clone()];
    holders.sort();
    assert_eq!(store.users_with_role(ga).await.unwrap(), holders);
    assert_eq!(
        store.roles_of_user(&kim.id).await.unwrap(),
        vec![ga, DirectoryRole::AuthenticationPolicyAdministrator]
    );
    assert_eq!(
        store
            .count_users_with_role(DirectoryRole::AuthenticationAdministrator)
            .await
            .unwrap(),
        0
    );

    store
        .remove_role(&lee.id, ga, &audit("Remove member from role"))
        .await
        .unwrap();
    assert_not_found(
        store
            .remove_role(&lee.id, ga, &audit("Remove member from role"))
            .await,
    );
    assert_eq!(store.count_users_with_role(ga).await.unwrap(), 1);
}

// --- Passkeys ---------------------------------------------------------------------

async fn passkeys_round_trip_and_sign_in_lookup(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let lee = add_user(&store, "lee@contoso.com").await;
    let passkey = new_passkey(&kim.id);
    store
        .create_passkey(&passkey, &audit("Add Passkey (device-bound)"))
        .await
        .unwrap();
    let mut synced = new_passkey(&kim.id);
    synced.created_at = at(1);
    synced.passkey_type = PasskeyType::Synced;
    synced.backup_eligible = true;
    synced.backed_up = true;
    synced.attestation_level = AttestationLevel::NotAttested;
    synced.attestation_certificates = vec![];
    synced.transports = vec![];
    synced.aaguid = Aaguid::ZERO;
    synced.flagged = Some("BE changed".to_owned());
    store
        .create_passkey(&synced, &audit("Add Passkey (synced)"))
        .await
        .unwrap();

    assert_eq!(
        store.find_passkey(&passkey.credential_id).await.unwrap(),
        Some(passkey.clone())
    );
    assert_eq!(
        store.list_passkeys(&kim.id).await.unwrap(),
        vec![passkey.clone(), synced.clone()]
    );
    assert_eq!(
        store.get_passkey(&kim.id, &passkey.id).await.unwrap(),
        Some(passkey.clone())
    );
    // Another user's method id finds nothing, and cannot be changed or deleted.
    assert_eq!(store.get_passkey(&lee.id, &passkey.id).await.unwrap(), None);
    assert_not_found(
        store
            .rename_passkey(&lee.id, &passkey.id, "mine now", &audit("Update passkey"))
            .await,
    );
    assert_not_found(
        store
            .delete_passkey(&lee.id, &passkey.id, &audit("Delete passkey"))
            .await,
    );

    // A credential ID is registered once, whoever tries again.
    let mut again = new_passkey(&lee.id);
    again.credential_id = passkey.credential_id.clone();
    let refused = audit("Add Passkey (device-bound)");
    assert_conflict(
        store.create_passkey(&again, &refused).await,
        "credential ID",
    );
    assert_eq!(store.get_audit(&refused.id).await.unwrap(), None);
    assert_not_found(
        store
            .create_passkey(
                &new_passkey(&UserId::random()),
                &audit("Add Passkey (device-bound)"),
            )
            .await,
    );

    store
        .record_passkey_use(&passkey.credential_id, 42, true, at(10))
        .await
        .unwrap();
    let used = store
        .find_passkey(&passkey.credential_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (used.sign_count, used.backed_up, used.last_used_at),
        (42, true, Some(at(10)))
    );
    assert_not_found(
        store
            .record_passkey_use(
                &CredentialId::from_bytes(vec![9; 16]).unwrap(),
                1,
                false,
                at(10),
            )
            .await,
    );

    store
        .rename_passkey(&kim.id, &passkey.id, "Desk key", &audit("Update passkey"))
        .await
        .unwrap();
    store
        .flag_passkey(
            &kim.id,
            &passkey.id,
            "sign counter went back from 42 to 7",
            &audit("Flag passkey"),
        )
        .await
        .unwrap();
    let changed = store
        .get_passkey(&kim.id, &passkey.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.display_name, "Desk key");
    assert_eq!(
        changed.flagged.as_deref(),
        Some("sign counter went back from 42 to 7")
    );

    store
        .delete_passkey(
            &kim.id,
            &passkey.id,
            &audit("Delete Passkey (device-bound)"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.find_passkey(&passkey.credential_id).await.unwrap(),
        None
    );
    assert_eq!(store.list_passkeys(&kim.id).await.unwrap(), vec![synced]);
    assert_not_found(
        store
            .delete_passkey(
                &kim.id,
                &passkey.id,
                &audit("Delete Passkey (device-bound)"),
            )
            .await,
    );
}

// --- Temporary Access Passes --------------------------------------------------------

async fn one_temporary_access_pass_per_user_and_its_validity(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let first = new_tap(&kim.id, at(10), true);
    store
        .create_tap(
            &first,
            &audit("Admin registered temporary access pass method for user"),
        )
        .await
        .unwrap();
    let second = new_tap(&kim.id, at(10), true);
    store
        .create_tap(
            &second,
            &audit("Admin registered temporary access pass method for user"),
        )
        .await
        .unwrap();
    assert_eq!(store.get_tap(&kim.id).await.unwrap(), Some(second.clone()));

    // The replaced pass is gone; the new one is not valid before its start or after its lifetime.
    let before = audit_ids(&store).await;
    assert_eq!(
        store
            .consume_tap(&first.id, at(20), &audit("Sign in with TAP"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .consume_tap(&second.id, at(9), &audit("Sign in with TAP"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .consume_tap(&second.id, at(70), &audit("Sign in with TAP"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        audit_ids(&store).await,
        before,
        "refusals write no audit entry"
    );
    assert_eq!(second.usability(at(9)), TapUsability::NotYetValid);
    assert_eq!(second.usability(at(70)), TapUsability::Expired);

    assert_eq!(store.record_tap_failure(&second.id).await.unwrap(), 1);
    assert_eq!(store.record_tap_failure(&second.id).await.unwrap(), 2);
    assert_not_found(store.record_tap_failure(&first.id).await);

    let spent = store
        .consume_tap(&second.id, at(30), &audit("Sign in with TAP"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(spent.used_at, Some(at(30)));
    assert_eq!(spent.failed_attempts, 2);
    assert_eq!(spent.usability(at(31)), TapUsability::OneTimeUsed);
    assert_eq!(
        store
            .consume_tap(&second.id, at(31), &audit("Sign in with TAP"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_tap(&kim.id).await.unwrap(), Some(spent));

    // A reusable pass works as often as needed while valid.
    let reusable = new_tap(&kim.id, at(0), false);
    store
        .create_tap(
            &reusable,
            &audit("Admin registered temporary access pass method for user"),
        )
        .await
        .unwrap();
    for minute in [1, 2, 59] {
        let used = store
            .consume_tap(&reusable.id, at(minute), &audit("Sign in with TAP"))
            .await
            .unwrap();
        assert_eq!(used.map(|t| t.used_at), Some(None));
    }
    assert_eq!(
        store
            .consume_tap(&reusable.id, at(60), &audit("Sign in with TAP"))
            .await
            .unwrap(),
        None
    );

    assert_not_found(
        store
            .delete_tap(&kim.id, &first.id, &audit("Delete TAP"))
            .await,
    );
    store
        .delete_tap(&kim.id, &reusable.id, &audit("Delete TAP"))
        .await
        .unwrap();
    assert_eq!(store.get_tap(&kim.id).await.unwrap(), None);
    assert_not_found(
        store
            .create_tap(&new_tap(&UserId::random(), T0, true), &audit("Add TAP"))
            .await,
    );
}

async fn a_one_time_pass_is_spent_once_under_concurrency(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let tap = new_tap(&kim.id, T0, true);
    store.create_tap(&tap, &audit("Add TAP")).await.unwrap();

    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let store = store.clone();
            let id = tap.id.clone();
            tokio::spawn(async move {
                store
                    .consume_tap(&id, at(1), &audit("Sign in with one-time TAP"))
                    .await
            })
        })
        .collect();
    let mut winners = 0;
    for attempt in attempts {
        if attempt.await.unwrap().unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(
        winners, 1,
        "exactly one concurrent use of a one-time pass succeeds"
    );
    let entries = all_audit(
        &store,
        AuditQuery {
            activity_display_name: Some("Sign in with one-time TAP".to_owned()),
            ..AuditQuery::default()
        },
    )
    .await;
    assert_eq!(entries.len(), 1, "and only it is audited");
}

// --- Passwords and TOTP ------------------------------------------------------------------

async fn passwords(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    assert_eq!(store.get_password(&kim.id).await.unwrap(), None);
    let first = PasswordMethod {
        user_id: kim.id.clone(),
        phc_hash: "$argon2id$v=19$first".to_owned(),
        created_at: T0,
    };
    store
        .set_password(&first, &audit("Reset password"))
        .await
        .unwrap();
    assert_eq!(store.get_password(&kim.id).await.unwrap(), Some(first));
    let second = PasswordMethod {
        user_id: kim.id.clone(),
        phc_hash: "$argon2id$v=19$second".to_owned(),
        created_at: at(5),
    };
    store
        .set_password(&second, &audit("Reset password"))
        .await
        .unwrap();
    assert_eq!(store.get_password(&kim.id).await.unwrap(), Some(second));

    store
        .remove_password(&kim.id, &audit("Remove password"))
        .await
        .unwrap();
    assert_eq!(store.get_password(&kim.id).await.unwrap(), None);
    assert_not_found(
        store
            .remove_password(&kim.id, &audit("Remove password"))
            .await,
    );
    assert_not_found(
        store
            .set_password(
                &PasswordMethod {
                    user_id: UserId::random(),
                    phc_hash: "$argon2id$x".to_owned(),
                    created_at: T0,
                },
                &audit("Reset password"),
            )
            .await,
    );
}

async fn totp_steps_cannot_be_replayed(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let token = SoftwareOathMethod {
        id: MethodId::random(),
        user_id: kim.id.clone(),
        secret: random_bytes(20),
        created_at: T0,
        last_used_step: 0,
    };
    store
        .create_software_oath(&token, &audit("Add OATH"))
        .await
        .unwrap();
    assert_eq!(
        store.list_software_oath(&kim.id).await.unwrap(),
        vec![token.clone()]
    );

    assert!(store
        .advance_oath_step(&token.id, 59_222_671)
        .await
        .unwrap());
    assert!(
        !store
            .advance_oath_step(&token.id, 59_222_671)
            .await
            .unwrap(),
        "same step replayed"
    );
    assert!(
        !store
            .advance_oath_step(&token.id, 59_222_670)
            .await
            .unwrap(),
        "older step"
    );
    assert!(store
        .advance_oath_step(&token.id, 59_222_672)
        .await
        .unwrap());
    assert_not_found(store.advance_oath_step(&MethodId::random(), 1).await);

    let racers: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            let id = token.id.clone();
            tokio::spawn(async move { store.advance_oath_step(&id, 59_222_700).await })
        })
        .collect();
    let mut accepted = 0;
    for racer in racers {
        if racer.await.unwrap().unwrap() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, 1, "one code, one use");
    assert_eq!(
        store.list_software_oath(&kim.id).await.unwrap()[0].last_used_step,
        59_222_700
    );

    store
        .delete_software_oath(&kim.id, &token.id, &audit("Delete OATH"))
        .await
        .unwrap();
    assert!(store.list_software_oath(&kim.id).await.unwrap().is_empty());
    assert_not_found(
        store
            .delete_software_oath(&kim.id, &token.id, &audit("Delete OATH"))
            .await,
    );
}

// --- Policy -------------------------------------------------------------------------

async fn policy_versions_and_etag_conflicts(store: Arc<dyn Store>) {
    let update = "Authentication Methods Policy Update";
    assert_eq!(store.current_policy().await.unwrap(), None);
    assert_conflict(
        store
            .save_policy(
                Some("nothing-saved-yet"),
                "{}",
                "admin@contoso.com",
                &audit(update),
            )
            .await,
        "nothing-saved-yet",
    );

    let v1 = store
        .save_policy(
            None,
            r#"{"state":"enabled"}"#,
            "admin@contoso.com",
            &audit_at(update, at(1)),
        )
        .await
        .unwrap();
    assert_eq!((v1.version, v1.created_at), (1, at(1)));
    assert_eq!(store.current_policy().await.unwrap(), Some(v1.clone()));

    let v2 = store
        .save_policy(
            Some(&v1.etag),
            r#"{"state":"disabled"}"#,
            "ops@contoso.com",
            &audit(update),
        )
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_ne!(v2.etag, v1.etag);

    // Someone who read v1 cannot overwrite v2.
    let stale = audit(update);
    assert_conflict(
        store
            .save_policy(
                Some(&v1.etag),
                r#"{"state":"x"}"#,
                "late@contoso.com",
                &stale,
            )
            .await,
        &v1.etag,
    );
    assert_eq!(store.get_audit(&stale.id).await.unwrap(), None);
    assert_eq!(store.current_policy().await.unwrap(), Some(v2.clone()));

    let v3 = store
        .save_policy(None, "{}", "admin@contoso.com", &audit(update))
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(
        store.policy_versions().await.unwrap(),
        vec![v1.clone(), v2, v3]
    );
    assert_eq!(store.policy_version(1).await.unwrap(), Some(v1));
    assert_eq!(store.policy_version(9).await.unwrap(), None);
}

// --- Ceremonies and sessions -----------------------------------------------------------

async fn ceremonies_are_single_use_and_expire(store: Arc<dyn Store>) {
    let registration = Ceremony {
        challenge: random_bytes(32),
        kind: CeremonyKind::Registration,
        user_id: None,
        session_id: None,
        state_json: r#"{"rp":"contoso.com"}"#.to_owned(),
        expires_at: at(5),
    };
    store.put_ceremony(&registration).await.unwrap();
    assert_conflict(store.put_ceremony(&registration).await, "pending");

    // The wrong kind finds nothing and leaves it in place.
    let challenge = registration.challenge.as_slice();
    assert_eq!(
        store
            .take_ceremony(challenge, CeremonyKind::Authentication, T0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .take_ceremony(challenge, CeremonyKind::Registration, T0)
            .await
            .unwrap(),
        Some(registration.clone())
    );
    assert_eq!(
        store
            .take_ceremony(challenge, CeremonyKind::Registration, T0)
            .await
            .unwrap(),
        None
    );

    // Of concurrent attempts to finish one ceremony, exactly one gets it.
    let contested = Ceremony {
        challenge: random_bytes(32),
        ..registration.clone()
    };
    store.put_ceremony(&contested).await.unwrap();
    let racers: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            let challenge = contested.challenge.clone();
            tokio::spawn(async move {
                store
                    .take_ceremony(&challenge, CeremonyKind::Registration, T0)
                    .await
            })
        })
        .collect();
    let mut taken = 0;
    for racer in racers {
        if racer.await.unwrap().unwrap().is_some() {
            taken += 1;
        }
    }
    assert_eq!(taken, 1);

    // An expired ceremony cannot finish, and is gone afterwards.
    let late = Ceremony {
        challenge: random_bytes(32),
        kind: CeremonyKind::Authentication,
        expires_at: at(5),
        ..registration.clone()
    };
    store.put_ceremony(&late).await.unwrap();
    assert_eq!(
        store
            .take_ceremony(&late.challenge, CeremonyKind::Authentication, at(5))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .take_ceremony(&late.challenge, CeremonyKind::Authentication, T0)
            .await
            .unwrap(),
        None
    );

    // Taking one sweeps out the expired others; purge does the rest.
    let stale = Ceremony {
        challenge: random_bytes(32),
        expires_at: at(1),
        ..registration.clone()
    };
    let fresh = Ceremony {
        challenge: random_bytes(32),
        expires_at: at(30),
        ..registration.clone()
    };
    let later = Ceremony {
        challenge: random_bytes(32),
        expires_at: at(40),
        ..registration.clone()
    };
    for c in [&stale, &fresh, &later] {
        store.put_ceremony(c).await.unwrap();
    }
    assert_eq!(
        store
            .take_ceremony(&fresh.challenge, CeremonyKind::Registration, at(2))
            .await
            .unwrap(),
        Some(fresh)
    );
    assert_eq!(
        store.purge_expired(at(2)).await.unwrap().ceremonies,
        0,
        "the stale one went with the take"
    );
    assert_eq!(store.purge_expired(at(45)).await.unwrap().ceremonies, 1);
    assert_eq!(
        store
            .take_ceremony(&later.challenge, CeremonyKind::Registration, T0)
            .await
            .unwrap(),
        None
    );
}

async fn sessions(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let session = Session {
        id_hash: random_bytes(32),
        user_id: kim.id.clone(),
        created_at: T0,
        expires_at: at(60),
        auth_methods: vec![AuthMethodUse {
            method: "tap".to_owned(),
            at: T0.as_millis(),
        }],
        csrf_token_hash: random_bytes(32),
    };
    store.create_session(&session).await.unwrap();
    assert_conflict(store.create_session(&session).await, "session");
    assert_eq!(
        store.get_session(&session.id_hash, at(59)).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store.get_session(&session.id_hash, at(60)).await.unwrap(),
        None,
        "expired"
    );

    let methods = vec![
        session.auth_methods[0].clone(),
        AuthMethodUse {
            method: "passkey".to_owned(),
            at: at(3).as_millis(),
        },
    ];
    store
        .update_session(&session.id_hash, &methods, at(120))
        .await
        .unwrap();
    let updated = store
        .get_session(&session.id_hash, at(90))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (updated.auth_methods, updated.expires_at),
        (methods, at(120))
    );
    assert_not_found(store.update_session(&random_bytes(32), &[], at(1)).await);

    assert!(store.delete_session(&session.id_hash).await.unwrap());
    assert!(!store.delete_session(&session.id_hash).await.unwrap());

    for minutes in [10, 20, 30] {
        let s = Session {
            id_hash: random_bytes(32),
            expires_at: at(minutes),
            ..session.clone()
        };
        store.create_session(&s).await.unwrap();
    }
    assert_eq!(store.purge_expired(at(15)).await.unwrap().sessions, 1);
    assert_eq!(store.delete_user_sessions(&kim.id).await.unwrap(), 2);
    assert_not_found(
        store
            .create_session(&Session {
                id_hash: random_bytes(32),
                user_id: UserId::random(),
                ..session
            })
            .await,
    );
}

// --- Keys and trust ----------------------------------------------------------------------

async fn signing_keys(store: Arc<dyn Store>) {
    let old = SigningKey {
        kid: "2026-04-a".to_owned(),
        algorithm: "ES256".to_owned(),
        private_key: random_bytes(138),
        created_at: T0,
        retired_at: None,
    };
    let new = SigningKey {
        kid: "2026-04-b".to_owned(),
        created_at: at(60),
        private_key: random_bytes(138),
        ..old.clone()
    };
    store
        .add_signing_key(&old, &audit("Add signing key"))
        .await
        .unwrap();
    store
        .add_signing_key(&new, &audit("Add signing key"))
        .await
        .unwrap();
    assert_conflict(
        store.add_signing_key(&old, &audit("Add signing key")).await,
        "2026-04-a",
    );
    assert_eq!(
        store.list_signing_keys().await.unwrap(),
        vec![new.clone(), old.clone()]
    );

    store
        .retire_signing_key(&old.kid, at(61), &audit("Retire signing key"))
        .await
        .unwrap();
    assert_conflict(
        store
            .retire_signing_key(&old.kid, at(62), &audit("Retire signing key"))
            .await,
        "retired already",
    );
    assert_not_found(
        store
            .retire_signing_key("nope", at(62), &audit("Retire signing key"))
            .await,
    );
    assert_eq!(
        store.list_signing_keys().await.unwrap()[1].retired_at,
        Some(at(61))
    );

    store
        .delete_signing_key(&old.kid, &audit("Delete signing key"))
        .await
        .unwrap();
    assert_eq!(store.list_signing_keys().await.unwrap(), vec![new]);
    assert_not_found(
        store
            .delete_signing_key(&old.kid, &audit("Delete signing key"))
            .await,
    );
}

async fn attestation_trust(store: Arc<dyn Store>) {
    let root = TrustAnchor {
        id: uuid::Uuid::new_v4().to_string(),
        kind: TrustAnchorKind::MdsRoot,
        der: random_bytes(900),
        subject: "CN=Root X3, O=FIDO Alliance".to_owned(),
        added_at: T0,
    };
    let ca = TrustAnchor {
        id: uuid::Uuid::new_v4().to_string(),
        kind: TrustAnchorKind::OrganisationCa,
        der: random_bytes(700),
        subject: "CN=Contoso Authenticators CA".to_owned(),
        added_at: at(1),
    };
    store
        .add_trust_anchor(&root, &audit("Add trust anchor"))
        .await
        .unwrap();
    store
        .add_trust_anchor(&ca, &audit("Add trust anchor"))
        .await
        .unwrap();
    assert_conflict(
        store
            .add_trust_anchor(&ca, &audit("Add trust anchor"))
            .await,
        "exists",
    );
    assert_eq!(
        store.list_trust_anchors().await.unwrap(),
        vec![root.clone(), ca.clone()]
    );
    store
        .remove_trust_anchor(&root.id, &audit("Remove trust anchor"))
        .await
        .unwrap();
    assert_not_found(
        store
            .remove_trust_anchor(&root.id, &audit("Remove trust anchor"))
            .await,
    );
    assert_eq!(store.list_trust_anchors().await.unwrap(), vec![ca]);

    assert_eq!(store.latest_mds_blob().await.unwrap(), None);
    let blob = |number: i64| MdsBlob {
        number,
        next_update: at(60 * 24 * 30),
        json: format!(r#"{{"no":{number},"entries":[]}}"#),
        loaded_at: at(number),
    };
    for number in [71, 72] {
        store
            .add_mds_blob(&blob(number), &audit("Load MDS BLOB"))
            .await
            .unwrap();
    }
    assert_conflict(
        store.add_mds_blob(&blob(72), &audit("Load MDS BLOB")).await,
        "72",
    );
    assert_eq!(store.latest_mds_blob().await.unwrap(), Some(blob(72)));
    let listed: Vec<i64> = store
        .list_mds_blobs()
        .await
        .unwrap()
        .iter()
        .map(|b| b.number)
        .collect();
    assert_eq!(listed, vec![72, 71]);
    store
        .remove_mds_blob(72, &audit("Remove MDS BLOB"))
        .await
        .unwrap();
    assert_not_found(store.remove_mds_blob(72, &audit("Remove MDS BLOB")).await);
    assert_eq!(store.latest_mds_blob().await.unwrap(), Some(blob(71)));
}

// --- Logs -------------------------------------------------------------------------------

async fn audit_log_pages_and_filters(store: Arc<dyn Store>) {
    // 25 entries over 10 minutes, several sharing a millisecond.
    let mut written = Vec::new();
    for i in 0..25i64 {
        let mut entry = audit_at(
            if i % 3 == 0 {
                "Add Passkey (device-bound)"
            } else {
                "Update user"
            },
            at(i % 10),
        );
        if i % 5 == 0 {
            entry.result = AuditResult::Failure;
            entry.result_reason = "Policy refused the AAGUID".to_owned();
            entry.initiated_by = Initiator::App(AppIdentity {
                app_id: "keybound-cli".to_owned(),
                display_name: None,
            });
        }
        store.append_audit(&entry).await.unwrap();
        written.push(entry);
    }
    assert_conflict(store.append_audit(&written[0]).await, &written[0].id);

    let first = store
        .query_audit(&AuditQuery {
            top: 10,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(first.items.len(), 10);
    assert!(first.next_skip_token.is_some());
    // Pages of 7 visit every entry once, newest first, in the order one big page has
    // (ties in time are ordered by id, in the database's collation).
    let paged = all_audit(
        &store,
        AuditQuery {
            top: 7,
            ..AuditQuery::default()
        },
    )
    .await;
    let whole = store
        .query_audit(&AuditQuery {
            top: 999,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(whole.next_skip_token, None);
    assert_eq!(paged, whole.items);
    assert!(paged
        .windows(2)
        .all(|w| w[0].activity_date_time >= w[1].activity_date_time));
    let ids: HashSet<&str> = paged.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, written.iter().map(|e| e.id.as_str()).collect());

    let passkeys = all_audit(
        &store,
        AuditQuery {
            activity_display_name: Some("Add Passkey (device-bound)".to_owned()),
            top: 2,
            ..AuditQuery::default()
        },
    )
    .await;
    assert_eq!(passkeys.len(), 9);
    assert!(passkeys
        .iter()
        .all(|e| e.activity_display_name == "Add Passkey (device-bound)"));

    let failures = all_audit(
        &store,
        AuditQuery {
            result: Some(AuditResult::Failure),
            ..AuditQuery::default()
        },
    )
    .await;
    assert_eq!(failures.len(), 5);
    assert!(failures
        .iter()
        .all(|e| matches!(e.initiated_by, Initiator::App(_))));

    let window = all_audit(
        &store,
        AuditQuery {
            from: Some(at(3)),
            to: Some(at(4)),
            top: 1,
            ..AuditQuery::default()
        },
    )
    .await;
    assert_eq!(window.len(), 6);
    assert!(window
        .iter()
        .all(|e| e.activity_date_time >= at(3) && e.activity_date_time <= at(4)));

    assert!(matches!(
        store
            .query_audit(&AuditQuery {
                skip_token: Some("bogus".to_owned()),
                ..AuditQuery::default()
            })
            .await,
        Err(StoreError::InvalidInput { .. })
    ));
}

async fn sign_in_log_pages_and_filters(store: Arc<dyn Store>) {
    let kim = UserId::random();
    for i in 0..12i64 {
        let failed = i % 4 == 0;
        let entry = SignInEntry {
            id: uuid::Uuid::new_v4().to_string(),
            created_at: at(i),
            user_id: Some(kim.to_string()),
            user_principal_name: Some(
                if i % 2 == 0 {
                    "Kim@Contoso.com"
                } else {
                    "kim@contoso.com"
                }
                .to_owned(),
            ),
            app_id: Some("portal".to_owned()),
            ip: Some("198.51.100.7".to_owned()),
            status: SignInStatus {
                error_code: if failed { 135_011 } else { 0 },
                failure_reason: failed
                    .then(|| "Device used during the authentication is disabled".to_owned()),
            },
            authentication_method: Some("Passkey (device-bound)".to_owned()),
            aaguid: Some("cb69481e-8ff7-4039-93ec-0a2729a154a8".parse().unwrap()),
            credential_id: Some(CredentialId::from_bytes(vec![7; 16]).unwrap()),
            correlation_id: None,
        };
        store.append_sign_in(&entry).await.unwrap();
    }
    let anonymous = SignInEntry {
        id: uuid::Uuid::new_v4().to_string(),
        created_at: at(100),
        user_id: None,
        user_principal_name: None,
        app_id: None,
        ip: None,
        status: SignInStatus {
            error_code: 50_126,
            failure_reason: Some("unknown user".to_owned()),
        },
        authentication_method: None,
        aaguid: None,
        credential_id: None,
        correlation_id: Some("c0ffee".to_owned()),
    };
    store.append_sign_in(&anonymous).await.unwrap();

    let page = store
        .query_sign_ins(&SignInQuery {
            top: 1,
            ..SignInQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items, vec![anonymous]);

    let mut query = SignInQuery {
        user_principal_name: Some("KIM@contoso.COM".to_owned()),
        top: 5,
        ..SignInQuery::default()
    };
    let mut seen = Vec::new();
    loop {
        let page = store.query_sign_ins(&query).await.unwrap();
        seen.extend(page.items);
        match page.next_skip_token {
            Some(token) => query.skip_token = Some(token),
            None => break,
        }
    }
    let times: Vec<Timestamp> = seen.iter().map(|e| e.created_at).collect();
    assert_eq!(times, (0..12).rev().map(at).collect::<Vec<_>>());

    let failures = store
        .query_sign_ins(&SignInQuery {
            user_id: Some(kim.to_string()),
            error_code: Some(135_011),
            from: Some(at(1)),
            to: Some(at(8)),
            ..SignInQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        failures
            .items
            .iter()
            .map(|e| e.created_at)
            .collect::<Vec<_>>(),
        vec![at(8), at(4)]
    );
}

// --- Listings and the registration report ------------------------------------------------------

async fn user_and_group_listings_filter_and_page(store: Arc<dyn Store>) {
    let names = [
        "Adele.Vance@contoso.com",
        "alex.wilber@contoso.com",
        "al_bert@contoso.com",
        "alXbert@contoso.com",
        "100%@contoso.com",
        "diego@contoso.com",
        "Ålesund@contoso.com",
    ];
    for name in names {
        add_user(&store, name).await;
    }
    let upns = |users: &[User]| {
        let mut v: Vec<String> = users
            .iter()
            .map(|u| u.user_principal_name.clone())
            .collect();
        v.sort();
        v
    };

    let mut everyone = Vec::new();
    let mut query = ListQuery {
        top: 3,
        ..ListQuery::default()
    };
    let mut pages = 0;
    loop {
        let page = store.list_users(&query).await.unwrap();
        assert!(page.items.len() <= 3);
        pages += 1;
        everyone.extend(page.items);
        match page.next_skip_token {
            Some(token) => query.skip_token = Some(token),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut all: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    all.sort();
    assert_eq!(upns(&everyone), all);

    let filtered = |field, matching, value: &str| ListQuery {
        filter: Some(NameFilter {
            field,
            matching,
            value: value.to_owned(),
        }),
        ..ListQuery::default()
    };
    let found = store
        .list_users(&filtered(
            NameField::UserPrincipalName,
            NameMatch::Equals,
            "ADELE.VANCE@CONTOSO.COM",
        ))
        .await
        .unwrap();
    assert_eq!(upns(&found.items), vec!["Adele.Vance@contoso.com"]);
    // `_` and `%` are literal in startsWith, and case (also non-ASCII) does not matter.
    let found = store
        .list_users(&filtered(
            NameField::UserPrincipalName,
            NameMatch::StartsWith,
            "AL_",
        ))
        .await
        .unwrap();
    assert_eq!(upns(&found.items), vec!["al_bert@contoso.com"]);
    let found = store
        .list_users(&filtered(
            NameField::UserPrincipalName,
            NameMatch::StartsWith,
            "100%",
        ))
        .await
        .unwrap();
    assert_eq!(upns(&found.items), vec!["100%@contoso.com"]);
    let found = store
        .list_users(&filtered(
            NameField::DisplayName,
            NameMatch::StartsWith,
            "ål",
        ))
        .await
        .unwrap();
    assert_eq!(upns(&found.items), vec!["Ålesund@contoso.com"]);
    let found = store
        .list_users(&filtered(
            NameField::DisplayName,
            NameMatch::StartsWith,
            "al",
        ))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 3);
    assert_eq!(found.next_skip_token, None);

    for name in ["Pilot", "pilot wave 2", "Everyone"] {
        let group = Group {
            id: GroupId::random(),
            display_name: name.to_owned(),
            description: None,
            created_at: T0,
        };
        store
            .create_group(&group, &audit("Add group"))
            .await
            .unwrap();
    }
    let groups = store
        .list_groups(&filtered(
            NameField::DisplayName,
            NameMatch::StartsWith,
            "PILOT",
        ))
        .await
        .unwrap();
    assert_eq!(groups.items.len(), 2);
    assert!(matches!(
        store
            .list_groups(&filtered(
                NameField::UserPrincipalName,
                NameMatch::Equals,
                "x"
            ))
            .await,
        Err(StoreError::InvalidInput { .. })
    ));
    assert!(matches!(
        store
            .list_users(&ListQuery {
                skip_token: Some("zz".to_owned()),
                ..ListQuery::default()
            })
            .await,
        Err(StoreError::InvalidInput { .. })
    ));
}

async fn registration_report_summarises_methods(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let lee = add_user(&store, "lee@contoso.com").await;
    let passkey = new_passkey(&kim.id);
    store
        .create_passkey(&passkey, &audit_at("Add Passkey (device-bound)", at(5)))
        .await
        .unwrap();
    let mut synced = new_passkey(&kim.id);
    synced.passkey_type = PasskeyType::Synced;
    synced.created_at = at(1);
    store
        .create_passkey(&synced, &audit_at("Add Passkey (synced)", at(6)))
        .await
        .unwrap();
    store
        .set_password(
            &PasswordMethod {
                user_id: kim.id.clone(),
                phc_hash: "$argon2id$x".to_owned(),
                created_at: at(7),
            },
            &audit_at("Reset password", at(7)),
        )
        .await
        .unwrap();
    store
        .create_tap(&new_tap(&lee.id, T0, true), &audit_at("Add TAP", at(8)))
        .await
        .unwrap();
    store
        .assign_role(
            &lee.id,
            DirectoryRole::GlobalAdministrator,
            &audit("Add member to role"),
        )
        .await
        .unwrap();

    let report = store.methods_summary(&ListQuery::default()).await.unwrap();
    assert_eq!(report.items.len(), 2);
    let of = |id: &UserId| {
        report
            .items
            .iter()
            .find(|s| &s.user_id == id)
            .unwrap()
            .clone()
    };
    let k = of(&kim.id);
    assert_eq!(k.user_principal_name, "kim@contoso.com");
    assert!(!k.is_admin && k.has_password && !k.has_temporary_access_pass);
    assert_eq!(k.software_oath_count, 0);
    assert_eq!(
        k.passkeys
            .iter()
            .map(|p| (p.id.clone(), p.passkey_type))
            .collect::<Vec<_>>(),
        vec![
            (passkey.id.clone(), PasskeyType::DeviceBound),
            (synced.id.clone(), PasskeyType::Synced)
        ]
    );
    assert_eq!(k.passkeys[0].aaguid, passkey.aaguid);
    assert_eq!(k.last_updated, at(7));
    let l = of(&lee.id);
    assert!(l.is_admin && l.has_temporary_access_pass && !l.has_password && l.passkeys.is_empty());
    assert_eq!(l.last_updated, at(8));

    // Deleting a method is an update too.
    store
        .delete_passkey(
            &kim.id,
            &synced.id,
            &audit_at("Delete Passkey (synced)", at(20)),
        )
        .await
        .unwrap();
    let page = store
        .methods_summary(&ListQuery {
            filter: Some(NameFilter {
                field: NameField::UserPrincipalName,
                matching: NameMatch::Equals,
                value: "KIM@contoso.com".to_owned(),
            }),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].last_updated, at(20));
    assert_eq!(page.items[0].passkeys.len(), 1);

    let first = store
        .methods_summary(&ListQuery {
            top: 1,
            ..ListQuery::default()
        })
        .await
        .unwrap();
    let second = store
        .methods_summary(&ListQuery {
            top: 1,
            skip_token: first.next_skip_token.clone(),
            ..ListQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(second.next_skip_token, None);
    let mut ids = vec![
        first.items[0].user_id.clone(),
        second.items[0].user_id.clone(),
    ];
    ids.sort();
    let mut expected = vec![kim.id, lee.id];
    expected.sort();
    assert_eq!(ids, expected);
}

async fn refused_changes_write_no_audit_entry(store: Arc<dyn Store>) {
    let kim = add_user(&store, "kim@contoso.com").await;
    let group = Group {
        id: GroupId::random(),
        display_name: "Pilot".to_owned(),
        description: None,
        created_at: T0,
    };
    store
        .create_group(&group, &audit("Add group"))
        .await
        .unwrap();
    store
        .add_member(&group.id, &kim.id, &audit("Add member"))
        .await
        .unwrap();
    let before = audit_ids(&store).await;

    let nobody = UserId::random();
    let method = MethodId::random();
    assert!(store
        .delete_user(&nobody, &audit("Delete user"))
        .await
        .is_err());
    assert!(store
        .create_user(&new_user("KIM@contoso.com"), &audit("Add user"))
        .await
        .is_err());
    assert!(store
        .add_member(&group.id, &kim.id, &audit("Add member"))
        .await
        .is_err());
    assert!(store
        .remove_role(
            &kim.id,
            DirectoryRole::GlobalAdministrator,
            &audit("Remove role")
        )
        .await
        .is_err());
    assert!(store
        .rename_passkey(&kim.id, &method, "x", &audit("Update passkey"))
        .await
        .is_err());
    assert!(store
        .flag_passkey(&kim.id, &method, "x", &audit("Flag passkey"))
        .await
        .is_err());
    assert!(store
        .delete_tap(&kim.id, &method, &audit("Delete TAP"))
        .await
        .is_err());
    assert!(store
        .create_tap(&new_tap(&nobody, T0, true), &audit("Add TAP"))
        .await
        .is_err());
    assert!(store
        .remove_mds_blob(1, &audit("Remove MDS BLOB"))
        .await
        .is_err());
    assert!(store
        .save_policy(Some("stale"), "{}", "x", &audit("Policy update"))
        .await
        .is_err());
    // Reusing an audit id fails the whole change: the change is not kept either.
    let reused = all_audit(&store, AuditQuery::default()).await.remove(0);
    let lee = new_user("lee@contoso.com");
    assert_conflict(store.create_user(&lee, &reused).await, &reused.id);
    assert_eq!(store.get_user(&lee.id).await.unwrap(), None);

    assert_eq!(audit_ids(&store).await, before);
}

// --- Opening ----------------------------------------------------------------------------

async fn reopening_keeps_data_and_migrates_nothing(db: &TestDb) {
    let kim = add_user(&db.store, "kim@contoso.com").await;
    for _ in 0..2 {
        let again = db.reopen().await.unwrap();
        assert_eq!(again.schema_version().await.unwrap(), SCHEMA_VERSION);
        assert_eq!(again.get_user(&kim.id).await.unwrap(), Some(kim.clone()));
        again.close().await;
    }
}

async fn a_newer_database_is_refused_untouched(db: &TestDb) {
    let kim = add_user(&db.store, "kim@contoso.com").await;
    let future = SCHEMA_VERSION + 1;
    db.execute_directly(&format!(
        "INSERT INTO schema_version (version, name) VALUES ({future}, 'from the future')"
    ))
    .await;
    match db.reopen().await {
        Err(e @ StoreError::DatabaseTooNew { .. }) => {
            assert_eq!(
                e,
                StoreError::DatabaseTooNew {
                    found: future,
                    supported: SCHEMA_VERSION
                }
            );
            assert!(e.to_string().contains("upgrade Keybound"), "{e}");
        }
        Err(other) => panic!("expected DatabaseTooNew, got {other}"),
        Ok(_) => panic!("a database newer than this build was opened"),
    }
    // The refusal changed nothing: the open store still reads it.
    assert_eq!(db.store.get_user(&kim.id).await.unwrap(), Some(kim));
}

// --- Backend-specific checks ---------------------------------------------------------------

#[tokio::test]
async fn sqlite_files_use_wal_and_enforce_references() {
    let db = TestDb::sqlite().await;
    let Place::Sqlite { file, .. } = &db.place else {
        unreachable!()
    };
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();
    db.finish().await;
}

#[tokio::test]
async fn a_read_only_database_reads_and_refuses_writes_with_what_to_check() {
    let db = TestDb::sqlite().await;
    let kim = add_user(&db.store, "kim@contoso.com").await;
    let Place::Sqlite { file, .. } = &db.place else {
        unreachable!()
    };
    let reader = open(&format!("sqlite://{}?mode=ro", file.display()))
        .await
        .unwrap();
    assert_eq!(reader.get_user(&kim.id).await.unwrap(), Some(kim));
    match reader
        .create_user(&new_user("lee@contoso.com"), &audit("Add user"))
        .await
    {
        Err(e @ StoreError::ReadOnly { .. }) => {
            let message = e.to_string();
            assert!(message.contains(&file.display().to_string()), "{message}");
            assert!(message.contains("can write"), "{message}");
        }
        other => panic!("expected ReadOnly, got {other:?}"),
    }
    reader.close().await;
    db.finish().await;
}

#[tokio::test]
async fn urls_that_cannot_work_are_refused_with_the_fix() {
    for url in [
        "mysql://localhost/keybound",
        "sqlite::memory:",
        "keybound.db",
    ] {
        match open(url).await {
            Err(StoreError::InvalidUrl { reason }) => {
                assert!(reason.contains("sqlite://"), "{reason}")
            }
            Err(other) => panic!("{url}: expected InvalidUrl, got {other}"),
            Ok(_) => panic!("{url} was accepted"),
        }
    }
    // Nothing listens on port 1: refused at once, with what to check and no password.
    match open("postgres://keybound:s3cret@127.0.0.1:1/keybound").await {
        Err(e @ StoreError::Unavailable { .. }) => {
            let message = e.to_string();
            assert!(message.contains("127.0.0.1:1"), "{message}");
            assert!(message.contains("check"), "{message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
        Err(other) => panic!("expected Unavailable, got {other}"),
        Ok(_) => panic!("connected to nothing"),
    }
}
