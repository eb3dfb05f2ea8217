//! `android-key` (§8.4): a credential key made in Android Keystore (Keymaster or
//! KeyMint), certified by a certificate whose key attestation extension
//! describes the key and carries this registration's clientDataHash.

use x509_parser::asn1_rs::{Any, Class, FromDer, Tag};

use super::{bad_certificate, malformed, AttestationFormat, AttestationType, Statement, Verified};
use crate::cose::CoseAlgorithm;
use crate::error::Error;
use crate::x509;

const FORMAT: AttestationFormat = AttestationFormat::AndroidKey;

/// The Android key attestation extension (KeyDescription).
const KEY_DESCRIPTION_OID: &str = "1.3.6.1.4.1.11129.2.1.17";

/// AuthorizationList tags (Keymaster/KeyMint `Tag` numbers, as EXPLICIT context tags).
const KM_TAG_PURPOSE: u32 = 1;
const KM_TAG_ALL_APPLICATIONS: u32 = 600;
const KM_TAG_ORIGIN: u32 = 702;

/// `KeyOrigin::GENERATED`: the key was made inside Keystore and never left it.
const KM_ORIGIN_GENERATED: i64 = 0;
/// `KeyPurpose::SIGN`.
const KM_PURPOSE_SIGN: i64 = 2;

/// How many fields of KeyDescription are defined (later versions may append more).
const KEY_DESCRIPTION_FIELDS: usize = 8;
/// More entries than any AuthorizationList has ever defined tags for; a bound on work, not a rule.
const MAX_AUTHORIZATIONS: usize = 256;

pub(crate) fn verify(statement: &Statement<'_>) -> Result<Verified, Error> {
    // Step 1: attStmt is {alg, sig, x5c}.
    let alg_id = statement.alg(FORMAT)?;
    let sig = statement.bytes(FORMAT, "sig")?;
    let x5c = statement.x5c(FORMAT)?.ok_or_else(|| {
        malformed(
            FORMAT,
            "`x5c` is missing; an android-key statement must carry the Keystore certificate chain"
                .into(),
        )
    })?;
    let alg = CoseAlgorithm::from_id(alg_id).ok_or(Error::UnsupportedAlgorithm { alg: alg_id })?;
    let leaf = x509::parse(&x5c[0]).map_err(|e| bad_certificate(FORMAT, e))?;
    let key = x509::public_key(&leaf).map_err(|e| bad_certificate(FORMAT, format!("{e:?}")))?;

    // Step 2: sig is over authenticatorData ‖ clientDataHash, by x5c[0]'s key with alg.
    if !key.verify(alg.scheme(), &statement.signed_data(), sig) {
        return Err(Error::AttestationSignature { format: FORMAT });
    }

    // Step 3: the certificate is for the credential key itself.
    if &key != statement.credential.public_key.public_key() {
        return Err(Error::AttestationKeyMismatch { format: FORMAT });
    }

    // Steps 4–5: the key description binds this registration and describes a fit key.
    let extension = x509::extension_value(&leaf, KEY_DESCRIPTION_OID).ok_or_else(|| {
        bad_certificate(
            FORMAT,
            format!(
                "the credential certificate lacks the Android key attestation extension ({KEY_DESCRIPTION_OID})"
            ),
        )
    })?;
    check_key_description(extension, statement.client_data_hash)?;

    // Step 6.
    Ok(Verified {
        attestation_type: AttestationType::Basic,
        trust_path: x5c,
    })
}

/// Steps 4–5 on the DER contents of the key attestation extension.
fn check_key_description(der: &[u8], client_data_hash: &[u8; 32]) -> Result<(), Error> {
    let description = KeyDescription::parse(der).map_err(|e| {
        bad_certificate(
            FORMAT,
            format!("the key attestation extension ({KEY_DESCRIPTION_OID}) is not a valid KeyDescription: {e}"),
        )
    })?;

    // Step 4: attestationChallenge is clientDataHash.
    if description.attestation_challenge != client_data_hash {
        return Err(Error::AttestationNonce {
            format: FORMAT,
            detail: "the certificate's attestationChallenge is not the clientDataHash of this registration".into(),
        });
    }

    // Step 5a: allApplications on neither list; the credential must be scoped to the RP ID.
    for (name, list) in description.lists() {
        if list
            .iter()
            .any(|entry| entry.tag == KM_TAG_ALL_APPLICATIONS)
        {
            return Err(Error::AttestationPolicy {
                format: FORMAT,
                detail: format!(
                    "the key may be used by every application on the device (allApplications, tag {KM_TAG_ALL_APPLICATIONS}, is in {name}); a credential must be scoped to its RP ID"
                ),
            });
        }
    }

    // Step 5b: origin and purpose, from the union of softwareEnforced and
    // hardwareEnforced. We accept keys whose properties only the software
    // enforces (software-backed Keystore, older or emulated devices): whether
    // that is trustworthy is decided by the chain — software attestation roots
    // are distinct from hardware ones — and the caller's policy, not here.
    //
    // A tag that is absent asserts nothing and is not held against the key:
    // every real Keystore writes origin and purpose, while the W3C test vector
    // (spec/android-key-es256) has two empty lists. A tag that is present must
    // carry the right value, on whichever list it is.
    let entries = || description.lists().into_iter().flat_map(|(_, list)| list);
    for entry in entries().filter(|e| e.tag == KM_TAG_ORIGIN) {
        match entry.integer() {
            Some(KM_ORIGIN_GENERATED) => {}
            Some(origin) => {
                return Err(Error::AttestationPolicy {
                    format: FORMAT,
                    detail: format!(
                        "the key was not generated in the device's Keystore (origin is {origin}, not KM_ORIGIN_GENERATED = 0); it may have been imported or derived"
                    ),
                })
            }
            None => {
                return Err(bad_certificate(
                    FORMAT,
                    format!("the key description's origin (tag {KM_TAG_ORIGIN}) is not a small INTEGER"),
                ))
            }
        }
    }
    let mut purposes = Vec::new();
    for entry in entries().filter(|e| e.tag == KM_TAG_PURPOSE) {
        purposes.extend(entry.integer_set().ok_or_else(|| {
            bad_certificate(
                FORMAT,
                format!(
                    "the key description's purpose (tag {KM_TAG_PURPOSE}) is not a SET OF INTEGER"
                ),
            )
        })?);
    }
    let purpose_listed = entries().any(|e| e.tag == KM_TAG_PURPOSE);
    if purpose_listed && !purposes.contains(&Some(KM_PURPOSE_SIGN)) {
        return Err(Error::AttestationPolicy {
            format: FORMAT,
            detail: format!(
                "the key may not sign (its purposes are {}; KM_PURPOSE_SIGN = 2 is missing)",
                purposes
                    .iter()
                    .map(|p| p.map_or_else(|| "(out of range)".to_owned(), |p| p.to_string()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
    Ok(())
}

/// The parts of KeyDescription the verification procedure reads.
///
/// ```text
/// KeyDescription ::= SEQUENCE {
///     attestationVersion         INTEGER,
///     attestationSecurityLevel   SecurityLevel,   -- ENUMERATED
///     keyMintVersion             INTEGER,
///     keyMintSecurityLevel       SecurityLevel,
///     attestationChallenge       OCTET STRING,
///     uniqueId                   OCTET STRING,
///     softwareEnforced           AuthorizationList,
///     hardwareEnforced           AuthorizationList,
/// }
/// ```
struct KeyDescription<'a> {
    attestation_challenge: &'a [u8],
    software_enforced: Vec<Authorization<'a>>,
    hardware_enforced: Vec<Authorization<'a>>,
}

impl<'a> KeyDescription<'a> {
    fn parse(der: &'a [u8]) -> Result<Self, String> {
        let sequence = read_only(der, "KeyDescription")?;
        expect_universal(&sequence, Tag::Sequence, "KeyDescription")?;
        let fields = read_all(sequence.data, KEY_DESCRIPTION_FIELDS + 8, "KeyDescription")?;
        if fields.len() < KEY_DESCRIPTION_FIELDS {
            return Err(format!(
                "it has {} fields; at least {KEY_DESCRIPTION_FIELDS} are required",
                fields.len()
            ));
        }
        let expected = [
            (Tag::Integer, "attestationVersion"),
            (Tag::Enumerated, "attestationSecurityLevel"),
            (Tag::Integer, "keyMintVersion"),
            (Tag::Enumerated, "keyMintSecurityLevel"),
            (Tag::OctetString, "attestationChallenge"),
            (Tag::OctetString, "uniqueId"),
            (Tag::Sequence, "softwareEnforced"),
            (Tag::Sequence, "hardwareEnforced"),
        ];
        for (field, (tag, name)) in fields.iter().zip(expected) {
            expect_universal(field, tag, name)?;
        }
        Ok(KeyDescription {
            attestation_challenge: fields[4].data,
            software_enforced: Authorization::parse_list(fields[6].data, "softwareEnforced")?,
            hardware_enforced: Authorization::parse_list(fields[7].data, "hardwareEnforced")?,
        })
    }

    fn lists(&self) -> [(&'static str, &[Authorization<'a>]); 2] {
        [
            ("softwareEnforced", &self.software_enforced),
            ("hardwareEnforced", &self.hardware_enforced),
        ]
    }
}

/// One AuthorizationList entry: `[tag] EXPLICIT value`.
struct Authorization<'a> {
    tag: u32,
    value: Any<'a>,
}

impl<'a> Authorization<'a> {
    /// Reads the entries of an AuthorizationList (a SEQUENCE's contents); unknown tags are kept and ignored.
    fn parse_list(content: &'a [u8], name: &str) -> Result<Vec<Self>, String> {
        read_all(content, MAX_AUTHORIZATIONS, name)?
            .into_iter()
            .map(|entry| {
                if entry.class() != Class::ContextSpecific || !entry.header.is_constructed() {
                    return Err(format!(
                        "{name} holds an entry that is not an EXPLICIT context-specific tag"
                    ));
                }
                let tag = entry.tag().0;
                let value = read_only(entry.data, &format!("{name} tag {tag}"))?;
                Ok(Authorization { tag, value })
            })
            .collect()
    }

    /// The value as an INTEGER that fits in an `i64`.
    fn integer(&self) -> Option<i64> {
        small_integer(&self.value)
    }

    /// The value as a SET OF INTEGER; members too large for an `i64` are `None`.
    fn integer_set(&self) -> Option<Vec<Option<i64>>> {
        if self.value.class() != Class::Universal || self.value.tag() != Tag::Set {
            return None;
        }
        let members = read_all(self.value.data, MAX_AUTHORIZATIONS, "SET OF INTEGER").ok()?;
        members
            .iter()
            .map(|m| {
                (m.class() == Class::Universal && m.tag() == Tag::Integer && !m.data.is_empty())
                    .then(|| small_integer(m))
            })
            .collect()
    }
}

/// An INTEGER or ENUMERATED (two's complement, big-endian) that fits in an `i64`.
fn small_integer(any: &Any<'_>) -> Option<i64> {
    if any.class() != Class::Universal || !matches!(any.tag(), Tag::Integer | Tag::Enumerated) {
        return None;
    }
    let bytes = any.data;
    let first = *bytes.first()?;
    if bytes.len() > 8 {
        return None;
    }
    let start: i64 = if first & 0x80 != 0 { -1 } else { 0 };
    Some(
        bytes
            .iter()
            .fold(start, |acc, b| (acc << 8) | i64::from(*b)),
    )
}

/// Reads exactly one DER object that fills `input`.
fn read_only<'a>(input: &'a [u8], what: &str) -> Result<Any<'a>, String> {
    match Any::from_der(input) {
        Ok(([], any)) => Ok(any),
        Ok((rest, _)) => Err(format!("{} bytes follow the {what}", rest.len())),
        Err(e) => Err(format!("the {what} is not DER: {e}")),
    }
}

/// Reads the consecutive DER objects that fill `input` (a constructed object's contents), at most `limit`.
fn read_all<'a>(mut input: &'a [u8], limit: usize, what: &str) -> Result<Vec<Any<'a>>, String> {
    let mut items = Vec::new();
    while !input.is_empty() {
        if items.len() == limit {
            return Err(format!("the {what} has more than {limit} entries"));
        }
        let (rest, any) =
            Any::from_der(input).map_err(|e| format!("an entry of the {what} is not DER: {e}"))?;
        input = rest;
        items.push(any);
    }
    Ok(items)
}

fn expect_universal(any: &Any<'_>, tag: Tag, name: &str) -> Result<(), String> {
    if any.class() == Class::Universal && any.tag() == tag {
        Ok(())
    } else {
        Err(format!(
            "{name} has tag {:?} {}, not universal {}",
            any.class(),
            any.tag().0,
            tag.0
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    use ciborium::Value as Cbor;
    use serde_json::{json, Value};

    use super::*;
    use crate::crypto::{sha256, PublicKey};
    use crate::{
        encoding, Challenge, Origin, RegistrationResponse, RegistrationState, RelyingParty, RpId,
        TrustAnchors, UserVerification, VerifiedRegistration,
    };

    const VECTORS: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/webauthn-vectors/"
    );

    /// Reads a vector file; a missing file fails the test and says where the data belongs.
    fn load(relative: &str) -> Value {
        let path = format!("{VECTORS}{relative}");
        assert!(
            std::path::Path::new(&path).is_file(),
            "WebAuthn test vector `{relative}` is missing: expected it at {path} \
             (the shared/data/webauthn-vectors folder beside the project checkout)"
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    /// Parses an RFC 3339 time (the vectors' are UTC), to the millisecond.
    fn rfc3339(text: &str) -> SystemTime {
        let time =
            ::time::OffsetDateTime::parse(text, &::time::format_description::well_known::Rfc3339)
                .unwrap();
        let millis = time.unix_timestamp_nanos() / 1_000_000;
        UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap())
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// What an RP expects of one registration.
    struct Expected {
        rp_id: String,
        origins: Vec<String>,
        challenge_b64url: String,
        time: SystemTime,
    }

    impl Expected {
        fn of_real(file: &Value) -> Self {
            let e = &file["expected"];
            let origins = match &e["origin"] {
                Value::Array(list) => list
                    .iter()
                    .map(|o| o.as_str().unwrap().to_owned())
                    .collect(),
                one => vec![one.as_str().unwrap().to_owned()],
            };
            Expected {
                rp_id: e["rp_id"].as_str().unwrap().into(),
                origins,
                challenge_b64url: e["challenge_b64url"].as_str().unwrap().into(),
                // Android Key has no timestamps of its own; without a recorded time any will do.
                time: e["verification_time"]
                    .as_str()
                    .map_or_else(SystemTime::now, rfc3339),
            }
        }

        fn of_spec(file: &Value) -> Self {
            Expected {
                rp_id: file["rp_id"].as_str().unwrap().into(),
                origins: vec![file["origin"].as_str().unwrap().into()],
                challenge_b64url: encoding::encode(&hex(file["registration"]["challenge"]
                    .as_str()
                    .unwrap())),
                time: rfc3339("2025-06-01T00:00:00Z"),
            }
        }
    }

    fn register(response: &Value, expected: &Expected) -> Result<VerifiedRegistration, Error> {
        let origins = expected
            .origins
            .iter()
            .map(|o| Origin::parse(o).unwrap())
            .collect();
        let rp = RelyingParty::new(RpId::parse(&expected.rp_id).unwrap(), "test", origins).unwrap();
        let state =
            RegistrationState::new(Challenge::from_base64url(&expected.challenge_b64url).unwrap())
                .with_user_verification(UserVerification::Discouraged);
        RegistrationResponse::from_json(&serde_json::to_string(response).unwrap())?.verify(
            &rp,
            state,
            &TrustAnchors::new(),
            expected.time,
        )
    }

    fn spec_response(file: &Value) -> Value {
        let reg = &file["registration"];
        let id = reg["credential_id_b64url"].clone();
        json!({
            "id": id, "rawId": id, "type": "public-key",
            "response": {
                "clientDataJSON": reg["clientDataJSON_b64url"],
                "attestationObject": reg["attestationObject_b64url"],
            },
            "clientExtensionResults": {},
        })
    }

    /// The attestation object's entries, decoded.
    fn attestation_object(response: &Value) -> Vec<(Cbor, Cbor)> {
        let bytes =
            encoding::decode(response["response"]["attestationObject"].as_str().unwrap()).unwrap();
        match ciborium::from_reader::<Cbor, _>(&bytes[..]).unwrap() {
            Cbor::Map(entries) => entries,
            other => unreachable!("attestation object is {other:?}"),
        }
    }

    /// Rewrites the attestation object: `edit` gets attStmt's entries and authData.
    fn edit(response: &Value, edit: impl FnOnce(&mut Vec<(Cbor, Cbor)>, &mut Vec<u8>)) -> Value {
        let mut entries = attestation_object(response);
        let mut auth_data = Vec::new();
        for (k, v) in &entries {
            if let (Some("authData"), Cbor::Bytes(b)) = (k.as_text(), v) {
                auth_data.clone_from(b);
            }
        }
        let mut statement = None;
        for (k, v) in &mut entries {
            if let (Some("attStmt"), Cbor::Map(m)) = (k.as_text(), v) {
                statement = Some(m);
            }
        }
        edit(statement.unwrap(), &mut auth_data);
        for (k, v) in &mut entries {
            if k.as_text() == Some("authData") {
                *v = Cbor::Bytes(auth_data.clone());
            }
        }
        let mut out = Vec::new();
        ciborium::into_writer(&Cbor::Map(entries), &mut out).unwrap();
        let mut edited = response.clone();
        edited["response"]["attestationObject"] = json!(encoding::encode(&out));
        edited
    }

    fn field<'a>(statement: &'a mut [(Cbor, Cbor)], name: &str) -> &'a mut Cbor {
        &mut statement
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some(name))
            .unwrap()
            .1
    }

    fn x5c(response: &Value) -> Vec<Vec<u8>> {
        let entries = attestation_object(response);
        let (_, Cbor::Map(statement)) = entries
            .iter()
            .find(|(k, _)| k.as_text() == Some("attStmt"))
            .unwrap()
        else {
            unreachable!()
        };
        let (_, Cbor::Array(certs)) = statement
            .iter()
            .find(|(k, _)| k.as_text() == Some("x5c"))
            .unwrap()
        else {
            unreachable!()
        };
        certs
            .iter()
            .map(|c| c.as_bytes().unwrap().clone())
            .collect()
    }

    const REAL: [&str; 6] = [
        "real/SimpleWebAuthn/android-key-fido-conformance-2020.json",
        "real/SimpleWebAuthn/android-key-fido-conformance-a.json",
        "real/SimpleWebAuthn/android-key-galaxy-s9plus.json",
        "real/SimpleWebAuthn/android-key-pixel-8a.json",
        "real/py_webauthn/android-key-pixel-8a.json",
        "real/webauthn-rs/android-key-software-webauthn-org.json",
    ];

    fn real_response(file: &Value) -> Value {
        let mut response = file["response"].clone();
        // webauthn-rs's test JSON names another credential than its authenticator data (its suite
        // never compares them); the engine refuses that before attestation, so use the real id.
        if file["derived"]["credential_id_matches_response_id"] == json!(false) {
            let id = file["derived"]["credential_id_b64url"].clone();
            response["id"] = id.clone();
            response["rawId"] = id;
        }
        response
    }

    #[test]
    fn w3c_vector_verifies() {
        let file = load("spec/android-key-es256.json");
        let response = spec_response(&file);
        let verified = register(&response, &Expected::of_spec(&file)).unwrap();
        assert_eq!(verified.format(), AttestationFormat::AndroidKey);
        assert_eq!(verified.attestation_type(), AttestationType::Basic);
        assert_eq!(verified.certificates(), x5c(&response).as_slice());
    }

    #[test]
    fn real_devices_verify() {
        for name in REAL {
            let file = load(name);
            let response = real_response(&file);
            let verified = register(&response, &Expected::of_real(&file))
                .unwrap_or_else(|e| unreachable!("{name}: {e} ({e:?})"));
            assert_eq!(verified.format(), AttestationFormat::AndroidKey, "{name}");
            assert_eq!(
                verified.attestation_type(),
                AttestationType::Basic,
                "{name}"
            );
            assert_eq!(verified.certificates(), x5c(&response).as_slice(), "{name}");
        }
    }

    #[test]
    fn bad_signature_is_refused() {
        let file = load("real/py_webauthn/android-key-pixel-8a.json");
        let response = edit(&real_response(&file), |statement, _| {
            let Cbor::Bytes(sig) = field(statement, "sig") else {
                unreachable!()
            };
            let last = sig.len() - 1;
            sig[last] ^= 0x01;
        });
        assert_eq!(
            register(&response, &Expected::of_real(&file)).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
    }

    #[test]
    fn changed_client_data_breaks_the_signature() {
        // The challenge is right for the RP, but the statement was signed over other client data.
        let file = load("spec/android-key-es256.json");
        let mut response = spec_response(&file);
        let mut expected = Expected::of_spec(&file);
        let (client_data, _) = with_new_challenge(&response, &mut expected);
        response["response"]["clientDataJSON"] = json!(encoding::encode(&client_data));
        assert_eq!(
            register(&response, &expected).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
    }

    /// clientDataJSON with another challenge, which `expected` is changed to; and its hash.
    fn with_new_challenge(response: &Value, expected: &mut Expected) -> (Vec<u8>, [u8; 32]) {
        let original =
            encoding::decode(response["response"]["clientDataJSON"].as_str().unwrap()).unwrap();
        let mut client_data: Value = serde_json::from_slice(&original).unwrap();
        let challenge = encoding::encode(&[0x5a; 32]);
        client_data["challenge"] = json!(challenge);
        expected.challenge_b64url = challenge;
        let bytes = serde_json::to_vec(&client_data).unwrap();
        let hash = sha256(&bytes);
        (bytes, hash)
    }

    /// The W3C vector's credential key, which is also its attestation key (android-key certifies it).
    fn spec_signer(file: &Value, response: &Value) -> EcdsaKeyPair {
        let private = hex(file["registration"]["credential_private_key"]
            .as_str()
            .unwrap());
        let leaf = x5c(response).remove(0);
        let PublicKey::Ec { point, .. } = x509::public_key(&x509::parse(&leaf).unwrap()).unwrap()
        else {
            unreachable!("the spec vector's key is EC")
        };
        EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &private,
            &point,
        )
        .unwrap()
    }

    #[test]
    fn challenge_not_in_certificate_is_refused() {
        // Re-signed with the right key over new client data: only the certificate's
        // attestationChallenge (the old clientDataHash) betrays the substitution.
        let file = load("spec/android-key-es256.json");
        let response = spec_response(&file);
        let signer = spec_signer(&file, &response);
        let mut expected = Expected::of_spec(&file);
        let (client_data, hash) = with_new_challenge(&response, &mut expected);
        let mut response = edit(&response, |statement, auth_data| {
            let mut signed = auth_data.clone();
            signed.extend_from_slice(&hash);
            let sig = signer.sign(&SystemRandom::new(), &signed).unwrap();
            *field(statement, "sig") = Cbor::Bytes(sig.as_ref().to_vec());
        });
        response["response"]["clientDataJSON"] = json!(encoding::encode(&client_data));
        let err = register(&response, &expected).unwrap_err();
        assert!(
            matches!(err, Error::AttestationNonce { format: FORMAT, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn certificate_for_another_key_is_refused() {
        // authData names a fresh credential key; the statement is validly signed by the
        // certificate's key, which is not that credential key.
        let file = load("spec/android-key-es256.json");
        let response = spec_response(&file);
        let signer = spec_signer(&file, &response);
        let client_data =
            encoding::decode(response["response"]["clientDataJSON"].as_str().unwrap()).unwrap();
        let other = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).unwrap();
        let point = other.public_key().as_ref().to_vec();
        let response = edit(&response, |statement, auth_data| {
            let id_len = usize::from(u16::from_be_bytes([auth_data[53], auth_data[54]]));
            let key_start = 55 + id_len;
            let mut rest = &auth_data[key_start..];
            let _: Cbor = ciborium::from_reader(&mut rest).unwrap();
            let key_end = auth_data.len() - rest.len();
            let cose = Cbor::Map(vec![
                (Cbor::from(1), Cbor::from(2)),
                (Cbor::from(3), Cbor::from(-7)),
                (Cbor::from(-1), Cbor::from(1)),
                (Cbor::from(-2), Cbor::Bytes(point[1..33].to_vec())),
                (Cbor::from(-3), Cbor::Bytes(point[33..].to_vec())),
            ]);
            let mut encoded = Vec::new();
            ciborium::into_writer(&cose, &mut encoded).unwrap();
            auth_data.splice(key_start..key_end, encoded);
            let mut signed = auth_data.clone();
            signed.extend_from_slice(&sha256(&client_data));
            let sig = signer.sign(&SystemRandom::new(), &signed).unwrap();
            *field(statement, "sig") = Cbor::Bytes(sig.as_ref().to_vec());
        });
        assert_eq!(
            register(&response, &Expected::of_spec(&file)).unwrap_err(),
            Error::AttestationKeyMismatch { format: FORMAT }
        );
    }

    #[test]
    fn statement_fields_are_required() {
        let file = load("real/SimpleWebAuthn/android-key-pixel-8a.json");
        let expected = Expected::of_real(&file);
        let base = real_response(&file);
        for name in ["alg", "sig", "x5c"] {
            let response = edit(&base, |statement, _| {
                statement.retain(|(k, _)| k.as_text() != Some(name))
            });
            let err = register(&response, &expected).unwrap_err();
            assert!(
                matches!(err, Error::AttestationMalformed { format: FORMAT, .. }),
                "{name}: {err:?}"
            );
        }
        let response = edit(&base, |statement, _| {
            *field(statement, "alg") = Cbor::from(-4242)
        });
        assert_eq!(
            register(&response, &expected).unwrap_err(),
            Error::UnsupportedAlgorithm { alg: -4242 }
        );
        // An intermediate in the leaf's place: its key did not sign.
        let response = edit(&base, |statement, _| {
            let Cbor::Array(certs) = field(statement, "x5c") else {
                unreachable!()
            };
            certs.remove(0);
        });
        assert_eq!(
            register(&response, &expected).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
    }

    #[test]
    fn truncated_statement_never_panics() {
        let file = load("real/SimpleWebAuthn/android-key-galaxy-s9plus.json");
        let expected = Expected::of_real(&file);
        let base = real_response(&file);
        let leaf = x5c(&base).remove(0);
        for len in (0..leaf.len()).step_by(7) {
            let response = edit(&base, |statement, _| {
                let Cbor::Array(certs) = field(statement, "x5c") else {
                    unreachable!()
                };
                certs[0] = Cbor::Bytes(leaf[..len].to_vec());
            });
            let err = register(&response, &expected).unwrap_err();
            assert!(
                matches!(err, Error::AttestationCertificate { .. }),
                "{len}: {err:?}"
            );
        }
    }

    // -- KeyDescription, on real and hand-made extensions.

    fn real_extension(response: &Value) -> Vec<u8> {
        let leaf = x5c(response).remove(0);
        let cert = x509::parse(&leaf).unwrap();
        x509::extension_value(&cert, KEY_DESCRIPTION_OID)
            .unwrap()
            .to_vec()
    }

    fn client_data_hash(response: &Value) -> [u8; 32] {
        sha256(&encoding::decode(response["response"]["clientDataJSON"].as_str().unwrap()).unwrap())
    }

    #[test]
    fn real_key_descriptions_parse() {
        for name in REAL {
            let response = real_response(&load(name));
            let hash = client_data_hash(&response);
            check_key_description(&real_extension(&response), &hash)
                .unwrap_or_else(|e| unreachable!("{name}: {e}"));
            let mut other = hash;
            other[0] ^= 1;
            let err = check_key_description(&real_extension(&response), &other).unwrap_err();
            assert!(
                matches!(err, Error::AttestationNonce { .. }),
                "{name}: {err:?}"
            );
        }
    }

    fn der(tag: &[u8], content: &[u8]) -> Vec<u8> {
        let mut out = tag.to_vec();
        match content.len() {
            len @ 0..=0x7f => out.push(len as u8),
            len @ 0x80..=0xff => out.extend([0x81, len as u8]),
            len => out.extend([0x82, (len >> 8) as u8, len as u8]),
        }
        out.extend_from_slice(content);
        out
    }

    /// `[tag] EXPLICIT inner`, in high-tag-number form from 31 up.
    fn explicit(tag: u32, inner: &[u8]) -> Vec<u8> {
        if tag < 31 {
            return der(&[0xa0 | tag as u8], inner);
        }
        let mut digits = vec![(tag & 0x7f) as u8];
        let mut rest = tag >> 7;
        while rest > 0 {
            digits.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        digits.push(0xbf);
        digits.reverse();
        der(&digits, inner)
    }

    fn int(value: u8) -> Vec<u8> {
        if value & 0x80 != 0 {
            der(&[0x02], &[0, value])
        } else {
            der(&[0x02], &[value])
        }
    }

    fn set_of(values: &[u8]) -> Vec<u8> {
        der(
            &[0x31],
            &values.iter().flat_map(|v| int(*v)).collect::<Vec<_>>(),
        )
    }

    fn key_description(challenge: &[u8], software: &[Vec<u8>], hardware: &[Vec<u8>]) -> Vec<u8> {
        let body = [
            int(200),
            der(&[0x0a], &[1]),
            int(200),
            der(&[0x0a], &[1]),
            der(&[0x04], challenge),
            der(&[0x04], &[]),
            der(&[0x30], &software.concat()),
            der(&[0x30], &hardware.concat()),
        ]
        .concat();
        der(&[0x30], &body)
    }

    const HASH: [u8; 32] = [7; 32];

    fn purpose(values: &[u8]) -> Vec<u8> {
        explicit(KM_TAG_PURPOSE, &set_of(values))
    }

    fn origin(value: u8) -> Vec<u8> {
        explicit(KM_TAG_ORIGIN, &int(value))
    }

    fn all_applications() -> Vec<u8> {
        explicit(KM_TAG_ALL_APPLICATIONS, &der(&[0x05], &[]))
    }

    fn policy(result: Result<(), Error>) -> String {
        match result {
            Err(Error::AttestationPolicy { detail, .. }) => detail,
            other => unreachable!("expected a policy failure, got {other:?}"),
        }
    }

    #[test]
    fn hand_made_descriptions() {
        let check = |software: &[Vec<u8>], hardware: &[Vec<u8>]| {
            check_key_description(&key_description(&HASH, software, hardware), &HASH)
        };
        // A hardware key, with tags the engine does not know (a low one, a high one, a huge one).
        let unknown = [
            explicit(10, &int(3)),
            explicit(9999, &der(&[0x05], &[])),
            explicit(0x0fff_ffff, &int(1)),
        ];
        check(&unknown, &[purpose(&[2, 3]), origin(0)]).unwrap();
        // Software-enforced properties count (the union of both lists).
        check(&[purpose(&[2]), origin(0)], &[]).unwrap();
        check(&[purpose(&[2])], &[purpose(&[3]), origin(0)]).unwrap();
        // Absent origin and purpose assert nothing (the W3C vector's empty lists).
        check(&[], &[]).unwrap();

        assert!(
            policy(check(&[all_applications()], &[purpose(&[2]), origin(0)]))
                .contains("allApplications")
        );
        assert!(
            policy(check(&[], &[purpose(&[2]), origin(0), all_applications()]))
                .contains("hardwareEnforced")
        );
        assert!(policy(check(&[], &[purpose(&[2]), origin(2)])).contains("origin is 2"));
        assert!(policy(check(&[origin(0)], &[purpose(&[2]), origin(1)])).contains("origin is 1"));
        assert!(policy(check(&[], &[purpose(&[0, 3]), origin(0)])).contains("0, 3"));
        assert!(policy(check(&[purpose(&[])], &[origin(0)])).contains("KM_PURPOSE_SIGN"));

        let err = check_key_description(&key_description(&[7; 31], &[], &[]), &HASH).unwrap_err();
        assert!(matches!(err, Error::AttestationNonce { .. }), "{err:?}");
    }

    #[test]
    fn malformed_descriptions_are_certificate_errors() {
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("empty", Vec::new()),
            ("not a sequence", der(&[0x31], &[])),
            (
                "too few fields",
                der(&[0x30], &[int(1), der(&[0x0a], &[0])].concat()),
            ),
            (
                "trailing bytes",
                [key_description(&HASH, &[], &[]), vec![0]].concat(),
            ),
            (
                "origin not an integer",
                key_description(&HASH, &[], &[explicit(KM_TAG_ORIGIN, &der(&[0x04], &[0]))]),
            ),
            (
                "origin too large",
                key_description(
                    &HASH,
                    &[],
                    &[explicit(KM_TAG_ORIGIN, &der(&[0x02], &[1; 9]))],
                ),
            ),
            (
                "purpose not a set",
                key_description(&HASH, &[explicit(KM_TAG_PURPOSE, &int(2))], &[]),
            ),
            (
                "purpose member not an integer",
                key_description(
                    &HASH,
                    &[explicit(KM_TAG_PURPOSE, &der(&[0x31], &der(&[0x05], &[])))],
                    &[],
                ),
            ),
            (
                "implicit entry",
                key_description(&HASH, &[der(&[0x81], &[2])], &[]),
            ),
            ("universal entry", key_description(&HASH, &[int(2)], &[])),
            (
                "two values in one entry",
                key_description(
                    &HASH,
                    &[explicit(KM_TAG_ORIGIN, &[int(0), int(0)].concat())],
                    &[],
                ),
            ),
            (
                "challenge not an octet string",
                der(
                    &[0x30],
                    &[
                        int(1),
                        der(&[0x0a], &[0]),
                        int(1),
                        der(&[0x0a], &[0]),
                        int(7),
                        der(&[0x04], &[]),
                        der(&[0x30], &[]),
                        der(&[0x30], &[]),
                    ]
                    .concat(),
                ),
            ),
            ("indefinite length", vec![0x30, 0x80, 0x00, 0x00]),
        ];
        for (name, bytes) in cases {
            let err = check_key_description(&bytes, &HASH).unwrap_err();
            assert!(
                matches!(err, Error::AttestationCertificate { .. }),
                "{name}: {err:?}"
            );
        }
    }

    #[test]
    fn damaged_descriptions_never_panic() {
        let mut samples = vec![key_description(
            &HASH,
            &[purpose(&[2]), explicit(9999, &int(5)), origin(0)],
            &[all_applications(), explicit(0x0fff_ffff, &int(1))],
        )];
        for name in REAL {
            samples.push(real_extension(&real_response(&load(name))));
        }
        for sample in samples {
            for len in 0..sample.len() {
                assert!(
                    check_key_description(&sample[..len], &HASH).is_err(),
                    "prefix {len}"
                );
            }
            for i in 0..sample.len() {
                for flip in [0x01, 0x80, 0xff] {
                    let mut damaged = sample.clone();
                    damaged[i] ^= flip;
                    let _ = check_key_description(&damaged, &HASH);
                }
            }
        }
    }
}
