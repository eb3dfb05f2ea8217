//! `keybound admin attestation` as an operator runs it, on a fresh data
//! directory: one line per result on stdout, one sentence on stderr and exit
//! status 2 for a refusal. Every run goes through [`check`].

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use keybound_webauthn::encoding;

/// A CA certificate made for these tests with OpenSSL (P-256, valid 2026-11-22 to 2126-10-29).
const TEST_CA: &str = "-----BEGIN CERTIFICATE-----
MIIBpTCCAUugAwIBAgIUFI+bJQlBUAwfO+csieuWiyz+R/4wCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUS2V5Ym91bmQgQ0xJIFRlc3QgQ0EwIBcNMjYxMTIyMDEwODAx
WhgPMjEyNjEwMjkwMTA4MDFaMB8xHTAbBgNVBAMMFEtleWJvdW5kIENMSSBUZXN0
IENBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsuUjiiBTWPjoghej1MHFdGV3
MX9r8iAmGCAHgkkY04dZwqv57kMADHPY/w/a6DC/RXfyLdWrOWp83mgCypF2zaNj
MGEwHQYDVR0OBBYEFP9ZOXYQhqOCDkgyxbYTX3aAhGxPMB8GA1UdIwQYMBaAFP9Z
OXYQhqOCDkgyxbYTX3aAhGxPMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQD
AgEGMAoGCCqGSM49BAMCA0gAMEUCIQCmqZ2TXFB2EfrV5T5ck3AtQyp5MG+vVq92
SQdDu2lacgIgWK6N7kW/krWCuUlDXZNwx+Kq0wDX28I8JbzpCUCgwnM=
-----END CERTIFICATE-----
";

/// An end-entity certificate under [`TEST_CA`] (basicConstraints CA:FALSE).
const TEST_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIIBojCCAUmgAwIBAgIUHRb5yOORvZF+XAJzUpAWvjRzwNAwCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUS2V5Ym91bmQgQ0xJIFRlc3QgQ0EwIBcNMjYxMTIyMDEwODAx
WhgPMjEyNjEwMjkwMTA4MDFaMCAxHjAcBgNVBAMMFUtleWJvdW5kIENMSSBUZXN0
IEtleTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGwSkQDMz55t0n3rDhAvGPxN
Vr+ctVqtc9ICliKP56KR6AvfH2gT6nZAlMceQ5fZ8cGhNB421uUPPPQEgKLu2nmj
YDBeMAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMB0GA1UdDgQWBBQPiq2m
wBa/b1KumIh/BDhPC2zJfzAfBgNVHSMEGDAWgBT/WTl2EIajgg5IMsW2E192gIRs
TzAKBggqhkjOPQQDAgNHADBEAiBkUiy3W9e3HZcBWWzAvXvZ/LFUWqhVS1GRPl0c
L7nc2AIgMl+wtzU5EdhekNP1OH/UkUTyz+tvUOkG/2BiqJYz6zE=
-----END CERTIFICATE-----
";

/// A fresh directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "keybound-cli-attestation-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path.display().to_string()
    }

    fn data(&self) -> PathBuf {
        self.0.join("data")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run should do.
enum Expect<'a> {
    /// Exit 0; each stdout line starts with the matching prefix and contains the fragment.
    Prints(&'a [(&'a str, &'a str)]),
    /// Exit 2 with one `keybound: …` line on stderr containing the fragment, nothing on stdout.
    Refuses(&'a str),
}

/// Runs `keybound admin attestation <args> --data-dir <data>` and checks the outcome.
#[track_caller]
fn check(data: &Path, args: &[&str], expect: Expect<'_>) {
    let output = Command::new(env!("CARGO_BIN_EXE_keybound"))
        .args(["admin", "attestation"])
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("KEYBOUND_CONFIG")
        .env_remove("KEYBOUND_DATABASE")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    match expect {
        Expect::Prints(lines) => {
            assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
            let printed: Vec<&str> = stdout.lines().collect();
            assert_eq!(printed.len(), lines.len(), "{args:?} printed:\n{stdout}");
            for (line, (prefix, fragment)) in printed.iter().zip(lines) {
                assert!(
                    line.starts_with(prefix),
                    "`{line}` does not start with `{prefix}`"
                );
                assert!(
                    line.contains(fragment),
                    "`{line}` does not mention `{fragment}`"
                );
            }
        }
        Expect::Refuses(fragment) => {
            assert_eq!(output.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
            assert!(stdout.is_empty(), "{args:?} printed {stdout}");
            assert!(stderr.starts_with("keybound: "), "{stderr}");
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            assert!(
                stderr.contains(fragment),
                "`{stderr}` does not mention `{fragment}`"
            );
        }
    }
}

/// A JWS whose x5c is the test CA: well formed, but not signed under FIDO's root.
fn blob_signed_by_another_root() -> String {
    let body: String = TEST_CA
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let header = format!(r#"{{"alg":"ES256","typ":"JWT","x5c":["{body}"]}}"#);
    let payload = r#"{"no":1,"nextUpdate":"2126-01-01","entries":[]}"#;
    format!(
        "{}.{}.{}",
        encoding::encode(header.as_bytes()),
        encoding::encode(payload.as_bytes()),
        encoding::encode(&[0; 64])
    )
}

#[test]
fn certificate_authorities_are_added_and_listed_one_per_line() {
    let dir = TempDir::new();
    let data = dir.data();
    let ca = dir.file("ca.pem", TEST_CA);
    let leaf = dir.file("leaf.pem", TEST_LEAF);
    check(
        &data,
        &["list"],
        Expect::Prints(&[("No FIDO metadata BLOB", "load-mds")]),
    );
    check(
        &data,
        &["add-ca", &ca],
        Expect::Prints(&[(
            "Added attestation certificate authority ",
            "CN=Keybound CLI Test CA (valid until 2126-10-29T01:08:01Z)",
        )]),
    );
    check(
        &data,
        &["add-ca", &ca],
        Expect::Refuses("is a trust anchor already"),
    );
    check(
        &data,
        &["add-ca", &leaf],
        Expect::Refuses("`CN=Keybound CLI Test Key` is not a certificate authority"),
    );
    check(
        &data,
        &["add-ca", &dir.file("empty.pem", "")],
        Expect::Refuses("no CERTIFICATE block"),
    );
    check(
        &data,
        &["list"],
        Expect::Prints(&[(
            "ca ",
            "CN=Keybound CLI Test CA  valid until 2126-10-29T01:08:01Z  sha256 ",
        )]),
    );
}

#[test]
fn load_mds_refuses_what_fido_did_not_sign() {
    let dir = TempDir::new();
    let data = dir.data();
    check(
        &data,
        &["load-mds", &dir.file("page.html", "<html>busy</html>")],
        Expect::Refuses("not a compact JWS"),
    );
    check(
        &data,
        &[
            "load-mds",
            &dir.file("blob.jwt", &blob_signed_by_another_root()),
        ],
        Expect::Refuses("does not lead to the FIDO Metadata Service root"),
    );
    let missing = dir.0.join("missing.jwt").display().to_string();
    check(
        &data,
        &["load-mds", &missing],
        Expect::Refuses("cannot read the FIDO metadata BLOB"),
    );
    check(
        &data,
        &["list"],
        Expect::Prints(&[("No FIDO metadata BLOB", "")]),
    );
}
