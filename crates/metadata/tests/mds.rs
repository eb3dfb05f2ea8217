//! FIDO MDS3 BLOB verification on BLOBs built here: a test PKI made with
//! rcgen (root, intermediate, signer, as FIDO's chain is), a JWS signed with
//! aws-lc-rs, and one mutation per case. Every case goes through [`check`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use keybound_metadata::{
    certificate_fingerprint, fido_mds_roots, AuthenticatorStatus, CaCertificate, Catalog, MdsBlob,
    MdsDate, MdsError, Source, FIDO_MDS_SIGNER_NAMES, KEYBOUND_AUTHENTICATOR_AAGUID,
};
use keybound_webauthn::{Aaguid, TrustAnchors};
use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, RsaKeySize, PKCS_RSA_SHA256,
};
use serde_json::{json, Value};

const YUBIKEY_5: &str = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const COMPROMISED: &str = "12345678-1234-4234-8234-1234567890ab";
const ICLOUD: &str = "fbfc3007-154e-4ecc-8c0b-6e020557d7bd";

/// 2026-04-20T10:00:00Z, inside every "current" certificate and before nextUpdate.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_776_679_200)
}

fn aaguid(text: &str) -> Aaguid {
    text.parse().unwrap()
}

// --- A test PKI ------------------------------------------------------------------

type Validity = ((i32, u8, u8), (i32, u8, u8));

const CURRENT: Validity = ((2025, 1, 1), (2030, 1, 1));
const EXPIRED: Validity = ((2024, 1, 1), (2026, 1, 1));

fn params(name: &str, validity: Validity, ca: bool) -> CertificateParams {
    let mut params = CertificateParams::new(Vec::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Keybound tests");
    let ((y1, m1, d1), (y2, m2, d2)) = validity;
    params.not_before = date_time_ymd(y1, m1, d1);
    params.not_after = date_time_ymd(y2, m2, d2);
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    } else {
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    params
}

/// A self-signed CA: its DER and what signs below it.
fn root(name: &str, validity: Validity) -> (Vec<u8>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let params = params(name, validity, true);
    let cert = params.self_signed(&key).unwrap();
    (cert.der().to_vec(), Issuer::new(params, key))
}

/// A CA signed by `issuer`.
fn intermediate(
    name: &str,
    issuer: &Issuer<'static, KeyPair>,
) -> (Vec<u8>, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let params = params(name, CURRENT, true);
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.der().to_vec(), Issuer::new(params, key))
}

/// The BLOB signer's key.
enum SigningKey {
    Es256(EcdsaKeyPair),
    Rs256(RsaKeyPair),
}

impl SigningKey {
    fn alg(&self) -> &'static str {
        match self {
            SigningKey::Es256(_) => "ES256",
            SigningKey::Rs256(_) => "RS256",
        }
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match self {
            SigningKey::Es256(key) => key.sign(&rng, message).unwrap().as_ref().to_vec(),
            SigningKey::Rs256(key) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(&RSA_PKCS1_SHA256, &rng, message, &mut signature)
                    .unwrap();
                signature
            }
        }
    }
}

/// Who signs BLOBs: the chain (signer first) and the signer's key, under a root.
struct Pki {
    root: Vec<u8>,
    chain: Vec<Vec<u8>>,
    key: SigningKey,
}

impl Pki {
    /// Its root, as the roots to verify against.
    fn roots(&self) -> Vec<Vec<u8>> {
        vec![self.root.clone()]
    }
}

#[derive(Clone, Copy)]
enum KeyKind {
    Ec,
    Rsa,
}

fn pki(kind: KeyKind, signer_validity: Validity) -> Pki {
    pki_named(kind, signer_validity, "mds.test.example", &[])
}

/// A PKI whose signer has this common name and these DNS subjectAltNames.
fn pki_named(
    kind: KeyKind,
    signer_validity: Validity,
    common_name: &str,
    dns_names: &[&str],
) -> Pki {
    let (root_der, root_issuer) = root("Test MDS Root", CURRENT);
    let (ca_der, ca_issuer) = intermediate("Test MDS CA", &root_issuer);
    let key_pair = match kind {
        KeyKind::Ec => KeyPair::generate().unwrap(),
        KeyKind::Rsa => KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048).unwrap(),
    };
    let mut leaf_params = params(common_name, signer_validity, false);
    leaf_params.subject_alt_names = dns_names
        .iter()
        .map(|name| rcgen::SanType::DnsName((*name).try_into().unwrap()))
        .collect();
    let leaf = leaf_params.signed_by(&key_pair, &ca_issuer).unwrap();
    let pkcs8 = key_pair.serialize_der();
    let key = match kind {
        KeyKind::Ec => SigningKey::Es256(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8).unwrap(),
        ),
        KeyKind::Rsa => SigningKey::Rs256(RsaKeyPair::from_pkcs8(&pkcs8).unwrap()),
    };
    Pki {
        root: root_der,
        chain: vec![leaf.der().to_vec(), ca_der],
        key,
    }
}

// --- BLOBs -------------------------------------------------------------------------

/// A model's attestation root, as an MDS entry lists it.
fn attestation_root() -> Vec<u8> {
    root("Test Authenticator Attestation Root", CURRENT).0
}

/// A payload with a certified YubiKey, a compromised model and a U2F model without an AAGUID.
fn payload(attestation_root: &[u8]) -> Value {
    json!({
        "legalHeader": "Retrieval and use of this BLOB indicates acceptance of the appropriate agreement.",
        "no": 42,
        "nextUpdate": "2026-05-01",
        "entries": [
            {
                "aaguid": YUBIKEY_5,
                "metadataStatement": {
                    "legalHeader": "…",
                    "aaguid": YUBIKEY_5,
                    "description": "YubiKey 5 Series",
                    "protocolFamily": "fido2",
                    "schema": 3,
                    "attestationRootCertificates": [STANDARD.encode(attestation_root)],
                    "icon": "data:image/png;base64,iVBORw0KGgo="
                },
                "statusReports": [
                    {"status": "FIDO_CERTIFIED", "effectiveDate": "2019-01-04"},
                    {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2020-05-12", "certificateNumber": "FIDO20020190418002"}
                ],
                "timeOfLastStatusChange": "2020-05-12"
            },
            {
                "aaguid": COMPROMISED,
                "metadataStatement": {
                    "description": "Leaky Key",
                    "attestationRootCertificates": []
                },
                "statusReports": [
                    {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2021-01-01"},
                    {"status": "UPDATE_AVAILABLE", "effectiveDate": "2025-03-01"},
                    {"status": "ATTESTATION_KEY_COMPROMISE", "effectiveDate": "2025-02-01"}
                ],
                "timeOfLastStatusChange": "2025-03-01"
            },
            {
                "attestationCertificateKeyIdentifiers": ["923881fe2f214ee465484371aeb72e97f5a58e0a"],
                "metadataStatement": {"description": "Old U2F Key", "attestationRootCertificates": []},
                "statusReports": [{"status": "FIDO_CERTIFIED"}],
                "timeOfLastStatusChange": "2017-01-01"
            }
        ]
    })
}

fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The standard header for a PKI's signer.
fn header(pki: &Pki) -> Value {
    let x5c: Vec<String> = pki.chain.iter().map(|der| STANDARD.encode(der)).collect();
    json!({"alg": pki.key.alg(), "typ": "JWT", "x5c": x5c})
}

/// `header.payload.signature`, signed by the PKI's signer.
fn jws(header: &Value, payload: &str, pki: &Pki) -> String {
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(payload.as_bytes())
    );
    let signature = pki.key.sign(input.as_bytes());
    format!("{input}.{}", b64url(&signature))
}

/// A well-formed BLOB and the PKI that signed it.
fn blob(kind: KeyKind) -> (String, Pki) {
    let pki = pki(kind, CURRENT);
    let text = jws(
        &header(&pki),
        &payload(&attestation_root()).to_string(),
        &pki,
    );
    (text, pki)
}

// --- The check ---------------------------------------------------------------------

/// What verifying should give.
enum Expect {
    /// Accepted; the closure checks what was read.
    Verified(fn(&MdsBlob)),
    /// Refused with this code and a message containing the fragment.
    Refused(&'static str, &'static str),
}

#[track_caller]
fn check(jwt: &str, roots: &[Vec<u8>], now: SystemTime, expect: Expect) {
    match (MdsBlob::verify(jwt, roots, now), expect) {
        (Ok(blob), Expect::Verified(inspect)) => inspect(&blob),
        (Err(error), Expect::Refused(code, fragment)) => {
            assert_eq!(error.code(), code, "code of `{error}`");
            let message = error.to_string();
            assert!(
                message.contains(fragment),
                "`{message}` does not mention `{fragment}`"
            );
        }
        (Ok(blob), Expect::Refused(code, _)) => {
            panic!("BLOB {} was accepted; expected {code}", blob.number())
        }
        (Err(error), Expect::Verified(_)) => {
            panic!("expected a verified BLOB, got {error:?}: {error}")
        }
    }
}

fn reads_the_sample(blob: &MdsBlob) {
    assert_eq!(blob.number(), 42);
    assert_eq!(blob.next_update().to_string(), "2026-05-01");
    assert_eq!(blob.entries().len(), 3);
    assert!(blob
        .legal_header()
        .unwrap()
        .starts_with("Retrieval and use"));
    let yubikey = blob.entry(aaguid(YUBIKEY_5)).expect("the YubiKey entry");
    assert_eq!(yubikey.description(), Some("YubiKey 5 Series"));
    assert_eq!(yubikey.icon(), Some("data:image/png;base64,iVBORw0KGgo="));
    assert_eq!(yubikey.attestation_roots().len(), 1);
    let mut anchors = TrustAnchors::new();
    anchors
        .add_der(yubikey.attestation_roots().remove(0))
        .unwrap();
    let status = yubikey.status().unwrap();
    assert_eq!(*status.status(), AuthenticatorStatus::FidoCertifiedL1);
    assert_eq!(status.effective_date().unwrap().to_string(), "2020-05-12");
    assert!(!yubikey.is_compromised());
    assert_eq!(
        yubikey.time_of_last_status_change(),
        MdsDate::parse("2020-05-12")
    );
    assert_eq!(blob.entries()[2].aaguid(), None);
    assert_eq!(blob.entry(aaguid(ICLOUD)), None);
    // What is kept re-reads to the same BLOB.
    assert_eq!(
        MdsBlob::from_stored_payload(blob.payload_json()).unwrap(),
        *blob
    );
}

// --- Cases -------------------------------------------------------------------------

#[test]
fn valid_es256_blob_is_verified_and_read() {
    let (text, pki) = blob(KeyKind::Ec);
    check(
        &text,
        &pki.roots(),
        now(),
        Expect::Verified(reads_the_sample),
    );
    // Surrounding whitespace, as a file ends with a newline.
    check(
        &format!("\n{text}\n"),
        &pki.roots(),
        now(),
        Expect::Verified(reads_the_sample),
    );
}

#[test]
fn valid_rs256_blob_is_verified_and_read() {
    let (text, pki) = blob(KeyKind::Rsa);
    check(
        &text,
        &pki.roots(),
        now(),
        Expect::Verified(reads_the_sample),
    );
}

#[test]
fn chain_may_end_at_any_of_several_roots() {
    let (text, pki) = blob(KeyKind::Ec);
    let other = root("Another Root", CURRENT).0;
    check(
        &text,
        &[other, pki.root],
        now(),
        Expect::Verified(reads_the_sample),
    );
}

/// FIDO's chain since its 2026-08 rotation: signer → intermediate under the new
/// root → the new root cross-signed by the old one. Either root anchors it,
/// and a certificate past the root that anchors the chain does not count.
#[test]
fn rotated_chain_with_a_cross_certificate_verifies_under_either_root() {
    let (old_root, old_issuer) = root("Test Root R3", CURRENT);
    let new_key = KeyPair::generate().unwrap();
    let new_params = params("Test Root R46", CURRENT, true);
    let new_root = new_params.self_signed(&new_key).unwrap().der().to_vec();
    let cross = new_params.signed_by(&new_key, &old_issuer).unwrap();
    let expired_cross = params("Test Root R46", EXPIRED, true)
        .signed_by(&new_key, &old_issuer)
        .unwrap();
    let new_issuer = Issuer::new(new_params, new_key);
    let (ca_der, ca_issuer) = intermediate("Test EV TLS CA 2025", &new_issuer);
    let signer_key = KeyPair::generate().unwrap();
    let signer = params("mds.test.example", CURRENT, false)
        .signed_by(&signer_key, &ca_issuer)
        .unwrap();
    let blob_with = |third: &[u8]| {
        let pki = Pki {
            root: new_root.clone(),
            chain: vec![signer.der().to_vec(), ca_der.clone(), third.to_vec()],
            key: SigningKey::Es256(
                EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &signer_key.serialize_der(),
                )
                .unwrap(),
            ),
        };
        jws(
            &header(&pki),
            &payload(&attestation_root()).to_string(),
            &pki,
        )
    };
    let text = blob_with(cross.der());
    check(
        &text,
        std::slice::from_ref(&new_root),
        now(),
        Expect::Verified(reads_the_sample),
    );
    check(
        &text,
        std::slice::from_ref(&old_root),
        now(),
        Expect::Verified(reads_the_sample),
    );
    let other = root("Test Root R46", CURRENT).0;
    check(
        &text,
        &[other],
        now(),
        Expect::Refused("mds_chain_untrusted", "Test Root R3"),
    );

    let text = blob_with(expired_cross.der());
    check(
        &text,
        &[new_root],
        now(),
        Expect::Verified(reads_the_sample),
    );
    check(
        &text,
        &[old_root],
        now(),
        Expect::Refused("mds_certificate_expired", "Test Root R46"),
    );
}

#[test]
fn tampered_payload_fails_the_signature() {
    let (text, pki) = blob(KeyKind::Ec);
    let parts: Vec<&str> = text.split('.').collect();
    let mut changed = payload(&attestation_root());
    changed["entries"][1]["statusReports"] = json!([{"status": "FIDO_CERTIFIED_L3"}]);
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64url(changed.to_string().as_bytes()),
        parts[2]
    );
    check(
        &forged,
        &pki.roots(),
        now(),
        Expect::Refused("mds_signature_invalid", "mds.test.example"),
    );
    // A signature from another key, for the same chain.
    let other = self::pki(KeyKind::Ec, CURRENT);
    let resigned = jws(
        &header(&pki),
        &payload(&attestation_root()).to_string(),
        &other,
    );
    check(
        &resigned,
        &pki.roots(),
        now(),
        Expect::Refused("mds_signature_invalid", "changed after FIDO signed it"),
    );
}

#[test]
fn chain_to_another_root_is_untrusted() {
    let (text, _) = blob(KeyKind::Ec);
    let wrong = root("Test MDS Root", CURRENT).0; // same name, other key
    check(
        &text,
        &[wrong],
        now(),
        Expect::Refused("mds_chain_untrusted", "Test MDS CA"),
    );
    check(
        &text,
        &[],
        now(),
        Expect::Refused("mds_chain_untrusted", "no trust anchor"),
    );
    // The product's root is FIDO's, not the test's.
    let refused = MdsBlob::verify_fido(&text, now()).unwrap_err();
    assert_eq!(refused.code(), "mds_chain_untrusted", "{refused}");
}

#[test]
fn signer_certificate_expired_at_now_is_refused() {
    let pki = pki(KeyKind::Ec, EXPIRED);
    let text = jws(
        &header(&pki),
        &payload(&attestation_root()).to_string(),
        &pki,
    );
    check(
        &text,
        &pki.roots(),
        now(),
        Expect::Refused("mds_certificate_expired", "mds.test.example"),
    );
    // The same BLOB was fine while the certificate was valid (and nextUpdate not passed).
    let earlier = UNIX_EPOCH + Duration::from_secs(1_735_732_800); // 2025-01-01T12:00:00Z
    check(
        &text,
        &pki.roots(),
        earlier,
        Expect::Verified(reads_the_sample),
    );
    let before = UNIX_EPOCH + Duration::from_secs(1_700_000_000); // 2023-11
    check(
        &text,
        &pki.roots(),
        before,
        Expect::Refused("mds_certificate_not_yet_valid", "mds.test.example"),
    );
}

#[test]
fn unsigned_and_hmac_algorithms_are_refused() {
    let (_, pki) = blob(KeyKind::Ec);
    let body = payload(&attestation_root()).to_string();
    for alg in ["none", "None", "HS256", "HS512"] {
        let mut h = header(&pki);
        h["alg"] = json!(alg);
        let unsigned = format!(
            "{}.{}.",
            b64url(h.to_string().as_bytes()),
            b64url(body.as_bytes())
        );
        check(
            &unsigned,
            &pki.roots(),
            now(),
            Expect::Refused("mds_algorithm_refused", alg),
        );
    }
    let mut h = header(&pki);
    h["alg"] = json!("PS512");
    check(
        &jws(&h, &body, &pki),
        &pki.roots(),
        now(),
        Expect::Refused("mds_algorithm_unsupported", "PS512"),
    );
    // An EC signer cannot make RS256 signatures.
    h["alg"] = json!("RS256");
    check(
        &jws(&h, &body, &pki),
        &pki.roots(),
        now(),
        Expect::Refused("mds_key_mismatch", "EC P-256"),
    );
}

#[test]
fn malformed_jws_and_header_are_refused() {
    let (text, pki) = blob(KeyKind::Ec);
    let roots = pki.roots();
    check(
        "",
        &roots,
        now(),
        Expect::Refused("mds_blob_not_jws", "1 part(s) separated by dots"),
    );
    check(
        "a.b",
        &roots,
        now(),
        Expect::Refused("mds_blob_not_jws", "2 part(s)"),
    );
    check(
        "<html>.x.y",
        &roots,
        now(),
        Expect::Refused("mds_blob_not_jws", "header is not base64url"),
    );
    let body = payload(&attestation_root()).to_string();
    let mut no_chain = header(&pki);
    no_chain.as_object_mut().unwrap().remove("x5c");
    check(
        &jws(&no_chain, &body, &pki),
        &roots,
        now(),
        Expect::Refused("mds_chain_missing", "x5c"),
    );
    let mut bad_cert = header(&pki);
    bad_cert["x5c"][1] = json!(STANDARD.encode(b"not a certificate"));
    check(
        &jws(&bad_cert, &body, &pki),
        &roots,
        now(),
        Expect::Refused("mds_certificate_malformed", "certificate 1"),
    );
    let mut crit = header(&pki);
    crit["crit"] = json!(["exp"]);
    check(
        &jws(&crit, &body, &pki),
        &roots,
        now(),
        Expect::Refused("mds_header_malformed", "crit"),
    );
    let parts: Vec<&str> = text.split('.').collect();
    let array_header = format!("{}.{}.{}", b64url(b"[1]"), parts[1], parts[2]);
    check(
        &array_header,
        &roots,
        now(),
        Expect::Refused("mds_header_malformed", "not a JSON object"),
    );
}

#[test]
fn malformed_payload_is_refused_after_the_signature() {
    let pki = pki(KeyKind::Ec, CURRENT);
    let roots = pki.roots();
    let cases: [(Value, &str); 5] = [
        (
            json!({"no": 1, "nextUpdate": "2026-05-01"}),
            "missing field `entries`",
        ),
        (
            json!({"no": 1, "nextUpdate": "May 2026", "entries": []}),
            "nextUpdate `May 2026`",
        ),
        (
            json!({"no": -1, "nextUpdate": "2026-05-01", "entries": []}),
            "invalid value",
        ),
        (
            json!({"no": 1, "nextUpdate": "2026-05-01", "entries": [{"aaguid": "yubikey", "statusReports": [], "metadataStatement": {"description": "Bad"}}]}),
            "entry 0 (Bad): aaguid `yubikey`",
        ),
        (
            json!({"no": 1, "nextUpdate": "2026-05-01", "entries": [{"aaguid": YUBIKEY_5, "statusReports": [], "metadataStatement": {"attestationRootCertificates": ["%%%"]}}]}),
            "attestationRootCertificates[0] is not base64",
        ),
    ];
    for (body, fragment) in cases {
        check(
            &jws(&header(&pki), &body.to_string(), &pki),
            &roots,
            now(),
            Expect::Refused("mds_payload_malformed", fragment),
        );
    }
    check(
        &jws(&header(&pki), "not json", &pki),
        &roots,
        now(),
        Expect::Refused("mds_payload_malformed", "expected"),
    );
}

#[test]
fn blob_past_next_update_is_stale() {
    let pki = pki(KeyKind::Ec, CURRENT);
    let mut body = payload(&attestation_root());
    body["nextUpdate"] = json!("2026-04-19");
    let text = jws(&header(&pki), &body.to_string(), &pki);
    check(
        &text,
        &pki.roots(),
        now(),
        Expect::Refused("mds_blob_stale", "2026-04-19"),
    );
    // The nextUpdate day itself is still current.
    body["nextUpdate"] = json!("2026-04-20");
    let text = jws(&header(&pki), &body.to_string(), &pki);
    check(
        &text,
        &pki.roots(),
        now(),
        Expect::Verified(|blob| {
            assert!(!blob.is_stale(UNIX_EPOCH + Duration::from_secs(1_776_729_599)));
            assert!(blob.is_stale(UNIX_EPOCH + Duration::from_secs(1_776_729_600)));
        }),
    );
}

#[test]
fn compromised_status_anywhere_in_the_history_counts() {
    let (text, pki) = blob(KeyKind::Ec);
    check(
        &text,
        &pki.roots(),
        now(),
        Expect::Verified(|blob| {
            let entry = blob.entry(aaguid(COMPROMISED)).unwrap();
            assert_eq!(
                *entry.status().unwrap().status(),
                AuthenticatorStatus::UpdateAvailable,
                "latest by date"
            );
            assert!(entry.is_compromised());
            assert_eq!(
                *entry.compromise().unwrap().status(),
                AuthenticatorStatus::AttestationKeyCompromise
            );
        }),
    );
    for (status, compromised) in [
        ("REVOKED", true),
        ("USER_VERIFICATION_BYPASS", true),
        ("ATTESTATION_KEY_COMPROMISE", true),
        ("USER_KEY_REMOTE_COMPROMISE", true),
        ("USER_KEY_PHYSICAL_COMPROMISE", true),
        ("UPDATE_AVAILABLE", false),
        ("NOT_FIDO_CERTIFIED", false),
        ("FIDO_CERTIFIED_L2plus", false),
        ("SOMETHING_NEW", false),
    ] {
        let body = json!({"no": 1, "nextUpdate": "2026-05-01", "entries": [
            {"aaguid": YUBIKEY_5, "statusReports": [{"status": status}], "timeOfLastStatusChange": "2026-01-01"}
        ]});
        let blob = MdsBlob::from_stored_payload(&body.to_string()).unwrap();
        let entry = blob.entry(aaguid(YUBIKEY_5)).unwrap();
        assert_eq!(entry.is_compromised(), compromised, "{status}");
        assert_eq!(entry.status().unwrap().status().as_str(), status);
        assert_eq!(entry.description(), None);
        assert!(entry.attestation_roots().is_empty());
    }
}

#[test]
fn fido_roots_are_globalsign_r46_and_r3() {
    let roots = fido_mds_roots();
    let described: Vec<(String, String)> = roots
        .iter()
        .map(|der| {
            let info = keybound_webauthn::describe_certificate(der).unwrap();
            (info.subject, certificate_fingerprint(der))
        })
        .collect();
    assert_eq!(
        described,
        [
            (
                "C=BE, O=GlobalSign nv-sa, CN=GlobalSign Root R46".to_owned(),
                "4F:A3:12:6D:8D:3A:11:D1:C4:85:5A:4F:80:7C:BA:D6:CF:91:9D:3A:5A:88:B0:3B:EA:2C:63:72:D9:3C:40:C9".to_owned()
            ),
            (
                "OU=GlobalSign Root CA - R3, O=GlobalSign, CN=GlobalSign".to_owned(),
                "CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B".to_owned()
            ),
        ]
    );
    let mut anchors = TrustAnchors::new();
    for root in roots {
        anchors.add_der(root).unwrap();
    }
    assert_eq!(
        FIDO_MDS_SIGNER_NAMES,
        ["mds.fidoalliance.org", "mds3.fidoalliance.org"]
    );
}

#[test]
fn only_a_named_signer_may_sign_when_names_are_given() {
    // GlobalSign's roots certify any customer's web site; FIDO's BLOB must be signed by FIDO's.
    let (text, pki) = blob(KeyKind::Ec);
    let refused =
        MdsBlob::verify_named(&text, &pki.roots(), &FIDO_MDS_SIGNER_NAMES, now()).unwrap_err();
    assert_eq!(refused.code(), "mds_signer_not_allowed", "{refused}");
    assert!(
        refused.to_string().contains("CN=mds.test.example"),
        "{refused}"
    );
    assert!(
        refused
            .to_string()
            .contains("mds.fidoalliance.org or mds3.fidoalliance.org"),
        "{refused}"
    );
    // The subject CN counts, in any case.
    let blob = MdsBlob::verify_named(&text, &pki.roots(), &["MDS.Test.Example"], now()).unwrap();
    reads_the_sample(&blob);
    // So does a DNS subjectAltName.
    let pki = pki_named(
        KeyKind::Rsa,
        CURRENT,
        "Fido Alliance, Inc.",
        &["mds.fidoalliance.org"],
    );
    let text = jws(
        &header(&pki),
        &payload(&attestation_root()).to_string(),
        &pki,
    );
    let blob = MdsBlob::verify_named(&text, &pki.roots(), &FIDO_MDS_SIGNER_NAMES, now()).unwrap();
    reads_the_sample(&blob);
    // Names are checked after the chain: an untrusted chain is reported as such.
    let refused = MdsBlob::verify_named(&text, &[], &FIDO_MDS_SIGNER_NAMES, now()).unwrap_err();
    assert_eq!(refused.code(), "mds_chain_untrusted", "{refused}");
}

#[test]
fn mds_names_models_the_catalog_lacks() {
    let (text, pki) = blob(KeyKind::Ec);
    let blob = MdsBlob::verify(&text, &pki.roots(), now()).unwrap();
    let mut catalog = Catalog::builtin();
    let before = catalog.len();
    // The YubiKey and the compromised model; the U2F model has no AAGUID.
    assert_eq!(catalog.load_mds(&blob), 2);
    assert_eq!(catalog.len(), before + 2);
    let yubikey = catalog.get(aaguid(YUBIKEY_5)).unwrap();
    assert_eq!(
        (yubikey.name(), yubikey.source()),
        ("YubiKey 5 Series", Source::Mds)
    );
    assert_eq!(yubikey.icon_light(), None, "PNG icons are not taken");
    assert_eq!(Source::Mds.to_string(), "FIDO metadata");
    // The community list's name wins over MDS; a later BLOB replaces MDS names.
    catalog
        .load_community_list(&format!(r#"{{"{YUBIKEY_5}": {{"name": "YubiKey"}}}}"#))
        .unwrap();
    assert_eq!(catalog.load_mds(&blob), 1);
    assert_eq!(catalog.get(aaguid(YUBIKEY_5)).unwrap().name(), "YubiKey");
    assert_eq!(
        catalog.get(aaguid(COMPROMISED)).unwrap().name(),
        "Leaky Key"
    );
    // Keybound's own entry is never renamed.
    let own = json!({"no": 1, "nextUpdate": "2026-05-01", "entries": [
        {"aaguid": KEYBOUND_AUTHENTICATOR_AAGUID.to_string(), "metadataStatement": {"description": "Impostor"}, "statusReports": []}
    ]});
    assert_eq!(
        catalog.load_mds(&MdsBlob::from_stored_payload(&own.to_string()).unwrap()),
        0
    );
    assert_eq!(
        catalog.get(KEYBOUND_AUTHENTICATOR_AAGUID).unwrap().name(),
        "Keybound Authenticator"
    );
}

#[test]
fn error_codes_are_stable() {
    let error = MdsError::MissingChain;
    assert_eq!(error.code(), "mds_chain_missing");
}

// --- Organisation CAs ---------------------------------------------------------------

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

#[test]
fn organisation_ca_must_be_a_current_ca_certificate() {
    let (ca_der, issuer) = root("Contoso Authenticator CA", CURRENT);
    let ca = CaCertificate::from_pem(&pem(&ca_der), now()).unwrap();
    assert_eq!(ca.der(), ca_der.as_slice());
    assert!(
        ca.subject().contains("CN=Contoso Authenticator CA"),
        "{}",
        ca.subject()
    );
    assert_eq!(
        ca.not_after(),
        UNIX_EPOCH + Duration::from_secs(1_893_456_000)
    ); // 2030-01-01
    assert_eq!(ca.sha256_fingerprint(), certificate_fingerprint(&ca_der));

    let key = KeyPair::generate().unwrap();
    let leaf = params("Contoso Key", CURRENT, false)
        .signed_by(&key, &issuer)
        .unwrap();
    let expired = root("Old CA", EXPIRED).0;
    let mut no_cert_sign = params("Signing-only CA", CURRENT, true);
    no_cert_sign.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let no_cert_sign = no_cert_sign
        .self_signed(&KeyPair::generate().unwrap())
        .unwrap();
    let cases: [(String, &str, &str); 6] = [
        (pem(leaf.der()), "ca_not_a_ca", "Contoso Key"),
        (pem(&expired), "ca_expired", "Old CA"),
        (
            pem(no_cert_sign.der()),
            "ca_cannot_sign_certificates",
            "keyCertSign",
        ),
        (
            "garbage".into(),
            "ca_no_certificate",
            "no CERTIFICATE block",
        ),
        (
            format!("{}{}", pem(&ca_der), pem(&expired)),
            "ca_several_certificates",
            "2 certificates",
        ),
        (
            pem(b"not DER"),
            "ca_not_certificate",
            "not an X.509 certificate",
        ),
    ];
    for (text, code, fragment) in cases {
        let error = CaCertificate::from_pem(&text, now()).unwrap_err();
        assert_eq!(error.code(), code, "{error}");
        assert!(
            error.to_string().contains(fragment),
            "`{error}` lacks `{fragment}`"
        );
    }
}
