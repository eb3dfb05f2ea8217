//! `android-safetynet` (§8.5): a Google SafetyNet attestation, a JWS that
//! Google's servers sign over a nonce the platform derives from this
//! registration. Google has shut SafetyNet down, but old registrations and
//! conformance tests still carry it.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::{Map, Value as Json};

use super::{bad_certificate, malformed, AttestationFormat, AttestationType, Statement, Verified};
use crate::crypto::{sha256, Hash, PublicKey, SignatureScheme};
use crate::encoding;
use crate::error::Error;
use crate::x509;

const FORMAT: AttestationFormat = AttestationFormat::AndroidSafetyNet;

/// The host name the signing certificate must be issued to.
const ATTESTATION_HOSTNAME: &str = "attest.android.com";

/// How far `timestampMs` may lie from the verification time, either way.
///
/// Google stamps the response when it signs it, which the platform asks for
/// at the end of `create()`, after the user has acted; a genuine response
/// therefore reaches the relying party within seconds. Sixty seconds covers
/// network delay and ordinary clock skew between Google and the relying party
/// (in the future direction too: the RP's clock may run behind), while a
/// captured response becomes useless a minute later. It is also the window
/// SimpleWebAuthn and py_webauthn use, so results agree with theirs.
///
/// A response outside the window fails as [`Error::AttestationNonce`]: like
/// the nonce, the timestamp is what ties the statement to this ceremony, and
/// a replayed old response is what it catches.
const FRESHNESS_MS: i128 = 60_000;

/// At most this many certificates in the JWS `x5c`; a bound on work, not a rule.
const MAX_CERTIFICATES: usize = 16;

pub(crate) fn verify(statement: &Statement<'_>) -> Result<Verified, Error> {
    // Step 1: attStmt is {ver, response}.
    let ver = statement.text(FORMAT, "ver")?;
    if ver.is_empty() {
        return Err(malformed(
            FORMAT,
            "`ver` is empty; it must name the SafetyNet (Google Play services) version".into(),
        ));
    }
    let response = statement.bytes(FORMAT, "response")?;

    // Step 3's nonce: base64(SHA-256(authenticatorData ‖ clientDataHash)), padded.
    let nonce = STANDARD.encode(sha256(&statement.signed_data()));
    // Steps 2–4, on the response (`ver` names no other format yet).
    let trust_path = verify_response(response, &nonce, statement.now)?;

    // Step 5.
    Ok(Verified {
        attestation_type: AttestationType::Basic,
        trust_path,
    })
}

/// Verifies the JWS `response` against the `expected_nonce` at `now`; returns its certificates (DER, leaf first).
fn verify_response(
    response: &[u8],
    expected_nonce: &str,
    now: SystemTime,
) -> Result<Vec<Vec<u8>>, Error> {
    let jws = Jws::parse(response)?;

    // Step 2: a SafetyNet response is a JWS signed by its x5c[0]…
    let leaf_der = jws
        .certificates
        .first()
        .ok_or_else(|| malformed(FORMAT, "the JWS header's `x5c` is empty".into()))?;
    let leaf =
        x509::parse(leaf_der).map_err(|e| bad_certificate(FORMAT, format!("JWS x5c[0]: {e}")))?;
    let key = x509::public_key(&leaf).map_err(|e| bad_certificate(FORMAT, format!("{e:?}")))?;
    if !jws.signature_verifies(&key) {
        return Err(Error::AttestationSignature { format: FORMAT });
    }
    // Step 4: …which Google issued to attest.android.com (the chain itself is judged in crate::trust).
    check_hostname(&leaf)?;

    let payload = jws.payload()?;
    // Step 3: the response was made for this registration.
    let nonce = match payload.get("nonce") {
        Some(Json::String(nonce)) => nonce,
        Some(_) => {
            return Err(malformed(
                FORMAT,
                "the JWS payload's `nonce` is not a string".into(),
            ))
        }
        None => return Err(malformed(FORMAT, "the JWS payload has no `nonce`".into())),
    };
    if nonce != expected_nonce {
        return Err(Error::AttestationNonce {
            format: FORMAT,
            detail: "the SafetyNet nonce is not base64 of SHA-256(authenticatorData ‖ clientDataHash) of this registration".into(),
        });
    }

    // Step 4 (Level 2 lists it on its own): the device passed Android's compatibility test.
    match payload.get("ctsProfileMatch") {
        Some(Json::Bool(true)) => {}
        Some(Json::Bool(false)) => {
            return Err(Error::AttestationPolicy {
                format: FORMAT,
                detail: "ctsProfileMatch is false: the device failed Android's compatibility test (rooted, modified or uncertified)".into(),
            })
        }
        Some(_) => {
            return Err(malformed(
                FORMAT,
                "the JWS payload's `ctsProfileMatch` is not a boolean".into(),
            ))
        }
        None => {
            return Err(Error::AttestationPolicy {
                format: FORMAT,
                detail: "the JWS payload has no ctsProfileMatch, so the device is not known to pass Android's compatibility test".into(),
            })
        }
    }

    // Step 4, Google's documented checks: the response is fresh (see FRESHNESS_MS).
    let timestamp = match payload.get("timestampMs").and_then(Json::as_i64) {
        Some(ms) => i128::from(ms),
        None => {
            return Err(malformed(
                FORMAT,
                "the JWS payload's `timestampMs` is missing or not an integer".into(),
            ))
        }
    };
    let now_ms = unix_millis(now);
    if timestamp.saturating_sub(now_ms) > FRESHNESS_MS {
        return Err(Error::AttestationNonce {
            format: FORMAT,
            detail: format!(
                "the SafetyNet response is dated {} s after the verification time (at most {} s allowed); check the server clock",
                timestamp.saturating_sub(now_ms) / 1000,
                FRESHNESS_MS / 1000
            ),
        });
    }
    if now_ms.saturating_sub(timestamp) > FRESHNESS_MS {
        return Err(Error::AttestationNonce {
            format: FORMAT,
            detail: format!(
                "the SafetyNet response was made {} s before the verification time (at most {} s allowed); it is stale or replayed",
                now_ms.saturating_sub(timestamp) / 1000,
                FRESHNESS_MS / 1000
            ),
        });
    }
    Ok(jws.certificates)
}

/// The leaf must be issued to attest.android.com: a SAN dNSName, or the subject CN.
fn check_hostname(leaf: &x509_parser::prelude::X509Certificate<'_>) -> Result<(), Error> {
    let is_host = |name: &str| name.eq_ignore_ascii_case(ATTESTATION_HOSTNAME);
    let in_san = match leaf.subject_alternative_name() {
        Ok(Some(san)) => san.value.general_names.iter().any(|name| {
            matches!(name, x509_parser::extensions::GeneralName::DNSName(dns) if is_host(dns))
        }),
        Ok(None) => false,
        Err(e) => {
            return Err(bad_certificate(
                FORMAT,
                format!("the JWS signing certificate's subjectAltName is malformed: {e}"),
            ))
        }
    };
    let in_cn = leaf
        .subject()
        .iter_common_name()
        .any(|cn| cn.as_str().is_ok_and(is_host));
    if in_san || in_cn {
        Ok(())
    } else {
        Err(bad_certificate(
            FORMAT,
            format!(
                "the JWS is signed by a certificate for {}, not for {ATTESTATION_HOSTNAME}",
                x509::subject(leaf)
            ),
        ))
    }
}

/// A JWS in compact serialization, split and decoded, not yet verified.
struct Jws<'a> {
    /// `BASE64URL(header) . BASE64URL(payload)`, the signed bytes.
    signing_input: &'a [u8],
    payload: Vec<u8>,
    signature: Vec<u8>,
    alg: JwsAlgorithm,
    /// The header's `x5c`, DER, leaf first; never empty.
    certificates: Vec<Vec<u8>>,
}

impl<'a> Jws<'a> {
    fn parse(response: &'a [u8]) -> Result<Self, Error> {
        let text = std::str::from_utf8(response)
            .map_err(|_| malformed(FORMAT, "`response` is not UTF-8 text (a JWS)".into()))?;
        let parts: Vec<&str> = text.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err(malformed(
                FORMAT,
                format!(
                    "`response` is not a compact JWS: it has {} dot-separated parts, not 3",
                    parts.len()
                ),
            ));
        };
        let signing_input = response
            .get(..header.len() + 1 + payload.len())
            .unwrap_or_default();
        let decode = |part: &str, name: &str| {
            if part.is_empty() {
                return Err(malformed(FORMAT, format!("the JWS {name} is empty")));
            }
            encoding::decode(part)
                .ok_or_else(|| malformed(FORMAT, format!("the JWS {name} is not base64url")))
        };
        let header = json_object(&decode(header, "header")?, "header")?;
        let payload = decode(payload, "payload")?;
        let signature = decode(signature, "signature")?;

        let alg = match header.get("alg") {
            Some(Json::String(name)) => JwsAlgorithm::from_name(name).ok_or_else(|| {
                malformed(
                    FORMAT,
                    format!("JWS alg `{name}` is not supported (RS256, ES256, PS256 and their SHA-384/512 forms are)"),
                )
            })?,
            _ => return Err(malformed(FORMAT, "the JWS header has no `alg` string".into())),
        };
        if header.contains_key("crit") {
            return Err(malformed(
                FORMAT,
                "the JWS header lists critical extensions (`crit`), which SafetyNet never uses"
                    .into(),
            ));
        }
        let Some(Json::Array(x5c)) = header.get("x5c") else {
            return Err(malformed(
                FORMAT,
                "the JWS header has no `x5c` array".into(),
            ));
        };
        if x5c.is_empty() || x5c.len() > MAX_CERTIFICATES {
            return Err(malformed(
                FORMAT,
                format!(
                    "the JWS header's `x5c` has {} certificates; 1 to {MAX_CERTIFICATES} are allowed",
                    x5c.len()
                ),
            ));
        }
        let certificates = x5c
            .iter()
            .map(|entry| {
                entry.as_str().and_then(encoding::decode).ok_or_else(|| {
                    malformed(FORMAT, "a JWS `x5c` entry is not a base64 string".into())
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Jws {
            signing_input,
            payload,
            signature,
            alg,
            certificates,
        })
    }

    fn signature_verifies(&self, key: &PublicKey) -> bool {
        match self.alg {
            JwsAlgorithm::Scheme(scheme) => key.verify(scheme, self.signing_input, &self.signature),
            // JWS ECDSA signatures are r ‖ s (RFC 7518 §3.4); the verifier reads ASN.1.
            JwsAlgorithm::Ecdsa(hash) => {
                let PublicKey::Ec { curve, .. } = key else {
                    return false;
                };
                ecdsa_fixed_to_der(&self.signature, curve.coordinate_len()).is_some_and(|der| {
                    key.verify(SignatureScheme::Ecdsa(hash), self.signing_input, &der)
                })
            }
        }
    }

    fn payload(&self) -> Result<Map<String, Json>, Error> {
        json_object(&self.payload, "payload")
    }
}

/// A JWS `alg` (RFC 7518 §3.1) the engine verifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum JwsAlgorithm {
    /// The signature is in the form the scheme's verifier reads.
    Scheme(SignatureScheme),
    /// ECDSA with a fixed-width `r ‖ s` signature.
    Ecdsa(Hash),
}

impl JwsAlgorithm {
    fn from_name(name: &str) -> Option<Self> {
        use JwsAlgorithm::{Ecdsa, Scheme};
        Some(match name {
            "RS256" => Scheme(SignatureScheme::RsaPkcs1(Hash::Sha256)),
            "RS384" => Scheme(SignatureScheme::RsaPkcs1(Hash::Sha384)),
            "RS512" => Scheme(SignatureScheme::RsaPkcs1(Hash::Sha512)),
            "PS256" => Scheme(SignatureScheme::RsaPss(Hash::Sha256)),
            "PS384" => Scheme(SignatureScheme::RsaPss(Hash::Sha384)),
            "PS512" => Scheme(SignatureScheme::RsaPss(Hash::Sha512)),
            "ES256" => Ecdsa(Hash::Sha256),
            "ES384" => Ecdsa(Hash::Sha384),
            "ES512" => Ecdsa(Hash::Sha512),
            _ => return None,
        })
    }
}

/// Re-encodes a fixed-width ECDSA signature `r ‖ s` as `SEQUENCE { r INTEGER, s INTEGER }`.
fn ecdsa_fixed_to_der(signature: &[u8], coordinate_len: usize) -> Option<Vec<u8>> {
    if signature.len() != 2 * coordinate_len {
        return None;
    }
    let (r, s) = signature.split_at(coordinate_len);
    let mut body = der_positive_integer(r);
    body.extend(der_positive_integer(s));
    let mut out = vec![0x30];
    out.extend(der_length(body.len()));
    out.extend(body);
    Some(out)
}

/// DER INTEGER of an unsigned big-endian value.
fn der_positive_integer(value: &[u8]) -> Vec<u8> {
    let first = value.iter().position(|b| *b != 0).unwrap_or(value.len());
    let digits = value.get(first..).unwrap_or_default();
    let pad = digits.first().is_none_or(|b| b & 0x80 != 0);
    let mut out = vec![0x02];
    out.extend(der_length(digits.len() + usize::from(pad)));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
    out
}

fn der_length(len: usize) -> Vec<u8> {
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => vec![short],
        Ok(one) => vec![0x81, one],
        Err(_) => {
            let bytes = len.to_be_bytes();
            let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
            let digits = bytes.get(first..).unwrap_or_default();
            let mut out = vec![0x80 | digits.len() as u8];
            out.extend_from_slice(digits);
            out
        }
    }
}

fn json_object(bytes: &[u8], name: &str) -> Result<Map<String, Json>, Error> {
    match serde_json::from_slice(bytes) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(malformed(
            FORMAT,
            format!("the JWS {name} is not a JSON object"),
        )),
        Err(e) => Err(malformed(
            FORMAT,
            format!("the JWS {name} is not JSON: {e}"),
        )),
    }
}

/// Milliseconds since the Unix epoch (negative before it).
fn unix_millis(time: SystemTime) -> i128 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i128::try_from(after.as_millis()).unwrap_or(i128::MAX),
        Err(before) => -i128::try_from(before.duration().as_millis()).unwrap_or(i128::MAX),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    use ciborium::Value as Cbor;
    use serde_json::{json, Value};

    use super::*;
    use crate::crypto::Curve;
    use crate::{
        Challenge, Origin, RegistrationResponse, RegistrationState, RelyingParty, RpId,
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

    #[test]
    fn rfc3339_helper() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), UNIX_EPOCH);
        assert_eq!(
            rfc3339("2019-10-01T00:00:42Z"),
            UNIX_EPOCH + Duration::from_secs(1_569_888_042)
        );
        assert_eq!(
            rfc3339("2025-06-09T20:40:42.989Z"),
            UNIX_EPOCH + Duration::from_millis(1_749_501_642_989)
        );
        assert_eq!(
            rfc3339("2000-02-29T12:00:00+00:00"),
            UNIX_EPOCH + Duration::from_secs(951_825_600)
        );
    }

    const WEBAUTHN_IO: &str = "real/webauthn-rs/android-safetynet-webauthn-io.json";
    const CTS_FALSE: &str = "real/SimpleWebAuthn/android-safetynet-cts-false.json";
    const Y2019: &str = "real/SimpleWebAuthn/android-safetynet-2019.json";
    const Y2021: &str = "real/py_webauthn/android-safetynet-2021.json";
    const GSR1_REVOKED: &str = "real/SimpleWebAuthn/android-safetynet-gsr1-revoked.json";

    fn expected_time(file: &Value) -> SystemTime {
        rfc3339(file["expected"]["verification_time"].as_str().unwrap())
    }

    /// The instant Google stamped the response with (`timestampMs`).
    fn jws_time(file: &Value) -> SystemTime {
        UNIX_EPOCH
            + Duration::from_millis(
                file["derived"]["safetynet"]["timestampMs"]
                    .as_u64()
                    .unwrap(),
            )
    }

    fn register_with(
        file: &Value,
        response: &Value,
        challenge_b64url: &str,
        now: SystemTime,
    ) -> Result<VerifiedRegistration, Error> {
        let e = &file["expected"];
        let origins = match &e["origin"] {
            Value::Array(list) => list
                .iter()
                .map(|o| Origin::parse(o.as_str().unwrap()).unwrap())
                .collect(),
            one => vec![Origin::parse(one.as_str().unwrap()).unwrap()],
        };
        let rp = RelyingParty::new(
            RpId::parse(e["rp_id"].as_str().unwrap()).unwrap(),
            "test",
            origins,
        )
        .unwrap();
        let state = RegistrationState::new(Challenge::from_base64url(challenge_b64url).unwrap())
            .with_user_verification(UserVerification::Discouraged);
        RegistrationResponse::from_json(&serde_json::to_string(response).unwrap())?.verify(
            &rp,
            state,
            &TrustAnchors::new(),
            now,
        )
    }

    fn register(
        file: &Value,
        response: &Value,
        now: SystemTime,
    ) -> Result<VerifiedRegistration, Error> {
        register_with(
            file,
            response,
            file["expected"]["challenge_b64url"].as_str().unwrap(),
            now,
        )
    }

    fn attestation_object(response: &Value) -> Vec<(Cbor, Cbor)> {
        let bytes =
            encoding::decode(response["response"]["attestationObject"].as_str().unwrap()).unwrap();
        match ciborium::from_reader::<Cbor, _>(&bytes[..]).unwrap() {
            Cbor::Map(entries) => entries,
            other => unreachable!("attestation object is {other:?}"),
        }
    }

    /// Rewrites attStmt's entries.
    type Entries = Vec<(Cbor, Cbor)>;

    fn edit(response: &Value, edit: impl Fn(&mut Entries)) -> Value {
        let mut entries = attestation_object(response);
        for (k, v) in &mut entries {
            if let (Some("attStmt"), Cbor::Map(statement)) = (k.as_text(), v) {
                edit(statement);
            }
        }
        let mut out = Vec::new();
        ciborium::into_writer(&Cbor::Map(entries), &mut out).unwrap();
        let mut edited = response.clone();
        edited["response"]["attestationObject"] = json!(encoding::encode(&out));
        edited
    }

    /// The attStmt `response` (the JWS text).
    fn jws_of(response: &Value) -> String {
        let entries = attestation_object(response);
        let (_, Cbor::Map(statement)) = entries
            .iter()
            .find(|(k, _)| k.as_text() == Some("attStmt"))
            .unwrap()
        else {
            unreachable!()
        };
        let (_, Cbor::Bytes(jws)) = statement
            .iter()
            .find(|(k, _)| k.as_text() == Some("response"))
            .unwrap()
        else {
            unreachable!()
        };
        String::from_utf8(jws.clone()).unwrap()
    }

    fn with_jws(response: &Value, jws: &[u8]) -> Value {
        edit(response, |statement| {
            for (k, v) in statement.iter_mut() {
                if k.as_text() == Some("response") {
                    *v = Cbor::Bytes(jws.to_vec());
                }
            }
        })
    }

    /// Rewrites the JWS payload JSON, keeping the original header and signature.
    fn with_payload(response: &Value, change: impl FnOnce(&mut Value)) -> Value {
        let jws = jws_of(response);
        let parts: Vec<&str> = jws.split('.').collect();
        let mut payload: Value =
            serde_json::from_slice(&encoding::decode(parts[1]).unwrap()).unwrap();
        change(&mut payload);
        let payload = encoding::encode(&serde_json::to_vec(&payload).unwrap());
        with_jws(
            response,
            format!("{}.{payload}.{}", parts[0], parts[2]).as_bytes(),
        )
    }

    fn nonce_error(result: Result<VerifiedRegistration, Error>) -> String {
        match result {
            Err(Error::AttestationNonce {
                format: FORMAT,
                detail,
            }) => detail,
            Err(other) => unreachable!("expected a nonce failure, got {other:?}"),
            Ok(_) => unreachable!("expected a nonce failure, got success"),
        }
    }

    fn assert_verified(name: &str, file: &Value, now: SystemTime) {
        let verified = register(file, &file["response"], now)
            .unwrap_or_else(|e| unreachable!("{name}: {e} ({e:?})"));
        assert_eq!(verified.format(), FORMAT, "{name}");
        assert_eq!(
            verified.attestation_type(),
            AttestationType::Basic,
            "{name}"
        );
        // The trust path is the JWS certificate chain.
        let fingerprints: Vec<String> = verified
            .certificates()
            .iter()
            .map(|der| sha256(der).iter().map(|b| format!("{b:02x}")).collect())
            .collect();
        let recorded: Vec<String> = file["derived"]["safetynet"]["jws_x5c"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["sha256"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(fingerprints, recorded, "{name}");
    }

    #[test]
    fn webauthn_io_verifies_at_its_time() {
        // webauthn-rs refuses SafetyNet wholesale (AttestationNotSupported); we verify it.
        let file = load(WEBAUTHN_IO);
        assert_verified(WEBAUTHN_IO, &file, expected_time(&file));
    }

    #[test]
    fn cts_profile_mismatch_is_refused() {
        let file = load(CTS_FALSE);
        match register(&file, &file["response"], expected_time(&file)) {
            Err(Error::AttestationPolicy {
                format: FORMAT,
                detail,
            }) => assert!(detail.contains("ctsProfileMatch"), "{detail}"),
            other => unreachable!("{other:?}"),
        }
    }

    /// Suites that switch freshness off (`safetynet_timestamp_check: false`) recorded a
    /// verification time far from the JWS timestamp. The engine has no such switch, so at
    /// that time the response is stale (or, for 2021, from the future); at the moment Google
    /// signed it, the statement verifies.
    #[test]
    fn suites_without_freshness_verify_at_the_jws_time() {
        for name in [Y2019, Y2021, GSR1_REVOKED] {
            let file = load(name);
            assert_eq!(
                file["expected"]["safetynet_timestamp_check"],
                json!(false),
                "{name}"
            );
            let detail = nonce_error(register(&file, &file["response"], expected_time(&file)));
            assert!(detail.contains("SafetyNet response"), "{name}: {detail}");
            // The GSR1 case's intermediate is revoked by CRL; the engine does no I/O, so the
            // statement verifies and revocation is left to the caller's metadata policy.
            assert_verified(name, &file, jws_time(&file));
        }
    }

    #[test]
    fn y2019_today_is_stale() {
        // The 2019 file's variant: freshness on, verification time now.
        let file = load(Y2019);
        let detail = nonce_error(register(&file, &file["response"], SystemTime::now()));
        assert!(detail.contains("before the verification time"), "{detail}");
    }

    #[test]
    fn freshness_window_is_sixty_seconds_each_way() {
        let file = load(WEBAUTHN_IO);
        let stamped = jws_time(&file);
        let second = Duration::from_secs(1);
        for now in [stamped, stamped + 60 * second, stamped - 60 * second] {
            register(&file, &file["response"], now).unwrap();
        }
        let late = nonce_error(register(&file, &file["response"], stamped + 61 * second));
        assert!(late.contains("61 s before"), "{late}");
        let early = nonce_error(register(&file, &file["response"], stamped - 61 * second));
        assert!(early.contains("61 s after"), "{early}");
    }

    #[test]
    fn nonce_for_other_client_data_is_refused() {
        // Same JWS, other clientDataJSON (whose challenge the RP expects): the nonce no longer matches.
        let file = load(WEBAUTHN_IO);
        let mut response = file["response"].clone();
        let original =
            encoding::decode(response["response"]["clientDataJSON"].as_str().unwrap()).unwrap();
        let mut client_data: Value = serde_json::from_slice(&original).unwrap();
        let challenge = encoding::encode(&[0x33; 32]);
        client_data["challenge"] = json!(challenge);
        response["response"]["clientDataJSON"] =
            json!(encoding::encode(&serde_json::to_vec(&client_data).unwrap()));
        let detail = nonce_error(register_with(
            &file,
            &response,
            &challenge,
            expected_time(&file),
        ));
        assert!(detail.contains("nonce"), "{detail}");
    }

    #[test]
    fn tampered_payload_is_refused() {
        let file = load(CTS_FALSE);
        let response = with_payload(&file["response"], |p| p["ctsProfileMatch"] = json!(true));
        assert_eq!(
            register(&file, &response, expected_time(&file)).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
        let file = load(WEBAUTHN_IO);
        let response = with_payload(&file["response"], |p| {
            p["timestampMs"] = json!(1_900_000_000_000_u64)
        });
        assert_eq!(
            register(&file, &response, expected_time(&file)).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
    }

    #[test]
    fn bad_signature_is_refused() {
        let file = load(WEBAUTHN_IO);
        let jws = jws_of(&file["response"]);
        let (signed, signature) = jws.rsplit_once('.').unwrap();
        let mut signature = encoding::decode(signature).unwrap();
        signature[10] ^= 0x40;
        let response = with_jws(
            &file["response"],
            format!("{signed}.{}", encoding::encode(&signature)).as_bytes(),
        );
        assert_eq!(
            register(&file, &response, expected_time(&file)).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
    }

    /// Replaces the JWS header (the signature no longer covers it, which is the point for some cases).
    fn with_header(response: &Value, header: &Value) -> Value {
        let jws = jws_of(response);
        let (_, rest) = jws.split_once('.').unwrap();
        let header = encoding::encode(&serde_json::to_vec(header).unwrap());
        with_jws(response, format!("{header}.{rest}").as_bytes())
    }

    fn original_header(response: &Value) -> Value {
        let jws = jws_of(response);
        serde_json::from_slice(&encoding::decode(jws.split('.').next().unwrap()).unwrap()).unwrap()
    }

    #[test]
    fn header_changes_are_refused() {
        let file = load(WEBAUTHN_IO);
        let now = expected_time(&file);
        let header = original_header(&file["response"]);
        assert_eq!(header["alg"], json!("RS256"));
        let malformed_with = |change: &dyn Fn(&mut Value)| {
            let mut h = header.clone();
            change(&mut h);
            match register(&file, &with_header(&file["response"], &h), now) {
                Err(Error::AttestationMalformed {
                    format: FORMAT,
                    detail,
                }) => detail,
                other => unreachable!("{other:?}"),
            }
        };
        assert!(malformed_with(&|h| h["alg"] = json!("none")).contains("`none`"));
        assert!(malformed_with(&|h| h["alg"] = json!("HS256")).contains("`HS256`"));
        assert!(malformed_with(&|h| {
            h.as_object_mut().unwrap().remove("alg");
        })
        .contains("alg"));
        assert!(malformed_with(&|h| {
            h.as_object_mut().unwrap().remove("x5c");
        })
        .contains("x5c"));
        assert!(malformed_with(&|h| h["x5c"] = json!([])).contains("x5c"));
        assert!(malformed_with(&|h| h["x5c"] = json!([42])).contains("x5c"));
        assert!(malformed_with(&|h| h["crit"] = json!(["b64"])).contains("crit"));
        // A header change that is well formed still breaks the signature.
        let mut h = header.clone();
        h["alg"] = json!("PS256");
        assert_eq!(
            register(&file, &with_header(&file["response"], &h), now).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
        // The intermediate in the leaf's place: not the signing key.
        let mut h = header.clone();
        h["x5c"].as_array_mut().unwrap().remove(0);
        assert_eq!(
            register(&file, &with_header(&file["response"], &h), now).unwrap_err(),
            Error::AttestationSignature { format: FORMAT }
        );
    }

    #[test]
    fn statement_fields_are_required() {
        let file = load(WEBAUTHN_IO);
        let now = expected_time(&file);
        let malformed_after = |change: &dyn Fn(&mut Entries)| {
            let err = register(&file, &edit(&file["response"], change), now).unwrap_err();
            assert!(
                matches!(err, Error::AttestationMalformed { format: FORMAT, .. }),
                "{err:?}"
            );
        };
        malformed_after(&|s| s.retain(|(k, _)| k.as_text() != Some("ver")));
        malformed_after(&|s| s.retain(|(k, _)| k.as_text() != Some("response")));
        malformed_after(&|s| {
            s.iter_mut()
                .filter(|(k, _)| k.as_text() == Some("ver"))
                .for_each(|(_, v)| *v = Cbor::Text(String::new()))
        });
        malformed_after(&|s| {
            s.iter_mut()
                .filter(|(k, _)| k.as_text() == Some("response"))
                .for_each(|(_, v)| *v = Cbor::Bytes(vec![0xff, 0xfe, 0x2e, 0x2e]))
        });
        malformed_after(&|s| {
            s.iter_mut()
                .filter(|(k, _)| k.as_text() == Some("response"))
                .for_each(|(_, v)| *v = Cbor::Text("a.b.c".into()))
        });
        let jws = jws_of(&file["response"]);
        for broken in [
            jws.replacen('.', "", 1),
            format!("{jws}.x"),
            jws.replace('.', ".."),
        ] {
            let err =
                register(&file, &with_jws(&file["response"], broken.as_bytes()), now).unwrap_err();
            assert!(
                matches!(err, Error::AttestationMalformed { format: FORMAT, .. }),
                "{err:?}"
            );
        }
    }

    #[test]
    fn leaf_must_be_attest_android_com() {
        let file = load(WEBAUTHN_IO);
        let header = original_header(&file["response"]);
        let certs: Vec<Vec<u8>> = header["x5c"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| encoding::decode(c.as_str().unwrap()).unwrap())
            .collect();
        check_hostname(&x509::parse(&certs[0]).unwrap()).unwrap();
        match check_hostname(&x509::parse(&certs[1]).unwrap()) {
            Err(Error::AttestationCertificate {
                format: FORMAT,
                detail,
            }) => {
                assert!(
                    detail.contains("GTS CA 1O1") && detail.contains(ATTESTATION_HOSTNAME),
                    "{detail}"
                )
            }
            other => unreachable!("{other:?}"),
        }
    }

    #[test]
    fn es256_signatures_are_raw_r_and_s() {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        let public = PublicKey::Ec {
            curve: Curve::P256,
            point: key.public_key().as_ref().to_vec(),
        };
        let header = encoding::encode(br#"{"alg":"ES256","x5c":["MAA="]}"#);
        let payload = encoding::encode(br#"{"nonce":"x"}"#);
        let signing_input = format!("{header}.{payload}");
        for _ in 0..16 {
            // Random signatures: some r or s have a high bit set or leading zeros.
            let signature = key
                .sign(&SystemRandom::new(), signing_input.as_bytes())
                .unwrap();
            let raw = signature.as_ref().to_vec();
            let jws = format!("{signing_input}.{}", encoding::encode(&raw));
            let parsed = Jws::parse(jws.as_bytes()).unwrap();
            assert_eq!(parsed.alg, JwsAlgorithm::Ecdsa(Hash::Sha256));
            assert!(parsed.signature_verifies(&public));
            let mut flipped = raw.clone();
            flipped[40] ^= 1;
            let jws = format!("{signing_input}.{}", encoding::encode(&flipped));
            assert!(!Jws::parse(jws.as_bytes())
                .unwrap()
                .signature_verifies(&public));
            let jws = format!("{signing_input}.{}", encoding::encode(&raw[..63]));
            assert!(!Jws::parse(jws.as_bytes())
                .unwrap()
                .signature_verifies(&public));
        }
        // The DER re-encoding itself.
        let mut fixed = [0u8; 64];
        fixed[31] = 1;
        fixed[32] = 0x80;
        let der = ecdsa_fixed_to_der(&fixed, 32).unwrap();
        assert_eq!(der[..7], [0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21]);
        assert_eq!(der[7..9], [0x00, 0x80]);
        assert_eq!(der_positive_integer(&[0, 0]), vec![0x02, 0x01, 0x00]);
        assert_eq!(der_length(200), vec![0x81, 200]);
        assert_eq!(der_length(0x1234), vec![0x82, 0x12, 0x34]);
        assert!(ecdsa_fixed_to_der(&fixed, 48).is_none());
    }

    #[test]
    fn damaged_responses_never_panic() {
        let file = load(Y2021);
        let jws = jws_of(&file["response"]).into_bytes();
        let now = jws_time(&file);
        let nonce = payload_nonce(&jws);
        assert!(verify_response(&jws, &nonce, now).is_ok());
        for len in 0..jws.len() {
            assert!(
                verify_response(&jws[..len], &nonce, now).is_err(),
                "prefix {len}"
            );
        }
        for i in (0..jws.len()).step_by(3) {
            for flip in [0x01, 0x20, 0x80] {
                let mut damaged = jws.clone();
                damaged[i] ^= flip;
                let _ = verify_response(&damaged, &nonce, now);
            }
        }
    }

    fn payload_nonce(jws: &[u8]) -> String {
        let text = std::str::from_utf8(jws).unwrap();
        let payload: Value =
            serde_json::from_slice(&encoding::decode(text.split('.').nth(1).unwrap()).unwrap())
                .unwrap();
        payload["nonce"].as_str().unwrap().to_owned()
    }
}
