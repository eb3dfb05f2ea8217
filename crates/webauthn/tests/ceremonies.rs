//! Live ceremonies: options from the relying party, answered by a software
//! authenticator, verified by the engine; then every way an attacker or a
//! broken client can get them wrong.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::SystemTime;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair};
use ciborium::Value;
use keybound_webauthn::encoding::{decode, encode};
use keybound_webauthn::json::{CreationOptionsJson, RequestOptionsJson};
use keybound_webauthn::{
    AuthenticationOptions, AuthenticationResponse, CoseAlgorithm, CredentialDescriptor,
    CredentialId, CredentialPublicKey, Origin, RegistrationOptions, RegistrationResponse,
    RelyingParty, RpId, SignCount, StoredCredential, TrustAnchors, UserEntity, UserHandle,
    UserVerification,
};
use serde_json::json;

const ORIGIN: &str = "https://login.example.org";

fn rp() -> RelyingParty {
    RelyingParty::new(
        RpId::parse("example.org").unwrap(),
        "Example",
        vec![Origin::parse(ORIGIN).unwrap()],
    )
    .unwrap()
}

fn user() -> UserEntity {
    UserEntity {
        id: UserHandle::from_bytes(b"user-0001".to_vec()).unwrap(),
        name: "alice@example.org".into(),
        display_name: "Alice".into(),
    }
}

fn sha256(data: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// A software authenticator holding one P-256 credential, enough to drive ceremonies.
struct Authenticator {
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    flags: u8,
    counter: u32,
}

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;

impl Authenticator {
    fn new(flags: u8) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let key =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
                .unwrap();
        Authenticator {
            key,
            credential_id: vec![0xc1; 16],
            flags,
            counter: 0,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        let map = Value::Map(vec![
            (Value::Integer(1.into()), Value::Integer(2.into())),
            (Value::Integer(3.into()), Value::Integer((-7).into())),
            (Value::Integer((-1).into()), Value::Integer(1.into())),
            (
                Value::Integer((-2).into()),
                Value::Bytes(point[1..33].to_vec()),
            ),
            (
                Value::Integer((-3).into()),
                Value::Bytes(point[33..].to_vec()),
            ),
        ]);
        let mut out = Vec::new();
        ciborium::ser::into_writer(&map, &mut out).unwrap();
        out
    }

    fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
        json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    /// Answers creation options with `none` attestation.
    fn create(&mut self, options: &CreationOptionsJson, origin: &str) -> String {
        let client_data = Self::client_data("webauthn.create", &options.challenge, origin);
        let mut auth_data = sha256(options.rp.id.as_bytes());
        auth_data.push(self.flags | 0x40);
        auth_data.extend(self.counter.to_be_bytes());
        auth_data.extend([0u8; 16]);
        auth_data.extend((self.credential_id.len() as u16).to_be_bytes());
        auth_data.extend(&self.credential_id);
        auth_data.extend(self.cose_key());
        let object = Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(vec![])),
            (Value::Text("authData".into()), Value::Bytes(auth_data)),
        ]);
        let mut attestation_object = Vec::new();
        ciborium::ser::into_writer(&object, &mut attestation_object).unwrap();
        let id = encode(&self.credential_id);
        json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "clientDataJSON": encode(&client_data),
                "attestationObject": encode(&attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": true}},
        })
        .to_string()
    }

    /// Answers request options.
    fn get(
        &mut self,
        options: &RequestOptionsJson,
        origin: &str,
        user_handle: Option<&[u8]>,
    ) -> String {
        self.counter += 1;
        let client_data = Self::client_data("webauthn.get", &options.challenge, origin);
        let mut auth_data = sha256(options.rp_id.as_bytes());
        auth_data.push(self.flags);
        auth_data.extend(self.counter.to_be_bytes());
        let mut signed = auth_data.clone();
        signed.extend(sha256(&client_data));
        let sig = self.key.sign(&SystemRandom::new(), &signed).unwrap();
        let id = encode(&self.credential_id);
        json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "clientDataJSON": encode(&client_data),
                "authenticatorData": encode(&auth_data),
                "signature": encode(sig.as_ref()),
                "userHandle": user_handle.map(encode),
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }
}

#[test]
fn creation_options_ask_for_a_user_verified_discoverable_passkey() {
    let existing = CredentialDescriptor {
        id: CredentialId::from_bytes(vec![9; 20]).unwrap(),
        transports: vec!["internal".into()],
    };
    let mut options = RegistrationOptions::passkey(user());
    options.exclude_credentials = vec![existing];
    let (json, state) = rp().start_registration(&options).unwrap();
    let value = serde_json::to_value(&json).unwrap();
    assert_eq!(value["rp"], json!({"id": "example.org", "name": "Example"}));
    assert_eq!(value["user"]["id"], encode(b"user-0001"));
    assert_eq!(value["user"]["displayName"], "Alice");
    assert_eq!(
        decode(value["challenge"].as_str().unwrap()).unwrap().len(),
        32
    );
    assert_eq!(value["challenge"], state.challenge().to_base64url());
    let algs: Vec<i64> = value["pubKeyCredParams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alg"].as_i64().unwrap())
        .collect();
    assert_eq!(algs, vec![-7, -8, -257]);
    assert_eq!(
        value["authenticatorSelection"],
        json!({"residentKey": "required", "requireResidentKey": true, "userVerification": "required"})
    );
    assert_eq!(value["excludeCredentials"][0]["id"], encode(&[9; 20]));
    assert_eq!(value["attestation"], "none");
    assert_eq!(value["extensions"], json!({"credProps": true}));
    assert_eq!(value["timeout"], 300_000);
}

#[test]
fn request_options_without_allow_list_are_discoverable_sign_in() {
    let (json, _) = rp()
        .start_authentication(&AuthenticationOptions::default())
        .unwrap();
    let value = serde_json::to_value(&json).unwrap();
    assert_eq!(value["rpId"], "example.org");
    assert_eq!(value["allowCredentials"], json!([]));
    assert_eq!(value["userVerification"], "required");
    // Two starts never share a challenge.
    let (again, _) = rp()
        .start_authentication(&AuthenticationOptions::default())
        .unwrap();
    assert_ne!(json.challenge, again.challenge);
}

/// Registers a credential with `authenticator`; returns what a server would store.
fn register(authenticator: &mut Authenticator) -> (CredentialId, CredentialPublicKey, bool) {
    let rp = rp();
    let (options, state) = rp
        .start_registration(&RegistrationOptions::passkey(user()))
        .unwrap();
    let response =
        RegistrationResponse::from_json(&authenticator.create(&options, ORIGIN)).unwrap();
    let verified = response
        .verify(&rp, state, &TrustAnchors::new(), SystemTime::now())
        .unwrap();
    assert_eq!(verified.discoverable(), Some(true));
    assert_eq!(verified.transports(), ["internal"]);
    let key = CredentialPublicKey::new(verified.public_key().clone()).unwrap();
    (
        verified.credential_id().clone(),
        key,
        verified.flags().backup_eligible(),
    )
}

#[test]
fn register_then_sign_in() {
    let mut authenticator = Authenticator::new(UP | UV);
    let (id, key, be) = register(&mut authenticator);
    let rp = rp();
    let (options, state) = rp
        .start_authentication(&AuthenticationOptions::default())
        .unwrap();
    let response =
        AuthenticationResponse::from_json(&authenticator.get(&options, ORIGIN, Some(b"user-0001")))
            .unwrap();
    let owner = UserHandle::from_bytes(b"user-0001".to_vec()).unwrap();
    let stored = StoredCredential {
        id: &id,
        public_key: &key,
        sign_count: 0,
        user_handle: Some(&owner),
        backup_eligible: be,
    };
    let verified = response.verify(&rp, state, &stored).unwrap();
    assert_eq!(
        verified.sign_count(),
        SignCount::Advanced {
            stored: 0,
            received: 1
        }
    );
    assert!(verified.flags().user_verified());
    assert!(!verified.backup_eligibility_changed());
}

/// What a sign-in attempt should come to, as an error code or `ok`.
#[track_caller]
fn check_sign_in(mutate: impl FnOnce(&mut SignIn), expected: &str) {
    let mut authenticator = Authenticator::new(UP | UV);
    let (id, key, be) = register(&mut authenticator);
    let rp = rp();
    let (options, state) = rp
        .start_authentication(&AuthenticationOptions::default())
        .unwrap();
    let mut attempt = SignIn {
        options,
        origin: ORIGIN.into(),
        flags: UP | UV,
        stored_count: 0,
        user_handle: None,
        allow: None,
        be,
    };
    mutate(&mut attempt);
    authenticator.flags = attempt.flags;
    let text = authenticator.get(
        &attempt.options,
        &attempt.origin,
        attempt.user_handle.as_deref(),
    );
    let owner = UserHandle::from_bytes(b"user-0001".to_vec()).unwrap();
    let stored = StoredCredential {
        id: &id,
        public_key: &key,
        sign_count: attempt.stored_count,
        user_handle: Some(&owner),
        backup_eligible: attempt.be,
    };
    let state = match attempt.allow {
        Some(ids) => state.with_allowed_credentials(ids),
        None => state,
    };
    let outcome =
        AuthenticationResponse::from_json(&text).and_then(|r| r.verify(&rp, state, &stored));
    let actual = match outcome {
        Ok(v) if matches!(v.sign_count(), SignCount::Regressed { .. }) => "counter regressed",
        Ok(v) if v.backup_eligibility_changed() => "backup eligibility changed",
        Ok(_) => "ok",
        Err(e) => e.code(),
    };
    assert_eq!(actual, expected);
}

struct SignIn {
    options: RequestOptionsJson,
    origin: String,
    flags: u8,
    stored_count: u32,
    user_handle: Option<Vec<u8>>,
    allow: Option<Vec<CredentialId>>,
    be: bool,
}

#[test]
fn sign_in_refusals_and_signals() {
    check_sign_in(|_| {}, "ok");
    check_sign_in(
        |a| a.options.challenge = encode(&[0; 32]),
        "challenge_mismatch",
    );
    check_sign_in(
        |a| a.origin = "https://evil.example.com".into(),
        "origin_not_allowed",
    );
    check_sign_in(
        |a| a.options.rp_id = "evil.example.com".into(),
        "rp_id_mismatch",
    );
    check_sign_in(|a| a.flags = UV, "user_not_present");
    check_sign_in(|a| a.flags = UP, "user_not_verified");
    check_sign_in(|a| a.flags = UP | UV | BS, "invalid_backup_flags");
    check_sign_in(
        |a| a.user_handle = Some(b"user-0002".to_vec()),
        "user_handle_mismatch",
    );
    check_sign_in(
        |a| a.allow = Some(vec![CredentialId::from_bytes(vec![1; 16]).unwrap()]),
        "credential_not_allowed",
    );
    check_sign_in(|a| a.stored_count = 5, "counter regressed");
    check_sign_in(|a| a.flags = UP | UV | BE, "backup eligibility changed");
}

#[test]
fn a_response_cannot_finish_the_other_ceremony() {
    let rp = rp();
    let mut authenticator = Authenticator::new(UP | UV);
    let (creation, state) = rp
        .start_registration(&RegistrationOptions::passkey(user()))
        .unwrap();
    // Client data made for a sign-in, over the registration's own challenge, is refused by its type.
    let text = authenticator.create(&creation, ORIGIN).replace(
        &encode(&Authenticator::client_data(
            "webauthn.create",
            &creation.challenge,
            ORIGIN,
        )),
        &encode(&Authenticator::client_data(
            "webauthn.get",
            &creation.challenge,
            ORIGIN,
        )),
    );
    let err = RegistrationResponse::from_json(&text)
        .unwrap()
        .verify(&rp, state, &TrustAnchors::new(), SystemTime::now())
        .unwrap_err();
    assert_eq!(err.code(), "wrong_ceremony_type");
}

#[test]
fn registration_refuses_algorithms_not_offered() {
    let rp = rp();
    let mut options = RegistrationOptions::passkey(user());
    options.algorithms = vec![CoseAlgorithm::EdDsa];
    let (json, state) = rp.start_registration(&options).unwrap();
    let text = Authenticator::new(UP | UV).create(&json, ORIGIN);
    let err = RegistrationResponse::from_json(&text)
        .unwrap()
        .verify(&rp, state, &TrustAnchors::new(), SystemTime::now())
        .unwrap_err();
    assert_eq!(err.code(), "algorithm_not_allowed");
    assert!(err.to_string().contains("ES256"), "{err}");
}

#[test]
fn registration_refuses_missing_user_verification_when_required() {
    let rp = rp();
    let (json, state) = rp
        .start_registration(&RegistrationOptions::passkey(user()))
        .unwrap();
    let text = Authenticator::new(UP).create(&json, ORIGIN);
    let err = RegistrationResponse::from_json(&text)
        .unwrap()
        .verify(&rp, state, &TrustAnchors::new(), SystemTime::now())
        .unwrap_err();
    assert_eq!(err.code(), "user_not_verified");
    let mut preferred = RegistrationOptions::passkey(user());
    preferred.user_verification = UserVerification::Preferred;
    let (json, state) = rp.start_registration(&preferred).unwrap();
    let text = Authenticator::new(UP).create(&json, ORIGIN);
    assert!(RegistrationResponse::from_json(&text)
        .unwrap()
        .verify(&rp, state, &TrustAnchors::new(), SystemTime::now())
        .is_ok());
}

#[test]
fn attestation_objects_with_a_key_given_twice_are_refused() {
    let rp = rp();
    let (json, _) = rp
        .start_registration(&RegistrationOptions::passkey(user()))
        .unwrap();
    let text = Authenticator::new(UP | UV).create(&json, ORIGIN);
    let mut response: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = decode(response["response"]["attestationObject"].as_str().unwrap()).unwrap();
    let Value::Map(mut entries) = ciborium::de::from_reader::<Value, _>(object.as_slice()).unwrap()
    else {
        panic!("the attestation object is a map");
    };
    for duplicate in [
        (Value::Text("fmt".into()), Value::Text("packed".into())),
        (Value::Text("attStmt".into()), Value::Map(vec![])),
    ] {
        entries.push(duplicate);
        let mut bytes = Vec::new();
        ciborium::ser::into_writer(&Value::Map(entries.clone()), &mut bytes).unwrap();
        response["response"]["attestationObject"] = json!(encode(&bytes));
        let err = RegistrationResponse::from_json(&response.to_string()).unwrap_err();
        assert_eq!(err.code(), "malformed_attestation_object", "{err}");
        entries.pop();
    }
}
