//! The fuzz targets' bodies, shared by `cargo fuzz` (`fuzz_targets/`) and the
//! seed-corpus replay test (`tests/replay.rs`), and the seeds (`seeds`, which
//! `./seed-corpus` writes to `corpus/`).
//!
//! Every payload, ceremony, credential and trust anchor comes from
//! `../shared/data/webauthn-vectors`, which is never copied into the repository:
//! the files the targets verify against are embedded at build time (`include_str!`,
//! so a checkout without the data does not build), and the seeds are read at run time.
//!
//! Each target reads its input several ways and verifies whatever parses
//! against fixed ceremonies taken from the real payloads the seeds come from,
//! so mutations of a seed reach the checks behind the parsers. A panic, or a
//! broken invariant asserted here, is a bug.

#![forbid(unsafe_code)]
#![deny(clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use keybound_webauthn::encoding::encode;
use keybound_webauthn::{
    AuthenticationResponse, AuthenticationState, AuthenticatorData, Challenge, CoseKey,
    CredentialId, CredentialPublicKey, Origin, RegistrationResponse, RegistrationState,
    RelyingParty, RpId, StoredCredential, TrustAnchors, UserVerification,
};
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// Where the WebAuthn test vectors live: `../shared/data/webauthn-vectors` beside the project
/// checkout. They are never copied into the repository; CI always has them there.
pub const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/data/webauthn-vectors"
);

/// A vector file embedded at build time: its name under `real/` (without `.json`) and its text.
type Embedded = (&'static str, &'static str);

/// Embeds `real/<name>.json` from [`VECTORS`], so the fuzz binaries need no files at run time.
/// Without `../shared/data` the crate does not build: rustc names the missing file.
macro_rules! embed {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!(
                "../../../shared/data/webauthn-vectors/real/",
                $name,
                ".json"
            )),
        )
    };
}

/// The registrations whose ceremonies a registration is verified against (the one its RP ID hash
/// names, else the first): `expected.rp_id`, `expected.origin`, `expected.challenge_b64url`.
const REGISTRATION_VECTORS: [Embedded; 4] = [
    embed!("SimpleWebAuthn/none-es256-firefox-android"),
    embed!("py_webauthn/packed-x5c-yubikey-firefox"),
    embed!("webauthn-rs/apple-touchid-anonymous"),
    embed!("webauthn-rs/fido-u2f-yubikey5-zero-challenge"),
];

/// The authentications whose stored credentials (`credential`) and ceremonies an assertion is
/// verified against (the one its `rawId` names, else the first). The first one's real assertion
/// is the captured one the `assertion` target alters.
const CREDENTIAL_VECTORS: [Embedded; 3] = [
    embed!("SimpleWebAuthn/auth-es256-counter-143"),
    embed!("py_webauthn/auth-ed25519"),
    embed!("webauthn-rs/auth-windows-hello-rs256"),
];

/// The files whose `expected.trusted_root_certs_pem` holds the trust anchors: the Yubico U2F root
/// (`fido-u2f-yubikey5-zero-challenge`) and the Apple WebAuthn root (`apple-touchid-anonymous`).
const ANCHOR_VECTORS: [Embedded; 2] = [REGISTRATION_VECTORS[3], REGISTRATION_VECTORS[2]];

/// A parsed vector file whose fields are read with errors that name it.
struct Vector {
    name: &'static str,
    json: Value,
}

impl Vector {
    fn parse((name, text): Embedded) -> Result<Self, String> {
        serde_json::from_str(text)
            .map(|json| Vector { name, json })
            .map_err(|e| format!("{VECTORS}/real/{name}.json: not JSON: {e}"))
    }

    fn field(&self, pointer: &str) -> Result<&Value, String> {
        self.json
            .pointer(pointer)
            .ok_or_else(|| format!("{VECTORS}/real/{}.json: no {pointer}", self.name))
    }

    fn text(&self, pointer: &str) -> Result<String, String> {
        self.field(pointer)?
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{VECTORS}/real/{}.json: {pointer} is not text", self.name))
    }

    /// A base64 field as unpadded base64url, whatever padding and alphabet the file uses.
    fn base64url(&self, pointer: &str) -> Result<String, String> {
        keybound_webauthn::encoding::decode(&self.text(pointer)?)
            .map(|bytes| encode(&bytes))
            .ok_or_else(|| format!("{VECTORS}/real/{}.json: {pointer} is not base64", self.name))
    }
}

/// A relying party and the challenge it issued, as one real payload's test had them.
struct Ceremony {
    rp_id: String,
    origin: String,
    challenge: String,
}

impl Ceremony {
    fn read(vector: &Vector) -> Result<Self, String> {
        // `expected.origin` is one origin or a list of them; the first is the ceremony's.
        let origin = match vector.field("/expected/origin")? {
            Value::Array(origins) if !origins.is_empty() => vector.text("/expected/origin/0")?,
            _ => vector.text("/expected/origin")?,
        };
        Ok(Ceremony {
            rp_id: vector.text("/expected/rp_id")?,
            origin,
            challenge: vector.text("/expected/challenge_b64url")?,
        })
    }

    fn relying_party(&self) -> Option<RelyingParty> {
        let id = RpId::parse(&self.rp_id).ok()?;
        RelyingParty::new(id, "Fuzz", vec![Origin::parse(&self.origin).ok()?]).ok()
    }

    fn challenge(&self) -> Option<Challenge> {
        Challenge::from_base64url(&self.challenge).ok()
    }

    fn rp_id_hash(&self) -> Option<[u8; 32]> {
        RpId::parse(&self.rp_id).ok().map(|id| id.hash())
    }

    /// A clientDataJSON this ceremony accepts.
    fn client_data_json(&self, ceremony_type: &str) -> String {
        json!({"type": ceremony_type, "challenge": self.challenge, "origin": self.origin})
            .to_string()
    }
}

/// A credential the relying party stored, with the ceremony that asks it to sign.
struct Credential {
    ceremony: Ceremony,
    id: String,
    cose_key: String,
    sign_count: u32,
}

impl Credential {
    fn read(vector: &Vector) -> Result<Self, String> {
        let sign_count = vector
            .field("/credential/sign_count")?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| {
                format!(
                    "{VECTORS}/real/{}.json: /credential/sign_count is not a u32",
                    vector.name
                )
            })?;
        Ok(Credential {
            ceremony: Ceremony::read(vector)?,
            id: vector.text("/credential/id")?,
            cose_key: vector.text("/credential/public_key_cose_b64url")?,
            sign_count,
        })
    }
}

/// A real assertion's parts (unpadded base64url), verified with other authenticator data or keys.
struct Captured {
    client_data_json: String,
    signature: String,
    authenticator_data: String,
}

impl Captured {
    fn read(vector: &Vector) -> Result<Self, String> {
        Ok(Captured {
            client_data_json: vector.base64url("/response/response/clientDataJSON")?,
            signature: vector.base64url("/response/response/signature")?,
            authenticator_data: vector.base64url("/response/response/authenticatorData")?,
        })
    }
}

/// What the targets verify against, read from the embedded vector files.
struct Fixtures {
    /// One per [`REGISTRATION_VECTORS`] file, in order.
    registrations: Vec<Ceremony>,
    /// One per [`CREDENTIAL_VECTORS`] file, in order.
    credentials: Vec<Credential>,
    /// The real assertion of the first credential.
    captured: Captured,
}

fn load_fixtures() -> &'static Result<Fixtures, String> {
    static FIXTURES: OnceLock<Result<Fixtures, String>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let registrations = REGISTRATION_VECTORS
            .into_iter()
            .map(|file| Ceremony::read(&Vector::parse(file)?))
            .collect::<Result<Vec<_>, String>>()?;
        let authentications = CREDENTIAL_VECTORS
            .into_iter()
            .map(Vector::parse)
            .collect::<Result<Vec<_>, String>>()?;
        let credentials = authentications
            .iter()
            .map(Credential::read)
            .collect::<Result<Vec<_>, String>>()?;
        let captured = Captured::read(&authentications[0])?;
        Ok(Fixtures {
            registrations,
            credentials,
            captured,
        })
    })
}

/// The fixtures, once read; `None` only if a vector file lacks a field (see [`fixtures_problem`]).
fn fixtures() -> Option<&'static Fixtures> {
    load_fixtures().as_ref().ok()
}

/// Why the ceremonies, credentials and captured assertion could not be read from the vector
/// files, if they could not (the targets would then verify nothing; the replay test checks this).
pub fn fixtures_problem() -> Option<&'static str> {
    load_fixtures().as_ref().err().map(String::as_str)
}

/// The verification time: 2020-12-09T14:27:15Z, when the Apple seed's certificates were valid.
fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_607_524_035)
}

/// The PEM text of every root the anchor vectors trust, in order: the Yubico U2F root, then the
/// Apple WebAuthn root.
pub fn anchor_pems() -> Result<Vec<String>, String> {
    let mut pems = Vec::new();
    for file in ANCHOR_VECTORS {
        let vector = Vector::parse(file)?;
        let roots = vector
            .field("/expected/trusted_root_certs_pem")?
            .as_array()
            .map_or(0, Vec::len);
        if roots == 0 {
            return Err(format!(
                "{VECTORS}/real/{}.json: /expected/trusted_root_certs_pem is not a list of roots",
                vector.name
            ));
        }
        for i in 0..roots {
            pems.push(vector.text(&format!("/expected/trusted_root_certs_pem/{i}"))?);
        }
    }
    Ok(pems)
}

/// The trust anchors every registration is verified with, so chains can be found trusted.
///
/// Built at first use from [`anchor_pems`]; the replay test checks that both roots made it in.
pub fn trust_anchors() -> &'static TrustAnchors {
    static ANCHORS: OnceLock<TrustAnchors> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        let mut anchors = TrustAnchors::new();
        for pem in anchor_pems().unwrap_or_default() {
            // Both are valid roots; a failure would only leave the set smaller (the replay test catches it).
            let _ = anchors.add_pem(&pem);
        }
        anchors
    })
}

/// Which part of a vector file a seed is.
#[derive(Clone, Copy, Debug)]
enum Part {
    /// The `response` member as JSON, compact, members in the file's order.
    Response,
    /// `response.response.attestationObject`, decoded.
    AttestationObject,
    /// `response.response.authenticatorData`, decoded.
    AuthenticatorData,
    /// `credential.public_key_cose_b64url` (the stored credential's COSE key), decoded.
    CoseKey,
}

/// One seed and where it comes from: `real/<vector>.json` under [`VECTORS`].
struct SeedSource {
    target: &'static str,
    name: &'static str,
    vector: &'static str,
    part: Part,
}

const SEED_SOURCES: [SeedSource; 10] = [
    SeedSource {
        target: "registration",
        name: "seed-none-es256-firefox-android.json",
        vector: "SimpleWebAuthn/none-es256-firefox-android",
        part: Part::Response,
    },
    SeedSource {
        target: "registration",
        name: "seed-packed-x5c-yubikey-firefox.json",
        vector: "py_webauthn/packed-x5c-yubikey-firefox",
        part: Part::Response,
    },
    SeedSource {
        target: "registration",
        name: "seed-apple-touchid-anonymous.json",
        vector: "webauthn-rs/apple-touchid-anonymous",
        part: Part::Response,
    },
    SeedSource {
        target: "registration",
        name: "seed-fido-u2f-yubikey5-zero-challenge.attestation-object.cbor",
        vector: "webauthn-rs/fido-u2f-yubikey5-zero-challenge",
        part: Part::AttestationObject,
    },
    SeedSource {
        target: "registration",
        name: "seed-none-icloud-keychain-be-bs.attestation-object.cbor",
        vector: "webauthn-rs/none-icloud-keychain-be-bs",
        part: Part::AttestationObject,
    },
    SeedSource {
        target: "assertion",
        name: "seed-auth-es256-counter-143.json",
        vector: "SimpleWebAuthn/auth-es256-counter-143",
        part: Part::Response,
    },
    SeedSource {
        target: "assertion",
        name: "seed-auth-es256-counter-143.authenticator-data.bin",
        vector: "SimpleWebAuthn/auth-es256-counter-143",
        part: Part::AuthenticatorData,
    },
    SeedSource {
        target: "assertion",
        name: "seed-auth-es256-counter-143.cose-key.cbor",
        vector: "SimpleWebAuthn/auth-es256-counter-143",
        part: Part::CoseKey,
    },
    SeedSource {
        target: "assertion",
        name: "seed-auth-ed25519.json",
        vector: "py_webauthn/auth-ed25519",
        part: Part::Response,
    },
    SeedSource {
        target: "assertion",
        name: "seed-auth-windows-hello-rs256.json",
        vector: "webauthn-rs/auth-windows-hello-rs256",
        part: Part::Response,
    },
];

/// A seed for a fuzz target: `corpus/<target>/<name>` holds `bytes` once `./seed-corpus` has run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seed {
    pub target: &'static str,
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// Every seed of every target, taken from the vector files under `vectors` (normally [`VECTORS`]).
///
/// `./seed-corpus` writes these to `corpus/`; `tests/replay.rs` runs the targets over them in
/// memory. A missing or unreadable file is an error that says where the data belongs.
pub fn seeds(vectors: &Path) -> Result<Vec<Seed>, String> {
    SEED_SOURCES
        .iter()
        .map(|source| {
            let path = vectors.join("real").join(format!("{}.json", source.vector));
            let text = std::fs::read_to_string(&path).map_err(|e| {
                format!(
                    "cannot read {} ({e}): the WebAuthn vectors belong at ../shared/data/webauthn-vectors \
                     beside the project checkout ({}); they are not committed into this repository",
                    path.display(),
                    vectors.display()
                )
            })?;
            let bytes = extract(&text, source.part)
                .map_err(|e| format!("{}: {e} (for seed {})", path.display(), source.name))?;
            Ok(Seed {
                target: source.target,
                name: source.name,
                bytes,
            })
        })
        .collect()
}

/// The `part` of a vector file's text.
fn extract(text: &str, part: Part) -> Result<Vec<u8>, String> {
    let pointer = match part {
        Part::Response => {
            // Read the member as written, so the seed keeps the file's member order.
            let members: BTreeMap<String, &RawValue> =
                serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))?;
            let response = members.get("response").ok_or("no `response` member")?;
            return Ok(compact_json(response.get()).into_bytes());
        }
        Part::AttestationObject => "/response/response/attestationObject",
        Part::AuthenticatorData => "/response/response/authenticatorData",
        Part::CoseKey => "/credential/public_key_cose_b64url",
    };
    let vector: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    vector
        .pointer(pointer)
        .and_then(Value::as_str)
        .and_then(keybound_webauthn::encoding::decode)
        .ok_or_else(|| format!("`{pointer}` is missing or not base64"))
}

/// Valid JSON text with the whitespace between tokens removed (strings kept byte for byte).
fn compact_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

/// Fuzz target `registration`: arbitrary bytes as response JSON, then as an attestation object.
///
/// Returns how many readings verified, so the replay test can tell that seeds reach the end.
pub fn registration(data: &[u8]) -> usize {
    let Some(fixtures) = fixtures() else {
        return 0;
    };
    let mut verified = 0;
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(response) = RegistrationResponse::from_json(text) {
            verified += usize::from(verify_registration(fixtures, &response));
        }
    }
    // The bytes as the attestation object of a well-formed response. Parse once to learn the
    // credential id and RP ID hash, then again with the id and clientDataJSON that match them.
    let Ok(first) =
        RegistrationResponse::from_json(&registration_json(data, &[0], &fixtures.registrations[0]))
    else {
        return verified;
    };
    let ceremony = registration_ceremony(fixtures, first.authenticator_data().rp_id_hash);
    let id = first.credential().credential_id.as_bytes();
    if let Ok(response) = RegistrationResponse::from_json(&registration_json(data, id, ceremony)) {
        verified += usize::from(verify_registration(fixtures, &response));
    }
    verified
}

fn registration_json(attestation_object: &[u8], id: &[u8], ceremony: &Ceremony) -> String {
    let id = encode(id);
    json!({
        "id": id, "rawId": id, "type": "public-key",
        "response": {
            "clientDataJSON": encode(ceremony.client_data_json("webauthn.create").as_bytes()),
            "attestationObject": encode(attestation_object),
        },
        "clientExtensionResults": {},
    })
    .to_string()
}

/// The registration ceremony whose RP ID hash is `rp_id_hash`, else the first.
fn registration_ceremony(fixtures: &Fixtures, rp_id_hash: [u8; 32]) -> &Ceremony {
    fixtures
        .registrations
        .iter()
        .find(|c| c.rp_id_hash() == Some(rp_id_hash))
        .unwrap_or(&fixtures.registrations[0])
}

fn verify_registration(fixtures: &Fixtures, response: &RegistrationResponse) -> bool {
    let ceremony = registration_ceremony(fixtures, response.authenticator_data().rp_id_hash);
    let (Some(rp), Some(challenge)) = (ceremony.relying_party(), ceremony.challenge()) else {
        return false;
    };
    let state =
        RegistrationState::new(challenge).with_user_verification(UserVerification::Discouraged);
    let Ok(verified) = response.verify(&rp, state, trust_anchors(), now()) else {
        return false;
    };
    // What a relying party stores must read back as the same key, ready to verify.
    let key = verified.public_key();
    assert_eq!(
        CoseKey::from_cbor(&key.to_cbor()).as_ref(),
        Ok(key),
        "a verified key re-encodes to itself"
    );
    assert!(
        CredentialPublicKey::new(key.clone()).is_ok(),
        "a verified key can be prepared"
    );
    true
}

/// Fuzz target `assertion`: arbitrary bytes as response JSON, as authenticator data and as a COSE key.
///
/// Returns how many readings verified, so the replay test can tell that seeds reach the end.
pub fn assertion(data: &[u8]) -> usize {
    let Some(fixtures) = fixtures() else {
        return 0;
    };
    let mut verified = 0;
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(response) = AuthenticationResponse::from_json(text) {
            verified += usize::from(verify_assertion(fixtures, &response, None));
        }
    }
    if let Ok(parsed) = AuthenticatorData::parse(data) {
        // Parsing then encoding gives a normal form that parses back to itself.
        let normal = parsed.to_bytes();
        let again = AuthenticatorData::parse(&normal).map(|a| a.to_bytes());
        assert_eq!(
            again.as_ref(),
            Ok(&normal),
            "re-encoded authenticator data is stable"
        );
    }
    // The bytes as the authenticator data of the captured assertion: only the captured bytes verify.
    if let Ok(response) =
        AuthenticationResponse::from_json(&assertion_json(fixtures, &encode(data)))
    {
        let accepted = verify_assertion(fixtures, &response, None);
        verified += usize::from(accepted);
        let captured = keybound_webauthn::encoding::decode(&fixtures.captured.authenticator_data);
        assert!(
            !accepted || captured.as_deref() == Some(data),
            "altered authenticator data verified"
        );
    }
    if let Ok(key) = CoseKey::from_cbor(data) {
        assert_eq!(
            CoseKey::from_cbor(&key.to_cbor()).as_ref(),
            Ok(&key),
            "a COSE key re-encodes to itself"
        );
        // The captured assertion verifies under its own key only.
        if let (Some((captured, real)), Ok(prepared)) =
            (captured(fixtures), CredentialPublicKey::new(key.clone()))
        {
            let accepted = verify_assertion(fixtures, captured, Some(&prepared));
            verified += usize::from(accepted);
            assert!(
                !accepted || *real == key,
                "an assertion verified under another key"
            );
        }
    }
    verified
}

/// The first credential's real assertion, parsed, and its key.
fn captured(fixtures: &Fixtures) -> Option<&'static (AuthenticationResponse, CoseKey)> {
    static CAPTURED: OnceLock<Option<(AuthenticationResponse, CoseKey)>> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let response = AuthenticationResponse::from_json(&assertion_json(
                fixtures,
                &fixtures.captured.authenticator_data,
            ))
            .ok()?;
            let key = CoseKey::from_cbor(&keybound_webauthn::encoding::decode(
                &fixtures.credentials[0].cose_key,
            )?)
            .ok()?;
            Some((response, key))
        })
        .as_ref()
}

/// A response carrying `auth_data` (base64url) with the captured clientDataJSON and signature of the first credential.
fn assertion_json(fixtures: &Fixtures, auth_data: &str) -> String {
    let id = &fixtures.credentials[0].id;
    json!({
        "id": id, "rawId": id, "type": "public-key",
        "response": {
            "clientDataJSON": fixtures.captured.client_data_json,
            "authenticatorData": auth_data,
            "signature": fixtures.captured.signature,
        },
    })
    .to_string()
}

/// Verifies against the stored credential the response names (or the first), with `key` in place of its own.
fn verify_assertion(
    fixtures: &Fixtures,
    response: &AuthenticationResponse,
    key: Option<&CredentialPublicKey>,
) -> bool {
    let credential = fixtures
        .credentials
        .iter()
        .find(|c| CredentialId::from_base64url(&c.id).as_ref() == Ok(response.credential_id()))
        .unwrap_or(&fixtures.credentials[0]);
    let stored_key = keybound_webauthn::encoding::decode(&credential.cose_key)
        .and_then(|bytes| CredentialPublicKey::from_cbor(&bytes).ok());
    let (Some(rp), Some(challenge), Ok(id), Some(stored_key)) = (
        credential.ceremony.relying_party(),
        credential.ceremony.challenge(),
        CredentialId::from_base64url(&credential.id),
        stored_key,
    ) else {
        return false;
    };
    let stored = StoredCredential {
        id: &id,
        public_key: key.unwrap_or(&stored_key),
        sign_count: credential.sign_count,
        user_handle: None,
        backup_eligible: response.authenticator_data().flags.backup_eligible(),
    };
    let state =
        AuthenticationState::new(challenge).with_user_verification(UserVerification::Discouraged);
    response.verify(&rp, state, &stored).is_ok()
}
