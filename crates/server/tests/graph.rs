//! The Graph-compatible directory, methods, report and policy endpoints,
//! driven in-process with `oneshot` over a fresh SQLite directory per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use keybound_metadata::KEYBOUND_AUTHENTICATOR_AAGUID;
use keybound_server::audit::{Audit, Initiator, Target};
use keybound_server::auth::scope::Scope;
use keybound_server::clock::ManualClock;
use keybound_server::config::RawConfig;
use keybound_server::state::AppState;
use keybound_store::{
    AttestationLevel, AuditQuery, MethodId, Passkey, PasskeyType, SoftwareOathMethod, Store,
    Timestamp, User,
};
use keybound_webauthn::{Aaguid, CredentialId};
use serde_json::{json, Value};
use tower::ServiceExt;

const MS_AUTHENTICATOR_IOS: &str = "90a3ccdf-635c-4729-a248-9b709135078f";
const MS_AUTHENTICATOR_ANDROID: &str = "de1e552d-db1d-4423-a619-566b625cdc84";
const YUBIKEY_5: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const ICLOUD_KEYCHAIN: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
const AUTH_ADMIN: &str = "c4e39bd9-1100-46d3-8c65-fb160da0071f";
const AUTH_POLICY_ADMIN: &str = "0526716b-113d-4c15-b2c8-68e3c22b9f80";

// --- Harness --------------------------------------------------------------------

struct Harness {
    app: Router,
    state: AppState,
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
    /// The error code of a refusal.
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }

    /// The `value` array of a collection.
    fn values(&self) -> Vec<Value> {
        self.body["value"].as_array().cloned().unwrap_or_default()
    }
}

async fn harness() -> Harness {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "keybound-graph-{}-{}-{}",
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
    let state = keybound_server::state(config, store, clock).await.unwrap();
    Harness {
        app: keybound_server::app(state.clone()),
        state,
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
            .mint("graph-tests", scopes, self.now, 60)
            .unwrap()
            .0
    }

    /// A request with an optional bearer token, body and extra header.
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        extra: Option<(&str, &str)>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let Some((name, value)) = extra {
            request = request.header(name, value);
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
        self.admin(Method::GET, path, None).await
    }

    async fn create_user(&self, upn: &str, name: &str) -> Value {
        let reply = self
            .admin(
                Method::POST,
                "/v1.0/users",
                Some(json!({"userPrincipalName": upn, "displayName": name})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{upn}: {}", reply.body);
        reply.body
    }

    async fn create_group(&self, name: &str) -> String {
        let reply = self
            .admin(
                Method::POST,
                "/v1.0/groups",
                Some(json!({"displayName": name})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{name}: {}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    async fn user(&self, id: &str) -> User {
        let id = keybound_store::UserId::parse(id).unwrap();
        self.store().get_user(&id).await.unwrap().unwrap()
    }

    /// Registers a passkey straight through the store, as a finished ceremony would.
    async fn add_passkey(
        &self,
        user_id: &str,
        aaguid: &str,
        kind: PasskeyType,
        name: &str,
    ) -> String {
        let user = self.user(user_id).await;
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
            backup_eligible: kind == PasskeyType::Synced,
            backed_up: kind == PasskeyType::Synced,
            transports: vec!["internal".into()],
            attestation_format: "packed".into(),
            attestation_level: AttestationLevel::Attested,
            attestation_certificates: vec![vec![0x30, 0x82, 0xff]],
            passkey_type: kind,
            flagged: None,
        };
        let audit = Audit::new(
            "Add Passkey (device-bound)",
            "UserManagement",
            "Device Registration Service",
            "Add",
        )
        .by(Initiator::keybound())
        .target(Target::user(&user))
        .at(self.now)
        .unwrap();
        self.store().create_passkey(&passkey, &audit).await.unwrap();
        id.as_str().to_owned()
    }

    async fn add_oath(&self, user_id: &str) -> String {
        let user = self.user(user_id).await;
        let id = MethodId::random();
        let method = SoftwareOathMethod {
            id: id.clone(),
            user_id: user.id.clone(),
            secret: vec![7; 20],
            created_at: self.now,
            last_used_step: 0,
        };
        let audit = Audit::new(
            "Admin registered security info",
            "UserManagement",
            "Authentication Methods",
            "Add",
        )
        .by(Initiator::keybound())
        .target(Target::user(&user))
        .at(self.now)
        .unwrap();
        self.store()
            .create_software_oath(&method, &audit)
            .await
            .unwrap();
        id.as_str().to_owned()
    }

    /// Every item of a collection, following `@odata.nextLink`; also returns how many pages.
    async fn follow(&self, path: &str) -> (Vec<Value>, usize) {
        let mut items = Vec::new();
        let mut pages = 0;
        let mut next = Some(path.to_owned());
        while let Some(path) = next {
            let reply = self.get(&path).await;
            assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
            pages += 1;
            items.extend(reply.values());
            next = reply.body["@odata.nextLink"].as_str().map(|link| {
                link.strip_prefix("http://localhost:8080")
                    .unwrap_or_else(|| panic!("nextLink {link} is not on the public URL"))
                    .to_owned()
            });
            assert!(pages < 50, "paging does not end");
        }
        (items, pages)
    }

    async fn audit_count(&self, activity: &str) -> usize {
        self.store()
            .query_audit(&AuditQuery {
                activity_display_name: Some(activity.into()),
                top: 999,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .items
            .len()
    }

    /// The newest entry of `activity` whose targets name `who` (an id or a userPrincipalName).
    async fn audit_about(&self, activity: &str, who: &str) -> keybound_store::AuditEntry {
        self.store()
            .query_audit(&AuditQuery {
                activity_display_name: Some(activity.into()),
                top: 999,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|e| {
                e.target_resources.iter().any(|t| {
                    t.id.as_deref() == Some(who) || t.user_principal_name.as_deref() == Some(who)
                })
            })
            .unwrap_or_else(|| panic!("no audit entry `{activity}` about {who}"))
    }

    /// How many audit entries exist in all (to prove a refusal wrote nothing).
    async fn audit_total(&self) -> usize {
        self.store()
            .query_audit(&AuditQuery {
                top: 999,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .items
            .len()
    }
}

fn upns(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|v| v["userPrincipalName"].as_str().unwrap().to_owned())
        .collect()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

// --- Users ------------------------------------------------------------------------

#[tokio::test]
async fn users_are_created_read_updated_and_deleted() {
    let h = harness().await;
    let created = h
        .admin(
            Method::POST,
            "/v1.0/users",
            Some(json!({"userPrincipalName": "Alice@Example.org", "displayName": "Alice"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["accountEnabled"], true);
    assert_eq!(created.body["userPrincipalName"], "Alice@Example.org");
    assert_eq!(
        created.body["@odata.context"],
        "http://localhost:8080/v1.0/$metadata#users/$entity"
    );
    assert!(created.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .ends_with(&format!("/v1.0/users/{id}")));
    let stored = h.user(&id).await;
    assert_eq!(stored.user_handle.as_bytes().len(), 32);
    assert!(h.store().get_password(&stored.id).await.unwrap().is_none());

    // By id, and by userPrincipalName in any case, under both versions.
    for path in [
        format!("/v1.0/users/{id}"),
        "/v1.0/users/alice@example.org".to_owned(),
        "/beta/users/ALICE@EXAMPLE.ORG".to_owned(),
    ] {
        let reply = h.get(&path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.body["id"], id.as_str(), "{path}");
        assert_eq!(reply.body["displayName"], "Alice");
    }
    let selected = h
        .get(&format!("/v1.0/users/{id}?$select=id,displayName"))
        .await;
    assert_eq!(
        selected.body,
        json!({"@odata.context": "http://localhost:8080/v1.0/$metadata#users/$entity", "id": id, "displayName": "Alice"})
    );

    let patched = h
        .admin(
            Method::PATCH,
            "/v1.0/users/alice@example.org",
            Some(json!({"displayName": "Alice Example", "accountEnabled": false})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.body);
    let reply = h.get(&format!("/v1.0/users/{id}")).await;
    assert_eq!(reply.body["displayName"], "Alice Example");
    assert_eq!(reply.body["accountEnabled"], false);
    let update = h.audit_about("Update user", &id).await;
    assert_eq!(update.category, "UserManagement");
    assert_eq!(update.logged_by_service, "Core Directory");
    let target = &update.target_resources[0];
    assert_eq!(
        target.user_principal_name.as_deref(),
        Some("Alice@Example.org")
    );
    let changed: Vec<(&str, Option<&str>, Option<&str>)> = target
        .modified_properties
        .iter()
        .map(|p| {
            (
                p.display_name.as_str(),
                p.old_value.as_deref(),
                p.new_value.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            (
                "displayName",
                Some("[\"Alice\"]"),
                Some("[\"Alice Example\"]")
            ),
            ("accountEnabled", Some("[true]"), Some("[false]")),
        ]
    );
    assert_eq!(
        h.audit_about("Add user", &id).await.category,
        "UserManagement"
    );

    // A PATCH that changes nothing writes nothing.
    let before = h.audit_total().await;
    let same = h
        .admin(
            Method::PATCH,
            &format!("/v1.0/users/{id}"),
            Some(json!({"displayName": "Alice Example"})),
        )
        .await;
    assert_eq!(same.status, StatusCode::NO_CONTENT);
    assert_eq!(h.audit_total().await, before);

    let deleted = h
        .admin(Method::DELETE, &format!("/v1.0/users/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = h.get(&format!("/v1.0/users/{id}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), "Request_ResourceNotFound");
    assert!(gone.message().contains(&id), "{}", gone.message());
    assert_eq!(h.audit_count("Delete user").await, 1);
    let again = h
        .admin(Method::DELETE, &format!("/v1.0/users/{id}"), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_password_is_optional_and_stored_only_as_a_hash() {
    let h = harness().await;
    let reply = h
        .admin(
            Method::POST,
            "/v1.0/users",
            Some(json!({
                "accountEnabled": true,
                "displayName": "Bob",
                "mailNickname": "bob",
                "userPrincipalName": "bob@example.org",
                "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "Correct-Horse-9"}
            })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap();
    let stored = h
        .store()
        .get_password(&h.user(id).await.id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.phc_hash.starts_with("$argon2id$"));
    assert!(!stored.phc_hash.contains("Correct-Horse-9"));
    let methods = h
        .get(&format!("/v1.0/users/{id}/authentication/passwordMethods"))
        .await;
    assert_eq!(
        methods.values(),
        vec![json!({
            "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
            "id": "28c10230-6103-485e-b985-444c60001490",
            "password": null,
            "createdDateTime": "2026-04-20T10:00:00Z"
        })]
    );
    let one = h
        .get(&format!(
            "/v1.0/users/{id}/authentication/passwordMethods/28c10230-6103-485e-b985-444c60001490"
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["password"], Value::Null);
}

#[tokio::test]
async fn bad_user_requests_are_refused_by_name_and_write_nothing() {
    let h = harness().await;
    h.create_user("taken@example.org", "Taken").await;
    let users_before = h
        .store()
        .list_users(&Default::default())
        .await
        .unwrap()
        .items
        .len();
    let audits_before = h.audit_total().await;

    let cases: Vec<(Value, StatusCode, &str, &str)> = vec![
        (
            json!({"displayName": "No Name"}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "userPrincipalName",
        ),
        (
            json!({"userPrincipalName": "no-at-sign", "displayName": "X"}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "'userPrincipalName'",
        ),
        (
            json!({"userPrincipalName": "two words@example.org", "displayName": "X"}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "two words@example.org",
        ),
        (
            json!({"userPrincipalName": "x@example.org"}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "displayName",
        ),
        (
            json!({"userPrincipalName": "x@example.org", "displayName": "X", "jobTitle": "CEO"}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "'jobTitle'",
        ),
        (
            json!({"userPrincipalName": "x@example.org", "displayName": "X", "accountEnabled": "yes"}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "accountEnabled",
        ),
        (
            json!({"userPrincipalName": "x@example.org", "displayName": "X", "passwordProfile": {"password": "short"}}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "passwordProfile.password",
        ),
        (
            json!({"userPrincipalName": "x@example.org", "displayName": "X", "passwordProfile": {"pin": "1"}}),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "passwordProfile.pin",
        ),
        (
            json!({"userPrincipalName": "TAKEN@example.org", "displayName": "Again"}),
            StatusCode::CONFLICT,
            "Request_MultipleObjectsWithSameKeyValue",
            "Another object with the same value for property userPrincipalName already exists.",
        ),
        (
            json!(["not", "an", "object"]),
            StatusCode::BAD_REQUEST,
            "Request_BadRequest",
            "JSON object",
        ),
    ];
    for (body, status, code, fragment) in cases {
        let reply = h
            .admin(Method::POST, "/v1.0/users", Some(body.clone()))
            .await;
        assert_eq!(reply.status, status, "{body}: {}", reply.body);
        assert_eq!(reply.code(), code, "{body}");
        assert!(
            reply.message().contains(fragment),
            "{body}: {}",
            reply.message()
        );
    }
    let broken = h
        .send(
            Method::POST,
            "/v1.0/users",
            Some(&h.token(&[Scope::UserReadWriteAll])),
            None,
            None,
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);

    // PATCH: a taken name, an unknown property, an unknown user.
    let other = h.create_user("other@example.org", "Other").await;
    let other_id = other["id"].as_str().unwrap();
    let audits_before_patch = h.audit_total().await;
    let conflict = h
        .admin(
            Method::PATCH,
            &format!("/v1.0/users/{other_id}"),
            Some(json!({"userPrincipalName": "Taken@Example.org"})),
        )
        .await;
    assert_eq!(conflict.status, StatusCode::CONFLICT);
    assert_eq!(conflict.code(), "Request_MultipleObjectsWithSameKeyValue");
    let unknown = h
        .admin(
            Method::PATCH,
            &format!("/v1.0/users/{other_id}"),
            Some(json!({"displayName": "Fine", "officeLocation": "2"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.message().contains("'officeLocation'"));
    assert_eq!(
        h.get(&format!("/v1.0/users/{other_id}")).await.body["displayName"],
        "Other"
    );
    let missing = h
        .admin(
            Method::PATCH,
            "/v1.0/users/nobody@example.org",
            Some(json!({"displayName": "X"})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.message().contains("nobody@example.org"));
    assert_eq!(h.audit_total().await, audits_before_patch);

    let users_after = h
        .store()
        .list_users(&Default::default())
        .await
        .unwrap()
        .items
        .len();
    assert_eq!(users_after, users_before + 1, "only `other` was added");
    assert_eq!(h.audit_total().await, audits_before + 1);
}

#[tokio::test]
async fn users_filter_with_eq_and_startswith_and_page_with_next_links() {
    let h = harness().await;
    for n in 1..=7 {
        h.create_user(&format!("pager-{n}@example.org"), &format!("Pager {n}"))
            .await;
    }
    h.create_user("someone@example.org", "Someone Else").await;

    let filter = encode("startswith(userPrincipalName,'PAGER-')");
    let (items, pages) = h
        .follow(&format!("/v1.0/users?$filter={filter}&$top=3"))
        .await;
    assert_eq!(pages, 3);
    let mut names = upns(&items);
    names.sort();
    assert_eq!(
        names,
        (1..=7)
            .map(|n| format!("pager-{n}@example.org"))
            .collect::<Vec<_>>()
    );
    let ids: Vec<&str> = items.iter().map(|v| v["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "pages run in id order");

    let first = h.get(&format!("/beta/users?$filter={filter}&$top=3")).await;
    let link = first.body["@odata.nextLink"].as_str().unwrap();
    assert!(
        link.starts_with("http://localhost:8080/beta/users?$skiptoken="),
        "{link}"
    );
    assert!(
        link.contains("$top=3") && link.contains("$filter="),
        "{link}"
    );

    let eq = h
        .get(&format!(
            "/v1.0/users?$filter={}",
            encode("displayName eq 'pager 3'")
        ))
        .await;
    assert_eq!(upns(&eq.values()), vec!["pager-3@example.org"]);
    let eq = h
        .get(&format!(
            "/v1.0/users?$filter={}",
            encode("userPrincipalName eq 'Someone@Example.org'")
        ))
        .await;
    assert_eq!(upns(&eq.values()), vec!["someone@example.org"]);
    let starts = h
        .get(&format!(
            "/v1.0/users?$filter={}",
            encode("startswith(displayName,'some')")
        ))
        .await;
    assert_eq!(upns(&starts.values()), vec!["someone@example.org"]);
    let (all, _) = h.follow("/v1.0/users").await;
    assert_eq!(all.len(), 9, "eight users and the administrator");

    for (query, fragment) in [
        ("$top=0".to_owned(), "from 1 to 999"),
        ("$top=1000".to_owned(), "from 1 to 999"),
        (
            format!("$filter={}", encode("accountEnabled eq true")),
            "startswith(displayName,'…')",
        ),
        (
            format!("$filter={}", encode("displayName ne 'x'")),
            "Supported",
        ),
        (
            format!(
                "$filter={}",
                encode("displayName eq 'a' and displayName eq 'b'")
            ),
            "more than one clause",
        ),
        (format!("$filter={}", encode("displayName eq")), "Supported"),
        (
            "$orderby=displayName".to_owned(),
            "'$orderby' is not supported",
        ),
        ("$skiptoken=zz".to_owned(), "$skiptoken"),
    ] {
        let reply = h.get(&format!("/v1.0/users?{query}")).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{query}: {}",
            reply.body
        );
        assert_eq!(reply.code(), "Request_BadRequest", "{query}");
        assert!(
            reply.message().contains(fragment),
            "{query}: {}",
            reply.message()
        );
    }
}

// --- Groups -----------------------------------------------------------------------

#[tokio::test]
async fn groups_and_memberships() {
    let h = harness().await;
    let alice = h.create_user("alice@example.org", "Alice").await;
    let alice_id = alice["id"].as_str().unwrap().to_owned();
    let created = h
        .admin(
            Method::POST,
            "/v1.0/groups",
            Some(json!({
                "displayName": "Passkey pilot",
                "description": "First wave",
                "mailEnabled": false,
                "mailNickname": "pilot",
                "securityEnabled": true
            })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["securityEnabled"], true);
    let group = created.body["id"].as_str().unwrap().to_owned();
    h.create_group("Another").await;

    let listed = h
        .get(&format!(
            "/v1.0/groups?$filter={}",
            encode("startswith(displayName,'passkey')")
        ))
        .await;
    assert_eq!(listed.values().len(), 1);
    assert_eq!(listed.values()[0]["id"], group.as_str());
    let (all, pages) = h.follow("/v1.0/groups?$top=1").await;
    assert_eq!((all.len(), pages), (2, 2));
    let bad = h
        .get(&format!(
            "/v1.0/groups?$filter={}",
            encode("userPrincipalName eq 'x'")
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);

    let add = h
        .admin(
            Method::POST,
            &format!("/v1.0/groups/{group}/members/$ref"),
            Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{alice_id}")})),
        )
        .await;
    assert_eq!(add.status, StatusCode::NO_CONTENT, "{}", add.body);
    let again = h
        .admin(
            Method::POST,
            &format!("/v1.0/groups/{group}/members/$ref"),
            Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{alice_id}")})),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert!(
        again.message().contains("already exist"),
        "{}",
        again.message()
    );
    let nobody = h
        .admin(
            Method::POST,
            &format!("/v1.0/groups/{group}/members/$ref"),
            Some(json!({"@odata.id": "https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-4000-8000-000000000000"})),
        )
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);

    let members = h.get(&format!("/v1.0/groups/{group}/members")).await;
    assert_eq!(members.values().len(), 1);
    assert_eq!(members.values()[0]["@odata.type"], "#microsoft.graph.user");
    assert_eq!(
        members.values()[0]["userPrincipalName"],
        "alice@example.org"
    );
    let member_of = h.get("/v1.0/users/alice@example.org/memberOf").await;
    assert_eq!(member_of.values().len(), 1);
    assert_eq!(
        member_of.values()[0]["@odata.type"],
        "#microsoft.graph.group"
    );
    assert_eq!(member_of.values()[0]["displayName"], "Passkey pilot");
    let admin_of = h.get(&format!("/v1.0/users/{}/memberOf", h.admin.id)).await;
    assert_eq!(
        admin_of.values()[0]["@odata.type"],
        "#microsoft.graph.directoryRole"
    );
    assert_eq!(admin_of.values()[0]["roleTemplateId"], GLOBAL_ADMIN);

    let entry = h.audit_about("Add member to group", &alice_id).await;
    assert_eq!(entry.category, "GroupManagement");
    assert_eq!(
        entry.target_resources[0].user_principal_name.as_deref(),
        Some("alice@example.org")
    );
    assert_eq!(
        entry.target_resources[1].id.as_deref(),
        Some(group.as_str())
    );

    let patched = h
        .admin(
            Method::PATCH,
            &format!("/v1.0/groups/{group}"),
            Some(json!({"displayName": "Passkey pilot 2", "description": null})),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let read = h.get(&format!("/beta/groups/{group}")).await;
    assert_eq!(read.body["displayName"], "Passkey pilot 2");
    assert_eq!(read.body["description"], Value::Null);
    assert_eq!(
        h.audit_about("Update group", &group).await.target_resources[0].modified_properties[0]
            .new_value
            .as_deref(),
        Some("[\"Passkey pilot 2\"]")
    );

    let removed = h
        .admin(
            Method::DELETE,
            &format!("/v1.0/groups/{group}/members/{alice_id}/$ref"),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(h.audit_count("Remove member from group").await, 1);
    let twice = h
        .admin(
            Method::DELETE,
            &format!("/v1.0/groups/{group}/members/{alice_id}/$ref"),
            None,
        )
        .await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    assert!(h
        .get(&format!("/v1.0/groups/{group}/members"))
        .await
        .values()
        .is_empty());

    let bad_id = h.get("/v1.0/groups/not-a-guid").await;
    assert_eq!(bad_id.status, StatusCode::BAD_REQUEST);
    assert!(bad_id.message().contains("not-a-guid"));
    let deleted = h
        .admin(Method::DELETE, &format!("/v1.0/groups/{group}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(h.audit_count("Delete group").await, 1);
    let gone = h.get(&format!("/v1.0/groups/{group}")).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), "Request_ResourceNotFound");
    assert!(gone.message().contains(&group));
}

// --- Roles ------------------------------------------------------------------------

#[tokio::test]
async fn roles_are_assigned_and_the_last_global_administrator_stays() {
    let h = harness().await;
    let alice = h.create_user("alice@example.org", "Alice").await;
    let alice_id = alice["id"].as_str().unwrap().to_owned();
    let admin_id = h.admin.id.as_str().to_owned();

    let assign = |principal: String, role: &'static str| json!({"principalId": principal, "roleDefinitionId": role, "directoryScopeId": "/"});
    let created = h
        .admin(
            Method::POST,
            "/v1.0/roleManagement/directory/roleAssignments",
            Some(assign(alice_id.clone(), AUTH_ADMIN)),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["principalId"], alice_id.as_str());
    assert_eq!(created.body["roleDefinitionId"], AUTH_ADMIN);
    let assignment = created.body["id"].as_str().unwrap().to_owned();
    let entry = h.audit_about("Add member to role", &alice_id).await;
    assert_eq!(entry.category, "RoleManagement");
    assert_eq!(
        entry.target_resources[0].id.as_deref(),
        Some(alice_id.as_str())
    );

    let duplicate = h
        .admin(
            Method::POST,
            "/v1.0/roleManagement/directory/roleAssignments",
            Some(assign(alice_id.clone(), AUTH_ADMIN)),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    let unknown = h
        .admin(
            Method::POST,
            "/v1.0/roleManagement/directory/roleAssignments",
            Some(assign(
                alice_id.clone(),
                "11111111-1111-1111-1111-111111111111",
            )),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.message().contains("roleDefinitionId"));
    assert!(unknown.message().contains(AUTH_POLICY_ADMIN));

    let listed = h
        .get(&format!(
            "/v1.0/roleManagement/directory/roleAssignments?$filter={}",
            encode(&format!("principalId eq '{alice_id}'"))
        ))
        .await;
    assert_eq!(listed.values().len(), 1);
    assert_eq!(listed.values()[0]["id"], assignment.as_str());
    let (all, _) = h
        .follow("/v1.0/roleManagement/directory/roleAssignments")
        .await;
    assert_eq!(all.len(), 2, "the administrator's and alice's");
    let alice_report = h
        .get(&format!(
            "/beta/reports/authenticationMethods/userRegistrationDetails/{alice_id}"
        ))
        .await;
    assert_eq!(alice_report.body["isAdmin"], true);

    // The only Global Administrator cannot lose the role, their account, or be disabled.
    let admin_ga = format!("{GLOBAL_ADMIN}_{admin_id}");
    let audits = h.audit_total().await;
    for (method, path, body) in [
        (
            Method::DELETE,
            format!("/v1.0/roleManagement/directory/roleAssignments/{admin_ga}"),
            None,
        ),
        (Method::DELETE, format!("/v1.0/users/{admin_id}"), None),
        (
            Method::PATCH,
            format!("/v1.0/users/{admin_id}"),
            Some(json!({"accountEnabled": false})),
        ),
    ] {
        let reply = h.admin(method.clone(), &path, body).await;
        assert_eq!(
            reply.status,
            StatusCode::CONFLICT,
            "{method} {path}: {}",
            reply.body
        );
        assert_eq!(reply.code(), "lastGlobalAdministrator");
        assert!(reply.message().contains(&h.admin.user_principal_name));
    }
    assert_eq!(h.audit_total().await, audits);

    // With a second Global Administrator, the first can go.
    let second = h
        .admin(
            Method::POST,
            "/beta/roleManagement/directory/roleAssignments",
            Some(assign(alice_id.clone(), GLOBAL_ADMIN)),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED);
    let removed = h
        .admin(
            Method::DELETE,
            &format!("/v1.0/roleManagement/directory/roleAssignments/{admin_ga}"),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
    assert_eq!(h.audit_count("Remove member from role").await, 1);
    let gone = h
        .get(&format!(
            "/v1.0/roleManagement/directory/roleAssignments/{admin_ga}"
        ))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // Now alice is the last one.
    let refused = h
        .admin(Method::DELETE, &format!("/v1.0/users/{alice_id}"), None)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let removed = h
        .admin(
            Method::DELETE,
            &format!("/v1.0/roleManagement/directory/roleAssignments/{assignment}"),
            None,
        )
        .await;
    assert_eq!(
        removed.status,
        StatusCode::NO_CONTENT,
        "an Authentication Administrator role is not protected"
    );
}

// --- Authentication methods -------------------------------------------------------

#[tokio::test]
async fn temporary_access_pass_code_is_shown_once() {
    let h = harness().await;
    h.create_user("tap@example.org", "Tap User").await;
    let created = h
        .admin(
            Method::POST,
            "/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods",
            Some(json!({"lifetimeInMinutes": 60, "isUsableOnce": true})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let code = created.body["temporaryAccessPass"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 8);
    assert_eq!(
        created.body["@odata.type"],
        "#microsoft.graph.temporaryAccessPassAuthenticationMethod"
    );
    assert_eq!(created.body["lifetimeInMinutes"], 60);
    assert_eq!(created.body["isUsableOnce"], true);
    assert_eq!(created.body["isUsable"], true);
    assert_eq!(created.body["methodUsabilityReason"], "enabledByPolicy");
    assert_eq!(created.body["startDateTime"], "2026-04-20T10:00:00Z");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        h.audit_count("Admin registered temporary access pass method for user")
            .await,
        2,
        "the bootstrap pass and this one"
    );

    let listed = h
        .get("/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods")
        .await;
    assert_eq!(listed.values().len(), 1);
    assert_eq!(listed.values()[0]["temporaryAccessPass"], Value::Null);
    assert_eq!(listed.values()[0]["id"], id.as_str());
    let one = h
        .get(&format!(
            "/beta/users/tap@example.org/authentication/temporaryAccessPassMethods/{id}"
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["temporaryAccessPass"], Value::Null);
    assert_eq!(one.body["isUsable"], true);
    assert!(!one.body.to_string().contains(&code));

    // A pass that starts tomorrow is not usable yet.
    let later = h
        .admin(
            Method::POST,
            "/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods",
            Some(json!({"startDateTime": "2026-04-21T10:00:00Z"})),
        )
        .await;
    assert_eq!(later.status, StatusCode::CREATED);
    assert_eq!(later.body["methodUsabilityReason"], "notYetValid");
    assert_eq!(later.body["isUsable"], false);
    let later_id = later.body["id"].as_str().unwrap().to_owned();
    let replaced = h
        .get(&format!(
            "/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods/{id}"
        ))
        .await;
    assert_eq!(replaced.status, StatusCode::NOT_FOUND, "one pass per user");

    let audits = h.audit_total().await;
    for (body, fragment) in [
        (json!({"lifetimeInMinutes": 5}), "lifetimeInMinutes"),
        (json!({"lifetimeInMinutes": "60"}), "lifetimeInMinutes"),
        (json!({"isUsableOnce": 1}), "isUsableOnce"),
        (json!({"startDateTime": "tomorrow"}), "startDateTime"),
        (
            json!({"startDateTime": "2026-04-19T08:00:00Z", "lifetimeInMinutes": 60}),
            "startDateTime",
        ),
        (
            json!({"temporaryAccessPass": "mine"}),
            "'temporaryAccessPass'",
        ),
    ] {
        let reply = h
            .admin(
                Method::POST,
                "/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods",
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        assert!(
            reply.message().contains(fragment),
            "{body}: {}",
            reply.message()
        );
    }
    assert_eq!(h.audit_total().await, audits);
    let still = h
        .get("/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods")
        .await;
    assert_eq!(still.values()[0]["id"], later_id.as_str());

    let deleted = h
        .admin(
            Method::DELETE,
            &format!(
                "/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods/{later_id}"
            ),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let entry = h
        .audit_about("Admin deleted security info", "tap@example.org")
        .await;
    assert_eq!(entry.logged_by_service, "Authentication Methods");
    assert_eq!(
        entry.target_resources[0].user_principal_name.as_deref(),
        Some("tap@example.org")
    );
    assert!(h
        .get("/v1.0/users/tap@example.org/authentication/temporaryAccessPassMethods")
        .await
        .values()
        .is_empty());
}

#[tokio::test]
async fn passkeys_and_all_methods_in_graph_shapes() {
    let h = harness().await;
    let user = h
        .admin(
            Method::POST,
            "/v1.0/users",
            Some(json!({
                "userPrincipalName": "keys@example.org",
                "displayName": "Keys",
                "passwordProfile": {"password": "Sekrit-Passw0rd"}
            })),
        )
        .await;
    let id = user.body["id"].as_str().unwrap().to_owned();
    let bound = h
        .add_passkey(
            &id,
            &KEYBOUND_AUTHENTICATOR_AAGUID.to_string(),
            PasskeyType::DeviceBound,
            "Laptop",
        )
        .await;
    let synced = h
        .add_passkey(&id, ICLOUD_KEYCHAIN, PasskeyType::Synced, "iPhone")
        .await;
    let oath = h.add_oath(&id).await;
    h.admin(
        Method::POST,
        &format!("/v1.0/users/{id}/authentication/temporaryAccessPassMethods"),
        Some(json!({})),
    )
    .await;

    let listed = h
        .get(&format!("/v1.0/users/{id}/authentication/fido2Methods"))
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    let passkeys = listed.values();
    assert_eq!(passkeys.len(), 2);
    let by_id = |wanted: &str| {
        passkeys
            .iter()
            .find(|p| p["id"] == wanted)
            .cloned()
            .unwrap_or_else(|| panic!("passkey {wanted} is not listed"))
    };
    assert_eq!(
        by_id(&bound),
        json!({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": bound,
            "displayName": "Laptop",
            "createdDateTime": "2026-04-20T10:00:00Z",
            "aaGuid": KEYBOUND_AUTHENTICATOR_AAGUID.to_string(),
            "model": "Keybound Authenticator",
            "attestationCertificates": ["MIL/"],
            "attestationLevel": "attested",
            "passkeyType": "deviceBound"
        })
    );
    assert_eq!(
        by_id(&synced)["model"],
        Value::Null,
        "iCloud Keychain is not in the built-in catalog"
    );
    assert_eq!(by_id(&synced)["passkeyType"], "synced");
    let one = h
        .get(&format!(
            "/v1.0/users/keys@example.org/authentication/fido2Methods/{synced}"
        ))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.body["displayName"], "iPhone");

    let all = h
        .get(&format!("/v1.0/users/{id}/authentication/methods"))
        .await;
    let types: Vec<&str> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["@odata.type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![
            "#microsoft.graph.passwordAuthenticationMethod",
            "#microsoft.graph.fido2AuthenticationMethod",
            "#microsoft.graph.fido2AuthenticationMethod",
            "#microsoft.graph.softwareOathAuthenticationMethod",
            "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        ]
    );
    assert_eq!(all.values()[4]["temporaryAccessPass"], Value::Null);
    let oaths = h
        .get(&format!(
            "/v1.0/users/{id}/authentication/softwareOathMethods"
        ))
        .await;
    assert_eq!(oaths.values()[0]["id"], oath.as_str());
    assert_eq!(oaths.values()[0]["secretKey"], Value::Null);

    let deleted = h
        .admin(
            Method::DELETE,
            &format!("/v1.0/users/{id}/authentication/fido2Methods/{synced}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let entry = h.audit_about("Delete Passkey (synced)", &id).await;
    assert_eq!(entry.logged_by_service, "Device Registration Service");
    assert_eq!(
        entry.target_resources[0].user_principal_name.as_deref(),
        Some("keys@example.org")
    );
    assert!(entry
        .additional_details
        .iter()
        .any(|d| d.key == "AAGuid" && d.value == ICLOUD_KEYCHAIN));
    let deleted = h
        .admin(
            Method::DELETE,
            &format!("/beta/users/{id}/authentication/fido2Methods/{bound}"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(h.audit_count("Delete Passkey (device-bound)").await, 1);
    let gone = h
        .get(&format!(
            "/v1.0/users/{id}/authentication/fido2Methods/{synced}"
        ))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.code(), "Request_ResourceNotFound");
    assert!(h
        .get(&format!("/v1.0/users/{id}/authentication/fido2Methods"))
        .await
        .values()
        .is_empty());

    let oath_deleted = h
        .admin(
            Method::DELETE,
            &format!("/v1.0/users/{id}/authentication/softwareOathMethods/{oath}"),
            None,
        )
        .await;
    assert_eq!(oath_deleted.status, StatusCode::NO_CONTENT);
    assert!(h
        .audit_about("Admin deleted security info", &id)
        .await
        .additional_details
        .iter()
        .any(|d| d.value == "Software OATH token"));
    let unknown_user = h
        .get("/v1.0/users/ghost@example.org/authentication/methods")
        .await;
    assert_eq!(unknown_user.status, StatusCode::NOT_FOUND);
}

// --- Registration report ----------------------------------------------------------

#[tokio::test]
async fn registration_report_follows_the_policy_and_filters() {
    let h = harness().await;
    let alice = h.create_user("alice@example.org", "Alice").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bob = h.create_user("bob@example.org", "Bob").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let carol = h.create_user("carol@example.org", "Carol").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dave = h.create_user("dave@example.org", "Dave").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.add_passkey(
        &alice,
        MS_AUTHENTICATOR_IOS,
        PasskeyType::DeviceBound,
        "Authenticator",
    )
    .await;
    h.add_passkey(&bob, YUBIKEY_5, PasskeyType::DeviceBound, "YubiKey")
        .await;
    h.add_passkey(&dave, ICLOUD_KEYCHAIN, PasskeyType::Synced, "iPhone")
        .await;
    h.add_oath(&carol).await;

    const REPORT: &str = "/beta/reports/authenticationMethods/userRegistrationDetails";
    let one = h.get(&format!("{REPORT}/{alice}")).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(
        one.body,
        json!({
            "@odata.context": "http://localhost:8080/beta/$metadata#reports/authenticationMethods/userRegistrationDetails/$entity",
            "id": alice,
            "userPrincipalName": "alice@example.org",
            "userDisplayName": "Alice",
            "userType": "member",
            "isAdmin": false,
            "isMfaCapable": true,
            "isMfaRegistered": true,
            "isPasswordlessCapable": true,
            "isSsprCapable": false,
            "isSsprEnabled": false,
            "isSsprRegistered": false,
            "isSystemPreferredAuthenticationMethodEnabled": false,
            "lastUpdatedDateTime": "2026-04-20T10:00:00Z",
            "methodsRegistered": ["passKeyDeviceBoundAuthenticator"],
            "systemPreferredAuthenticationMethods": [],
            "userPreferredMethodForSecondaryAuthentication": "none"
        })
    );

    let by_filter = |filter: &str| format!("{REPORT}?$filter={}", encode(filter));
    let names = |items: Vec<Value>| {
        let mut names = upns(&items);
        names.sort();
        names
    };
    let admin = h.admin.user_principal_name.clone();

    let (items, _) = h
        .follow(&by_filter(
            "methodsRegistered/any(x:x eq 'passKeyDeviceBound')",
        ))
        .await;
    assert_eq!(names(items), vec!["bob@example.org"]);
    let (items, _) = h
        .follow(&by_filter("methodsRegistered/any(x:x eq 'passKeySynced')"))
        .await;
    assert_eq!(names(items), vec!["dave@example.org"]);
    let (items, _) = h
        .follow(&by_filter(
            "methodsRegistered/any(x:x eq 'softwareOneTimePasscode')",
        ))
        .await;
    assert_eq!(names(items), vec!["carol@example.org"]);
    let (items, _) = h
        .follow(&by_filter(
            "methodsRegistered/any(x:x eq 'temporaryAccessPass')",
        ))
        .await;
    assert_eq!(names(items), vec![admin.clone()], "the bootstrap pass");
    let (items, _) = h.follow(&by_filter("isPasswordlessCapable eq true")).await;
    assert_eq!(
        names(items),
        vec!["alice@example.org", "bob@example.org", "dave@example.org"]
    );
    let (items, _) = h.follow(&by_filter("isAdmin eq true")).await;
    assert_eq!(names(items), vec![admin.clone()]);
    let (items, _) = h
        .follow(&by_filter(
            "isMfaCapable eq true and isPasswordlessCapable eq false",
        ))
        .await;
    assert_eq!(names(items), vec!["carol@example.org"]);

    // The seed policy: only Microsoft Authenticator, device-bound. Bob's YubiKey and
    // Dave's synced passkey no longer make them passwordless-capable.
    let seed = h
        .admin(
            Method::PATCH,
            "/beta/authenticationMethodsPolicy/authenticationMethodConfigurations/FIDO2",
            Some(json!({
                "isAttestationEnforced": false,
                "keyRestrictions": {"isEnforced": true, "enforcementType": "allow", "aaGuids": [MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID]}
            })),
        )
        .await;
    assert_eq!(seed.status, StatusCode::NO_CONTENT, "{}", seed.body);
    let (items, _) = h.follow(&by_filter("isPasswordlessCapable eq true")).await;
    assert_eq!(names(items), vec!["alice@example.org"]);
    let (items, _) = h.follow(&by_filter("isPasswordlessCapable eq false")).await;
    assert_eq!(
        names(items),
        vec![
            admin.clone(),
            "bob@example.org".into(),
            "carol@example.org".into(),
            "dave@example.org".into()
        ]
    );
    let bob_now = h
        .get("/v1.0/reports/authenticationMethods/userRegistrationDetails/bob@example.org")
        .await;
    assert_eq!(bob_now.body["isMfaCapable"], false);
    assert_eq!(bob_now.body["isMfaRegistered"], true);
    assert_eq!(bob_now.body["id"], bob.as_str());

    // Paging through a filtered report, one per page, in id order.
    let (items, pages) = h
        .follow(&format!("{}&$top=1", by_filter("isMfaRegistered eq true")))
        .await;
    assert_eq!(pages, 4);
    assert_eq!(
        names(items.clone()),
        vec![
            "alice@example.org",
            "bob@example.org",
            "carol@example.org",
            "dave@example.org"
        ]
    );
    let ids: Vec<&str> = items.iter().map(|v| v["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    let (everyone, pages) = h.follow(&format!("{REPORT}?$top=2")).await;
    assert_eq!((everyone.len(), pages), (5, 3));
    let (started, _) = h
        .follow(&by_filter("startswith(userPrincipalName,'CA')"))
        .await;
    assert_eq!(names(started), vec!["carol@example.org"]);

    for filter in [
        "methodsRegistered/any(x:x eq 'passkey')",
        "isPasswordlessCapable eq 'yes'",
        "displayName eq 'Alice'",
        "isAdmin ne true",
    ] {
        let reply = h.get(&by_filter(filter)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{filter}");
        assert_eq!(reply.code(), "Request_BadRequest");
        assert!(
            reply.message().contains("methodsRegistered"),
            "{filter}: {}",
            reply.message()
        );
    }
    let top = h.get(&format!("{REPORT}?$top=1000")).await;
    assert_eq!(top.status, StatusCode::BAD_REQUEST);
    let missing = h
        .get(&format!("{REPORT}/00000000-0000-4000-8000-000000000000"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

// --- Policy -----------------------------------------------------------------------

#[tokio::test]
async fn the_seed_policy_request_works_unchanged_and_bad_ones_change_nothing() {
    let h = harness().await;
    const FIDO2: &str =
        "/beta/authenticationMethodsPolicy/authenticationMethodConfigurations/FIDO2";
    let seed = json!({
        "isAttestationEnforced": false,
        "keyRestrictions": {
            "isEnforced": true,
            "enforcementType": "allow",
            "aaGuids": [MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID]
        }
    });
    let reply = h.admin(Method::PATCH, FIDO2, Some(seed)).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);

    let read = h.get(FIDO2).await;
    assert_eq!(read.status, StatusCode::OK);
    let expected = json!({"isEnforced": true, "enforcementType": "allow", "aaGuids": [MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID]});
    assert_eq!(read.body["passkeyProfiles"][0]["keyRestrictions"], expected);
    assert_eq!(read.body["keyRestrictions"], expected);
    assert_eq!(read.body["isAttestationEnforced"], false);
    let etag = read.headers[header::ETAG].to_str().unwrap().to_owned();

    let audits = h
        .get(&format!(
            "/v1.0/auditLogs/directoryAudits?$filter={}",
            encode("activityDisplayName eq 'Authentication Methods Policy Update'")
        ))
        .await;
    assert_eq!(audits.status, StatusCode::OK);
    assert!(
        audits
            .values()
            .iter()
            .any(|e| e["targetResources"][0]["id"] == "FIDO2"),
        "{}",
        audits.body
    );

    let bad: Vec<(Value, &str)> = vec![
        (
            json!({"keyRestrictions": {"isEnforced": true, "enforcementType": "sometimes", "aaGuids": []}}),
            "enforcementType",
        ),
        (
            json!({"keyRestrictions": {"isEnforced": true, "enforcementType": "block", "aaGuids": ["not-an-aaguid"]}}),
            "aaGuids",
        ),
        (
            json!({"includeTargets": [{"id": "00000000-0000-4000-8000-00000000abcd", "targetType": "group", "isRegistrationRequired": false, "allowedPasskeyProfiles": ["00000000-0000-0000-0000-000000000001"]}]}),
            "includeTargets",
        ),
    ];
    for (body, field) in bad {
        let reply = h.admin(Method::PATCH, FIDO2, Some(body.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            reply.body
        );
        assert!(
            reply.message().contains(field),
            "{body}: {}",
            reply.message()
        );
    }
    let after = h.get(FIDO2).await;
    assert_eq!(after.body, read.body, "refused PATCHes changed nothing");
    assert_eq!(after.headers[header::ETAG], etag.as_str());

    // A write with the current ETag works; the old one is stale afterwards.
    let token = h.token(&[Scope::PolicyReadWriteAuthenticationMethod]);
    let ok = h
        .send(
            Method::PATCH,
            FIDO2,
            Some(&token),
            Some(json!({"isSelfServiceRegistrationAllowed": false})),
            Some(("if-match", &etag)),
        )
        .await;
    assert_eq!(ok.status, StatusCode::NO_CONTENT, "{}", ok.body);
    let stale = h
        .send(
            Method::PATCH,
            FIDO2,
            Some(&token),
            Some(json!({"isSelfServiceRegistrationAllowed": true})),
            Some(("if-match", &etag)),
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.body
    );
    assert_eq!(
        h.get(FIDO2).await.body["isSelfServiceRegistrationAllowed"],
        false
    );
}

// --- Authorisation ----------------------------------------------------------------

/// One route: no token → 401, a signed-in user without a directory role → 403,
/// `narrow` → 403, `right` → `ok` (then the same read under `/beta`).
#[allow(clippy::too_many_arguments)]
async fn check(
    h: &Harness,
    user_cookie: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
    right: Scope,
    narrow: Scope,
    ok: StatusCode,
) {
    let row = format!("{method} {path}");
    let origin = h.state.config.public_url.to_string();
    let user = h
        .send_with(
            method.clone(),
            path,
            &[("cookie", user_cookie), ("origin", &origin)],
            body.clone(),
        )
        .await;
    assert_eq!(
        user.status,
        StatusCode::FORBIDDEN,
        "{row} with a user's session: {}",
        user.body
    );
    assert_eq!(user.code(), "Authorization_RequestDenied", "{row}");
    let anonymous = h.send(method.clone(), path, None, body.clone(), None).await;
    assert_eq!(
        anonymous.status,
        StatusCode::UNAUTHORIZED,
        "{row}: {}",
        anonymous.body
    );
    assert_eq!(anonymous.code(), "InvalidAuthenticationToken", "{row}");
    let garbage = h
        .send(
            method.clone(),
            path,
            Some("not.a.token"),
            body.clone(),
            None,
        )
        .await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED, "{row}");
    let narrow_token = h.token(&[narrow]);
    let refused = h
        .send(
            method.clone(),
            path,
            Some(&narrow_token),
            body.clone(),
            None,
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "{row} with {narrow}: {}",
        refused.body
    );
    assert_eq!(refused.code(), "Authorization_RequestDenied", "{row}");
    assert!(
        refused.message().contains(right.as_str()),
        "{row}: {}",
        refused.message()
    );
    let right_token = h.token(&[right]);
    let allowed = h
        .send(method.clone(), path, Some(&right_token), body, None)
        .await;
    assert_eq!(allowed.status, ok, "{row} with {right}: {}", allowed.body);
    if method == Method::GET {
        let beta = path.replacen("/v1.0/", "/beta/", 1);
        let again = h
            .send(Method::GET, &beta, Some(&right_token), None, None)
            .await;
        assert_eq!(again.status, ok, "GET {beta}: {}", again.body);
    }
}

#[tokio::test]
async fn every_route_needs_its_scope() {
    use Scope::*;
    let h = harness().await;
    let alice = h.create_user("alice@example.org", "Alice").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let victim = h.create_user("victim@example.org", "Victim").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let member = h.create_user("member@example.org", "Member").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tapped = h.create_user("tapped@example.org", "Tapped").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let group = h.create_group("Pilot").await;
    let doomed_group = h.create_group("Doomed").await;
    let add = h
        .admin(
            Method::POST,
            &format!("/v1.0/groups/{group}/members/$ref"),
            Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")})),
        )
        .await;
    assert_eq!(add.status, StatusCode::NO_CONTENT);
    let passkey = h
        .add_passkey(&alice, YUBIKEY_5, PasskeyType::DeviceBound, "Key 1")
        .await;
    let doomed_passkey = h
        .add_passkey(&alice, YUBIKEY_5, PasskeyType::DeviceBound, "Key 2")
        .await;
    let oath = h.add_oath(&alice).await;
    let doomed_oath = h.add_oath(&alice).await;
    h.admin(
        Method::PATCH,
        &format!("/v1.0/users/{alice}"),
        Some(json!({"passwordProfile": {"password": "Anoth3r-Secret"}})),
    )
    .await;
    let tap = h
        .admin(
            Method::POST,
            &format!("/v1.0/users/{tapped}/authentication/temporaryAccessPassMethods"),
            Some(json!({})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let role = h
        .admin(
            Method::POST,
            "/v1.0/roleManagement/directory/roleAssignments",
            Some(json!({"principalId": alice, "roleDefinitionId": AUTH_ADMIN})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doomed_role = h
        .admin(
            Method::POST,
            "/v1.0/roleManagement/directory/roleAssignments",
            Some(json!({"principalId": tapped, "roleDefinitionId": AUTH_POLICY_ADMIN})),
        )
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();

    const OK: StatusCode = StatusCode::OK;
    const CREATED: StatusCode = StatusCode::CREATED;
    const GONE: StatusCode = StatusCode::NO_CONTENT;
    let get = Method::GET;
    let auth = |rest: &str| format!("/v1.0/users/{alice}/authentication/{rest}");
    let rows: Vec<(Method, String, Option<Value>, Scope, Scope, StatusCode)> = vec![
        // Users.
        (get.clone(), "/v1.0/users".into(), None, UserReadAll, GroupReadAll, OK),
        (Method::POST, "/v1.0/users".into(), Some(json!({"userPrincipalName": "new@example.org", "displayName": "New"})), UserReadWriteAll, UserReadAll, CREATED),
        (get.clone(), format!("/v1.0/users/{alice}"), None, UserReadAll, UserAuthenticationMethodReadAll, OK),
        (Method::PATCH, format!("/v1.0/users/{alice}"), Some(json!({"displayName": "Alice A"})), UserReadWriteAll, UserReadAll, GONE),
        (Method::DELETE, format!("/v1.0/users/{victim}"), None, UserReadWriteAll, UserReadAll, GONE),
        (get.clone(), format!("/v1.0/users/{member}/memberOf"), None, GroupReadAll, UserReadAll, OK),
        // Groups.
        (get.clone(), "/v1.0/groups".into(), None, GroupReadAll, UserReadAll, OK),
        (Method::POST, "/v1.0/groups".into(), Some(json!({"displayName": "New group"})), GroupReadWriteAll, GroupReadAll, CREATED),
        (get.clone(), format!("/v1.0/groups/{group}"), None, GroupReadAll, UserReadWriteAll, OK),
        (Method::PATCH, format!("/v1.0/groups/{group}"), Some(json!({"description": "Pilot users"})), GroupReadWriteAll, GroupReadAll, GONE),
        (Method::DELETE, format!("/v1.0/groups/{doomed_group}"), None, GroupReadWriteAll, GroupReadAll, GONE),
        (get.clone(), format!("/v1.0/groups/{group}/members"), None, GroupReadAll, UserReadAll, OK),
        (Method::POST, format!("/v1.0/groups/{group}/members/$ref"), Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{alice}")})), GroupReadWriteAll, GroupReadAll, GONE),
        (Method::DELETE, format!("/v1.0/groups/{group}/members/{member}/$ref"), None, GroupReadWriteAll, UserReadWriteAll, GONE),
        // Roles.
        (get.clone(), "/v1.0/roleManagement/directory/roleAssignments".into(), None, UserReadAll, GroupReadAll, OK),
        (Method::POST, "/v1.0/roleManagement/directory/roleAssignments".into(), Some(json!({"principalId": member, "roleDefinitionId": AUTH_ADMIN})), UserReadWriteAll, UserReadAll, CREATED),
        (get.clone(), format!("/v1.0/roleManagement/directory/roleAssignments/{role}"), None, UserReadAll, GroupReadWriteAll, OK),
        (Method::DELETE, format!("/v1.0/roleManagement/directory/roleAssignments/{doomed_role}"), None, UserReadWriteAll, UserReadAll, GONE),
        // Authentication methods.
        (get.clone(), auth("methods"), None, UserAuthenticationMethodReadAll, UserReadWriteAll, OK),
        (get.clone(), auth("fido2Methods"), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (get.clone(), auth(&format!("fido2Methods/{passkey}")), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (Method::DELETE, auth(&format!("fido2Methods/{doomed_passkey}")), None, UserAuthenticationMethodReadWriteAll, UserAuthenticationMethodReadAll, GONE),
        (get.clone(), auth("temporaryAccessPassMethods"), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (Method::POST, auth("temporaryAccessPassMethods"), Some(json!({"lifetimeInMinutes": 60})), UserAuthenticationMethodReadWriteAll, UserAuthenticationMethodReadAll, CREATED),
        (get.clone(), format!("/v1.0/users/{tapped}/authentication/temporaryAccessPassMethods/{tap}"), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (Method::DELETE, format!("/v1.0/users/{tapped}/authentication/temporaryAccessPassMethods/{tap}"), None, UserAuthenticationMethodReadWriteAll, UserAuthenticationMethodReadAll, GONE),
        (get.clone(), auth("passwordMethods"), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (get.clone(), auth("passwordMethods/28c10230-6103-485e-b985-444c60001490"), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (get.clone(), auth("softwareOathMethods"), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (get.clone(), auth(&format!("softwareOathMethods/{oath}")), None, UserAuthenticationMethodReadAll, UserReadAll, OK),
        (Method::DELETE, auth(&format!("softwareOathMethods/{doomed_oath}")), None, UserAuthenticationMethodReadWriteAll, UserAuthenticationMethodReadAll, GONE),
        // Registration report.
        (get.clone(), "/v1.0/reports/authenticationMethods/userRegistrationDetails".into(), None, AuditLogReadAll, UserReadAll, OK),
        (get.clone(), format!("/v1.0/reports/authenticationMethods/userRegistrationDetails/{alice}"), None, AuditLogReadAll, UserAuthenticationMethodReadAll, OK),
        // Policy and audit log, already served.
        (get.clone(), "/v1.0/authenticationMethodsPolicy".into(), None, PolicyReadAll, UserReadAll, OK),
        (get.clone(), "/v1.0/policies/authenticationMethodsPolicy".into(), None, PolicyReadAll, AuditLogReadAll, OK),
        (get.clone(), "/v1.0/authenticationMethodsPolicy/authenticationMethodConfigurations/FIDO2".into(), None, PolicyReadAll, UserReadAll, OK),
        (get.clone(), "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2".into(), None, PolicyReadAuthenticationMethod, UserReadAll, OK),
        (Method::PATCH, "/v1.0/authenticationMethodsPolicy".into(), Some(json!({"reconfirmationInDays": 60})), PolicyReadWriteAuthenticationMethod, PolicyReadAll, GONE),
        (Method::PATCH, "/v1.0/policies/authenticationMethodsPolicy".into(), Some(json!({"reconfirmationInDays": 90})), PolicyReadWriteAuthenticationMethod, PolicyReadAuthenticationMethod, GONE),
        (Method::PATCH, "/v1.0/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass".into(), Some(json!({"state": "enabled"})), PolicyReadWriteAuthenticationMethod, PolicyReadAll, GONE),
        (Method::PATCH, "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/FIDO2".into(), Some(json!({"isSelfServiceRegistrationAllowed": true})), PolicyReadWriteAuthenticationMethod, UserReadWriteAll, GONE),
        (get.clone(), "/v1.0/auditLogs/directoryAudits".into(), None, AuditLogReadAll, UserReadAll, OK),
    ];
    h.create_user("plain@example.org", "Plain User").await;
    let user_cookie = h.session_for("plain@example.org").await;
    for (method, path, body, right, narrow, ok) in rows {
        check(&h, &user_cookie, method, &path, body, right, narrow, ok).await;
    }
}

#[tokio::test]
async fn unknown_graph_paths_get_graph_errors() {
    let h = harness().await;
    let reply = h.get("/v1.0/devices").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.message().contains("/v1.0/devices"), "{}", reply.body);
}

// --- The admin center's session on the Graph API --------------------------------

impl Harness {
    /// A request carrying only the given headers (cookie, origin) and an optional JSON body.
    async fn send_with(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
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
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply {
            status,
            body,
            headers,
        }
    }

    /// Signs `upn` in with a fresh Temporary Access Pass; returns the `Cookie` header value.
    async fn session_for(&self, upn: &str) -> String {
        let reply = self
            .admin(
                Method::POST,
                &format!("/v1.0/users/{upn}/authentication/temporaryAccessPassMethods"),
                Some(json!({})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let code = reply.body["temporaryAccessPass"]
            .as_str()
            .unwrap()
            .to_owned();
        let reply = self
            .send_with(
                Method::POST,
                "/api/signin/tap",
                &[],
                Some(json!({"username": upn, "temporaryAccessPass": code})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let set_cookie = reply
            .headers
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap();
        set_cookie.split(';').next().unwrap().to_owned()
    }
}

#[tokio::test]
async fn admin_sessions_use_directory_roles_and_refuse_cross_site_changes() {
    let h = harness().await;
    let alice = h.create_user("alice@localhost", "Alice").await;
    let cookie = h.session_for("alice@localhost").await;
    let policy = "/v1.0/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2";
    let origin = h.state.config.public_url.to_string();

    // A user's session without a role: 403 naming the role that would do.
    let reply = h
        .send_with(Method::GET, policy, &[("cookie", &cookie)], None)
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::FORBIDDEN, "Authorization_RequestDenied")
    );
    assert!(
        reply
            .message()
            .contains("Authentication Policy Administrator role"),
        "{}",
        reply.message()
    );

    // With the role, reads work and changes must come from Keybound's own origin.
    let reply = h
        .admin(
            Method::POST,
            "/v1.0/roleManagement/directory/roleAssignments",
            Some(json!({"principalId": alice["id"], "roleDefinitionId": AUTH_POLICY_ADMIN})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let reply = h
        .send_with(Method::GET, policy, &[("cookie", &cookie)], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let patch = json!({"isSelfServiceRegistrationAllowed": false});
    let reply = h
        .send_with(
            Method::PATCH,
            policy,
            &[("cookie", &cookie)],
            Some(patch.clone()),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::FORBIDDEN, "cross_site_request")
    );
    let reply = h
        .send_with(
            Method::PATCH,
            policy,
            &[("cookie", &cookie), ("origin", "https://evil.example")],
            Some(patch.clone()),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::FORBIDDEN, "cross_site_request")
    );
    let reply = h
        .send_with(
            Method::PATCH,
            policy,
            &[("cookie", &cookie), ("origin", &origin)],
            Some(patch),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.body);

    // The role does not reach users' data.
    let reply = h
        .send_with(Method::GET, "/v1.0/users", &[("cookie", &cookie)], None)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // No cookie, no token: 401.
    let reply = h.send_with(Method::GET, policy, &[], None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}
