//! Attestation trust over the Graph extension endpoints: FIDO MDS3 BLOBs
//! signed by a test root (accepted through the `danger_add_mds_root` test
//! hook), organisation CAs, scopes, and the trust anchors and MDS status that
//! registration reads. Driven in-process with `oneshot` over a fresh SQLite
//! directory per test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use http_body_util::BodyExt;
use keybound_metadata::Source;
use keybound_server::attestation_trust::{mds_status, trust_anchors, AttestationTrust};
use keybound_server::auth::scope::Scope;
use keybound_server::clock::{system_time, ManualClock};
use keybound_server::config::RawConfig;
use keybound_server::error::ApiError;
use keybound_server::state::AppState;
use keybound_store::{AuditQuery, Store, Timestamp};
use keybound_webauthn::{Aaguid, ChainTrust};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{json, Value};
use tower::ServiceExt;

const YUBIKEY_5: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const LEAKY_KEY: &str = "12345678-1234-4234-8234-1234567890ab";
const UNKNOWN: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";
const BLOBS: &str = "/v1.0/keybound/attestation/mdsBlobs";
const CAS: &str = "/v1.0/keybound/attestation/certificateAuthorities";

fn aaguid(text: &str) -> Aaguid {
    text.parse().unwrap()
}

// --- A test PKI ------------------------------------------------------------------------

fn params(name: &str, ca: bool) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.not_before = date_time_ymd(2025, 1, 1);
    params.not_after = date_time_ymd(2030, 1, 1);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    } else {
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    params
}

/// A self-signed CA: its DER and what signs below it.
fn ca(name: &str) -> (Vec<u8>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let params = params(name, true);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    (der, Issuer::new(params, key))
}

/// An end-entity certificate under `issuer` (an attestation certificate, or the BLOB signer), and its key.
fn leaf(name: &str, issuer: &Issuer<'static, KeyPair>) -> (Vec<u8>, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let der = params(name, false)
        .signed_by(&key, issuer)
        .unwrap()
        .der()
        .to_vec();
    (der, key)
}

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// The test's metadata service: a root, a BLOB signer under it, and two models' attestation CAs.
struct Mds {
    root: Vec<u8>,
    signer_chain: Vec<Vec<u8>>,
    signer: EcdsaKeyPair,
    yubikey_ca: Issuer<'static, KeyPair>,
    yubikey_root: Vec<u8>,
    leaky_ca: Issuer<'static, KeyPair>,
    leaky_root: Vec<u8>,
}

impl Mds {
    fn new() -> Mds {
        let (root, root_issuer) = ca("Test MDS Root");
        let (signer_der, signer_key) = leaf("mds.test.example", &root_issuer);
        let signer = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &signer_key.serialize_der(),
        )
        .unwrap();
        let (yubikey_root, yubikey_ca) = ca("Yubico Test Attestation Root");
        let (leaky_root, leaky_ca) = ca("Leaky Test Attestation Root");
        Mds {
            root,
            signer_chain: vec![signer_der],
            signer,
            yubikey_ca,
            yubikey_root,
            leaky_ca,
            leaky_root,
        }
    }

    fn payload(&self, number: u64) -> Value {
        json!({
            "legalHeader": "Test BLOB.",
            "no": number,
            "nextUpdate": "2026-05-01",
            "entries": [
                {
                    "aaguid": YUBIKEY_5,
                    "metadataStatement": {
                        "description": "YubiKey 5 Series (test)",
                        "attestationRootCertificates": [STANDARD.encode(&self.yubikey_root)]
                    },
                    "statusReports": [{"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-05-12"}],
                    "timeOfLastStatusChange": "2020-05-12"
                },
                {
                    "aaguid": LEAKY_KEY,
                    "metadataStatement": {
                        "description": "Leaky Key",
                        "attestationRootCertificates": [STANDARD.encode(&self.leaky_root)]
                    },
                    "statusReports": [
                        {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2021-01-01"},
                        {"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2025-02-01"}
                    ],
                    "timeOfLastStatusChange": "2025-02-01"
                }
            ]
        })
    }

    /// A BLOB with this payload, signed by the test signer.
    fn sign(&self, payload: &Value) -> String {
        let x5c: Vec<String> = self
            .signer_chain
            .iter()
            .map(|d| STANDARD.encode(d))
            .collect();
        let header = json!({"alg": "ES256", "typ": "JWT", "x5c": x5c});
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let signature = self
            .signer
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    fn blob(&self, number: u64) -> String {
        self.sign(&self.payload(number))
    }
}

// --- Harness ---------------------------------------------------------------------------

struct Harness {
    app: Router,
    state: AppState,
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
}

impl Reply {
    fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
}

/// A fresh directory; with `test_root`, BLOBs signed under it are accepted (the danger hook).
async fn harness(test_root: Option<&[u8]>) -> Harness {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "keybound-attestation-{}-{}-{}",
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
    keybound_server::bootstrap::run(store.as_ref(), &config.admin_upn, now)
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let mut state = keybound_server::state(config, store, clock).await.unwrap();
    if let Some(root) = test_root {
        state = state.danger_add_mds_root(root.to_vec());
    }
    Harness {
        app: keybound_server::app(state.clone()),
        state,
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
            .mint("attestation-tests", scopes, self.now, 60)
            .unwrap()
            .0
    }

    /// A request with an optional token and a raw body of a content type.
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, String)>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let request = match body {
            Some((content_type, body)) => request
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body)),
            None => request.body(Body::empty()),
        }
        .unwrap();
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| panic!("{path}: not JSON: {}", String::from_utf8_lossy(&bytes)))
        };
        Reply { status, body }
    }

    /// As an administrator allowed to change the policy.
    async fn admin(&self, method: Method, path: &str, body: Option<(&str, String)>) -> Reply {
        let token = self.token(&[Scope::PolicyReadWriteAuthenticationMethod]);
        self.send(method, path, Some(&token), body).await
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

    /// Stored BLOBs and CAs, to show a refusal wrote nothing.
    async fn stored(&self) -> (usize, usize) {
        (
            self.store().list_mds_blobs().await.unwrap().len(),
            self.store().list_trust_anchors().await.unwrap().len(),
        )
    }
}

/// Checks a refusal's status and code, and that its message names `fragment`.
#[track_caller]
fn refused(reply: &Reply, status: StatusCode, code: &str, fragment: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.code(), code, "{}", reply.body);
    assert!(
        reply.message().contains(fragment),
        "`{}` does not mention `{fragment}`",
        reply.message()
    );
}

// --- MDS BLOBs -------------------------------------------------------------------------

#[tokio::test]
async fn blob_signed_by_the_test_root_is_loaded_listed_and_names_models() {
    let mds = Mds::new();
    let h = harness(Some(&mds.root)).await;
    let reply = h
        .admin(Method::POST, BLOBS, Some(("application/jwt", mds.blob(42))))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["number"], 42);
    assert_eq!(reply.body["nextUpdate"], "2026-05-01");
    assert_eq!(reply.body["entries"], 2);
    assert_eq!(reply.body["loadedDateTime"], "2026-04-20T10:00:00Z");
    assert_eq!(h.audit_count("Load FIDO metadata").await, 1);

    let list = h
        .admin(Method::GET, "/beta/keybound/attestation/mdsBlobs", None)
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(
        list.body["value"],
        json!([{"number": 42, "nextUpdate": "2026-05-01", "loadedDateTime": "2026-04-20T10:00:00Z"}])
    );
    {
        let catalog = h.state.catalog();
        let yubikey = catalog.get(aaguid(YUBIKEY_5)).unwrap();
        assert_eq!(
            (yubikey.name(), yubikey.source()),
            ("YubiKey 5 Series (test)", Source::Mds)
        );
    }

    // The same BLOB again, or an older one: nothing newer to load.
    let again = h
        .admin(
            Method::POST,
            BLOBS,
            Some(("text/plain", format!("{}\n", mds.blob(42)))),
        )
        .await;
    refused(
        &again,
        StatusCode::CONFLICT,
        "mds_blob_not_newer",
        "BLOB 42",
    );
    let older = h
        .admin(Method::POST, BLOBS, Some(("application/jwt", mds.blob(41))))
        .await;
    refused(
        &older,
        StatusCode::CONFLICT,
        "mds_blob_not_newer",
        "BLOB 41",
    );
    assert_eq!(h.audit_count("Load FIDO metadata").await, 1);

    // A newer one, as JSON, on /beta.
    let newer = h
        .admin(
            Method::POST,
            "/beta/keybound/attestation/mdsBlobs",
            Some((
                "application/json",
                json!({"blob": mds.blob(43)}).to_string(),
            )),
        )
        .await;
    assert_eq!(newer.status, StatusCode::CREATED, "{}", newer.body);
    let list = h.admin(Method::GET, BLOBS, None).await;
    let numbers: Vec<i64> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [43, 42], "newest first");

    // A restarted server names the models from the stored BLOB.
    let restarted = keybound_server::state(
        (*h.state.config).clone(),
        Arc::clone(&h.state.store),
        Arc::clone(&h.state.clock),
    )
    .await
    .unwrap();
    assert_eq!(
        restarted
            .catalog()
            .get(aaguid(LEAKY_KEY))
            .map(|p| p.name().to_owned()),
        Some("Leaky Key".to_owned())
    );
}

#[tokio::test]
async fn blobs_that_fail_a_check_are_refused_and_write_nothing() {
    let mds = Mds::new();
    let h = harness(Some(&mds.root)).await;
    let good = mds.blob(42);
    let parts: Vec<&str> = good.split('.').collect();
    let mut forged_payload = mds.payload(42);
    forged_payload["entries"][1]["statusReports"] = json!([{"status": "FIDO_CERTIFIED_L3"}]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged_payload.to_string()),
        parts[2]
    );
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(json!({"alg": "none"}).to_string()),
        parts[1]
    );
    let mut stale = mds.payload(44);
    stale["nextUpdate"] = json!("2026-04-01");
    let mut broken = mds.payload(45);
    broken["entries"][0]["aaguid"] = json!("not-an-aaguid");
    let cases: [(&str, String, StatusCode, &str, &str); 9] = [
        (
            "application/jwt",
            forged,
            StatusCode::BAD_REQUEST,
            "mds_signature_invalid",
            "mds.test.example",
        ),
        (
            "application/jwt",
            unsigned,
            StatusCode::BAD_REQUEST,
            "mds_algorithm_refused",
            "`none`",
        ),
        (
            "application/jwt",
            mds.sign(&stale),
            StatusCode::BAD_REQUEST,
            "mds_blob_stale",
            "2026-04-01",
        ),
        (
            "application/jwt",
            mds.sign(&broken),
            StatusCode::BAD_REQUEST,
            "mds_payload_malformed",
            "not-an-aaguid",
        ),
        (
            "application/jwt",
            "<html>Service unavailable</html>".into(),
            StatusCode::BAD_REQUEST,
            "mds_blob_not_jws",
            "mds3.fidoalliance.org",
        ),
        (
            "application/json",
            json!({"jwt": good}).to_string(),
            StatusCode::BAD_REQUEST,
            "badRequest",
            "`blob`",
        ),
        (
            "application/json",
            "{".into(),
            StatusCode::BAD_REQUEST,
            "badRequest",
            "not JSON",
        ),
        (
            "image/png",
            good.clone(),
            StatusCode::BAD_REQUEST,
            "badRequest",
            "application/jwt",
        ),
        (
            "application/jwt",
            format!("{}.{}.{}", parts[0], parts[1], "AAAA"),
            StatusCode::BAD_REQUEST,
            "mds_signature_invalid",
            "download it again",
        ),
    ];
    for (content_type, body, status, code, fragment) in cases {
        let reply = h
            .admin(Method::POST, BLOBS, Some((content_type, body)))
            .await;
        refused(&reply, status, code, fragment);
    }
    assert_eq!(h.stored().await, (0, 0));
    assert_eq!(h.audit_count("Load FIDO metadata").await, 0);

    // Without the test hook only FIDO's root is trusted, so the test BLOB is refused.
    let product = harness(None).await;
    let reply = product
        .admin(Method::POST, BLOBS, Some(("application/jwt", good)))
        .await;
    refused(
        &reply,
        StatusCode::BAD_REQUEST,
        "mds_chain_untrusted",
        "FIDO Metadata Service root",
    );
    assert_eq!(product.stored().await, (0, 0));
}

// --- Organisation CAs ------------------------------------------------------------------

#[tokio::test]
async fn organisation_ca_is_added_listed_and_deleted() {
    let h = harness(None).await;
    let (ca_der, _) = ca("Contoso Authenticator CA");
    let reply = h
        .admin(
            Method::POST,
            CAS,
            Some(("application/x-pem-file", pem(&ca_der))),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let id = reply.body["id"].as_str().unwrap().to_owned();
    assert_eq!(reply.body["subject"], "CN=Contoso Authenticator CA");
    assert_eq!(reply.body["notAfter"], "2030-01-01T00:00:00Z");
    assert_eq!(
        reply.body["sha256Fingerprint"],
        keybound_metadata::certificate_fingerprint(&ca_der)
    );
    assert_eq!(
        h.audit_count("Add attestation certificate authority").await,
        1
    );

    let list = h
        .admin(
            Method::GET,
            "/beta/keybound/attestation/certificateAuthorities",
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(list.body["value"][0]["id"], id.as_str());
    let one = h.admin(Method::GET, &format!("{CAS}/{id}"), None).await;
    assert_eq!(one.body, reply.body);

    // The same certificate again, as JSON.
    let again = h
        .admin(
            Method::POST,
            CAS,
            Some(("application/json", json!({"pem": pem(&ca_der)}).to_string())),
        )
        .await;
    refused(&again, StatusCode::CONFLICT, "ca_exists", &id);

    let deleted = h.admin(Method::DELETE, &format!("{CAS}/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_eq!(
        h.audit_count("Delete attestation certificate authority")
            .await,
        1
    );
    for method in [Method::GET, Method::DELETE] {
        let gone = h.admin(method, &format!("{CAS}/{id}"), None).await;
        refused(
            &gone,
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            &id,
        );
    }
    assert_eq!(h.stored().await, (0, 0));
}

#[tokio::test]
async fn non_ca_certificates_and_garbage_are_refused() {
    let h = harness(None).await;
    let (_, issuer) = ca("Contoso Authenticator CA");
    let (attestation_cert, _) = leaf("Contoso Key 0001", &issuer);
    let cases: [(&str, String, &str, &str); 5] = [
        (
            "text/plain",
            pem(&attestation_cert),
            "ca_not_a_ca",
            "Contoso Key 0001",
        ),
        (
            "text/plain",
            "garbage".into(),
            "ca_no_certificate",
            "BEGIN CERTIFICATE",
        ),
        (
            "text/plain",
            pem(b"not DER"),
            "ca_not_certificate",
            "not an X.509 certificate",
        ),
        (
            "application/json",
            json!({"certificate": "x"}).to_string(),
            "badRequest",
            "`pem`",
        ),
        (
            "application/jwt",
            pem(&attestation_cert),
            "badRequest",
            "application/x-pem-file",
        ),
    ];
    for (content_type, body, code, fragment) in cases {
        let reply = h.admin(Method::POST, CAS, Some((content_type, body))).await;
        refused(&reply, StatusCode::BAD_REQUEST, code, fragment);
    }
    assert_eq!(h.stored().await, (0, 0));
    assert_eq!(
        h.audit_count("Add attestation certificate authority").await,
        0
    );
}

// --- Scopes ----------------------------------------------------------------------------

#[tokio::test]
async fn reading_needs_a_policy_read_scope_and_changing_policy_readwrite() {
    let mds = Mds::new();
    let h = harness(Some(&mds.root)).await;
    let (ca_der, _) = ca("Contoso Authenticator CA");
    let reader = h.token(&[Scope::PolicyReadAll]);
    let stranger = h.token(&[Scope::UserReadAll, Scope::AuditLogReadAll]);
    for path in [BLOBS, CAS, "/beta/keybound/attestation/mdsBlobs"] {
        let anonymous = h.send(Method::GET, path, None, None).await;
        refused(
            &anonymous,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Bearer",
        );
        let other = h.send(Method::GET, path, Some(&stranger), None).await;
        refused(
            &other,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Policy.Read.All",
        );
        let read = h.send(Method::GET, path, Some(&reader), None).await;
        assert_eq!(read.status, StatusCode::OK, "{path}: {}", read.body);
    }
    let writes = [
        (BLOBS, ("application/jwt", mds.blob(42))),
        (CAS, ("text/plain", pem(&ca_der))),
    ];
    for (path, body) in writes {
        let anonymous = h.send(Method::POST, path, None, Some(body.clone())).await;
        refused(
            &anonymous,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            "Bearer",
        );
        let read_only = h.send(Method::POST, path, Some(&reader), Some(body)).await;
        refused(
            &read_only,
            StatusCode::FORBIDDEN,
            "Authorization_RequestDenied",
            "Policy.ReadWrite.AuthenticationMethod",
        );
    }
    let delete = h
        .send(
            Method::DELETE,
            &format!("{CAS}/whatever"),
            Some(&reader),
            None,
        )
        .await;
    refused(
        &delete,
        StatusCode::FORBIDDEN,
        "Authorization_RequestDenied",
        "Policy.ReadWrite.AuthenticationMethod",
    );
    assert_eq!(h.stored().await, (0, 0));
}

// --- What registration reads --------------------------------------------------------------

#[tokio::test]
async fn trust_anchors_hold_organisation_cas_and_blob_roots_of_sound_models() {
    let mds = Mds::new();
    let h = harness(Some(&mds.root)).await;
    let time = system_time(h.now);
    let (org_root, org_ca) = ca("Contoso Authenticator CA");
    let (org_attestation, _) = leaf("Contoso Key 0001", &org_ca);
    let (yubikey_attestation, _) = leaf("Yubico U2F EE Serial 1", &mds.yubikey_ca);
    let (leaky_attestation, _) = leaf("Leaky EE Serial 1", &mds.leaky_ca);
    let (_, stranger_ca) = ca("Unknown Vendor CA");
    let (stranger_attestation, _) = leaf("Unknown EE", &stranger_ca);

    // Nothing loaded: nothing is trusted, and no model has a status.
    assert!(trust_anchors(h.store(), h.now).await.unwrap().is_empty());
    assert_eq!(
        mds_status(h.store(), aaguid(YUBIKEY_5)).await.unwrap(),
        None
    );

    let reply = h
        .admin(Method::POST, CAS, Some(("text/plain", pem(&org_root))))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let reply = h
        .admin(Method::POST, BLOBS, Some(("application/jwt", mds.blob(42))))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);

    let anchors = trust_anchors(h.store(), h.now).await.unwrap();
    assert_eq!(
        anchors.len(),
        2,
        "the organisation CA and the YubiKey root; not the compromised model's"
    );
    for (chain, trusted) in [
        (&org_attestation, true),
        (&yubikey_attestation, true),
        (&leaky_attestation, false),
        (&stranger_attestation, false),
    ] {
        let verdict = anchors.evaluate(std::slice::from_ref(chain), time);
        assert_eq!(verdict.is_trusted(), trusted, "{verdict:?}");
    }
    assert!(matches!(
        anchors.evaluate(std::slice::from_ref(&yubikey_attestation), time),
        ChainTrust::Trusted { anchor } if anchor == "CN=Yubico Test Attestation Root"
    ));

    // MDS status: the compromised model is refused with a sentence naming it.
    let leaky = mds_status(h.store(), aaguid(LEAKY_KEY))
        .await
        .unwrap()
        .unwrap();
    assert!(leaky.compromised);
    assert_eq!(leaky.status, "ATTESTATION_KEY_COMPROMISE");
    assert_eq!(leaky.blob_number, 42);
    let refusal = leaky.refusal(aaguid(LEAKY_KEY)).unwrap();
    let ApiError::Forbidden { code, message } = &refusal else {
        panic!("expected a 403, got {refusal:?}");
    };
    assert_eq!(*code, "authenticator_compromised");
    for fragment in [
        "Leaky Key",
        LEAKY_KEY,
        "ATTESTATION_KEY_COMPROMISE since 2025-02-01",
        "BLOB 42",
    ] {
        assert!(message.contains(fragment), "`{message}` lacks `{fragment}`");
    }
    let yubikey = mds_status(h.store(), aaguid(YUBIKEY_5))
        .await
        .unwrap()
        .unwrap();
    assert!(!yubikey.compromised);
    assert_eq!(yubikey.status, "FIDO_CERTIFIED_L1");
    assert_eq!(
        yubikey.description.as_deref(),
        Some("YubiKey 5 Series (test)")
    );
    assert!(yubikey.refusal(aaguid(YUBIKEY_5)).is_none());
    assert_eq!(mds_status(h.store(), aaguid(UNKNOWN)).await.unwrap(), None);

    // One read for both questions.
    let trust = AttestationTrust::load(h.store(), h.now).await.unwrap();
    assert_eq!(trust.anchors().len(), 2);
    assert_eq!(trust.mds_status(aaguid(LEAKY_KEY)), Some(leaky));

    // Removing the CA removes its trust.
    let id = h.admin(Method::GET, CAS, None).await.body["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deleted = h.admin(Method::DELETE, &format!("{CAS}/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let anchors = trust_anchors(h.store(), h.now).await.unwrap();
    assert_eq!(anchors.len(), 1);
    assert!(!anchors
        .evaluate(std::slice::from_ref(&org_attestation), time)
        .is_trusted());
}
