//! The `oauth-apps` binary as an operator runs it: configured by the environment, stopped by
//! SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ring() -> String {
    format!("k1:{}", secrets::generate_key())
}

#[test]
fn sigterm_stops_the_binary_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauth-apps"))
        .env("OAUTH_APPS_ADDR", "127.0.0.1:0")
        .env("OAUTH_APPS_DATABASE_URL", dir.path().join("apps.db"))
        .env("TOKEN_PUBLIC_KEY_FILE", &keys.public_key)
        .env("OAUTH_APPS_ENCRYPTION_KEYS", ring())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = stderr.lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("oauth-apps listening on port"));
    assert!(
        listening.is_some(),
        "the binary never said where it listens"
    );

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running 15 s after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[test]
fn a_bad_setting_is_one_line_naming_the_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_oauth-apps"))
        .env("OAUTH_APPS_DATABASE_URL", "mysql://localhost/apps")
        .env("OAUTH_APPS_ENCRYPTION_KEYS", ring())
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: OAUTH_APPS_DATABASE_URL"),
        "{stderr}"
    );
}
