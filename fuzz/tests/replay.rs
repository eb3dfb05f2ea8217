//! Runs every fuzz target over its seeds on stable Rust, so the targets build and their
//! invariants hold without nightly or libFuzzer, and checks that each seed reaches
//! verification as far as it should.
//!
//! The seeds are built in memory by `keybound_webauthn_fuzz::seeds`, the function
//! `./seed-corpus` writes `corpus/<target>/seed-*` with, from `../shared/data/webauthn-vectors`;
//! without that data the tests fail and say where it belongs.
//!
//! `cd fuzz && cargo test`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::OnceLock;

use keybound_webauthn_fuzz::{
    anchor_pems, assertion, fixtures_problem, registration, seeds, trust_anchors, Seed, VECTORS,
};

/// Every seed, read once from the vectors.
fn all_seeds() -> &'static [Seed] {
    static SEEDS: OnceLock<Vec<Seed>> = OnceLock::new();
    SEEDS.get_or_init(|| seeds(Path::new(VECTORS)).unwrap_or_else(|e| panic!("{e}")))
}

/// The one function every seed goes through: `target` over the seed must verify `expected` readings.
#[track_caller]
fn check(target: (&str, fn(&[u8]) -> usize), seed: &str, expected: usize) {
    let (name, run) = target;
    let data = &all_seeds()
        .iter()
        .find(|s| s.target == name && s.name == seed)
        .unwrap_or_else(|| panic!("no seed {name}/{seed} in keybound_webauthn_fuzz::seeds"))
        .bytes;
    assert_eq!(run(data), expected, "{name} over {seed}: readings verified");
}

const REGISTRATION: (&str, fn(&[u8]) -> usize) = ("registration", registration);
const ASSERTION: (&str, fn(&[u8]) -> usize) = ("assertion", assertion);

#[test]
fn registration_seeds() {
    check(REGISTRATION, "seed-none-es256-firefox-android.json", 1);
    check(REGISTRATION, "seed-packed-x5c-yubikey-firefox.json", 1);
    check(REGISTRATION, "seed-apple-touchid-anonymous.json", 1);
    // As the attestation object of a response with our clientDataJSON: `none` verifies, U2F's signature cannot.
    check(
        REGISTRATION,
        "seed-none-icloud-keychain-be-bs.attestation-object.cbor",
        1,
    );
    check(
        REGISTRATION,
        "seed-fido-u2f-yubikey5-zero-challenge.attestation-object.cbor",
        0,
    );
}

#[test]
fn assertion_seeds() {
    check(ASSERTION, "seed-auth-es256-counter-143.json", 1);
    check(ASSERTION, "seed-auth-ed25519.json", 1);
    check(ASSERTION, "seed-auth-windows-hello-rs256.json", 1);
    check(
        ASSERTION,
        "seed-auth-es256-counter-143.authenticator-data.bin",
        1,
    );
    check(ASSERTION, "seed-auth-es256-counter-143.cose-key.cbor", 1);
}

#[test]
fn every_seed_is_listed_above() {
    let listed = include_str!("replay.rs");
    for seed in all_seeds() {
        assert!(
            ["registration", "assertion"].contains(&seed.target),
            "{}/{} is for no fuzz target",
            seed.target,
            seed.name
        );
        assert!(
            seed.name.starts_with("seed-"),
            "{}/{} does not start with seed-",
            seed.target,
            seed.name
        );
        assert!(
            listed.contains(&format!("\"{}\"", seed.name)),
            "{}/{} has no check in tests/replay.rs",
            seed.target,
            seed.name
        );
    }
}

#[test]
fn ceremonies_and_credentials_load() {
    if let Some(problem) = fixtures_problem() {
        panic!("the targets' ceremonies and credentials: {problem}");
    }
}

#[test]
fn both_roots_are_trust_anchors() {
    let pems = anchor_pems().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        pems.len(),
        2,
        "the Yubico U2F root and the Apple WebAuthn root"
    );
    assert!(pems[0].contains("-----BEGIN CERTIFICATE-----"));
    assert_eq!(trust_anchors().len(), 2, "both roots parse as anchors");
}
