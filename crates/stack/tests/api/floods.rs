//! Floods of credentials against the `stack` binary, as an outside attacker would send them:
//! the gateway's memory stays bounded, a signed-in user keeps being served, and every answer
//! is one of the API's.
//!
//! The bound on memory is a safety property, asserted with a wide margin: argon2 runs at most
//! `GATEWAY_PASSWORD_CHECKS` (4) at once at 19 MiB each, the rest wait in a bounded queue or
//! get 503 at once, and the allocator gives the memory back afterwards. Before, 200 such
//! requests took the gateway from 22 MB to 1.45 GB, and 2.67 GB were still held 20 s later.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::binary::{start, stop};

const ADMIN_PASSWORD: &str = "binary-test-password";

/// The stack's own anonymous memory (heap, stacks), in MB: what the flood could grow.
fn rss_anon_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("RssAnon:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("RssAnon in /proc/PID/status");
    kb / 1024.0
}

/// How much anonymous memory the stack may hold above its resting size during a flood.
const FLOOD_MARGIN_MB: f64 = 150.0;

#[tokio::test]
async fn credential_floods_take_bounded_memory_and_leave_signed_in_users_served() {
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = start(dir.path(), "warn", Stdio::null());
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let admin =
        |request: reqwest::RequestBuilder| request.basic_auth("admin", Some(ADMIN_PASSWORD));
    for name in ["victim", "steady"] {
        let r = admin(client.post(format!("{base}/api/admin/users")))
            .json(&json!({
                "userName": name, "password": format!("{name}-password"), "tenantId": 1,
                "permissions": [11, 1, 2, 3, 4, 28],
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    // The signed-in user's credential is verified once, before the flood.
    let steady_get = {
        let (client, base) = (client.clone(), base.clone());
        move || {
            client
                .get(format!("{base}/api/mgmt/oauthapps"))
                .basic_auth("steady", Some("steady-password"))
                .timeout(Duration::from_secs(30))
                .send()
        }
    };
    assert_eq!(steady_get().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let resting = rss_anon_mb(pid);

    let flooding = Arc::new(AtomicBool::new(true));
    let peak_kb = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (flooding, peak_kb) = (flooding.clone(), peak_kb.clone());
        tokio::spawn(async move {
            while flooding.load(Ordering::Relaxed) {
                let kb = (rss_anon_mb(pid) * 1024.0) as u64;
                peak_kb.fetch_max(kb, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let steady = {
        let flooding = flooding.clone();
        tokio::spawn(async move {
            let mut slowest = Duration::ZERO;
            let mut served = 0;
            while flooding.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = steady_get().await.unwrap().status();
                assert_eq!(
                    status, 200,
                    "the signed-in user was refused during the flood"
                );
                slowest = slowest.max(started.elapsed());
                served += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            (served, slowest)
        })
    };

    // Four bursts of 500 distinct bad credentials: half name users that do not exist, half
    // the victim with wrong passwords; and, during the last, creates of a name that is taken.
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for burst in 0..4 {
        let requests: Vec<_> = (0..500)
            .map(|n| {
                let user = match n % 2 {
                    0 => format!("nobody-{burst}-{n}"),
                    _ => "victim".to_owned(),
                };
                let request = client
                    .get(format!("{base}/api/mgmt/oauthapps"))
                    .basic_auth(user, Some(format!("wrong-{burst}-{n}")))
                    .timeout(Duration::from_secs(60))
                    .send();
                tokio::spawn(request)
            })
            .collect();
        if burst == 3 {
            // The queue is full: a create whose name is taken is still answered 409 at once,
            // because it is refused before any hashing.
            for _ in 0..20 {
                let r = admin(client.post(format!("{base}/api/admin/users")))
                    .json(&json!({
                        "userName": "victim", "password": "another-password", "tenantId": 1,
                        "permissions": [],
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 409, "{}", r.text().await.unwrap());
            }
        }
        for request in requests {
            let response = request.await.unwrap().unwrap();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").cloned();
            let body: Value = response.json().await.expect("an envelope");
            let code = body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            match status {
                401 => assert_eq!(code, "222200010"),
                503 => {
                    assert_eq!(code, "222200090");
                    assert_eq!(
                        retry_after.as_ref().and_then(|v| v.to_str().ok()),
                        Some("1")
                    );
                }
                other => panic!("answered {other}: {body}"),
            }
            *answered.entry(status).or_default() += 1;
        }
    }
    flooding.store(false, Ordering::Relaxed);
    sampler.await.unwrap();
    let (served, slowest) = steady.await.unwrap();
    let peak = peak_kb.load(Ordering::Relaxed) as f64 / 1024.0;
    // The allocator hands freed pages back within about a second.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_anon_mb(pid);
    println!(
        "floods: answers {answered:?}; stack RssAnon resting {resting:.1} MB, peak {peak:.1} MB, \
         3 s after {after:.1} MB; the signed-in user was served {served} times, slowest {:.0} ms",
        slowest.as_secs_f64() * 1000.0
    );
    assert!(
        peak < resting + FLOOD_MARGIN_MB,
        "peak {peak:.1} MB over resting {resting:.1} MB + {FLOOD_MARGIN_MB} MB"
    );
    assert!(
        after < resting + 20.0,
        "{after:.1} MB still held 3 s after the flood (resting {resting:.1} MB)"
    );
    assert!(served > 0, "the signed-in user was never served");
    assert!(
        slowest < Duration::from_secs(10),
        "the signed-in user waited {slowest:?}"
    );
    assert!(answered.get(&401).copied().unwrap_or_default() > 0);

    // And the victim still signs in.
    let r = client
        .get(format!("{base}/api/mgmt/oauthapps"))
        .basic_auth("victim", Some("victim-password"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    stop(child, "-TERM");
}

/// Creates of new users, 200 at once by the administrator: each is created or refused with
/// 503 and `Retry-After`, none times out with an empty answer, and memory stays bounded.
#[tokio::test]
async fn concurrent_user_creates_share_the_bounded_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let (child, port) = start(dir.path(), "warn", Stdio::null());
    let pid = child.id();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let r = client
        .get(format!("{base}/api/admin/users"))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let resting = rss_anon_mb(pid);
    let requests: Vec<_> = (0..200)
        .map(|n| {
            let request = client
                .post(format!("{base}/api/admin/users"))
                .basic_auth("admin", Some(ADMIN_PASSWORD))
                .json(&json!({
                    "userName": format!("created_{n}"), "password": format!("password-{n}-long"),
                    "tenantId": 1, "permissions": [11],
                }))
                .timeout(Duration::from_secs(60))
                .send();
            tokio::spawn(request)
        })
        .collect();
    let mut peak = resting;
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for request in requests {
        peak = peak.max(rss_anon_mb(pid));
        let response = request.await.unwrap().unwrap();
        let status = response.status().as_u16();
        let has_retry_after = response.headers().contains_key("retry-after");
        let body: Value = response.json().await.expect("an envelope or a user");
        match status {
            201 => assert!(body["userName"].as_str().unwrap().starts_with("created_")),
            503 => assert!(
                has_retry_after && body["error"]["code"] == "222200090",
                "{body}"
            ),
            other => panic!("answered {other}: {body}"),
        }
        *statuses.entry(status).or_default() += 1;
    }
    println!("creates: answers {statuses:?}; RssAnon resting {resting:.1} MB, peak {peak:.1} MB");
    assert!(statuses.get(&201).copied().unwrap_or_default() > 0);
    assert!(peak < resting + FLOOD_MARGIN_MB, "peak {peak:.1} MB");
    stop(child, "-TERM");
}
