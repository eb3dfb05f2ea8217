//! `keybound serve` and `keybound admin` as an operator runs them: a real
//! process on a free loopback port, a first start that prints the bootstrap
//! pass, a token minted on the same data, a Graph call over HTTP, a graceful
//! stop, and a second start that prints no pass.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn keybound() -> Command {
    Command::new(env!("CARGO_BIN_EXE_keybound"))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running server, killed if the test fails before stopping it.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `keybound serve` and returns it with the first line it printed on stdout (if any, within 20 s).
fn start(data: &Path, port: u16) -> (Server, Vec<String>) {
    let mut child = keybound()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data)
        .env_remove("KEYBOUND_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    // Wait until it listens (it says so on stderr).
    let mut lines = BufReader::new(stderr).lines();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(
            Instant::now() < deadline,
            "keybound serve did not start listening"
        );
        match lines.next() {
            Some(Ok(line)) if line.contains("listening on") => break,
            Some(Ok(_)) => {}
            other => panic!("keybound serve ended before listening: {other:?}"),
        }
    }
    // The bootstrap lines are written before "listening"; collect what stdout holds by then.
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut printed = Vec::new();
    while let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(500)) {
        printed.push(line);
    }
    (server, printed)
}

fn get(port: u16, path: &str, token: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn first_start_bootstraps_then_operators_work_on_the_same_data() {
    let dir = std::env::temp_dir().join(format!("keybound-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let port = free_port();

    let (mut server, printed) = start(&dir, port);
    let first = printed.first().cloned().unwrap_or_default();
    assert!(
        first.starts_with("Temporary Access Pass for admin@localhost: ")
            && first.ends_with(" (valid 60 min, one use)"),
        "first start prints the pass: {printed:?}"
    );

    // A token minted by the operator command works against the running server.
    let output = keybound()
        .args([
            "admin",
            "token",
            "--scopes",
            "Policy.Read.All AuditLog.Read.All",
            "--data-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let (status, body) = get(
        port,
        "/v1.0/authenticationMethodsPolicy/authenticationMethodConfigurations/Fido2",
        &token,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"id\":\"Fido2\""), "{body}");
    let (status, body) = get(port, "/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName%20eq%20'Issue%20admin%20token'", &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Issue admin token"), "{body}");
    let (status, _) = get(port, "/v1.0/authenticationMethodsPolicy", "not-a-token");
    assert_eq!(status, 401);

    // A new pass for the admin, on the same data.
    let output = keybound()
        .args([
            "admin",
            "tap",
            "--user",
            "ADMIN@localhost",
            "--lifetime",
            "90",
            "--data-dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = String::from_utf8(output.stdout).unwrap();
    assert!(
        line.starts_with("Temporary Access Pass for admin@localhost: ")
            && line.trim_end().ends_with("(valid 90 min, multiple uses)"),
        "{line}"
    );
    let output = keybound()
        .args(["admin", "tap", "--user", "nobody@localhost", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("no user has the sign-in name `nobody@localhost`"));

    // SIGTERM stops it gracefully.
    let pid = server.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "graceful stop exits 0: {status:?}");

    // The second start finds the directory and prints no pass.
    let port = free_port();
    let (_server, printed) = start(&dir, port);
    assert!(
        printed.iter().all(|l| !l.contains("Temporary Access Pass")),
        "{printed:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refuses_to_start_with_one_sentence() {
    let output = keybound()
        .args(["serve", "--public-url", "http://login.example.org"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("browsers only allow passkeys over https"),
        "{stderr}"
    );
}
