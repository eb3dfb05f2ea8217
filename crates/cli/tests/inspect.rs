//! `keybound inspect` on real devices' payloads from `../shared/data/webauthn-vectors`.
//!
//! Every case runs the built binary through one function, [`check`], and
//! asserts the exit status, the failed check and fields of the `--json`
//! report (or the human report, or the one sentence on stderr).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{json, Value};

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/webauthn-vectors"
);
const CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/passkey-provider-aaguids.json"
);

/// A real payload and what its source suite expected.
struct Vector {
    file: Value,
}

impl Vector {
    /// Loads `real/<suite>/<name>.json`; missing data fails the test with where it belongs.
    fn load(name: &str) -> Vector {
        let path = Path::new(VECTORS).join("real").join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "test vector {name} is missing ({e}): the WebAuthn vectors belong at ../shared/data/webauthn-vectors \
                 beside the project checkout ({})",
                path.display()
            )
        });
        Vector {
            file: serde_json::from_str(&text).unwrap(),
        }
    }

    fn expected(&self, key: &str) -> &Value {
        &self.file["expected"][key]
    }

    /// The `response` member, written to a fresh temporary file.
    fn response_file(&self) -> String {
        write_temp(&self.file["response"].to_string())
    }

    /// The roots the suite trusts, written to a fresh PEM file.
    fn trusted_roots_file(&self) -> String {
        let roots: Vec<&str> = self
            .expected("trusted_root_certs_pem")
            .as_array()
            .unwrap()
            .iter()
            .map(|pem| pem.as_str().unwrap())
            .collect();
        write_temp(&roots.join("\n"))
    }

    /// `--challenge`, every `--origin` and `--rp-id`, as the suite issued them.
    fn expected_args(&self) -> Vec<String> {
        let mut args = vec![
            "--challenge".into(),
            self.expected("challenge_b64url").as_str().unwrap().into(),
        ];
        let origins = match self.expected("origin") {
            Value::Array(list) => list
                .iter()
                .map(|o| o.as_str().unwrap().to_owned())
                .collect(),
            origin => vec![origin.as_str().unwrap().to_owned()],
        };
        for origin in origins {
            args.extend(["--origin".into(), origin]);
        }
        args.extend([
            "--rp-id".into(),
            self.expected("rp_id").as_str().unwrap().into(),
        ]);
        args
    }

    /// `inspect registration FILE` with the expected challenge, origin and RP ID.
    fn registration(&self) -> Vec<String> {
        let mut args = vec![
            "inspect".into(),
            "registration".into(),
            self.response_file(),
        ];
        args.extend(self.expected_args());
        args
    }

    /// `inspect authentication FILE` with the expected values and the stored key and counter.
    fn authentication(&self) -> Vec<String> {
        let mut args = vec![
            "inspect".into(),
            "authentication".into(),
            self.response_file(),
        ];
        args.extend(self.expected_args());
        let credential = &self.file["credential"];
        args.extend([
            "--public-key".into(),
            credential["public_key_cose_b64url"]
                .as_str()
                .unwrap()
                .into(),
            "--sign-count".into(),
            credential["sign_count"].to_string(),
        ]);
        args
    }
}

fn write_temp(contents: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("inspect-{}-{n}.json", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

/// Replaces the value after `option` (or appends the option).
fn with(mut args: Vec<String>, option: &str, value: &str) -> Vec<String> {
    match args.iter().position(|a| a == option) {
        Some(i) => args[i + 1] = value.into(),
        None => args.extend([option.into(), value.into()]),
    }
    args
}

/// What a run should produce.
enum Expect<'a> {
    /// `--json`: this exit status, this first failed check (or none), and these fields by JSON pointer.
    Json {
        code: i32,
        failed: Option<&'a str>,
        fields: &'a [(&'a str, Value)],
    },
    /// The human report: this exit status and these fragments on stdout.
    Human { code: i32, fragments: &'a [&'a str] },
    /// Exit status 2, nothing on stdout, one line on stderr with these fragments.
    Usage(&'a [&'a str]),
}

#[track_caller]
fn check(mut args: Vec<String>, stdin: Option<&str>, expect: Expect<'_>) {
    if matches!(expect, Expect::Json { .. }) {
        args.push("--json".into());
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_keybound"))
        .args(&args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let code = output.status.code().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let context = format!(
        "keybound {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        args.join(" ")
    );
    match expect {
        Expect::Json {
            code: expected_code,
            failed,
            fields,
        } => {
            assert_eq!(code, expected_code, "exit status of {context}");
            let report: Value = serde_json::from_str(&stdout)
                .unwrap_or_else(|e| panic!("not one JSON object ({e}): {context}"));
            assert_eq!(report["ok"], json!(failed.is_none()), "{context}");
            let checks = report["checks"].as_array().unwrap();
            let failed_at = checks.iter().position(|c| c["ok"] == json!(false));
            match (failed, failed_at) {
                (None, None) => assert!(checks
                    .iter()
                    .all(|c| c["ok"] == json!(true) && c["reason"].is_null())),
                (Some(name), Some(i)) => {
                    assert_eq!(checks[i]["name"], json!(name), "failed check in {context}");
                    assert!(
                        checks[i]["reason"].as_str().is_some_and(|r| !r.is_empty()),
                        "a failed check has a reason"
                    );
                    assert!(
                        checks[..i].iter().all(|c| c["ok"] == json!(true)),
                        "checks before the failure passed"
                    );
                    assert!(
                        checks[i + 1..].iter().all(|c| c["ok"].is_null()),
                        "checks after the failure did not run"
                    );
                }
                (expected, _) => panic!("expected failed check {expected:?}: {context}"),
            }
            for (pointer, value) in fields {
                assert_eq!(
                    report.pointer(pointer),
                    Some(value),
                    "{pointer} in {context}"
                );
            }
        }
        Expect::Human {
            code: expected_code,
            fragments,
        } => {
            assert_eq!(code, expected_code, "exit status of {context}");
            for fragment in fragments {
                assert!(
                    stdout.contains(fragment),
                    "stdout lacks `{fragment}`: {context}"
                );
            }
        }
        Expect::Usage(fragments) => {
            assert_eq!(code, 2, "exit status of {context}");
            assert!(stdout.is_empty(), "nothing on stdout: {context}");
            assert_eq!(
                stderr.trim_end().lines().count(),
                1,
                "one line on stderr: {context}"
            );
            for fragment in fragments {
                assert!(
                    stderr.contains(fragment),
                    "stderr lacks `{fragment}`: {context}"
                );
            }
        }
    }
}

const REGISTRATION_CHECKS: [&str; 13] = [
    "parse",
    "credentialId",
    "type",
    "challenge",
    "origin",
    "topOrigin",
    "tokenBinding",
    "rpIdHash",
    "userPresent",
    "userVerified",
    "backupFlags",
    "algorithm",
    "attestationStatement",
];

#[test]
fn icloud_keychain_none_is_synced_and_named_apple_passwords() {
    let v = Vector::load("webauthn-rs/none-icloud-keychain-be-bs");
    let names: Vec<Value> = REGISTRATION_CHECKS.iter().map(|n| json!(n)).collect();
    check(
        with(v.registration(), "--catalog", CATALOG),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[
                ("/ceremony", json!("registration")),
                ("/format", json!("none")),
                ("/aaguid", json!("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")),
                ("/provider", json!("Apple Passwords")),
                (
                    "/flags",
                    json!({"up": true, "uv": true, "be": true, "bs": true}),
                ),
                ("/deviceBound", json!(false)),
                ("/signCount", json!(0)),
                ("/algorithm", json!("ES256")),
                (
                    "/publicKey",
                    v.file["derived"]["credential_public_key_cose_b64url"].clone(),
                ),
                ("/credentialId", json!("SdnLJ3MQEUY7NR3lJbMc9cLyVBU")),
                ("/attestationType", json!("none")),
                ("/certificates", json!([])),
                (
                    "/trust",
                    json!({"status": "noChain", "anchor": null, "reason": null}),
                ),
                ("/checks/12/name", json!("attestationStatement")),
            ],
        },
    );
    // Without the community list, Apple's AAGUID is not in the built-in catalog.
    check(
        v.registration(),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[("/provider", Value::Null)],
        },
    );
    // The check names, in order.
    let mut args = v.registration();
    args.push("--json".into());
    let out = Command::new(env!("CARGO_BIN_EXE_keybound"))
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(got, names);
}

#[test]
fn icloud_keychain_human_report_explains_flags_and_checks() {
    let v = Vector::load("webauthn-rs/none-icloud-keychain-be-bs");
    check(
        with(v.registration(), "--catalog", CATALOG),
        None,
        Expect::Human {
            code: 0,
            fragments: &[
                "registration: every check passed",
                "fbfc3007-154e-4ecc-8c0b-6e020557d7bd — Apple Passwords",
                "UP=1 UV=1 BE=1 BS=1",
                "synced",
                "the authenticator's claim",
                "ES256 (-7)",
                "✓ challenge",
                "✓ attestationStatement",
            ],
        },
    );
    check(
        with(v.registration(), "--challenge", "d3JvbmcgY2hhbGxlbmdl"),
        None,
        Expect::Human {
            code: 1,
            fragments: &[
                "the challenge check failed",
                "✓ type",
                "✗ challenge: ",
                "· origin: not run",
                "unknown provider",
            ],
        },
    );
}

#[test]
fn wrong_challenge_origin_or_rp_id_fails_that_check() {
    let v = Vector::load("webauthn-rs/none-icloud-keychain-be-bs");
    let fields = [
        ("/aaguid", json!("fbfc3007-154e-4ecc-8c0b-6e020557d7bd")),
        ("/format", json!("none")),
    ];
    check(
        with(v.registration(), "--challenge", "d3JvbmcgY2hhbGxlbmdl"),
        None,
        Expect::Json {
            code: 1,
            failed: Some("challenge"),
            fields: &fields,
        },
    );
    check(
        with(v.registration(), "--origin", "https://evil.example"),
        None,
        Expect::Json {
            code: 1,
            failed: Some("origin"),
            fields: &fields,
        },
    );
    check(
        with(v.registration(), "--rp-id", "example.org"),
        None,
        Expect::Json {
            code: 1,
            failed: Some("rpIdHash"),
            fields: &fields,
        },
    );
}

#[test]
fn response_on_standard_input_and_default_rp_id() {
    let v = Vector::load("webauthn-rs/none-icloud-keychain-be-bs");
    let args: Vec<String> = ["inspect", "registration", "-", "--challenge"]
        .iter()
        .map(|s| s.to_string())
        .chain([
            v.expected("challenge_b64url").as_str().unwrap().to_owned(),
            "--origin".into(),
            v.expected("origin").as_str().unwrap().to_owned(),
        ])
        .collect();
    check(
        args,
        Some(&v.file["response"].to_string()),
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[],
        },
    );
}

#[test]
fn yubikey_5ci_packed_basic_attestation_is_device_bound() {
    let v = Vector::load("java-webauthn-server/packed-yubikey-5ci");
    check(
        v.registration(),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[
                ("/format", json!("packed")),
                ("/aaguid", json!("c5ef55ff-ad9a-4b9f-b580-adebafe026d0")),
                ("/provider", Value::Null),
                ("/flags", json!({"up": true, "uv": false, "be": false, "bs": false})),
                ("/deviceBound", json!(true)),
                ("/attestationType", json!("basic")),
                (
                    "/certificates",
                    json!(["C=SE, O=Yubico AB, OU=Authenticator Attestation, CN=Yubico U2F EE Serial 737246328"]),
                ),
                ("/trust/status", json!("untrusted")),
            ],
        },
    );
    // UV required: the YubiKey did not verify the user.
    check(
        with(v.registration(), "--user-verification", "required"),
        None,
        Expect::Json {
            code: 1,
            failed: Some("userVerified"),
            fields: &[("/flags/uv", json!(false))],
        },
    );
}

#[test]
fn trust_anchor_makes_the_chain_a_check() {
    let v = Vector::load("webauthn-rs/fido-u2f-yubikey5-zero-challenge");
    let root = v.trusted_roots_file();
    check(
        with(v.registration(), "--trust-anchor", &root),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[
                ("/format", json!("fido-u2f")),
                ("/aaguid", json!("00000000-0000-0000-0000-000000000000")),
                ("/trust/status", json!("trusted")),
                ("/checks/13/name", json!("attestationTrust")),
            ],
        },
    );
    // A none attestation has no chain to trust.
    let icloud = Vector::load("webauthn-rs/none-icloud-keychain-be-bs");
    check(
        with(icloud.registration(), "--trust-anchor", &root),
        None,
        Expect::Json {
            code: 1,
            failed: Some("attestationTrust"),
            fields: &[("/trust/status", json!("noChain"))],
        },
    );
}

#[test]
fn apple_anonymous_attestation_is_trusted_only_at_its_time() {
    let v = Vector::load("webauthn-rs/apple-touchid-anonymous");
    let root = v.trusted_roots_file();
    let time = v.expected("verification_time").as_str().unwrap();
    let args = with(v.registration(), "--trust-anchor", &root);
    check(
        with(args.clone(), "--time", time),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[
                ("/format", json!("apple")),
                ("/attestationType", json!("anonca")),
                ("/trust/status", json!("trusted")),
                (
                    "/certificates/1",
                    json!("CN=Apple WebAuthn CA 1, O=Apple Inc., ST=California"),
                ),
            ],
        },
    );
    // Today the leaf certificate (three days of validity in 2020) has expired.
    check(
        args,
        None,
        Expect::Json {
            code: 1,
            failed: Some("attestationTrust"),
            fields: &[("/trust/status", json!("untrusted"))],
        },
    );
}

#[test]
fn assertion_counter_advances_or_regresses() {
    let v = Vector::load("py_webauthn/auth-es256-signcount-77");
    let key = v.file["credential"]["public_key_cose_b64url"].clone();
    check(
        v.authentication(),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[
                ("/ceremony", json!("authentication")),
                ("/signCount", json!(78)),
                ("/storedSignCount", json!(77)),
                ("/signCountSignal", json!("advanced")),
                ("/publicKey", key),
                ("/algorithm", json!("ES256")),
                (
                    "/flags",
                    json!({"up": true, "uv": false, "be": false, "bs": false}),
                ),
                ("/aaguid", Value::Null),
                ("/format", Value::Null),
                ("/checks/11/name", json!("signature")),
            ],
        },
    );
    check(
        with(v.authentication(), "--sign-count", "144"),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[("/signCountSignal", json!("regressed"))],
        },
    );
    check(
        with(v.authentication(), "--sign-count", "144"),
        None,
        Expect::Human {
            code: 0,
            fragments: &["regressed: stored 144, received 78 (possible cloned authenticator)"],
        },
    );
    check(
        with(v.authentication(), "--challenge", "d3JvbmcgY2hhbGxlbmdl"),
        None,
        Expect::Json {
            code: 1,
            failed: Some("challenge"),
            // The counter is compared even when a check fails: it helps the reader either way.
            fields: &[
                ("/signCountSignal", json!("advanced")),
                ("/signCount", json!(78)),
            ],
        },
    );
    check(
        with(v.authentication(), "--origin", "http://localhost:5001"),
        None,
        Expect::Json {
            code: 1,
            failed: Some("origin"),
            fields: &[],
        },
    );
}

#[test]
fn assertion_checked_against_its_registration() {
    let v = Vector::load("java-webauthn-server/auth-packed-yubikey-5ci");
    let paired = v.file["paired_registration"].as_str().unwrap();
    let registration = Vector::load(&format!("java-webauthn-server/{paired}"));
    let mut args = vec![
        "inspect".to_owned(),
        "authentication".into(),
        v.response_file(),
    ];
    args.extend(v.expected_args());
    args.extend([
        "--registration".into(),
        registration.response_file(),
        "--sign-count".into(),
        "4".into(),
    ]);
    check(
        args,
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[
                ("/aaguid", json!("c5ef55ff-ad9a-4b9f-b580-adebafe026d0")),
                ("/format", json!("packed")),
                ("/signCountSignal", json!("advanced")),
                ("/backupEligibilityChanged", json!(false)),
                ("/deviceBound", json!(true)),
            ],
        },
    );
}

#[test]
fn assertion_with_the_wrong_key_or_without_uv_fails() {
    let wrong_key = Vector::load("py_webauthn/auth-rs256-wrong-public-key");
    check(
        wrong_key.authentication(),
        None,
        Expect::Json {
            code: 1,
            failed: Some("signature"),
            fields: &[],
        },
    );
    let not_verified = Vector::load("py_webauthn/auth-es256-uv-required-not-verified");
    check(
        with(
            not_verified.authentication(),
            "--user-verification",
            "required",
        ),
        None,
        Expect::Json {
            code: 1,
            failed: Some("userVerified"),
            fields: &[("/flags/uv", json!(false))],
        },
    );
    check(
        not_verified.authentication(),
        None,
        Expect::Json {
            code: 0,
            failed: None,
            fields: &[],
        },
    );
}

#[test]
fn unparseable_authenticator_data_still_shows_what_parsed() {
    let v = Vector::load("webauthn-rs/none-firefox-98-windows-hello-truncated-aaguid");
    check(
        v.registration(),
        None,
        Expect::Json {
            code: 1,
            failed: Some("parse"),
            fields: &[
                ("/format", json!("none")),
                ("/flags/up", json!(true)),
                ("/clientData/type", json!("webauthn.create")),
                ("/publicKey", Value::Null),
                ("/attestationType", Value::Null),
                ("/trust", Value::Null),
            ],
        },
    );
}

#[test]
fn unusable_options_and_input_exit_2_with_one_sentence() {
    let v = Vector::load("webauthn-rs/none-icloud-keychain-be-bs");
    let response = v.response_file();
    let base = |file: &str| {
        let mut args = vec!["inspect".to_owned(), "registration".into(), file.to_owned()];
        args.extend(v.expected_args());
        args
    };
    check(
        base("-"),
        Some("this is not JSON"),
        Expect::Usage(&["standard input", "RegistrationResponseJSON"]),
    );
    check(
        base("-"),
        Some(""),
        Expect::Usage(&["standard input is empty"]),
    );
    check(
        base(&write_temp(&v.file.to_string())),
        None,
        Expect::Usage(&["`response` member"]),
    );
    check(
        base("/nonexistent/response.json"),
        None,
        Expect::Usage(&["cannot read the response", "/nonexistent/response.json"]),
    );
    check(
        with(base(&response), "--challenge", "not base64!"),
        None,
        Expect::Usage(&["--challenge"]),
    );
    check(
        with(base(&response), "--origin", "localhost:8100"),
        None,
        Expect::Usage(&["--origin", "`localhost:8100`"]),
    );
    check(
        with(base(&response), "--rp-id", "https://localhost"),
        None,
        Expect::Usage(&["--rp-id"]),
    );
    check(
        with(base(&response), "--time", "yesterday"),
        None,
        Expect::Usage(&["--time", "2024-05-01T12:00:00Z"]),
    );
    check(
        with(base(&response), "--catalog", &response),
        None,
        Expect::Usage(&["--catalog", "not an AAGUID"]),
    );
    check(
        with(base(&response), "--trust-anchor", &response),
        None,
        Expect::Usage(&["--trust-anchor", "PEM"]),
    );
    let auth = Vector::load("py_webauthn/auth-es256-signcount-77");
    check(
        with(auth.authentication(), "--public-key", "pQECAyYg"),
        None,
        Expect::Usage(&["--public-key"]),
    );
    check(
        with(auth.authentication(), "--public-key", "%%%"),
        None,
        Expect::Usage(&["--public-key", "base64url"]),
    );
}
