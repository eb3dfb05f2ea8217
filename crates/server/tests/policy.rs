//! Keybound's extensions to the authentication-methods policy: versions and
//! restore, and `PATCH …?dryRun=true` with its impact on stored passkeys,
//! driven in-process with `oneshot` over a fresh SQLite directory per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use keybound_server::audit::{Audit, Initiator, Target};
use keybound_server::auth::scope::Scope;
use keybound_server::clock::ManualClock;
use keybound_server::config::RawConfig;
use keybound_server::state::AppState;
use keybound_store::{
    AttestationLevel, AuditEntry, AuditQuery, MethodId, Passkey, PasskeyType, Store, Timestamp,
    User, UserId,
};
use keybound_webauthn::{Aaguid, CredentialId};
use serde_json::{json, Value};
use tower::ServiceExt;

const MS_AUTHENTICATOR_IOS: &str = "90a3ccdf-635c-4729-a248-9b709135078f";
const MS_AUTHENTICATOR_ANDROID: &str = "de1e552d-db1d-4423-a619-566b625cdc84";
const YUBIKEY_5: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

const POLICY: &str = "/v1.0/authenticationMethodsPolicy";
const FIDO2: &str = "/v1.0/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2";
const TAP: &str =
    "/v1.0/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";
const UPDATE: &str = "Authentication Methods Policy Update";

// --- Harness --------------------------------------------------------------------

struct Harness {
    app: Router,
    state: AppState,
    clock: Arc<ManualClock>,
    admin: User,
    now: Timestamp,
    dir: PathBuf,
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

struct Reply {
    status: StatusCode,
    body: Value,
    headers: HeaderMap,
}

impl Reply {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    fn values(&self) -> Vec<Value> {
        self.body["value"].as_array().cloned().unwrap_or_default()
    }

    /// The ETag header, without quotes.
    fn etag(&self) -> String {
        self.headers[header::ETAG]
            .to_str()
            .unwrap()
            .trim_matches('"')
            .to_owned()
    }
}

async fn harness() -> Harness {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "keybound-policy-{}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = keybound_store::open(&format!("sqlite://{}/k.db", dir.display()))
        .await
        .unwrap();
    let config = RawConfig {
        data_dir: Some(dir.display().to_string()),
        ..Default::default()
    }
    .validate()
    .unwrap();
    let now = Timestamp::parse_rfc3339("2026-04-20T10:00:00Z").unwrap();
    let boot = keybound_server::bootstrap::run(store.as_ref(), &config.admin_upn, now)
        .await
        .unwrap()
        .expect("a fresh directory is bootstrapped");
    let clock = Arc::new(ManualClock::new(now));
    let state = keybound_server::state(config, store, clock.clone())
        .await
        .unwrap();
    Harness {
        app: keybound_server::app(state.clone()),
        state,
        clock,
        admin: boot.admin,
        now,
        dir,
    }
}

impl Harness {
    fn store(&self) -> &dyn Store {
        self.state.store.as_ref()
    }

    fn token(&self, scopes: &[Scope]) -> String {
        self.state
            .tokens
            .mint("policy-tests", scopes, self.now, 60)
            .unwrap()
            .0
    }

    /// A request with an optional bearer token, body and `If-Match`.
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some(etag) = if_match {
            request = request.header(header::IF_MATCH, format!("\"{etag}\""));
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!(
                    "{path}: the response is not JSON: {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        Reply {
            status,
            body,
            headers,
        }
    }

    /// A request with a token holding every scope.
    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        let token = self.token(&Scope::ALL);
        self.send(method, path, Some(&token), body, None).await
    }

    async fn get(&self, path: &str) -> Reply {
        let reply = self.admin(Method::GET, path, None).await;
        assert_eq!(reply.status, StatusCode::OK, "GET {path}: {}", reply.body);
        reply
    }

    /// A real PATCH, which must succeed; a second later than the last one.
    async fn patch(&self, path: &str, body: Value) {
        self.clock.advance_millis(1_000);
        let reply = self.admin(Method::PATCH, path, Some(body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::NO_CONTENT,
            "PATCH {path} {body}: {}",
            reply.body
        );
    }

    /// `POST …/versions/{n}/restore` with every scope.
    async fn restore(&self, config: &str, version: i64, if_match: Option<&str>) -> Reply {
        self.clock.advance_millis(1_000);
        let token = self.token(&Scope::ALL);
        let path = format!(
            "{POLICY}/authenticationMethodConfigurations/{config}/versions/{version}/restore"
        );
        self.send(Method::POST, &path, Some(&token), None, if_match)
            .await
    }

    async fn create_user(&self, upn: &str, name: &str) -> User {
        let reply = self
            .admin(
                Method::POST,
                "/v1.0/users",
                Some(json!({"userPrincipalName": upn, "displayName": name})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{upn}: {}", reply.body);
        let id = UserId::parse(reply.body["id"].as_str().unwrap()).unwrap();
        self.store().get_user(&id).await.unwrap().unwrap()
    }

    /// Registers a device-bound, attested passkey straight through the store, as a finished ceremony would.
    async fn add_passkey(&self, user: &User, aaguid: &str, name: &str) -> String {
        let id = MethodId::random();
        let passkey = Passkey {
            id: id.clone(),
            credential_id: CredentialId::from_bytes(id.as_str().as_bytes().to_vec()).unwrap(),
            user_id: user.id.clone(),
            display_name: name.into(),
            created_at: self.now,
            last_used_at: None,
            aaguid: aaguid.parse::<Aaguid>().unwrap(),
            public_key: vec![0xa5, 0x01, 0x02],
            sign_count: 0,
            backup_eligible: false,
            backed_up: false,
            transports: vec!["usb".into()],
            attestation_format: "packed".into(),
            attestation_level: AttestationLevel::Attested,
            attestation_certificates: vec![vec![0x30, 0x82, 0xff]],
            passkey_type: PasskeyType::DeviceBound,
            flagged: None,
        };
        let audit = Audit::new(
            "Add Passkey (device-bound)",
            "UserManagement",
            "Device Registration Service",
            "Add",
        )
        .by(Initiator::keybound())
        .target(Target::user(user))
        .at(self.now)
        .unwrap();
        self.store().create_passkey(&passkey, &audit).await.unwrap();
        id.as_str().to_owned()
    }

    async fn version_count(&self) -> usize {
        self.store().policy_versions().await.unwrap().len()
    }

    async fn audits(&self, activity: Option<&str>) -> Vec<AuditEntry> {
        self.store()
            .query_audit(&AuditQuery {
                activity_display_name: activity.map(str::to_owned),
                top: 999,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .items
    }
}

/// A FIDO2 PATCH that enforces an allow list of these AAGUIDs.
fn allow(aaguids: &[&str]) -> Value {
    json!({"keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": aaguids}})
}

/// A configuration as a version shows it: `GET`'s body without Keybound's claim warnings.
fn without_warnings(mut config: Value) -> Value {
    if let Some(map) = config.as_object_mut() {
        map.remove("keybound.unattestedClaims");
    }
    config
}

/// `…/authenticationMethodConfigurations/{config}/versions` plus `tail`.
fn versions(config: &str, tail: &str) -> String {
    format!("{POLICY}/authenticationMethodConfigurations/{config}/versions{tail}")
}

// --- Versions -----------------------------------------------------------------------

#[tokio::test]
async fn versions_list_newest_first_with_each_versions_configuration() {
    let h = harness().await;
    let v1_fido2 = without_warnings(h.get(FIDO2).await.body);
    let v1_tap = h.get(TAP).await.body;
    h.patch(
        FIDO2,
        allow(&[MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID]),
    )
    .await;
    h.patch(
        POLICY,
        json!({"authenticationMethodConfigurations": [
            {"id": "Fido2", "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [MS_AUTHENTICATOR_IOS]}},
            {"id": "TemporaryAccessPass", "defaultLifetimeInMinutes": 120},
        ]}),
    )
    .await;
    let current = h.get(FIDO2).await;

    // The id in any case, under both prefixes.
    let listing = h.get(&versions("fido2", "")).await;
    let items = listing.values();
    let numbers: Vec<i64> = items
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [3, 2, 1], "{}", listing.body);
    let restrictions: Vec<Value> = items
        .iter()
        .map(|v| v["configuration"]["keyRestrictions"]["aaGuids"].clone())
        .collect();
    assert_eq!(
        restrictions,
        [
            json!([MS_AUTHENTICATOR_IOS]),
            json!([MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID]),
            json!([]),
        ]
    );
    assert_eq!(
        items[0]["configuration"],
        without_warnings(current.body.clone())
    );
    assert_eq!(items[0]["etag"], current.etag().as_str());
    assert_eq!(items[2]["configuration"], v1_fido2);
    assert_eq!(items[2]["author"], "keybound");
    assert_eq!(items[0]["author"], "token:policy-tests");
    assert_eq!(items[0]["createdDateTime"], "2026-04-20T10:00:02Z");
    assert_eq!(items[2]["createdDateTime"], "2026-04-20T10:00:00Z");
    let same = h
        .get(&versions("FIDO2", "").replacen("/v1.0/", "/beta/policies/", 1))
        .await;
    assert_eq!(same.values(), items);

    // Other configurations have the same history, shown as they were.
    let tap = h.get(&versions("TemporaryAccessPass", "")).await.values();
    let lifetimes: Vec<&Value> = tap
        .iter()
        .map(|v| &v["configuration"]["defaultLifetimeInMinutes"])
        .collect();
    assert_eq!(
        lifetimes,
        [
            &json!(120),
            &v1_tap["defaultLifetimeInMinutes"],
            &v1_tap["defaultLifetimeInMinutes"]
        ]
    );
    assert_eq!(tap[1]["configuration"], v1_tap);
    assert_eq!(h.get(&versions("SoftwareOath", "")).await.values().len(), 3);

    // `$top` pages, newest first, and the next link continues.
    let first = h.get(&versions("Fido2", "?$top=2")).await;
    assert_eq!(first.values(), items[..2]);
    let next = first.body["@odata.nextLink"].as_str().unwrap();
    let rest = h
        .get(next.strip_prefix("http://localhost:8080").unwrap())
        .await;
    assert_eq!(rest.values(), items[2..]);
    assert!(rest.body.get("@odata.nextLink").is_none());

    // One version.
    let one = h.get(&versions("Fido2", "/2")).await;
    assert_eq!(one.body["version"], 2);
    assert_eq!(one.body["configuration"], items[1]["configuration"]);

    // Refusals, by row: path, status, code.
    for (path, status, code) in [
        (
            versions("Fido2", "/9"),
            StatusCode::NOT_FOUND,
            "itemNotFound",
        ),
        (
            versions("Fido2", "/0"),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            versions("Fido2", "/two"),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (versions("Email", ""), StatusCode::NOT_FOUND, "itemNotFound"),
        (
            versions("Fido2", "?$top=0"),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
        (
            versions("Fido2", "?$filter=version%20eq%201"),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
        ),
    ] {
        let reply = h.admin(Method::GET, &path, None).await;
        assert_eq!(
            (reply.status, reply.code()),
            (status, code),
            "{path}: {}",
            reply.body
        );
    }
}

#[tokio::test]
async fn restoring_a_version_brings_back_only_that_configuration() {
    let h = harness().await;
    let v1_fido2 = without_warnings(h.get(FIDO2).await.body);
    h.patch(
        FIDO2,
        json!({
            "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [MS_AUTHENTICATOR_IOS, YUBIKEY_5]},
            "passkeyProfiles": [
                {"id": "00000000-0000-0000-0000-000000000001"},
                {"name": "Security keys", "passkeyTypes": "deviceBound", "attestationEnforcement": "registrationOnly"},
            ],
        }),
    )
    .await;
    let v2_fido2 = without_warnings(h.get(FIDO2).await.body);
    h.patch(TAP, json!({"defaultLifetimeInMinutes": 120})).await;
    h.patch(FIDO2, allow(&[MS_AUTHENTICATOR_IOS])).await;
    let tap_now = h.get(TAP).await.body;
    assert_eq!(tap_now["defaultLifetimeInMinutes"], 120);
    let audits_before = h.audits(Some(UPDATE)).await.len();

    // Version 2's FIDO2, profile ids and all, with today's TAP.
    let etag = h.get(FIDO2).await.etag();
    let restored = h.restore("fido2", 2, Some(&etag)).await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.body);
    assert_eq!(without_warnings(restored.body.clone()), v2_fido2);
    assert!(restored.body["keybound.unattestedClaims"].is_array());
    let read = h.get(FIDO2).await;
    assert_eq!(without_warnings(read.body.clone()), v2_fido2);
    assert_eq!(
        restored.etag(),
        read.etag(),
        "the reply carries the new ETag"
    );
    assert_eq!(h.get(TAP).await.body, tap_now, "TAP is left as it is");
    assert_eq!(h.version_count().await, 5);
    let newest = &h.get(&versions("Fido2", "?$top=1")).await.values()[0];
    assert_eq!(newest["version"], 5);
    assert_eq!(newest["configuration"], v2_fido2);

    // Audited once, naming the version restored from.
    let entries = h.audits(Some(UPDATE)).await;
    assert_eq!(entries.len(), audits_before + 1);
    let entry = &entries[0];
    assert_eq!(entry.target_resources[0].id.as_deref(), Some("Fido2"));
    assert!(
        entry
            .additional_details
            .iter()
            .any(|d| d.key == "restoredFromVersion" && d.value == "2"),
        "{entry:?}"
    );

    // Version 1, the directory's first policy: its FIDO2 back, TAP still today's.
    let first = h.restore("Fido2", 1, None).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(without_warnings(h.get(FIDO2).await.body), v1_fido2);
    assert_eq!(
        h.get(&versions("Fido2", "/6")).await.body["configuration"],
        v1_fido2
    );
    assert_eq!(h.get(TAP).await.body, tap_now);
}

#[tokio::test]
async fn restore_with_a_stale_if_match_is_refused_and_saves_nothing() {
    let h = harness().await;
    h.patch(FIDO2, allow(&[MS_AUTHENTICATOR_IOS])).await;
    let stale = h.get(FIDO2).await.etag();
    h.patch(FIDO2, allow(&[MS_AUTHENTICATOR_ANDROID])).await;
    let before = h.get(FIDO2).await;
    let (versions_before, audits_before) = (h.version_count().await, h.audits(None).await.len());

    let reply = h.restore("Fido2", 1, Some(&stale)).await;
    assert_eq!(
        reply.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        reply.body
    );
    assert_eq!(reply.code(), "Request_PreconditionFailed");
    assert_eq!(h.version_count().await, versions_before);
    assert_eq!(h.audits(None).await.len(), audits_before);
    let after = h.get(FIDO2).await;
    assert_eq!(after.body, before.body);
    assert_eq!(after.etag(), before.etag());

    // A version that does not exist is refused the same way: nothing saved.
    let missing = h.restore("Fido2", 42, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert_eq!(h.version_count().await, versions_before);
}

#[tokio::test]
async fn restore_refuses_to_bring_back_a_deleted_group() {
    let h = harness().await;
    let group = h
        .admin(
            Method::POST,
            "/v1.0/groups",
            Some(json!({"displayName": "Pilot"})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.patch(
        FIDO2,
        json!({"excludeTargets": [{"id": group, "targetType": "group"}]}),
    )
    .await;
    h.patch(FIDO2, json!({"excludeTargets": []})).await;
    let deleted = h
        .admin(Method::DELETE, &format!("/v1.0/groups/{group}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let count = h.version_count().await;

    let reply = h.restore("Fido2", 2, None).await;
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.body);
    assert_eq!(reply.code(), "restoreNamesDeletedGroup");
    assert!(reply.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&group));
    assert_eq!(h.version_count().await, count);
}

// --- Dry runs -------------------------------------------------------------------------

/// Alice (a user) holds a Microsoft Authenticator and a YubiKey passkey; the
/// administrator holds only a YubiKey. The allow list takes all three AAGUIDs.
struct Passkeys {
    alice: User,
    alice_authenticator: String,
    alice_yubikey: String,
    admin_yubikey: String,
}

async fn passkeys(h: &Harness) -> Passkeys {
    h.patch(
        FIDO2,
        allow(&[MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID, YUBIKEY_5]),
    )
    .await;
    let alice = h.create_user("alice@example.org", "Alice").await;
    Passkeys {
        alice_authenticator: h
            .add_passkey(&alice, MS_AUTHENTICATOR_IOS, "Alice's phone")
            .await,
        alice_yubikey: h.add_passkey(&alice, YUBIKEY_5, "Alice's key").await,
        admin_yubikey: h.add_passkey(&h.admin, YUBIKEY_5, "Admin key").await,
        alice,
    }
}

/// A lost passkey's entry: `(userPrincipalName, passkeyId, displayName, aaGuid, provider, code)`.
fn lost(entry: &Value) -> (String, String, String, String, String, String) {
    let text = |k: &str| {
        entry[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} in {entry}"))
            .to_owned()
    };
    (
        text("userPrincipalName"),
        text("passkeyId"),
        text("displayName"),
        text("aaGuid"),
        text("provider"),
        text("code"),
    )
}

#[tokio::test]
async fn a_dry_run_lists_the_passkeys_a_change_would_stop_and_warns_of_an_admin_lockout() {
    let h = harness().await;
    let p = passkeys(&h).await;
    let token = h.token(&[Scope::PolicyReadWriteAuthenticationMethod]);

    // Removing the YubiKey stops Alice's key and the administrator's only passkey.
    let reply = h
        .send(
            Method::PATCH,
            &format!("{FIDO2}?dryRun=true"),
            Some(&token),
            Some(allow(&[MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID])),
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["dryRun"], true);
    assert_eq!(
        reply.body["configuration"]["keyRestrictions"]["aaGuids"],
        json!([MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID])
    );
    assert!(reply.body["configuration"]["keybound.unattestedClaims"].is_array());
    let impact = &reply.body["impact"];
    let entries = impact["passkeysThatWouldStopWorking"].as_array().unwrap();
    let mut got: Vec<_> = entries.iter().map(lost).collect();
    got.sort();
    let row = |upn: &str, id: &str, name: &str| {
        (
            upn.to_owned(),
            id.to_owned(),
            name.to_owned(),
            YUBIKEY_5.to_owned(),
            "unknown provider".to_owned(),
            "aaguid_not_allowed".to_owned(),
        )
    };
    let mut want = vec![
        row("admin@localhost", &p.admin_yubikey, "Admin key"),
        row("alice@example.org", &p.alice_yubikey, "Alice's key"),
    ];
    want.sort();
    assert_eq!(got, want, "{impact}");
    for entry in entries {
        let reason = entry["reason"].as_str().unwrap();
        assert!(
            reason.contains("allow list") && reason.contains(YUBIKEY_5),
            "{reason}"
        );
        let owner = if entry["userPrincipalName"] == "alice@example.org" {
            &p.alice
        } else {
            &h.admin
        };
        assert_eq!(entry["userId"], owner.id.as_str());
    }
    assert_eq!(impact["locksOutAllGlobalAdministrators"], true);
    let warning = impact["warning"].as_str().unwrap();
    assert!(
        warning.contains("every Global Administrator") && warning.contains("keybound admin tap"),
        "{warning}"
    );

    // The same change through the root policy: the whole policy, the same impact.
    let root = h
        .send(
            Method::PATCH,
            &format!("{POLICY}?dryRun=true"),
            Some(&token),
            Some(json!({"authenticationMethodConfigurations": [
                {"id": "Fido2", "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID]}},
            ]})),
            None,
        )
        .await;
    assert_eq!(root.status, StatusCode::OK, "{}", root.body);
    assert_eq!(
        root.body["configuration"]["id"],
        "authenticationMethodsPolicy"
    );
    assert_eq!(root.body["impact"], *impact);

    // Removing Microsoft Authenticator for iOS stops only Alice's phone; the administrator keeps theirs.
    let phone = h
        .send(
            Method::PATCH,
            &format!("{FIDO2}?dryRun=true"),
            Some(&token),
            Some(allow(&[MS_AUTHENTICATOR_ANDROID, YUBIKEY_5])),
            None,
        )
        .await;
    assert_eq!(phone.status, StatusCode::OK, "{}", phone.body);
    let entries = phone.body["impact"]["passkeysThatWouldStopWorking"]
        .as_array()
        .unwrap();
    assert_eq!(
        entries.iter().map(lost).collect::<Vec<_>>(),
        [(
            "alice@example.org".to_owned(),
            p.alice_authenticator.clone(),
            "Alice's phone".to_owned(),
            MS_AUTHENTICATOR_IOS.to_owned(),
            "Microsoft Authenticator for iOS".to_owned(),
            "aaguid_not_allowed".to_owned(),
        )]
    );
    assert_eq!(
        phone.body["impact"]["locksOutAllGlobalAdministrators"],
        false
    );
    assert_eq!(phone.body["impact"]["warning"], Value::Null);
}

#[tokio::test]
async fn a_dry_run_saves_nothing() {
    let h = harness().await;
    passkeys(&h).await;
    let before = h.get(FIDO2).await;
    let tap_before = h.get(TAP).await.body;
    let (versions_before, audits_before) = (h.version_count().await, h.audits(None).await.len());

    for (path, body) in [
        (
            format!("{FIDO2}?dryRun=true"),
            allow(&[MS_AUTHENTICATOR_IOS]),
        ),
        (format!("{FIDO2}?dryrun=TRUE"), json!({"state": "disabled"})),
        (
            format!("{TAP}?dryRun=true"),
            json!({"defaultLifetimeInMinutes": 120}),
        ),
        (
            format!("{POLICY}?dryRun=true"),
            json!({"reconfirmationInDays": 90}),
        ),
    ] {
        let reply = h.admin(Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{path} {body}: {}",
            reply.body
        );
        assert_eq!(reply.body["dryRun"], true);
        assert_eq!(
            reply.etag(),
            before.etag(),
            "weighed against the current version"
        );
    }
    // The TAP change reports its result and stops no passkey.
    let tap = h
        .admin(
            Method::PATCH,
            &format!("{TAP}?dryRun=true"),
            Some(json!({"defaultLifetimeInMinutes": 120})),
        )
        .await;
    assert_eq!(tap.body["configuration"]["defaultLifetimeInMinutes"], 120);
    assert_eq!(
        tap.body["impact"]["passkeysThatWouldStopWorking"],
        json!([])
    );
    assert_eq!(tap.body["impact"]["locksOutAllGlobalAdministrators"], false);

    assert_eq!(h.version_count().await, versions_before);
    assert_eq!(h.audits(None).await.len(), audits_before);
    let after = h.get(FIDO2).await;
    assert_eq!(after.body, before.body);
    assert_eq!(after.etag(), before.etag());
    assert_eq!(h.get(TAP).await.body, tap_before);

    // A dry run is checked like a real PATCH, and `dryRun` takes only true or false.
    let stale = h
        .send(
            Method::PATCH,
            &format!("{FIDO2}?dryRun=true"),
            Some(&h.token(&Scope::ALL)),
            Some(allow(&[MS_AUTHENTICATOR_IOS])),
            Some("not-the-etag"),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );
    for (query, body) in [
        ("?dryRun=maybe", allow(&[MS_AUTHENTICATOR_IOS])),
        ("?dryRun=true", allow(&["not-an-aaguid"])),
    ] {
        let reply = h
            .admin(Method::PATCH, &format!("{FIDO2}{query}"), Some(body))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
    }
    assert_eq!(h.version_count().await, versions_before);
    assert_eq!(h.audits(None).await.len(), audits_before);

    // Without dryRun (or with dryRun=false) a PATCH is saved and answers 204 as before.
    let real = h
        .admin(
            Method::PATCH,
            &format!("{FIDO2}?dryRun=false"),
            Some(allow(&[MS_AUTHENTICATOR_IOS])),
        )
        .await;
    assert_eq!(real.status, StatusCode::NO_CONTENT, "{}", real.body);
    assert_eq!(h.version_count().await, versions_before + 1);
}

// --- Scopes ---------------------------------------------------------------------------

/// One request with a token of `scope` (`None`: no token) answers `status`, with
/// Graph's code for a refusal. A PATCH carries a harmless body.
async fn check(h: &Harness, method: Method, path: &str, scope: Option<Scope>, status: StatusCode) {
    let token = scope.map(|s| h.token(&[s]));
    let body =
        (method == Method::PATCH).then(|| json!({"isSelfServiceRegistrationAllowed": false}));
    let row = format!("{method} {path} with {scope:?}");
    let reply = h.send(method, path, token.as_deref(), body, None).await;
    assert_eq!(reply.status, status, "{row}: {}", reply.body);
    let code = match status {
        StatusCode::UNAUTHORIZED => "InvalidAuthenticationToken",
        StatusCode::FORBIDDEN => "Authorization_RequestDenied",
        _ => "",
    };
    assert_eq!(reply.code(), code, "{row}");
}

#[tokio::test]
async fn versions_restore_and_dry_runs_need_their_scopes() {
    use Scope::*;
    let h = harness().await;
    let list = versions("Fido2", "");
    let one = versions("Fido2", "/1");
    let restore = versions("Fido2", "/1/restore");
    let dry_run = format!("{FIDO2}?dryRun=true");
    let (get, post, patch) = (Method::GET, Method::POST, Method::PATCH);
    let (ok, unauthorized, forbidden) = (
        StatusCode::OK,
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
    );
    let rows = [
        (&get, &list, None, unauthorized),
        (&get, &one, None, unauthorized),
        (&post, &restore, None, unauthorized),
        (&patch, &dry_run, None, unauthorized),
        (&get, &list, Some(UserReadAll), forbidden),
        (&get, &list, Some(PolicyReadAll), ok),
        (&get, &one, Some(PolicyReadAuthenticationMethod), ok),
        (&post, &restore, Some(PolicyReadAll), forbidden),
        (
            &post,
            &restore,
            Some(PolicyReadAuthenticationMethod),
            forbidden,
        ),
        (&patch, &dry_run, Some(PolicyReadAll), forbidden),
        (
            &patch,
            &dry_run,
            Some(PolicyReadWriteAuthenticationMethod),
            ok,
        ),
        (
            &post,
            &restore,
            Some(PolicyReadWriteAuthenticationMethod),
            ok,
        ),
    ];
    for (method, path, scope, status) in rows {
        check(&h, method.clone(), path, scope, status).await;
    }
    // Only the last row wrote anything: the bootstrap version, then the restore.
    assert_eq!(h.version_count().await, 2);
}
