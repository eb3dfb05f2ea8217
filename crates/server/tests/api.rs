//! The ceremony API through HTTP: the router driven in-process with
//! `oneshot` over a SQLite store in a temporary directory, a manual clock,
//! and a software authenticator (P-256, `none` attestation) answering the
//! options the server hands out.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::Argon2;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
use aws_lc_rs::{digest, hmac};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use ciborium::Value as Cbor;
use http_body_util::BodyExt;
use keybound_server::audit::{Audit, Initiator};
use keybound_server::auth::scope::Scope;
use keybound_server::clock::{Clock, ManualClock};
use keybound_server::config::RawConfig;
use keybound_server::state::AppState;
use keybound_server::tap::{self, TapRequest};
use keybound_store::{
    AuditEntry, AuditQuery, AuditResult, Group, GroupId, MethodId, PasswordMethod, SignInEntry,
    SignInQuery, SoftwareOathMethod, Store, Timestamp, User, UserChanges, UserId,
};
use keybound_webauthn::encoding::{decode, encode};
use keybound_webauthn::{Aaguid, UserHandle};
use serde_json::{json, Value};
use tower::ServiceExt;

const ORIGIN: &str = "https://login.example.org";
const RP_ID: &str = "example.org";
const ADMIN: &str = "admin@example.org";
const START: Timestamp = Timestamp::from_secs(1_780_000_000);

const MS_AUTHENTICATOR_IOS: &str = "90a3ccdf-635c-4729-a248-9b709135078f";
const MS_AUTHENTICATOR_ANDROID: &str = "de1e552d-db1d-4423-a619-566b625cdc84";
const KEYBOUND_AUTHENTICATOR: &str = "ad30e13c-3426-4c6e-bd75-e0fa7afc7b68";
const GOOGLE_PASSWORD_MANAGER: &str = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4";
const UNKNOWN_PROVIDER: &str = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

// --- The server ----------------------------------------------------------------

/// One server over its own database.
struct Server {
    app: Router,
    state: AppState,
    store: Arc<dyn Store>,
    clock: Arc<ManualClock>,
    admin: User,
    admin_tap: String,
}

async fn server() -> Server {
    let dir = std::env::temp_dir().join(format!("keybound-api-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/k.db", dir.display());
    let store = keybound_store::open(&url).await.unwrap();
    let clock = Arc::new(ManualClock::new(START));
    let first = keybound_server::bootstrap::run(store.as_ref(), ADMIN, clock.now())
        .await
        .unwrap()
        .expect("a new directory is bootstrapped");
    let config = RawConfig {
        public_url: Some(ORIGIN.into()),
        rp_id: Some(RP_ID.into()),
        database: Some(url),
        admin: Some(ADMIN.into()),
        ..RawConfig::default()
    }
    .validate()
    .unwrap();
    let state = keybound_server::state(config, Arc::clone(&store), clock.clone() as Arc<dyn Clock>)
        .await
        .unwrap();
    Server {
        app: keybound_server::app(state.clone()),
        state,
        store,
        clock,
        admin: first.admin,
        admin_tap: first.tap.code,
    }
}

/// What came back.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    body: Value,
    set_cookie: Option<String>,
}

impl Reply {
    /// The refusal's code, or "" for a success.
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or("")
    }
}

/// The one assertion most tests make: the status and the refusal code ("" for none).
#[track_caller]
fn check(reply: &Reply, status: u16, code: &str) {
    assert_eq!(
        (reply.status.as_u16(), reply.code()),
        (status, code),
        "{:#}",
        reply.body
    );
    if !code.is_empty() {
        assert!(
            reply.message().len() > 20,
            "a refusal says what to do: {}",
            reply.body
        );
    }
}

impl Server {
    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        cookie: Option<&str>,
        content_type: &str,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = cookie {
            request = request.header("cookie", format!("keybound_session={cookie}"));
        }
        let request = match body {
            Some(body) => request
                .header("content-type", content_type)
                .body(Body::from(body.to_string())),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            body,
            set_cookie,
        }
    }

    fn browser(&self) -> Browser<'_> {
        Browser {
            server: self,
            cookie: None,
        }
    }

    fn advance_minutes(&self, minutes: i64) {
        self.clock.advance_millis(minutes * 60_000);
    }

    fn audit(&self, activity: &str, initiator: Initiator) -> AuditEntry {
        Audit::new(activity, "UserManagement", "Core Directory", "Add")
            .by(initiator)
            .at(self.clock.now())
            .unwrap()
    }

    /// A user with a Temporary Access Pass (reusable, 60 minutes); returns the user and the code.
    async fn user_with_tap(&self, upn: &str) -> (User, String) {
        let user = User {
            id: UserId::random(),
            user_principal_name: upn.into(),
            display_name: upn.split('@').next().unwrap().into(),
            account_enabled: true,
            user_handle: UserHandle::from_bytes(uuid::Uuid::new_v4().as_bytes().to_vec()).unwrap(),
            created_at: self.clock.now(),
        };
        self.store
            .create_user(&user, &self.audit("Add user", Initiator::operator_cli()))
            .await
            .unwrap();
        let code = self.issue_tap(&user, 60, false).await;
        (user, code)
    }

    async fn issue_tap(&self, user: &User, minutes: i64, once: bool) -> String {
        let (policy, _) = keybound_server::current_policy(self.store.as_ref())
            .await
            .unwrap();
        let request = TapRequest {
            lifetime_minutes: Some(minutes),
            usable_once: Some(once),
            start_at: None,
        };
        tap::issue(
            self.store.as_ref(),
            &policy,
            user,
            request,
            Initiator::operator_cli(),
            self.clock.now(),
        )
        .await
        .unwrap()
        .code
    }

    /// PATCHes the FIDO2 configuration through Graph, as an admin tool would.
    async fn patch_fido2(&self, body: Value) {
        let (token, _) = self
            .state
            .tokens
            .mint(
                "test-admin",
                &[Scope::PolicyReadWriteAuthenticationMethod],
                self.clock.now(),
                60,
            )
            .unwrap();
        let request = Request::builder()
            .method("PATCH")
            .uri("/beta/authenticationMethodsPolicy/authenticationMethodConfigurations/FIDO2")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }

    /// A group with `user` in it, made through the store.
    async fn group_with(&self, user: &User) -> GroupId {
        let group = Group {
            id: GroupId::random(),
            display_name: "Contractors".into(),
            description: None,
            created_at: self.clock.now(),
        };
        self.store
            .create_group(&group, &self.audit("Add group", Initiator::operator_cli()))
            .await
            .unwrap();
        self.store
            .add_member(
                &group.id,
                &user.id,
                &self.audit("Add member to group", Initiator::operator_cli()),
            )
            .await
            .unwrap();
        group.id
    }

    async fn audits(&self, activity: &str) -> Vec<AuditEntry> {
        self.store
            .query_audit(&AuditQuery {
                activity_display_name: Some(activity.into()),
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .items
    }

    async fn sign_ins(&self, user: &User) -> Vec<SignInEntry> {
        self.store
            .query_sign_ins(&SignInQuery {
                user_id: Some(user.id.as_str().into()),
                ..SignInQuery::default()
            })
            .await
            .unwrap()
            .items
    }
}

/// A browser: one cookie jar.
struct Browser<'s> {
    server: &'s Server,
    cookie: Option<String>,
}

impl Browser<'_> {
    async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let reply = self
            .server
            .send(
                method,
                path,
                body.as_ref(),
                self.cookie.as_deref(),
                "application/json",
            )
            .await;
        if let Some(set) = &reply.set_cookie {
            let value = set
                .strip_prefix("keybound_session=")
                .and_then(|rest| rest.split(';').next())
                .unwrap();
            self.cookie = Some(value.to_owned());
        }
        reply
    }

    async fn post(&mut self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body)).await
    }

    async fn sign_in_with_tap(&mut self, upn: &str, code: &str) -> Reply {
        self.post(
            "/api/signin/tap",
            json!({"username": upn, "temporaryAccessPass": code}),
        )
        .await
    }

    async fn registration_options(&mut self) -> Reply {
        self.post("/api/me/passkeys/options", json!({})).await
    }

    /// Options, the authenticator's answer, verify: the whole registration.
    async fn register(&mut self, authenticator: &mut Authenticator, name: Option<&str>) -> Reply {
        let options = self.registration_options().await;
        check(&options, 200, "");
        let credential = authenticator.create(&options.body["publicKey"]);
        self.verify_registration(credential, name).await
    }

    async fn verify_registration(&mut self, credential: Value, name: Option<&str>) -> Reply {
        let mut body = json!({ "credential": credential });
        if let Some(name) = name {
            body["displayName"] = json!(name);
        }
        self.post("/api/me/passkeys/verify", body).await
    }

    async fn sign_in_options(&mut self, username: Option<&str>) -> Reply {
        let body = match username {
            Some(name) => json!({ "username": name }),
            None => json!({}),
        };
        let reply = self.post("/api/signin/passkey/options", body).await;
        check(&reply, 200, "");
        reply
    }

    /// Options, the authenticator's assertion, verify: the whole passkey sign-in.
    async fn sign_in_with_passkey(
        &mut self,
        authenticator: &mut Authenticator,
        username: Option<&str>,
    ) -> Reply {
        let options = self.sign_in_options(username).await;
        let credential = authenticator.get(&options.body["publicKey"]);
        self.verify_sign_in(credential).await
    }

    async fn verify_sign_in(&mut self, credential: Value) -> Reply {
        self.post(
            "/api/signin/passkey/verify",
            json!({ "credential": credential }),
        )
        .await
    }
}

// --- The software authenticator ---------------------------------------------------

fn sha256(data: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, data).as_ref().to_vec()
}

/// One P-256 credential on a software authenticator of some model.
struct Authenticator {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    aaguid: Aaguid,
    flags: u8,
    counter: u32,
    user_handle: Option<Vec<u8>>,
    /// What it claims the page's origin was.
    origin: String,
    /// Scopes credentials to this RP ID instead of the one the options name.
    rp_id: Option<String>,
}

impl Authenticator {
    fn new(aaguid: &str, flags: u8) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
                .unwrap();
        Authenticator {
            key,
            credential_id: uuid::Uuid::new_v4().as_bytes().to_vec(),
            aaguid: aaguid.parse().unwrap(),
            flags,
            counter: 0,
            user_handle: None,
            origin: ORIGIN.into(),
            rp_id: None,
        }
    }

    /// A device-bound passkey (BE clear).
    fn device_bound(aaguid: &str) -> Self {
        Self::new(aaguid, UP | UV)
    }

    /// A synced passkey (BE and BS set).
    fn synced(aaguid: &str) -> Self {
        Self::new(aaguid, UP | UV | BE | BS)
    }

    fn id(&self) -> String {
        encode(&self.credential_id)
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let map = Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Integer(2.into())),
            (Cbor::Integer(3.into()), Cbor::Integer((-7).into())),
            (Cbor::Integer((-1).into()), Cbor::Integer(1.into())),
            (
                Cbor::Integer((-2).into()),
                Cbor::Bytes(point[1..33].to_vec()),
            ),
            (
                Cbor::Integer((-3).into()),
                Cbor::Bytes(point[33..].to_vec()),
            ),
        ]);
        let mut out = Vec::new();
        ciborium::ser::into_writer(&map, &mut out).unwrap();
        out
    }

    fn client_data(&self, kind: &str, challenge: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// Answers `PublicKeyCredentialCreationOptionsJSON` with `none` attestation.
    fn create(&mut self, options: &Value) -> Value {
        self.user_handle = options["user"]["id"].as_str().and_then(decode);
        let rp_id = options["rp"]["id"].as_str().unwrap().to_owned();
        self.attest(options["challenge"].as_str().unwrap(), &rp_id)
    }

    /// A registration response over `challenge`.
    fn attest(&mut self, challenge: &str, rp_id: &str) -> Value {
        let client_data = self.client_data("webauthn.create", challenge);
        let rp_id = self.rp_id.clone().unwrap_or_else(|| rp_id.to_owned());
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(self.flags | AT);
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend(self.aaguid.as_bytes());
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(self.cose_key());
        let object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let mut attestation_object = Vec::new();
        ciborium::ser::into_writer(&object, &mut attestation_object).unwrap();
        json!({
            "id": self.id(), "rawId": self.id(), "type": "public-key",
            "response": {
                "clientDataJSON": encode(&client_data),
                "attestationObject": encode(&attestation_object),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
        })
    }

    /// Answers `PublicKeyCredentialRequestOptionsJSON`.
    fn get(&mut self, options: &Value) -> Value {
        let rp_id = options["rpId"].as_str().unwrap().to_owned();
        self.assert(options["challenge"].as_str().unwrap(), &rp_id)
    }

    /// An assertion over `challenge`, counting up.
    fn assert(&mut self, challenge: &str, rp_id: &str) -> Value {
        self.counter += 1;
        let client_data = self.client_data("webauthn.get", challenge);
        let rp_id = self.rp_id.clone().unwrap_or_else(|| rp_id.to_owned());
        let mut auth_data = sha256(rp_id.as_bytes());
        auth_data.push(self.flags);
        auth_data.extend(self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let sig = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        json!({
            "id": self.id(), "rawId": self.id(), "type": "public-key",
            "response": {
                "clientDataJSON": encode(&client_data),
                "authenticatorData": encode(&auth_data),
                "signature": encode(sig.as_ref()),
                "userHandle": self.user_handle.as_deref().map(encode),
            },
            "clientExtensionResults": {},
        })
    }
}

/// RFC 6238 TOTP with HMAC-SHA-1, 6 digits, 30-second steps, as an authenticator app computes it.
fn totp(secret: &[u8], at: Timestamp) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let step = (at.as_secs() / 30) as u64;
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = usize::from(mac[19] & 0x0f);
    let word = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!("{:06}", word % 1_000_000)
}

/// An admin signed in with the bootstrap Temporary Access Pass.
async fn admin_browser(server: &Server) -> Browser<'_> {
    let mut browser = server.browser();
    let reply = browser.sign_in_with_tap(ADMIN, &server.admin_tap).await;
    check(&reply, 200, "");
    browser
}

// --- Registration ---------------------------------------------------------------

#[tokio::test]
async fn tap_sign_in_then_register_a_device_bound_passkey() {
    let server = server().await;
    let mut browser = server.browser();
    let signed_in = browser.sign_in_with_tap(ADMIN, &server.admin_tap).await;
    check(&signed_in, 200, "");
    assert_eq!(signed_in.body["status"], "signedIn");
    assert_eq!(signed_in.body["methods"], json!(["tap"]));
    assert_eq!(signed_in.body["user"]["userPrincipalName"], ADMIN);

    let options = browser.registration_options().await;
    check(&options, 200, "");
    let public_key = &options.body["publicKey"];
    assert_eq!(public_key["rp"]["id"], RP_ID);
    assert_eq!(
        public_key["user"]["id"],
        server.admin.user_handle.to_base64url()
    );
    assert_eq!(
        public_key["authenticatorSelection"],
        json!({"residentKey": "required", "requireResidentKey": true, "userVerification": "required"})
    );
    assert_eq!(public_key["excludeCredentials"], json!([]));
    assert_eq!(public_key["timeout"], 300_000);

    let mut phone = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    let credential = phone.create(public_key);
    let created = browser
        .verify_registration(credential, Some("  Work phone "))
        .await;
    check(&created, 201, "");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(MethodId::parse(&id).is_ok());
    assert_eq!(
        created.body,
        json!({
            "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
            "id": id,
            "displayName": "Work phone",
            "createdDateTime": START.to_rfc3339(),
            "aaGuid": MS_AUTHENTICATOR_IOS,
            "model": "Microsoft Authenticator for iOS",
            "attestationCertificates": [],
            "attestationLevel": "notAttested",
            "passkeyType": "deviceBound",
        })
    );

    // The audit entry, written with the passkey.
    let audits = server
        .audits("Add Passkey (device-bound) security key")
        .await;
    assert_eq!(audits.len(), 1);
    let entry = &audits[0];
    assert_eq!(
        (
            entry.category.as_str(),
            entry.logged_by_service.as_str(),
            entry.operation_type.as_str(),
            entry.result
        ),
        (
            "UserManagement",
            "Device Registration Service",
            "Add",
            AuditResult::Success
        )
    );
    assert_eq!(
        entry.target_resources[0].user_principal_name.as_deref(),
        Some(ADMIN)
    );
    let details: Vec<(&str, &str)> = entry
        .additional_details
        .iter()
        .map(|kv| (kv.key.as_str(), kv.value.as_str()))
        .collect();
    assert_eq!(details[1], ("AAGUID", MS_AUTHENTICATOR_IOS));
    assert_eq!(details[0].0, "WebAuthnInfo");
    let info: Value = serde_json::from_str(details[0].1).unwrap();
    assert_eq!(info["format"], "none");
    assert_eq!(
        info["flags"],
        json!({"UP": true, "UV": true, "BE": false, "BS": false})
    );

    // The new passkey is listed, and excluded from the next registration.
    let methods = browser.call("GET", "/api/me/methods", None).await;
    check(&methods, 200, "");
    let kinds: Vec<&str> = methods.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["@odata.type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
            "#microsoft.graph.fido2AuthenticationMethod"
        ]
    );
    assert_eq!(
        methods.body["value"][0]["methodUsabilityReason"],
        "oneTimeUsed"
    );
    let again = browser.registration_options().await;
    assert_eq!(
        again.body["publicKey"]["excludeCredentials"][0]["id"],
        phone.id()
    );

    // The same credential twice is a conflict, not a second passkey.
    let twice = phone.create(&again.body["publicKey"]);
    check(
        &browser.verify_registration(twice, None).await,
        409,
        "credential_exists",
    );

    // The sign-in log has the pass.
    let log = server.sign_ins(&server.admin).await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].status.error_code,
            log[0].authentication_method.as_deref()
        ),
        (0, Some("Temporary Access Pass"))
    );
}

#[tokio::test]
async fn synced_passkeys_are_added_renamed_and_deleted_with_their_audit_names() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    let mut synced = Authenticator::synced(MS_AUTHENTICATOR_ANDROID);
    let created = browser.register(&mut synced, None).await;
    check(&created, 201, "");
    assert_eq!(created.body["passkeyType"], "synced");
    assert_eq!(
        created.body["displayName"],
        "Microsoft Authenticator for Android"
    );
    assert_eq!(server.audits("Add Passkey (synced)").await.len(), 1);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let path = format!("/api/me/passkeys/{id}");

    let renamed = browser
        .call("PATCH", &path, Some(json!({"displayName": "Pixel"})))
        .await;
    check(&renamed, 200, "");
    assert_eq!(renamed.body["displayName"], "Pixel");
    let update = server.audits("Update Passkey").await;
    assert_eq!(
        update[0].target_resources[0].modified_properties[0]
            .new_value
            .as_deref(),
        Some("\"Pixel\"")
    );
    for (body, code) in [
        (json!({"displayName": ""}), "invalid_display_name"),
        (json!({"displayName": "a\nb"}), "invalid_display_name"),
        (json!({"name": "Pixel"}), "invalid_request"),
    ] {
        check(&browser.call("PATCH", &path, Some(body)).await, 400, code);
    }

    check(&browser.call("DELETE", &path, None).await, 204, "");
    assert_eq!(server.audits("Delete Passkey (synced)").await.len(), 1);
    check(
        &browser.call("DELETE", &path, None).await,
        404,
        "passkey_not_found",
    );
    check(
        &browser
            .call("DELETE", "/api/me/passkeys/not-a-guid", None)
            .await,
        404,
        "passkey_not_found",
    );
    let methods = browser.call("GET", "/api/me/methods", None).await;
    assert_eq!(methods.body["value"].as_array().unwrap().len(), 1);

    // Someone else's passkey is not yours to rename or delete.
    let (bob, code) = server.user_with_tap("bob@example.org").await;
    let mut bob_browser = server.browser();
    check(
        &bob_browser
            .sign_in_with_tap(&bob.user_principal_name, &code)
            .await,
        200,
        "",
    );
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    let bobs = bob_browser.register(&mut key, None).await;
    let bobs_path = format!("/api/me/passkeys/{}", bobs.body["id"].as_str().unwrap());
    check(
        &browser.call("DELETE", &bobs_path, None).await,
        404,
        "passkey_not_found",
    );
}

#[tokio::test]
async fn registration_needs_a_recent_tap_or_second_factor() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    server.advance_minutes(6);
    check(
        &browser.registration_options().await,
        403,
        "recent_sign_in_required",
    );
    // The session still works for everything else.
    check(&browser.call("GET", "/api/me/methods", None).await, 200, "");
    // A passkey sign-in is recent multifactor authentication again.
    let (bob, code) = server.user_with_tap("bob@example.org").await;
    let mut bob_browser = server.browser();
    check(
        &bob_browser
            .sign_in_with_tap(&bob.user_principal_name, &code)
            .await,
        200,
        "",
    );
    let mut key = Authenticator::device_bound(KEYBOUND_AUTHENTICATOR);
    check(&bob_browser.register(&mut key, None).await, 201, "");
    server.advance_minutes(6);
    check(
        &bob_browser.registration_options().await,
        403,
        "recent_sign_in_required",
    );
    check(
        &bob_browser.sign_in_with_passkey(&mut key, None).await,
        200,
        "",
    );
    check(&bob_browser.registration_options().await, 200, "");
}

// --- Passkey sign-in ---------------------------------------------------------------

#[tokio::test]
async fn passkey_sign_in_with_a_username_and_without_one() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    let mut key = Authenticator::device_bound(KEYBOUND_AUTHENTICATOR);
    check(&browser.register(&mut key, None).await, 201, "");

    // Username first: the options name the user's passkeys.
    let mut laptop = server.browser();
    let options = laptop.sign_in_options(Some(ADMIN)).await;
    assert_eq!(
        options.body["publicKey"]["allowCredentials"][0]["id"],
        key.id()
    );
    assert_eq!(options.body["publicKey"]["userVerification"], "required");
    let signed_in = laptop
        .verify_sign_in(key.get(&options.body["publicKey"]))
        .await;
    check(&signed_in, 200, "");
    assert_eq!(signed_in.body["methods"], json!(["passkey"]));
    let cookie = signed_in.set_cookie.clone().unwrap();
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Secure",
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    check(&laptop.call("GET", "/api/me/methods", None).await, 200, "");

    // No username: discoverable sign-in, found by the credential and its user handle.
    let mut kiosk = server.browser();
    let options = kiosk.sign_in_options(None).await;
    assert!(options.body["publicKey"].get("allowCredentials").is_none());
    let signed_in = kiosk
        .verify_sign_in(key.get(&options.body["publicKey"]))
        .await;
    check(&signed_in, 200, "");
    assert_eq!(signed_in.body["user"]["userPrincipalName"], ADMIN);

    // The counter and last use are recorded; the sign-in log names the passkey.
    let stored = server.store.list_passkeys(&server.admin.id).await.unwrap();
    assert_eq!(stored[0].sign_count, 2);
    assert_eq!(stored[0].last_used_at, Some(START));
    let log = server.sign_ins(&server.admin).await;
    let passkey_entries: Vec<_> = log
        .iter()
        .filter(|e| e.authentication_method.as_deref() == Some("Passkey (device-bound)"))
        .collect();
    assert_eq!(passkey_entries.len(), 2);
    assert_eq!(passkey_entries[0].status.error_code, 0);
    assert_eq!(
        passkey_entries[0].aaguid,
        Some(KEYBOUND_AUTHENTICATOR.parse().unwrap())
    );
    assert_eq!(
        passkey_entries[0]
            .credential_id
            .as_ref()
            .map(|c| c.to_base64url()),
        Some(key.id())
    );
}

#[tokio::test]
async fn a_credential_the_directory_does_not_know_is_signalled() {
    let server = server().await;
    let mut stranger = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    let mut browser = server.browser();
    let reply = browser.sign_in_with_passkey(&mut stranger, None).await;
    check(&reply, 400, "credential_unknown");
    assert_eq!(
        reply.body["error"]["signalUnknownCredential"],
        json!({"rpId": RP_ID, "credentialId": stranger.id()})
    );
    assert!(reply.set_cookie.is_none());
    let failures = server
        .store
        .query_sign_ins(&SignInQuery::default())
        .await
        .unwrap()
        .items;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].status.error_code, 135_010);
    assert_eq!(
        failures[0].credential_id.as_ref().map(|c| c.to_base64url()),
        Some(stranger.id())
    );
}

#[tokio::test]
async fn a_counter_that_goes_backwards_is_refused_and_the_passkey_flagged() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    let mut key = Authenticator::device_bound(KEYBOUND_AUTHENTICATOR);
    check(&browser.register(&mut key, None).await, 201, "");
    check(
        &server.browser().sign_in_with_passkey(&mut key, None).await,
        200,
        "",
    );
    check(
        &server.browser().sign_in_with_passkey(&mut key, None).await,
        200,
        "",
    );

    // A copy of the key, behind the original.
    key.counter = 0;
    let reply = server.browser().sign_in_with_passkey(&mut key, None).await;
    check(&reply, 403, "sign_count_regressed");
    assert!(reply.message().contains("copied"), "{}", reply.message());
    let stored = server.store.list_passkeys(&server.admin.id).await.unwrap();
    assert!(stored[0]
        .flagged
        .as_deref()
        .unwrap()
        .contains("stored 2, received 1"));
    assert_eq!(stored[0].sign_count, 2);
    assert_eq!(server.audits("Flag Passkey (device-bound)").await.len(), 1);
    let codes: Vec<i64> = server
        .sign_ins(&server.admin)
        .await
        .iter()
        .map(|e| e.status.error_code)
        .collect();
    assert!(codes.contains(&135_017), "{codes:?}");

    // A flagged passkey stays refused, whatever its counter says now.
    key.counter = 10;
    check(
        &server.browser().sign_in_with_passkey(&mut key, None).await,
        403,
        "passkey_flagged",
    );
}

// --- Policy ------------------------------------------------------------------------

/// The seed request: only the two Microsoft Authenticator AAGUIDs.
fn seed_allow_list() -> Value {
    json!({
        "isAttestationEnforced": false,
        "keyRestrictions": {
            "isEnforced": true,
            "enforcementType": "allow",
            "aaGuids": [MS_AUTHENTICATOR_IOS, MS_AUTHENTICATOR_ANDROID],
        },
    })
}

#[tokio::test]
async fn the_seed_allow_list_refuses_other_providers_at_registration_and_sign_in() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    let mut keybound = Authenticator::device_bound(KEYBOUND_AUTHENTICATOR);
    check(&browser.register(&mut keybound, None).await, 201, "");
    server.patch_fido2(seed_allow_list()).await;

    // A new passkey from another provider is refused, named, and audited as a failure.
    let mut other = Authenticator::device_bound(KEYBOUND_AUTHENTICATOR);
    let refused = browser.register(&mut other, None).await;
    check(&refused, 403, "aaguid_not_allowed");
    for fragment in [
        KEYBOUND_AUTHENTICATOR,
        "Keybound Authenticator",
        "allow list",
    ] {
        assert!(
            refused.message().contains(fragment),
            "{}",
            refused.message()
        );
    }
    let audits = server
        .audits("Add Passkey (device-bound) security key")
        .await;
    assert_eq!(audits.len(), 2);
    let failed = audits
        .iter()
        .find(|a| a.result == AuditResult::Failure)
        .expect("the refusal is audited");
    assert_eq!(failed.result_reason, refused.message());
    assert_eq!(
        server
            .store
            .list_passkeys(&server.admin.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // An unknown provider is named by its AAGUID.
    let mut unknown = Authenticator::device_bound(UNKNOWN_PROVIDER);
    let refused = browser.register(&mut unknown, None).await;
    check(&refused, 403, "aaguid_not_allowed");
    assert!(refused.message().contains(UNKNOWN_PROVIDER));
    assert!(refused.message().contains("unknown provider"));

    // An allowed provider still registers.
    let mut phone = Authenticator::device_bound(MS_AUTHENTICATOR_ANDROID);
    check(&browser.register(&mut phone, None).await, 201, "");

    // The passkey registered before the allow list no longer signs in, and the refusal says why.
    let refused = server
        .browser()
        .sign_in_with_passkey(&mut keybound, None)
        .await;
    check(&refused, 403, "aaguid_not_allowed");
    assert!(refused.message().contains("Keybound Authenticator"));
    assert!(refused.message().contains(KEYBOUND_AUTHENTICATOR));
    let log = server.sign_ins(&server.admin).await;
    assert!(log.iter().any(|e| e
        .status
        .failure_reason
        .as_deref()
        .is_some_and(|r| r.starts_with("aaguid_not_allowed: "))));
    check(
        &server
            .browser()
            .sign_in_with_passkey(&mut phone, Some(ADMIN))
            .await,
        200,
        "",
    );
}

#[tokio::test]
async fn a_block_list_refuses_the_listed_provider_only() {
    let server = server().await;
    let list = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/passkey-provider-aaguids.json"
    ))
    .unwrap();
    server
        .state
        .catalog
        .write()
        .unwrap()
        .load_community_list(&list)
        .unwrap();
    server
        .patch_fido2(json!({"keyRestrictions": {
            "isEnforced": true, "enforcementType": "block", "aaGuids": [GOOGLE_PASSWORD_MANAGER],
        }}))
        .await;
    let mut browser = admin_browser(&server).await;
    let mut google = Authenticator::synced(GOOGLE_PASSWORD_MANAGER);
    let refused = browser.register(&mut google, None).await;
    check(&refused, 403, "aaguid_blocked");
    for fragment in [
        GOOGLE_PASSWORD_MANAGER,
        "Google Password Manager",
        "block list",
    ] {
        assert!(
            refused.message().contains(fragment),
            "{}",
            refused.message()
        );
    }
    let failed = server.audits("Add Passkey (synced)").await;
    assert_eq!(failed[0].result, AuditResult::Failure);
    let mut phone = Authenticator::synced(MS_AUTHENTICATOR_IOS);
    let created = browser.register(&mut phone, None).await;
    check(&created, 201, "");
    assert_eq!(created.body["model"], "Microsoft Authenticator for iOS");
}

#[tokio::test]
async fn a_device_bound_only_profile_refuses_synced_passkeys() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    let mut synced = Authenticator::synced(MS_AUTHENTICATOR_IOS);
    check(&browser.register(&mut synced, None).await, 201, "");
    server
        .patch_fido2(json!({"passkeyProfiles": [
            {"id": "00000000-0000-0000-0000-000000000001", "passkeyTypes": "deviceBound"},
        ]}))
        .await;
    let mut another = Authenticator::synced(MS_AUTHENTICATOR_ANDROID);
    let refused = browser.register(&mut another, None).await;
    check(&refused, 403, "synced_not_allowed");
    assert!(refused.message().contains("only device-bound"));
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_ANDROID);
    check(&browser.register(&mut key, None).await, 201, "");
    // The synced passkey registered earlier stops signing in.
    check(
        &server
            .browser()
            .sign_in_with_passkey(&mut synced, None)
            .await,
        403,
        "synced_not_allowed",
    );
    check(
        &server.browser().sign_in_with_passkey(&mut key, None).await,
        200,
        "",
    );
}

#[tokio::test]
async fn self_service_off_blocks_registration() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    // A ceremony started before the change is refused when it finishes.
    let options = browser.registration_options().await;
    server
        .patch_fido2(json!({"isSelfServiceRegistrationAllowed": false}))
        .await;
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    let refused = browser
        .verify_registration(key.create(&options.body["publicKey"]), None)
        .await;
    check(&refused, 403, "self_service_disabled");
    let audits = server
        .audits("Add Passkey (device-bound) security key")
        .await;
    assert_eq!(audits[0].result, AuditResult::Failure);
    // And no new ceremony starts.
    check(
        &browser.registration_options().await,
        403,
        "self_service_disabled",
    );
}

#[tokio::test]
async fn an_excluded_group_can_neither_register_nor_sign_in() {
    let server = server().await;
    let (bob, code) = server.user_with_tap("bob@example.org").await;
    let mut browser = server.browser();
    check(
        &browser
            .sign_in_with_tap(&bob.user_principal_name, &code)
            .await,
        200,
        "",
    );
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    check(&browser.register(&mut key, None).await, 201, "");

    let group = server.group_with(&bob).await;
    server
        .patch_fido2(json!({"excludeTargets": [{"id": group.as_str(), "targetType": "group"}]}))
        .await;
    let refused = browser.registration_options().await;
    check(&refused, 403, "user_excluded");
    assert!(refused.message().contains(group.as_str()));
    let refused = server
        .browser()
        .sign_in_with_passkey(&mut key, Some(&bob.user_principal_name))
        .await;
    check(&refused, 403, "user_excluded");
    // Exclusion beats inclusion: the admin, not in the group, is unaffected.
    let mut admin = admin_browser(&server).await;
    let mut admin_key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    check(&admin.register(&mut admin_key, None).await, 201, "");
}

// --- Temporary Access Passes, passwords, TOTP -----------------------------------------

#[tokio::test]
async fn temporary_access_pass_refusals() {
    let server = server().await;
    let mut browser = server.browser();
    check(
        &browser.sign_in_with_tap(ADMIN, &server.admin_tap).await,
        200,
        "",
    );
    // One-time: the second use is refused.
    check(
        &browser.sign_in_with_tap(ADMIN, &server.admin_tap).await,
        401,
        "tap_used",
    );

    let (bob, code) = server.user_with_tap("bob@example.org").await;
    let upn = bob.user_principal_name.as_str();
    let unknown = browser.sign_in_with_tap("nobody@example.org", &code).await;
    let wrong = browser.sign_in_with_tap(upn, "wrong-pass").await;
    check(&unknown, 401, "invalid_credentials");
    check(&wrong, 401, "invalid_credentials");
    assert_eq!(
        unknown.body, wrong.body,
        "unknown user and wrong pass read alike"
    );
    assert_eq!(
        unknown.message(),
        "The sign-in name or the Temporary Access Pass is not right."
    );
    for (body, status, code) in [
        (json!({"username": upn}), 400, "invalid_request"),
        (json!([]), 400, "invalid_request"),
    ] {
        check(&browser.post("/api/signin/tap", body).await, status, code);
    }
    let form = server
        .send(
            "POST",
            "/api/signin/tap",
            Some(&json!({"username": upn, "temporaryAccessPass": code})),
            None,
            "application/x-www-form-urlencoded",
        )
        .await;
    check(&form, 400, "json_required");

    // A reusable pass works until it expires.
    check(&browser.sign_in_with_tap(upn, &code).await, 200, "");
    check(&browser.sign_in_with_tap(upn, &code).await, 200, "");
    server.advance_minutes(61);
    check(
        &browser.sign_in_with_tap(upn, &code).await,
        401,
        "tap_expired",
    );

    // Ten wrong codes lock the pass, even against the right one.
    let fresh = server.issue_tap(&bob, 60, false).await;
    for attempt in 1..=10 {
        let expected = if attempt < 10 {
            "invalid_credentials"
        } else {
            "tap_locked"
        };
        check(
            &browser.sign_in_with_tap(upn, "wrong-pass").await,
            if attempt < 10 { 401 } else { 403 },
            expected,
        );
    }
    let locked = browser.sign_in_with_tap(upn, &fresh).await;
    check(&locked, 403, "tap_locked");
    assert!(locked.message().contains("administrator for a new pass"));

    // Every attempt is in the sign-in log.
    let log = server.sign_ins(&bob).await;
    assert!(log.iter().any(|e| e.status.error_code == 50053));
    assert!(log.iter().any(|e| e.status.error_code == 50126));

    // A disabled account is refused, and its sessions stop working.
    let (carol, code) = server.user_with_tap("carol@example.org").await;
    let mut carol_browser = server.browser();
    check(
        &carol_browser
            .sign_in_with_tap(&carol.user_principal_name, &code)
            .await,
        200,
        "",
    );
    let disable = UserChanges {
        account_enabled: Some(false),
        ..UserChanges::default()
    };
    server
        .store
        .update_user(
            &carol.id,
            &disable,
            &server.audit("Update user", Initiator::operator_cli()),
        )
        .await
        .unwrap();
    check(
        &carol_browser.call("GET", "/api/me/methods", None).await,
        403,
        "account_disabled",
    );
    check(
        &server
            .browser()
            .sign_in_with_tap(&carol.user_principal_name, &code)
            .await,
        403,
        "account_disabled",
    );
}

#[tokio::test]
async fn password_then_totp_with_replayed_codes_refused() {
    let server = server().await;
    let (dana, _) = server.user_with_tap("dana@example.org").await;
    let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
    let phc = Argon2::default()
        .hash_password(b"correct horse battery staple", &salt)
        .unwrap()
        .to_string();
    let audit = server.audit("Set password", Initiator::operator_cli());
    server
        .store
        .set_password(
            &PasswordMethod {
                user_id: dana.id.clone(),
                phc_hash: phc,
                created_at: START,
            },
            &audit,
        )
        .await
        .unwrap();
    let upn = dana.user_principal_name.clone();
    let password = |text: &str| json!({"username": upn, "password": text});

    // Without an authenticator app, a password alone cannot finish a sign-in.
    let mut browser = server.browser();
    check(
        &browser
            .post(
                "/api/signin/password",
                password("correct horse battery staple"),
            )
            .await,
        403,
        "mfa_not_available",
    );

    let secret = b"12345678901234567890".to_vec();
    let token = SoftwareOathMethod {
        id: MethodId::random(),
        user_id: dana.id.clone(),
        secret: secret.clone(),
        created_at: START,
        last_used_step: 0,
    };
    server
        .store
        .create_software_oath(
            &token,
            &server.audit("Add software OATH token", Initiator::operator_cli()),
        )
        .await
        .unwrap();

    check(
        &browser
            .post("/api/signin/password", password("wrong"))
            .await,
        401,
        "invalid_credentials",
    );
    let first = browser
        .post(
            "/api/signin/password",
            password("correct horse battery staple"),
        )
        .await;
    check(&first, 200, "");
    assert_eq!(first.body["status"], "mfaRequired");
    // A password alone is not a session.
    check(
        &browser.call("GET", "/api/me/methods", None).await,
        401,
        "mfa_required",
    );
    check(&browser.registration_options().await, 401, "mfa_required");

    check(
        &browser
            .post("/api/signin/totp", json!({"code": "000000"}))
            .await,
        401,
        "totp_invalid",
    );
    let code = totp(&secret, server.clock.now());
    let second = browser
        .post("/api/signin/totp", json!({"code": code}))
        .await;
    check(&second, 200, "");
    assert_eq!(second.body["status"], "signedIn");
    assert_eq!(second.body["methods"], json!(["password", "totp"]));
    check(&browser.call("GET", "/api/me/methods", None).await, 200, "");
    // Recent multifactor authentication lets the user add a passkey.
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    check(&browser.register(&mut key, None).await, 201, "");

    // The same code again, in a new sign-in, is refused; the next step's code works.
    let mut other = server.browser();
    check(
        &other
            .post(
                "/api/signin/password",
                password("correct horse battery staple"),
            )
            .await,
        200,
        "",
    );
    check(
        &other.post("/api/signin/totp", json!({"code": code})).await,
        401,
        "totp_reused",
    );
    server.clock.advance_millis(30_000);
    let next = totp(&secret, server.clock.now());
    check(
        &other.post("/api/signin/totp", json!({"code": next})).await,
        200,
        "",
    );
    // Without a password step first, a code is refused.
    check(
        &server
            .browser()
            .post("/api/signin/totp", json!({"code": next}))
            .await,
        401,
        "sign_in_first",
    );

    let log = server.sign_ins(&dana).await;
    assert!(log.iter().any(|e| e.status.error_code == 50074));
    assert!(log.iter().any(|e| e.status.error_code == 0
        && e.authentication_method.as_deref() == Some("OATH verification code")));
}

#[tokio::test]
async fn wrong_totp_codes_are_limited() {
    let server = server().await;
    let (erin, _) = server.user_with_tap("erin@example.org").await;
    let phc = Argon2::default()
        .hash_password(b"pw", &SaltString::encode_b64(b"0123456789abcdef").unwrap())
        .unwrap()
        .to_string();
    let audit = server.audit("Set password", Initiator::operator_cli());
    server
        .store
        .set_password(
            &PasswordMethod {
                user_id: erin.id.clone(),
                phc_hash: phc,
                created_at: START,
            },
            &audit,
        )
        .await
        .unwrap();
    let secret = b"abcdefghijabcdefghij".to_vec();
    let token = SoftwareOathMethod {
        id: MethodId::random(),
        user_id: erin.id.clone(),
        secret: secret.clone(),
        created_at: START,
        last_used_step: 0,
    };
    server
        .store
        .create_software_oath(
            &token,
            &server.audit("Add software OATH token", Initiator::operator_cli()),
        )
        .await
        .unwrap();
    let mut browser = server.browser();
    check(
        &browser
            .post(
                "/api/signin/password",
                json!({"username": "erin@example.org", "password": "pw"}),
            )
            .await,
        200,
        "",
    );
    let right = totp(&secret, server.clock.now());
    let wrong = if right == "111111" {
        "222222"
    } else {
        "111111"
    };
    for _ in 0..5 {
        check(
            &browser
                .post("/api/signin/totp", json!({"code": wrong}))
                .await,
            401,
            "totp_invalid",
        );
    }
    check(
        &browser
            .post("/api/signin/totp", json!({"code": right}))
            .await,
        429,
        "too_many_attempts",
    );
}

// --- Ceremony integrity -----------------------------------------------------------

#[tokio::test]
async fn replayed_and_expired_challenges_are_refused() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);

    // Registration: the same response twice.
    let options = browser.registration_options().await;
    let response = key.create(&options.body["publicKey"]);
    check(
        &browser.verify_registration(response.clone(), None).await,
        201,
        "",
    );
    let replay = browser.verify_registration(response, None).await;
    check(&replay, 400, "challenge_unknown");
    assert_eq!(
        replay.message(),
        "This sign-in request has expired or was already used; start again."
    );

    // Sign-in: the same assertion twice.
    let mut laptop = server.browser();
    let options = laptop.sign_in_options(None).await;
    let assertion = key.get(&options.body["publicKey"]);
    check(&laptop.verify_sign_in(assertion.clone()).await, 200, "");
    check(
        &laptop.verify_sign_in(assertion).await,
        400,
        "challenge_unknown",
    );

    // A challenge past the options' timeout.
    let options = laptop.sign_in_options(None).await;
    server.advance_minutes(6);
    let late = key.get(&options.body["publicKey"]);
    check(&laptop.verify_sign_in(late).await, 400, "challenge_unknown");

    // A registration's challenge cannot finish a sign-in, nor the reverse.
    let mut fresh = admin_browser_again(&server).await;
    let registration = fresh.registration_options().await;
    let challenge = registration.body["publicKey"]["challenge"]
        .as_str()
        .unwrap();
    let crossed = key.assert(challenge, RP_ID);
    check(
        &fresh.verify_sign_in(crossed).await,
        400,
        "challenge_unknown",
    );
    let sign_in = fresh.sign_in_options(None).await;
    let challenge = sign_in.body["publicKey"]["challenge"].as_str().unwrap();
    let mut newer = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    let crossed = newer.attest(challenge, RP_ID);
    check(
        &fresh.verify_registration(crossed, None).await,
        400,
        "challenge_unknown",
    );
    // The registration ceremony itself is still pending and finishes once.
    let response = newer.create(&registration.body["publicKey"]);
    check(&fresh.verify_registration(response, None).await, 201, "");
}

/// The admin again, with a new pass (the bootstrap pass is one-time).
async fn admin_browser_again(server: &Server) -> Browser<'_> {
    let code = server.issue_tap(&server.admin, 60, true).await;
    let mut browser = server.browser();
    check(&browser.sign_in_with_tap(ADMIN, &code).await, 200, "");
    browser
}

#[tokio::test]
async fn wrong_origin_and_rp_id_are_refused() {
    let server = server().await;
    let mut browser = admin_browser(&server).await;
    for (origin, rp_id, code) in [
        ("https://evil.example", None, "origin_not_allowed"),
        (ORIGIN, Some("evil.example"), "rp_id_mismatch"),
    ] {
        let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
        key.origin = origin.into();
        key.rp_id = rp_id.map(str::to_owned);
        check(&browser.register(&mut key, None).await, 400, code);
    }
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    check(&browser.register(&mut key, None).await, 201, "");
    for (origin, rp_id, code) in [
        ("https://evil.example", None, "origin_not_allowed"),
        (ORIGIN, Some("evil.example"), "rp_id_mismatch"),
    ] {
        key.origin = origin.into();
        key.rp_id = rp_id.map(str::to_owned);
        check(
            &server.browser().sign_in_with_passkey(&mut key, None).await,
            400,
            code,
        );
    }
    // Nothing was signed in, and the failures are logged.
    let log = server.sign_ins(&server.admin).await;
    let refused: Vec<i64> = log
        .iter()
        .map(|e| e.status.error_code)
        .filter(|code| *code != 0)
        .collect();
    assert_eq!(refused, [900_020, 900_020]);
}

#[tokio::test]
async fn a_ceremony_belongs_to_the_session_and_user_that_started_it() {
    let server = server().await;
    let mut admin = admin_browser(&server).await;
    let (bob, code) = server.user_with_tap("bob@example.org").await;
    let mut bob_browser = server.browser();
    check(
        &bob_browser
            .sign_in_with_tap(&bob.user_principal_name, &code)
            .await,
        200,
        "",
    );

    // Bob cannot finish the admin's registration.
    let options = admin.registration_options().await;
    let mut key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    let response = key.create(&options.body["publicKey"]);
    check(
        &bob_browser.verify_registration(response, None).await,
        400,
        "ceremony_not_yours",
    );

    // Nor can the admin's other session.
    let mut second = admin_browser_again(&server).await;
    let options = admin.registration_options().await;
    let response = key.create(&options.body["publicKey"]);
    check(
        &second.verify_registration(response, None).await,
        400,
        "ceremony_not_yours",
    );

    // A sign-in started for the admin cannot be finished with Bob's passkey.
    let mut bobs_key = Authenticator::device_bound(MS_AUTHENTICATOR_IOS);
    check(&bob_browser.register(&mut bobs_key, None).await, 201, "");
    let mut laptop = server.browser();
    let options = laptop.sign_in_options(Some(ADMIN)).await;
    let assertion = bobs_key.get(&options.body["publicKey"]);
    check(
        &laptop.verify_sign_in(assertion).await,
        400,
        "ceremony_user_mismatch",
    );
}

#[tokio::test]
async fn sessions_are_cookies_the_store_knows_only_by_hash() {
    let server = server().await;
    let mut browser = server.browser();
    check(
        &browser.call("GET", "/api/me/methods", None).await,
        401,
        "not_signed_in",
    );
    let reply = browser.sign_in_with_tap(ADMIN, &server.admin_tap).await;
    let cookie = reply.set_cookie.unwrap();
    assert!(cookie.starts_with("keybound_session="));
    let secret = decode(browser.cookie.as_deref().unwrap()).unwrap();
    assert_eq!(secret.len(), 32);
    let hash = sha256(&secret);
    let session = server
        .store
        .get_session(&hash, server.clock.now())
        .await
        .unwrap()
        .expect("the store keeps the SHA-256 of the cookie");
    assert_eq!(session.user_id, server.admin.id);
    assert_eq!(session.expires_at, START.plus_minutes(8 * 60));
    assert_eq!(session.auth_methods[0].method, "tap");
    assert!(server
        .store
        .get_session(&secret, server.clock.now())
        .await
        .unwrap()
        .is_none());

    // A forged cookie is nobody; an expired session is nobody.
    let forged = encode(&[7u8; 32]);
    let reply = server
        .send(
            "GET",
            "/api/me/methods",
            None,
            Some(&forged),
            "application/json",
        )
        .await;
    check(&reply, 401, "not_signed_in");
    server.advance_minutes(8 * 60);
    check(
        &browser.call("GET", "/api/me/methods", None).await,
        401,
        "not_signed_in",
    );
}
