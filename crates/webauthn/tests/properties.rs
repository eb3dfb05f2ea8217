//! Properties of the engine, checked on generated inputs: every encoding
//! round-trips, no input makes a parser or verifier panic, and a signed
//! ceremony changed in any byte is refused.
//!
//! The keys are real (aws-lc-rs), made once per run and COSE-encoded by hand
//! here, so the engine's encoder is compared with an independent one. Every
//! ceremony goes through one function, [`check`], with the outcome it must
//! reach.
//!
//! `cargo test -p keybound-webauthn --test properties`; set `PROPTEST_CASES`
//! to run more cases than the default.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, EcdsaSigningAlgorithm, Ed25519KeyPair, KeyPair, RsaEncoding,
};
use ciborium::Value as Cbor;
use keybound_webauthn::encoding::{decode, encode};
use keybound_webauthn::json::{
    AuthenticationResponseJson, AuthenticatorAssertionResponseJson,
    AuthenticatorAttestationResponseJson, AuthenticatorSelectionJson, CreationOptionsJson,
    CredentialDescriptorJson, CredentialParametersJson, RegistrationResponseJson,
    RequestOptionsJson, RpEntityJson, UserEntityJson,
};
use keybound_webauthn::{
    Aaguid, AttestedCredentialData, AuthenticationOptions, AuthenticationResponse,
    AuthenticationState, AuthenticatorData, Challenge, ClientData, CoseAlgorithm, CoseKey,
    CredentialDescriptor, CredentialId, CredentialPublicKey, Error, Flags, Origin,
    RegistrationOptions, RegistrationResponse, RegistrationState, RelyingParty, RpId,
    StoredCredential, TrustAnchors, UserEntity, UserHandle,
};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Map, Value as Json};

const RP_ID: &str = "login.example.org";
const ORIGIN: &str = "https://login.example.org";
const CREDENTIAL_ID: [u8; 16] = [0x42; 16];
const CHALLENGE: [u8; 32] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
];
/// Authenticator data flags.
const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;
const ED: u8 = 0x80;

/// Few enough cases that the file runs in seconds in a debug build; `PROPTEST_CASES` overrides.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------
// Keys: real ones, COSE-encoded by hand.

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(Arc<RsaKeyPair>, &'static dyn RsaEncoding),
}

/// A credential key: what the engine should read, the canonical COSE bytes, and the private half.
struct TestKey {
    algorithm: CoseAlgorithm,
    cose: Vec<u8>,
    signer: Signer,
}

impl TestKey {
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Ecdsa(key) => key.sign(&rng, message).unwrap().as_ref().to_vec(),
            Signer::Ed25519(key) => key.sign(message).as_ref().to_vec(),
            Signer::Rsa(key, encoding) => {
                let mut signature = vec![0; key.public_modulus_len()];
                key.sign(*encoding, &rng, message, &mut signature).unwrap();
                signature
            }
        }
    }

    fn public_key(&self) -> CredentialPublicKey {
        CredentialPublicKey::from_cbor(&self.cose).unwrap()
    }
}

impl std::fmt::Debug for TestKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestKey({})", self.algorithm)
    }
}

/// A CBOR head: major type and argument, in the shortest form (RFC 8949 §3).
fn cbor_head(major: u8, argument: usize) -> Vec<u8> {
    let major = major << 5;
    match argument {
        0..=23 => vec![major | argument as u8],
        24..=0xff => vec![major | 24, argument as u8],
        0x100..=0xffff => [vec![major | 25], (argument as u16).to_be_bytes().to_vec()].concat(),
        _ => [vec![major | 26], (argument as u32).to_be_bytes().to_vec()].concat(),
    }
}

/// A CBOR integer.
fn cbor_int(value: i64) -> Vec<u8> {
    if value >= 0 {
        cbor_head(0, value as usize)
    } else {
        cbor_head(1, (-1 - value) as usize)
    }
}

/// A CBOR byte string.
fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    [cbor_head(2, bytes.len()), bytes.to_vec()].concat()
}

/// A COSE_Key map in canonical order: 1 (kty), 3 (alg), then -1, -2, -3.
fn cose_key(kty: i64, alg: CoseAlgorithm, negative_labels: &[Vec<u8>]) -> Vec<u8> {
    let mut out = cbor_head(5, 2 + negative_labels.len());
    out.extend([cbor_int(1), cbor_int(kty), cbor_int(3), cbor_int(alg.id())].concat());
    for (i, value) in negative_labels.iter().enumerate() {
        out.extend(cbor_int(-1 - i as i64));
        out.extend(value);
    }
    out
}

fn ec2(alg: CoseAlgorithm, crv: i64, signing: &'static EcdsaSigningAlgorithm) -> TestKey {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(signing, &rng).unwrap();
    let key = EcdsaKeyPair::from_pkcs8(signing, pkcs8.as_ref()).unwrap();
    let point = key.public_key().as_ref().to_vec();
    let len = (point.len() - 1) / 2;
    let cose = cose_key(
        2,
        alg,
        &[
            cbor_int(crv),
            cbor_bytes(&point[1..1 + len]),
            cbor_bytes(&point[1 + len..]),
        ],
    );
    TestKey {
        algorithm: alg,
        cose,
        signer: Signer::Ecdsa(key),
    }
}

fn okp(alg: CoseAlgorithm) -> TestKey {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
    let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap();
    let cose = cose_key(
        1,
        alg,
        &[cbor_int(6), cbor_bytes(key.public_key().as_ref())],
    );
    TestKey {
        algorithm: alg,
        cose,
        signer: Signer::Ed25519(key),
    }
}

fn rsa(alg: CoseAlgorithm, key: &Arc<RsaKeyPair>, encoding: &'static dyn RsaEncoding) -> TestKey {
    // The public key is PKCS#1 DER: SEQUENCE { INTEGER n, INTEGER e }.
    let [n, e] = der_integers(key.public_key().as_ref()).try_into().unwrap();
    let cose = cose_key(3, alg, &[cbor_bytes(&n), cbor_bytes(&e)]);
    TestKey {
        algorithm: alg,
        cose,
        signer: Signer::Rsa(Arc::clone(key), encoding),
    }
}

/// The INTEGERs of a DER SEQUENCE, without sign padding.
fn der_integers(der: &[u8]) -> Vec<Vec<u8>> {
    fn item(bytes: &[u8]) -> (u8, &[u8], &[u8]) {
        let (tag, first) = (bytes[0], bytes[1]);
        let (len, skip) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7f);
            (
                bytes[2..2 + n]
                    .iter()
                    .fold(0, |acc, b| acc << 8 | usize::from(*b)),
                2 + n,
            )
        };
        (tag, &bytes[skip..skip + len], &bytes[skip + len..])
    }
    let (tag, mut body, _) = item(der);
    assert_eq!(tag, 0x30, "an RSA public key is a SEQUENCE");
    let mut integers = Vec::new();
    while !body.is_empty() {
        let (tag, value, rest) = item(body);
        assert_eq!(tag, 0x02, "an RSAPublicKey holds INTEGERs");
        integers.push(value.iter().copied().skip_while(|b| *b == 0).collect());
        body = rest;
    }
    integers
}

/// One key per algorithm family, made once: RSA generation is slow.
fn keys() -> &'static [TestKey] {
    static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let rsa_key = Arc::new(RsaKeyPair::generate(KeySize::Rsa2048).unwrap());
        vec![
            ec2(
                CoseAlgorithm::Es256,
                1,
                &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            ),
            ec2(
                CoseAlgorithm::Es384,
                2,
                &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
            ),
            ec2(
                CoseAlgorithm::Es512,
                3,
                &signature::ECDSA_P521_SHA512_ASN1_SIGNING,
            ),
            okp(CoseAlgorithm::EdDsa),
            okp(CoseAlgorithm::Ed25519),
            rsa(CoseAlgorithm::Rs256, &rsa_key, &signature::RSA_PKCS1_SHA256),
            rsa(CoseAlgorithm::Ps256, &rsa_key, &signature::RSA_PSS_SHA256),
        ]
    })
}

fn es256() -> &'static TestKey {
    &keys()[0]
}

fn any_key() -> impl Strategy<Value = &'static TestKey> {
    (0..keys().len()).prop_map(|i| &keys()[i])
}

// ---------------------------------------------------------------------------
// Ceremonies, and the one function that checks them.

/// What a ceremony must come to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Accepted,
    /// Refused, with any error code.
    Refused,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An assertion signed by the credential key.
    Assertion,
    /// A registration with `none` attestation: nothing signs it.
    RegistrationNone,
    /// A registration with `packed` self attestation: the credential key signs it.
    RegistrationPacked,
}

/// The parts of a ceremony's response a mutation may change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    AuthenticatorData,
    ClientDataJson,
    Signature,
}

/// A response as the client would send it, with its signed parts as bytes.
#[derive(Clone, Debug)]
struct Ceremony {
    kind: Kind,
    key: &'static TestKey,
    auth_data: Vec<u8>,
    client_data_json: Vec<u8>,
    /// The assertion signature, or packed's `sig`; empty for `none`.
    signature: Vec<u8>,
}

impl Ceremony {
    /// A valid response from `key` for [`RP_ID`] at [`ORIGIN`] over [`CHALLENGE`], UP and UV set.
    fn new(kind: Kind, key: &'static TestKey) -> Self {
        let mut auth_data = RpId::parse(RP_ID).unwrap().hash().to_vec();
        let ceremony_type = if kind == Kind::Assertion {
            auth_data.push(UP | UV);
            auth_data.extend(7u32.to_be_bytes());
            "webauthn.get"
        } else {
            auth_data.push(UP | UV | AT);
            auth_data.extend(0u32.to_be_bytes());
            auth_data.extend([0xad; 16]);
            auth_data.extend((CREDENTIAL_ID.len() as u16).to_be_bytes());
            auth_data.extend(CREDENTIAL_ID);
            auth_data.extend(&key.cose);
            "webauthn.create"
        };
        let client_data_json = format!(
            r#"{{"type":"{ceremony_type}","challenge":"{}","origin":"{ORIGIN}"}}"#,
            encode(&CHALLENGE)
        )
        .into_bytes();
        let signature = match kind {
            Kind::RegistrationNone => Vec::new(),
            Kind::Assertion | Kind::RegistrationPacked => {
                key.sign(&signed_data(&auth_data, &client_data_json))
            }
        };
        Ceremony {
            kind,
            key,
            auth_data,
            client_data_json,
            signature,
        }
    }

    fn part_mut(&mut self, part: Part) -> &mut Vec<u8> {
        match part {
            Part::AuthenticatorData => &mut self.auth_data,
            Part::ClientDataJson => &mut self.client_data_json,
            Part::Signature => &mut self.signature,
        }
    }

    /// The parts that carry bytes for this kind.
    fn parts(&self) -> &'static [Part] {
        match self.kind {
            Kind::RegistrationNone => &[Part::AuthenticatorData, Part::ClientDataJson],
            _ => &[
                Part::AuthenticatorData,
                Part::ClientDataJson,
                Part::Signature,
            ],
        }
    }

    /// `RegistrationResponseJSON` or `AuthenticationResponseJSON` text.
    fn to_json(&self) -> String {
        let id = encode(&CREDENTIAL_ID);
        let response = match self.kind {
            Kind::Assertion => json!({
                "clientDataJSON": encode(&self.client_data_json),
                "authenticatorData": encode(&self.auth_data),
                "signature": encode(&self.signature),
            }),
            Kind::RegistrationNone | Kind::RegistrationPacked => {
                let (fmt, statement) = match self.kind {
                    Kind::RegistrationNone => ("none", vec![]),
                    _ => (
                        "packed",
                        vec![
                            (
                                Cbor::Text("alg".into()),
                                Cbor::Integer(self.key.algorithm.id().into()),
                            ),
                            (
                                Cbor::Text("sig".into()),
                                Cbor::Bytes(self.signature.clone()),
                            ),
                        ],
                    ),
                };
                json!({
                    "clientDataJSON": encode(&self.client_data_json),
                    "attestationObject": encode(&attestation_object(fmt, statement, &self.auth_data)),
                })
            }
        };
        json!({"id": id, "rawId": id, "type": "public-key", "response": response, "clientExtensionResults": {}})
            .to_string()
    }
}

/// authenticatorData ‖ SHA-256(clientDataJSON): what assertions and packed statements sign.
fn signed_data(auth_data: &[u8], client_data_json: &[u8]) -> Vec<u8> {
    let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, client_data_json);
    [auth_data, hash.as_ref()].concat()
}

/// The CBOR attestation object `{"fmt", "attStmt", "authData"}`.
fn attestation_object(fmt: &str, statement: Vec<(Cbor, Cbor)>, auth_data: &[u8]) -> Vec<u8> {
    let object = Cbor::Map(vec![
        (Cbor::Text("fmt".into()), Cbor::Text(fmt.into())),
        (Cbor::Text("attStmt".into()), Cbor::Map(statement)),
        (
            Cbor::Text("authData".into()),
            Cbor::Bytes(auth_data.to_vec()),
        ),
    ]);
    let mut out = Vec::new();
    ciborium::ser::into_writer(&object, &mut out).unwrap();
    out
}

fn relying_party() -> RelyingParty {
    RelyingParty::new(
        RpId::parse(RP_ID).unwrap(),
        "Properties",
        vec![Origin::parse(ORIGIN).unwrap()],
    )
    .unwrap()
}

/// The verification time: certificates play no part here, any fixed instant does.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_750_000_000)
}

/// Parses and verifies a response as a relying party that issued [`CHALLENGE`] would.
fn verify(kind: Kind, key: &TestKey, json: &str) -> Result<(), Error> {
    let rp = relying_party();
    let challenge = Challenge::from_bytes(CHALLENGE.to_vec()).unwrap();
    match kind {
        Kind::Assertion => {
            let response = AuthenticationResponse::from_json(json)?;
            let id = CredentialId::from_bytes(CREDENTIAL_ID.to_vec()).unwrap();
            let public_key = key.public_key();
            let stored = StoredCredential {
                id: &id,
                public_key: &public_key,
                sign_count: 0,
                user_handle: None,
                backup_eligible: false,
            };
            response
                .verify(&rp, AuthenticationState::new(challenge), &stored)
                .map(drop)
        }
        Kind::RegistrationNone | Kind::RegistrationPacked => {
            let response = RegistrationResponse::from_json(json)?;
            response
                .verify(
                    &rp,
                    RegistrationState::new(challenge),
                    &TrustAnchors::new(),
                    now(),
                )
                .map(drop)
        }
    }
}

/// The one function every ceremony goes through.
#[track_caller]
fn check(ceremony: &Ceremony, expected: Outcome) -> Result<(), TestCaseError> {
    let result = verify(ceremony.kind, ceremony.key, &ceremony.to_json());
    let actual = if result.is_ok() {
        Outcome::Accepted
    } else {
        Outcome::Refused
    };
    prop_assert_eq!(
        actual,
        expected,
        "{:?} with {:?}: {:?}\nclientDataJSON {:?}\nauthenticatorData {}\nsignature {}",
        ceremony.kind,
        ceremony.key,
        result.err().map(|e| e.code()),
        String::from_utf8_lossy(&ceremony.client_data_json),
        encode(&ceremony.auth_data),
        encode(&ceremony.signature),
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Mutations.

/// One change to a byte string; every variant changes it.
#[derive(Clone, Debug)]
enum Mutation {
    /// XOR the byte at the index with a non-zero mask.
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    /// Keep a strict prefix.
    Truncate(Index),
}

impl Mutation {
    fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        assert!(len > 0, "mutations apply to non-empty parts");
        match self {
            Mutation::Flip(at, mask) => bytes[at.index(len)] ^= mask,
            Mutation::Insert(at, byte) => bytes.insert(at.index(len + 1), *byte),
            Mutation::Delete(at) => drop(bytes.remove(at.index(len))),
            Mutation::Truncate(keep) => bytes.truncate(keep.index(len)),
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1..=u8::MAX).prop_map(|(at, mask)| Mutation::Flip(at, mask)),
        (any::<Index>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert(at, byte)),
        any::<Index>().prop_map(Mutation::Delete),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        Just(Part::AuthenticatorData),
        Just(Part::ClientDataJson),
        Just(Part::Signature)
    ]
}

/// Applies `mutations` in order; an empty string first gets a zero byte to change.
fn apply_all(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        if bytes.is_empty() {
            bytes.push(0);
        }
        m.apply(bytes);
    }
}

/// Changes `ceremony` in place; returns whether its bytes differ from before.
fn mutate(ceremony: &mut Ceremony, part: Part, mutations: &[Mutation]) -> bool {
    let before = ceremony.part_mut(part).clone();
    apply_all(ceremony.part_mut(part), mutations);
    *ceremony.part_mut(part) != before
}

// ---------------------------------------------------------------------------
// Generated authenticator data.

/// Authenticator data as parts, encoded by hand in [`AuthDataParts::encode`].
#[derive(Clone, Debug)]
struct AuthDataParts {
    rp_id_hash: [u8; 32],
    /// UP, RFU1, UV, BE, BS and RFU2; AT and ED follow from what is present.
    low_flags: u8,
    sign_count: u32,
    attested: Option<([u8; 16], Vec<u8>, &'static TestKey)>,
    extensions: Option<Cbor>,
}

impl AuthDataParts {
    fn flags(&self) -> u8 {
        let at = if self.attested.is_some() { AT } else { 0 };
        let ed = if self.extensions.is_some() { ED } else { 0 };
        self.low_flags & 0x3f | at | ed
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = self.rp_id_hash.to_vec();
        out.push(self.flags());
        out.extend(self.sign_count.to_be_bytes());
        if let Some((aaguid, id, key)) = &self.attested {
            out.extend(aaguid);
            out.extend((id.len() as u16).to_be_bytes());
            out.extend(id);
            out.extend(&key.cose);
        }
        if let Some(extensions) = &self.extensions {
            ciborium::ser::into_writer(extensions, &mut out).unwrap();
        }
        out
    }

    /// What parsing the encoding must give.
    fn expected(&self) -> AuthenticatorData {
        AuthenticatorData {
            rp_id_hash: self.rp_id_hash,
            flags: Flags::from_bits(self.flags()),
            sign_count: self.sign_count,
            attested_credential: self.attested.as_ref().map(|(aaguid, id, key)| {
                AttestedCredentialData {
                    aaguid: Aaguid::from_bytes(*aaguid),
                    credential_id: CredentialId::from_bytes(id.clone()).unwrap(),
                    public_key: CoseKey::from_cbor(&key.cose).unwrap(),
                }
            }),
            extensions: self.extensions.clone(),
        }
    }
}

/// Small CBOR values without floats (NaN is unequal to itself) or tags.
fn cbor_value() -> impl Strategy<Value = Cbor> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(|i| Cbor::Integer(i.into())),
        any::<u64>().prop_map(|i| Cbor::Integer(i.into())),
        any::<bool>().prop_map(Cbor::Bool),
        Just(Cbor::Null),
        "\\PC{0,8}".prop_map(Cbor::Text),
        vec(any::<u8>(), 0..16).prop_map(Cbor::Bytes),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Cbor::Array),
            vec((inner.clone(), inner), 0..3).prop_map(Cbor::Map),
        ]
    })
}

/// Extension outputs: `credProtect`, or a small map of names to values.
fn extensions() -> impl Strategy<Value = Cbor> {
    prop_oneof![
        (1..=3i64).prop_map(|level| Cbor::Map(vec![(
            Cbor::Text("credProtect".into()),
            Cbor::Integer(level.into())
        )])),
        btree_map("[a-zA-Z]{1,12}", any::<i64>(), 0..4).prop_map(|m| {
            Cbor::Map(
                m.into_iter()
                    .map(|(k, v)| (Cbor::Text(k), Cbor::Integer(v.into())))
                    .collect(),
            )
        }),
        btree_map("[a-zA-Z]{1,12}", cbor_value(), 0..4)
            .prop_map(|m| Cbor::Map(m.into_iter().map(|(k, v)| (Cbor::Text(k), v)).collect())),
    ]
}

fn auth_data_parts() -> impl Strategy<Value = AuthDataParts> {
    (
        any::<[u8; 32]>(),
        any::<u8>(),
        any::<u32>(),
        proptest::option::of((any::<[u8; 16]>(), vec(any::<u8>(), 1..=1023), any_key())),
        proptest::option::of(extensions()),
    )
        .prop_map(
            |(rp_id_hash, low_flags, sign_count, attested, extensions)| AuthDataParts {
                rp_id_hash,
                low_flags,
                sign_count,
                attested,
                extensions,
            },
        )
}

/// Parses and re-encodes accepted input once, then checks that this normal form is stable.
fn normalises_once(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(parsed) = AuthenticatorData::parse(bytes) {
        let normal = parsed.to_bytes();
        let again = AuthenticatorData::parse(&normal);
        prop_assert!(
            again.is_ok(),
            "re-encoded authenticator data does not parse: {:?}",
            again.err()
        );
        prop_assert_eq!(again.unwrap().to_bytes(), normal);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Generated JSON.

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

/// JSON values without floats, whose text form need not round-trip exactly.
fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        text().prop_map(Json::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Json::Array),
            json_map_of(inner).prop_map(Json::Object)
        ]
    })
}

fn json_map_of(values: impl Strategy<Value = Json>) -> impl Strategy<Value = Map<String, Json>> {
    btree_map(text(), values, 0..4).prop_map(|m| m.into_iter().collect())
}

fn json_map() -> impl Strategy<Value = Map<String, Json>> {
    json_map_of(json_value())
}

fn strings() -> impl Strategy<Value = Vec<String>> {
    vec(text(), 0..4)
}

fn registration_json() -> impl Strategy<Value = RegistrationResponseJson> {
    (
        (
            text(),
            text(),
            text(),
            proptest::option::of(text()),
            json_map(),
        ),
        (
            text(),
            text(),
            proptest::option::of(strings()),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(any::<i64>()),
        ),
    )
        .prop_map(
            |((id, raw_id, credential_type, attachment, extensions), response)| {
                let (
                    client_data_json,
                    attestation_object,
                    transports,
                    authenticator_data,
                    public_key,
                    algorithm,
                ) = response;
                RegistrationResponseJson {
                    id,
                    raw_id,
                    credential_type,
                    response: AuthenticatorAttestationResponseJson {
                        client_data_json,
                        attestation_object,
                        transports,
                        authenticator_data,
                        public_key,
                        public_key_algorithm: algorithm,
                    },
                    authenticator_attachment: attachment,
                    client_extension_results: extensions,
                }
            },
        )
}

fn authentication_json() -> impl Strategy<Value = AuthenticationResponseJson> {
    (
        (
            text(),
            text(),
            text(),
            proptest::option::of(text()),
            json_map(),
        ),
        (text(), text(), text(), proptest::option::of(text())),
    )
        .prop_map(
            |((id, raw_id, credential_type, attachment, extensions), response)| {
                let (client_data_json, authenticator_data, signature, user_handle) = response;
                AuthenticationResponseJson {
                    id,
                    raw_id,
                    credential_type,
                    response: AuthenticatorAssertionResponseJson {
                        client_data_json,
                        authenticator_data,
                        signature,
                        user_handle,
                    },
                    authenticator_attachment: attachment,
                    client_extension_results: extensions,
                }
            },
        )
}

fn descriptors() -> impl Strategy<Value = Vec<CredentialDescriptorJson>> {
    vec(
        (text(), text(), strings()).prop_map(|(id, credential_type, transports)| {
            CredentialDescriptorJson {
                id,
                credential_type,
                transports,
            }
        }),
        0..3,
    )
}

fn creation_options_json() -> impl Strategy<Value = CreationOptionsJson> {
    let selection = (proptest::option::of(text()), text(), any::<bool>(), text()).prop_map(
        |(authenticator_attachment, resident_key, require_resident_key, user_verification)| {
            AuthenticatorSelectionJson {
                authenticator_attachment,
                resident_key,
                require_resident_key,
                user_verification,
            }
        },
    );
    (
        (text(), text(), text(), text(), text(), text()),
        vec((text(), any::<i64>()), 0..4),
        (
            proptest::option::of(any::<u64>()),
            descriptors(),
            proptest::option::of(selection),
        ),
        (strings(), text(), json_map()),
    )
        .prop_map(
            |(names, params, (timeout, exclude_credentials, authenticator_selection), rest)| {
                let (rp_id, rp_name, user_id, user_name, display_name, challenge) = names;
                let (hints, attestation, extensions) = rest;
                CreationOptionsJson {
                    rp: RpEntityJson {
                        id: rp_id,
                        name: rp_name,
                    },
                    user: UserEntityJson {
                        id: user_id,
                        name: user_name,
                        display_name,
                    },
                    challenge,
                    pub_key_cred_params: params
                        .into_iter()
                        .map(|(credential_type, alg)| CredentialParametersJson {
                            credential_type,
                            alg,
                        })
                        .collect(),
                    timeout,
                    exclude_credentials,
                    authenticator_selection,
                    hints,
                    attestation,
                    extensions,
                }
            },
        )
}

fn request_options_json() -> impl Strategy<Value = RequestOptionsJson> {
    (
        text(),
        proptest::option::of(any::<u64>()),
        text(),
        descriptors(),
        text(),
        strings(),
        json_map(),
    )
        .prop_map(
            |(
                challenge,
                timeout,
                rp_id,
                allow_credentials,
                user_verification,
                hints,
                extensions,
            )| RequestOptionsJson {
                challenge,
                timeout,
                rp_id,
                allow_credentials,
                user_verification,
                hints,
                extensions,
            },
        )
}

/// Serialises, parses back, and compares as JSON values (the response types have no `PartialEq`).
fn json_round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: &T,
) -> Result<(), TestCaseError> {
    let text = serde_json::to_string(value).unwrap();
    let back: T =
        serde_json::from_str(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
    prop_assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(value).unwrap()
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Fixed cases.

#[test]
fn every_generated_key_round_trips_through_its_canonical_cose_encoding() {
    for key in keys() {
        let parsed = CoseKey::from_cbor(&key.cose).unwrap_or_else(|e| panic!("{key:?}: {e}"));
        assert_eq!(parsed.algorithm(), key.algorithm, "{key:?}");
        assert_eq!(
            parsed.to_cbor(),
            key.cose,
            "{key:?}: to_cbor is not the canonical encoding"
        );
        assert_eq!(
            CoseKey::from_cbor(&parsed.to_cbor()).as_ref(),
            Ok(&parsed),
            "{key:?}"
        );
        assert_eq!(
            CredentialPublicKey::new(parsed.clone()).unwrap().cose(),
            &parsed,
            "{key:?}"
        );
    }
}

#[test]
fn every_generated_key_signs_ceremonies_that_verify() {
    for key in keys() {
        for kind in [
            Kind::Assertion,
            Kind::RegistrationNone,
            Kind::RegistrationPacked,
        ] {
            check(&Ceremony::new(kind, key), Outcome::Accepted).unwrap();
        }
    }
}

/// Single-bit flips a `none` registration cannot notice, by authenticator data offset: nothing signs them.
///
/// Offsets 0–31 (RP ID hash), UP, UV, BS without BE, AT and ED, the credential id
/// length, the credential id and the COSE key are all checked; these are not.
const NONE_UNBOUND_AUTH_DATA: &[(&str, std::ops::Range<usize>, &[u8])] = &[
    ("flags RFU1, BE and RFU2", 32..33, &[0x02, 0x08, 0x20]),
    (
        "signCount",
        33..37,
        &[0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80],
    ),
    (
        "AAGUID",
        37..53,
        &[0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80],
    ),
];

/// What a `none` registration must make of a single-bit flip in clientDataJSON: the
/// flip passes only when the client data still means the same (the engine compares
/// origins after lower-casing, and base64url's unused trailing bits carry nothing).
fn none_outcome_for_client_data(mutated: &[u8]) -> Outcome {
    let original =
        ClientData::parse(&Ceremony::new(Kind::RegistrationNone, es256()).client_data_json)
            .unwrap();
    match ClientData::parse(mutated) {
        Ok(c)
            if c.ceremony_type == original.ceremony_type
                && c.challenge == original.challenge
                && c.origin.eq_ignore_ascii_case(&original.origin)
                && !c.cross_origin
                && c.top_origin.is_none()
                && c.token_binding.is_none() =>
        {
            Outcome::Accepted
        }
        _ => Outcome::Refused,
    }
}

#[test]
fn every_single_bit_flip_of_a_signed_ceremony_is_refused() {
    for kind in [Kind::Assertion, Kind::RegistrationPacked] {
        let original = Ceremony::new(kind, es256());
        for &part in original.parts() {
            let len = original.clone().part_mut(part).len();
            for at in 0..len {
                for bit in 0..8 {
                    let mut ceremony = original.clone();
                    ceremony.part_mut(part)[at] ^= 1 << bit;
                    check(&ceremony, Outcome::Refused)
                        .unwrap_or_else(|e| panic!("{part:?} byte {at} bit {bit}: {e}"));
                }
            }
        }
    }
}

#[test]
fn a_none_registration_refuses_every_single_bit_flip_of_what_it_binds() {
    let original = Ceremony::new(Kind::RegistrationNone, es256());
    for at in 0..original.auth_data.len() {
        for bit in 0..8u8 {
            let mask = 1 << bit;
            let unbound = NONE_UNBOUND_AUTH_DATA
                .iter()
                .any(|(_, range, masks)| range.contains(&at) && masks.contains(&mask));
            let mut ceremony = original.clone();
            ceremony.auth_data[at] ^= mask;
            let expected = if unbound {
                Outcome::Accepted
            } else {
                Outcome::Refused
            };
            check(&ceremony, expected)
                .unwrap_or_else(|e| panic!("authenticatorData byte {at} mask {mask:#04x}: {e}"));
        }
    }
    for at in 0..original.client_data_json.len() {
        for bit in 0..8u8 {
            let mut ceremony = original.clone();
            ceremony.client_data_json[at] ^= 1 << bit;
            let expected = none_outcome_for_client_data(&ceremony.client_data_json);
            check(&ceremony, expected)
                .unwrap_or_else(|e| panic!("clientDataJSON byte {at} bit {bit}: {e}"));
        }
    }
}

// ---------------------------------------------------------------------------
// Properties.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn base64url_round_trips(bytes in vec(any::<u8>(), 0..200)) {
        let text = encode(&bytes);
        prop_assert!(!text.contains(['=', '+', '/']), "{text}");
        prop_assert_eq!(decode(&text), Some(bytes));
    }

    #[test]
    fn base64_decoding_never_panics(text in "[A-Za-z0-9_+/=-]{0,40}|\\PC{0,40}") {
        if let Some(bytes) = decode(&text) {
            // Whatever decodes has one canonical spelling, which decodes to the same bytes.
            prop_assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }
    }

    #[test]
    fn aaguids_round_trip_through_text(bytes in any::<[u8; 16]>()) {
        let aaguid = Aaguid::from_bytes(bytes);
        let text = aaguid.to_string();
        prop_assert_eq!(text.len(), 36);
        prop_assert_eq!(text.parse::<Aaguid>(), Ok(aaguid));
        prop_assert_eq!(text.to_uppercase().parse::<Aaguid>(), Ok(aaguid));
        prop_assert_eq!(text.replace('-', "").parse::<Aaguid>(), Ok(aaguid));
    }

    #[test]
    fn aaguid_parsing_never_panics(text in "\\PC{0,40}|[0-9a-fA-F-]{30,40}") {
        if let Ok(aaguid) = text.parse::<Aaguid>() {
            prop_assert_eq!(aaguid.to_string().parse::<Aaguid>(), Ok(aaguid));
        }
    }

    #[test]
    fn a_cose_key_is_one_cbor_item_and_nothing_after_it(key in any_key(), tail in vec(any::<u8>(), 1..8)) {
        let bytes = [key.cose.clone(), tail].concat();
        let (parsed, used) = CoseKey::parse_prefix(&bytes).unwrap();
        prop_assert_eq!(used, key.cose.len());
        prop_assert_eq!(parsed.to_cbor(), key.cose.clone());
        prop_assert!(CoseKey::from_cbor(&bytes).is_err());
    }

    #[test]
    fn authenticator_data_round_trips(parts in auth_data_parts()) {
        let bytes = parts.encode();
        let parsed = AuthenticatorData::parse(&bytes);
        prop_assert_eq!(parsed.as_ref(), Ok(&parts.expected()));
        let parsed = parsed.unwrap();
        prop_assert_eq!(parsed.to_bytes(), bytes);
        prop_assert_eq!(AuthenticatorData::parse(&parsed.to_bytes()), Ok(parsed));
    }

    #[test]
    fn authenticator_data_with_a_lying_flag_is_refused(parts in auth_data_parts(), flag in prop_oneof![Just(AT), Just(ED)]) {
        // Flip AT or ED so the flags claim what is absent, or deny what is present.
        let mut bytes = parts.encode();
        bytes[32] ^= flag;
        prop_assert!(AuthenticatorData::parse(&bytes).is_err());
    }

    #[test]
    fn mutated_authenticator_data_parses_or_refuses_without_panicking(
        parts in auth_data_parts(),
        mutations in vec(mutation(), 1..4),
    ) {
        let mut bytes = parts.encode();
        apply_all(&mut bytes, &mutations);
        normalises_once(&bytes)?;
    }

    #[test]
    fn arbitrary_bytes_never_panic_a_parser(bytes in vec(any::<u8>(), 0..300)) {
        normalises_once(&bytes)?;
        if let Ok(key) = CoseKey::from_cbor(&bytes) {
            prop_assert_eq!(CoseKey::from_cbor(&key.to_cbor()), Ok(key));
        }
        let _ = CoseKey::parse_prefix(&bytes);
        let _ = CredentialPublicKey::from_cbor(&bytes);
        let _ = ClientData::parse(&bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = RegistrationResponse::from_json(&text);
        let _ = AuthenticationResponse::from_json(&text);
    }

    #[test]
    fn mutated_cose_keys_parse_or_refuse_without_panicking(key in any_key(), mutations in vec(mutation(), 1..4)) {
        let mut bytes = key.cose.clone();
        apply_all(&mut bytes, &mutations);
        if let Ok(parsed) = CoseKey::from_cbor(&bytes) {
            prop_assert_eq!(CoseKey::from_cbor(&parsed.to_cbor()), Ok(parsed));
        }
    }

    #[test]
    fn arbitrary_client_data_never_panics(
        fields in btree_map(
            prop_oneof![Just("type".to_owned()), Just("challenge".to_owned()), Just("origin".to_owned()),
                Just("crossOrigin".to_owned()), Just("topOrigin".to_owned()), Just("tokenBinding".to_owned()), text()],
            json_value(),
            0..7,
        ),
    ) {
        let text = Json::Object(fields.into_iter().collect()).to_string();
        let _ = ClientData::parse(text.as_bytes());
    }

    #[test]
    fn arbitrary_strings_never_panic_the_response_parsers(text in "\\PC{0,200}") {
        let _ = RegistrationResponse::from_json(&text);
        let _ = AuthenticationResponse::from_json(&text);
    }

    #[test]
    fn well_formed_json_with_arbitrary_payloads_never_panics(
        client_data in vec(any::<u8>(), 0..120),
        payload in vec(any::<u8>(), 0..300),
        signature in vec(any::<u8>(), 0..80),
    ) {
        let id = encode(&CREDENTIAL_ID);
        let registration = json!({"id": id, "rawId": id, "type": "public-key", "response": {
            "clientDataJSON": encode(&client_data), "attestationObject": encode(&payload)}});
        let _ = RegistrationResponse::from_json(&registration.to_string());
        let assertion = json!({"id": id, "rawId": id, "type": "public-key", "response": {
            "clientDataJSON": encode(&client_data), "authenticatorData": encode(&payload), "signature": encode(&signature)}});
        if let Ok(response) = AuthenticationResponse::from_json(&assertion.to_string()) {
            prop_assert!(verify(Kind::Assertion, es256(), &assertion.to_string()).is_err(), "{:?}", response);
        }
    }

    #[test]
    fn attestation_objects_with_arbitrary_statements_never_panic(
        fmt in prop_oneof![Just("none".to_owned()), Just("packed".to_owned()), Just("fido-u2f".to_owned()),
            Just("apple".to_owned()), Just("tpm".to_owned()), Just("android-key".to_owned()),
            Just("android-safetynet".to_owned()), text()],
        statement in vec(
            (prop_oneof![Just("alg"), Just("sig"), Just("x5c"), Just("ver"), Just("certInfo"), Just("pubArea"),
                Just("response")].prop_map(|k| Cbor::Text(k.into())), cbor_value()),
            0..4,
        ),
        key in any_key(),
        mutations in vec(mutation(), 0..3),
    ) {
        let mut ceremony = Ceremony::new(Kind::RegistrationNone, key);
        apply_all(&mut ceremony.auth_data, &mutations);
        let object = attestation_object(&fmt, statement, &ceremony.auth_data);
        let id = encode(&CREDENTIAL_ID);
        let json = json!({"id": id, "rawId": id, "type": "public-key", "response": {
            "clientDataJSON": encode(&ceremony.client_data_json), "attestationObject": encode(&object)}});
        let _ = verify(Kind::RegistrationNone, key, &json.to_string());
    }

    #[test]
    fn a_signed_ceremony_changed_anywhere_is_refused(
        kind in prop_oneof![Just(Kind::Assertion), Just(Kind::RegistrationPacked)],
        key in any_key(),
        part in part(),
        m in mutation(),
    ) {
        let mut ceremony = Ceremony::new(kind, key);
        prop_assert!(mutate(&mut ceremony, part, &[m]));
        check(&ceremony, Outcome::Refused)?;
    }

    #[test]
    fn a_signed_assertion_is_accepted_only_when_its_bytes_are_unchanged(
        part in part(),
        mutations in vec(mutation(), 1..6),
    ) {
        let mut ceremony = Ceremony::new(Kind::Assertion, es256());
        let changed = mutate(&mut ceremony, part, &mutations);
        check(&ceremony, if changed { Outcome::Refused } else { Outcome::Accepted })?;
    }

    #[test]
    fn response_text_changed_anywhere_is_refused_or_means_the_same(
        kind in prop_oneof![Just(Kind::Assertion), Just(Kind::RegistrationPacked)],
        mutations in vec(mutation(), 1..4),
    ) {
        // Text-level changes can leave the signed bytes as they were (base64 trailing bits,
        // key order, unsigned members), so acceptance must mean the signed bytes are unchanged.
        let ceremony = Ceremony::new(kind, es256());
        let mut text = ceremony.to_json().into_bytes();
        apply_all(&mut text, &mutations);
        let text = String::from_utf8_lossy(&text);
        if verify(kind, es256(), &text).is_ok() {
            let (auth_data, client_data) = match kind {
                Kind::Assertion => {
                    let r = AuthenticationResponse::from_json(&text).unwrap();
                    (r.authenticator_data().to_bytes(), r.client_data().clone())
                }
                _ => {
                    let r = RegistrationResponse::from_json(&text).unwrap();
                    (r.authenticator_data().to_bytes(), r.client_data().clone())
                }
            };
            prop_assert_eq!(auth_data, ceremony.auth_data.clone());
            prop_assert_eq!(client_data, ClientData::parse(&ceremony.client_data_json).unwrap());
        }
    }

    #[test]
    fn registration_response_json_round_trips(value in registration_json()) {
        json_round_trip(&value)?;
    }

    #[test]
    fn authentication_response_json_round_trips(value in authentication_json()) {
        json_round_trip(&value)?;
    }

    #[test]
    fn creation_options_json_round_trips(value in creation_options_json()) {
        let text = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(serde_json::from_str::<CreationOptionsJson>(&text).unwrap(), value);
    }

    #[test]
    fn request_options_json_round_trips(value in request_options_json()) {
        let text = serde_json::to_string(&value).unwrap();
        prop_assert_eq!(serde_json::from_str::<RequestOptionsJson>(&text).unwrap(), value);
    }

    #[test]
    fn options_the_relying_party_issues_round_trip(
        handle in vec(any::<u8>(), 1..=64),
        name in text(),
        display_name in text(),
        excluded in vec(vec(any::<u8>(), 1..64), 0..3),
    ) {
        let user = UserEntity { id: UserHandle::from_bytes(handle).unwrap(), name, display_name };
        let mut options = RegistrationOptions::passkey(user);
        options.exclude_credentials = excluded
            .iter()
            .map(|id| CredentialDescriptor { id: CredentialId::from_bytes(id.clone()).unwrap(), transports: vec!["usb".into()] })
            .collect();
        let (creation, _) = relying_party().start_registration(&options).unwrap();
        let text = serde_json::to_string(&creation).unwrap();
        prop_assert_eq!(serde_json::from_str::<CreationOptionsJson>(&text).unwrap(), creation);
        let (request, _) = relying_party().start_authentication(&AuthenticationOptions {
            allow_credentials: options.exclude_credentials.clone(),
            ..AuthenticationOptions::default()
        }).unwrap();
        let text = serde_json::to_string(&request).unwrap();
        prop_assert_eq!(serde_json::from_str::<RequestOptionsJson>(&text).unwrap(), request);
    }
}
