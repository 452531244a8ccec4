//! The `stack` binary as the README runs it: it says where it listens, serves, and stops
//! cleanly on Ctrl-C (SIGINT) or SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Starts the binary on a free port with its log (at `log_level`) going to `log`.
pub(crate) fn start(dir: &std::path::Path, log_level: &str, log: Stdio) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stack"))
        .env("GATEWAY_ADDR", "127.0.0.1:0")
        .env("DATA_DIR", dir)
        .env("ADMIN_PASSWORD", "binary-test-password")
        .env("STACK_WORKERS", "1")
        .env("RUST_LOG", log_level)
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = stdout
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.starts_with("hdp-oauth is running"))
        .expect("the stack never said it is running");
    // Keep reading, as a terminal would, so the stack's last lines have somewhere to go.
    std::thread::spawn(move || stdout.for_each(drop));
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .expect("the gateway's port");
    (child, port)
}

pub(crate) fn stop(mut child: Child, signal: &str) {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("still running 20 s after {signal}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn the_stack_binary_serves_and_stops_on_a_signal() {
    for signal in ["-INT", "-TERM"] {
        let dir = tempfile::tempdir().unwrap();
        let (child, port) = start(dir.path(), "info", Stdio::null());
        let response = reqwest::Client::new()
            .get(format!("http://127.0.0.1:{port}/api/mgmt/oauthapps"))
            .basic_auth("admin", Some("binary-test-password"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        stop(child, signal);
    }
}

#[tokio::test]
async fn no_password_secret_or_token_reaches_the_log_even_at_debug() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stack.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (child, port) = start(&dir.path().join("data"), "debug", Stdio::from(log));
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let admin = |request: reqwest::RequestBuilder| {
        request.basic_auth("admin", Some("binary-test-password"))
    };

    let r = client
        .get(format!("{base}/api/mgmt/oauthapps"))
        .basic_auth("admin", Some("wrong-password-9f3e"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let app = serde_json::json!({
        "name": "Logged", "dataStore": 54, "clientId": "client-id-1",
        "clientSecret": "app-secret-7c2d9e", "authorizeURI": "https://a.example.com/auth",
        "tokenURI": "https://a.example.com/token", "scope": "s"
    });
    let r = admin(client.post(format!("{base}/api/mgmt/oauthapps")))
        .json(&app)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let profile = serde_json::json!({
        "name": "Logged", "oauthAppId": 1,
        "accessToken": "access-token-4b8e1a", "refreshToken": "refresh-token-6d0f3c"
    });
    let r = admin(client.post(format!("{base}/api/mgmt/oauthprofiles")))
        .json(&profile)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // A bad request that carries a token must not echo it into the log either.
    let mut bad = profile.clone();
    bad["oauthAppId"] = serde_json::json!("x");
    let r = admin(client.post(format!("{base}/api/mgmt/oauthprofiles")))
        .json(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = admin(client.get(format!("{base}/api/mgmt/oauthprofiles/1")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = admin(client.post(format!("{base}/api/mgmt/oauth/client/applications")))
        .json(&serde_json::json!({"name": "Logged", "redirectUrls": ["https://a.example.com/cb"]}))
        .send()
        .await
        .unwrap();
    let created: serde_json::Value = r.json().await.unwrap();
    let r = admin(client.put(format!(
        "{base}/api/mgmt/oauth/client/applications/{}/reset",
        created["id"]
    )))
    .send()
    .await
    .unwrap();
    let reset: serde_json::Value = r.json().await.unwrap();
    stop(child, "-TERM");

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("DEBUG"), "the log is not at debug level");
    assert!(
        log.contains("/api/mgmt/oauthprofiles"),
        "requests are not logged"
    );
    let never = [
        "binary-test-password",
        "wrong-password-9f3e",
        "app-secret-7c2d9e",
        "access-token-4b8e1a",
        "refresh-token-6d0f3c",
        created["clientSecret"].as_str().unwrap(),
        reset["clientSecret"].as_str().unwrap(),
        // Internal tokens (JWTs start with a base64url '{"') and Basic credentials.
        "eyJ",
        "Basic YWRta",
    ];
    for secret in never {
        assert!(!log.contains(secret), "the log holds {secret}");
    }
}
