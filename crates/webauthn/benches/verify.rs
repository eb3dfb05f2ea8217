//! Assertion verification throughput against the crypto ceiling, measured in one run.
//!
//! `cargo bench -p keybound-webauthn --bench verify`
//!
//! The ceiling is raw aws-lc-rs P-256 ECDSA verification with a pre-parsed key,
//! over a message of the size WebAuthn signs. The engine is measured two ways:
//! `verify` (a decoded response checked against its state and stored
//! credential: the work of a sign-in once the JSON is in hand) and
//! `parse+verify` (from `AuthenticationResponseJSON` text). Rounds alternate
//! between the three so a noisy machine affects them alike; the medians are
//! compared, and the ratio is the headline.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair, ParsedPublicKey};
use keybound_webauthn::encoding::encode;
use keybound_webauthn::{
    AuthenticationResponse, AuthenticationState, Challenge, CoseKey, CredentialId,
    CredentialPublicKey, Origin, RelyingParty, RpId, StoredCredential,
};

const ROUNDS: usize = 15;
const ROUND: Duration = Duration::from_millis(200);

/// Calls `op` repeatedly for `ROUND` and returns operations per second.
fn rate(mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < ROUND {
        for _ in 0..64 {
            op();
        }
        n += 64;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let rng = SystemRandom::new();
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
    let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref())
        .unwrap();
    let point = key.public_key().as_ref().to_vec();

    // A COSE key for the same public key.
    let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
    cose.extend(&point[1..33]);
    cose.extend([0x22, 0x58, 0x20]);
    cose.extend(&point[33..65]);
    let public_key = CredentialPublicKey::new(CoseKey::from_cbor(&cose).unwrap()).unwrap();

    let rp_id = RpId::parse("login.example.org").unwrap();
    let rp = RelyingParty::new(
        rp_id.clone(),
        "Bench",
        vec![Origin::parse("https://login.example.org").unwrap()],
    )
    .unwrap();
    let challenge = Challenge::random().unwrap();
    let credential_id = CredentialId::from_bytes(vec![7; 32]).unwrap();

    let mut auth_data = rp_id.hash().to_vec();
    auth_data.push(0x05); // UP | UV
    auth_data.extend(42u32.to_be_bytes());
    let client_data = format!(
        r#"{{"type":"webauthn.get","challenge":"{}","origin":"https://login.example.org","crossOrigin":false}}"#,
        challenge.to_base64url()
    );
    let mut signed = auth_data.clone();
    signed.extend(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, client_data.as_bytes()).as_ref(),
    );
    let sig = key.sign(&rng, &signed).unwrap().as_ref().to_vec();
    let json = serde_json::json!({
        "id": credential_id.to_base64url(), "rawId": credential_id.to_base64url(), "type": "public-key",
        "response": {
            "clientDataJSON": encode(client_data.as_bytes()),
            "authenticatorData": encode(&auth_data),
            "signature": encode(&sig),
        },
        "clientExtensionResults": {},
    })
    .to_string();
    let response = AuthenticationResponse::from_json(&json).unwrap();
    let stored = StoredCredential {
        id: &credential_id,
        public_key: &public_key,
        sign_count: 41,
        user_handle: None,
        backup_eligible: false,
    };
    // Sanity: the engine accepts what it is timed on.
    response
        .verify(&rp, AuthenticationState::new(challenge.clone()), &stored)
        .unwrap();

    let raw_key = ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, &point).unwrap();
    let (mut raw, mut verify, mut full) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        eprint!("\rround {}/{ROUNDS}", round + 1);
        raw.push(rate(|| {
            raw_key
                .verify_sig(black_box(&signed), black_box(&sig))
                .unwrap();
        }));
        verify.push(rate(|| {
            let state = AuthenticationState::new(challenge.clone());
            black_box(response.verify(&rp, state, black_box(&stored)).unwrap());
        }));
        full.push(rate(|| {
            let parsed = AuthenticationResponse::from_json(black_box(&json)).unwrap();
            let state = AuthenticationState::new(challenge.clone());
            black_box(parsed.verify(&rp, state, &stored).unwrap());
        }));
    }
    eprintln!();
    let (raw, verify, full) = (median(raw), median(verify), median(full));
    println!("raw aws-lc-rs P-256 verify (ceiling): {raw:>10.0} /s on one core");
    println!(
        "assertion verify:                     {verify:>10.0} /s  ratio {:.3}",
        verify / raw
    );
    println!(
        "assertion parse JSON + verify:        {full:>10.0} /s  ratio {:.3}",
        full / raw
    );
    println!(
        "{}",
        serde_json::json!({
            "verify_ceiling_per_core": raw.round(),
            "assertion_verify_per_s": verify.round(),
            "assertion_parse_verify_per_s": full.round(),
            "ratio_verify": (verify / raw * 1000.0).round() / 1000.0,
            "ratio_parse_verify": (full / raw * 1000.0).round() / 1000.0,
        })
    );
}
