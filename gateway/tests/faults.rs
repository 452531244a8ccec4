//! The gateway when things go wrong around it, over real HTTP:
//!
//! - SIGTERM to the `gateway` binary lets the request in flight finish and refuses new ones;
//! - an upstream slower than the timeout is 504 in the envelope, while every other route keeps
//!   answering meanwhile;
//! - a connection the upstream closes without answering is retried once for a GET, never for a
//!   POST (503).
//!
//! The upstream is a bare TCP responder that answers after a delay (or never): the point is
//! how the gateway behaves around a peer, not what the peer says.

#![expect(
    clippy::unwrap_used,
    reason = "a failed step in a test is a failed test"
)]

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "admin-password-1";

/// A peer that answers every request with `body` after `delay` (`None`: never answers). Returns
/// its base URL.
async fn delayed_upstream(delay: Option<Duration>, body: Value) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.to_string();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let Some(delay) = delay else {
                    // Hold the connection open and say nothing.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                };
                tokio::time::sleep(delay).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_and_refuses_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let upstream = delayed_upstream(
        Some(Duration::from_millis(1500)),
        json!({"applications": []}),
    )
    .await;
    let port = test_support::free_port();
    let mut gateway = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .env("GATEWAY_ADDR", format!("127.0.0.1:{port}"))
        .env("GATEWAY_DATABASE_URL", dir.path().join("gateway.db"))
        .env("TOKEN_SIGNING_KEY_FILE", &keys.private_key)
        .env("OAUTH_APPS_URL", &upstream)
        .env("OAUTH_PROFILES_URL", &upstream)
        .env("CLIENT_REGISTRATION_URL", &upstream)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("GATEWAY_WORKERS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map_or(true, |r| r.status() != 200)
    {
        assert!(gateway.try_wait().unwrap().is_none(), "the gateway exited");
        assert!(Instant::now() < deadline, "the gateway never became ready");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A request the upstream takes 1.5 s to answer, then SIGTERM while it is in flight.
    let in_flight = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/mgmt/oauthapps");
        async move {
            let response = client
                .get(url)
                .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = gateway.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // New connections are refused while the old request is still being served.
    let fresh = reqwest::Client::new();
    let refused = fresh.get(format!("{base}/healthz")).send().await;
    assert!(
        refused.as_ref().is_err_and(reqwest::Error::is_connect),
        "a new request during shutdown got {refused:?}"
    );
    assert!(!in_flight.is_finished(), "the slow request ended early");

    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, json!({"applications": []}));
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = gateway.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "still running after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit}");
}

/// A peer that closes the first connection after reading its request, without a word, and
/// answers 200 with `{}` on every later one. Returns its base URL and the requests it read.
async fn closing_once_upstream() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                    return;
                }
                let answer = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (url, requests)
}

/// A gateway in this process with `apps` as oauth-apps and `others` as the other services;
/// its base URL.
fn start_gateway(dir: &std::path::Path, apps: String, others: String) -> String {
    let keys = internal_auth::load_or_generate_key_pair(&dir.join("keys")).unwrap();
    let config = gateway::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: dir.join("gateway.db").to_string_lossy().into_owned(),
        token_signing_key_file: keys.private_key.clone(),
        oauth_apps_url: apps,
        oauth_profiles_url: others.clone(),
        client_registration_url: others,
        admin_user: ADMIN.to_owned(),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
        upstream_timeout_ms: 1_500,
        auth_cache_secs: 30,
        user_cache_ms: 1_000,
        token_ttl_secs: 60,
        pool_size: 2,
        // One worker: a blocked worker would show at once.
        workers: Some(1),
        max_body_bytes: 256 * 1024,
        metrics_addr: None,
        password_checks: 4,
        password_queue: 64,
        public_url: None,
    };
    let app = gateway::build(&config).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    base
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_get_whose_connection_closes_unanswered_is_sent_once_more_and_a_post_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let (apps, requests) = closing_once_upstream().await;
    let base = start_gateway(dir.path(), apps, "http://127.0.0.1:1".to_owned());
    let client = reqwest::Client::new();

    let response = client
        .get(format!("{base}/api/mgmt/oauthapps"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(requests.load(Ordering::SeqCst), 2, "the GET went out twice");

    let dir = tempfile::tempdir().unwrap();
    let (apps, requests) = closing_once_upstream().await;
    let base = start_gateway(dir.path(), apps, "http://127.0.0.1:1".to_owned());
    let response = client
        .post(format!("{base}/api/mgmt/oauthapps"))
        .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(requests.load(Ordering::SeqCst), 1, "the POST went out once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_upstream_is_504_while_every_other_route_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let silent = delayed_upstream(None, Value::Null).await;
    let quick = delayed_upstream(Some(Duration::ZERO), json!({"profiles": []})).await;
    let base = start_gateway(dir.path(), silent, quick);
    let client = reqwest::Client::new();

    // Several requests to the silent service, all waiting at once.
    let stuck: Vec<_> = (0..4)
        .map(|_| {
            let request = client
                .get(format!("{base}/api/mgmt/oauthapps"))
                .basic_auth(ADMIN, Some(ADMIN_PASSWORD));
            tokio::spawn(async move {
                let response = request.send().await.unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Meanwhile the gateway's own routes and the other services answer, each well before the
    // stuck requests time out.
    for path in [
        "/healthz",
        "/api/admin/tenants",
        "/api/mgmt/oauthprofiles",
        "/api/mgmt/oauth/client/applications",
    ] {
        let response = client
            .get(format!("{base}{path}"))
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    assert!(
        stuck.iter().all(|s| !s.is_finished()),
        "the stuck requests ended before the other routes had answered"
    );

    for request in stuck {
        let (status, body) = request.await.unwrap();
        assert_eq!(status, 504, "{body}");
        assert_eq!(body["error"]["code"], "222200091", "{body}");
    }
}
