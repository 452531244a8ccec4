//! What an operator sees: request ids across components in the log, `/metrics` on the internal
//! listeners (parsed by a real Prometheus parser), and `/readyz` beside `/healthz`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::r2d2::ManageConnection;
use reqwest::Method;
use serde_json::{json, Value};

use crate::binary::stop;
use crate::helpers::{app_body, codes, profile_body, reply, spawn_stack_with, TestStack};

const PASSWORD: &str = "binary-test-password";

/// The `stack` binary with JSON logs at `info` into `log`: its gateway's port.
fn start_binary(dir: &std::path::Path, log: std::fs::File) -> (std::process::Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stack"))
        .env("GATEWAY_ADDR", "127.0.0.1:0")
        .env("DATA_DIR", dir)
        .env("ADMIN_PASSWORD", PASSWORD)
        .env("STACK_WORKERS", "1")
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = stdout
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.starts_with("hdp-oauth is running"))
        .expect("the stack never said it is running");
    std::thread::spawn(move || stdout.for_each(drop));
    let port = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .expect("the gateway's port");
    (child, port)
}

/// The log's lines, each of which must be one JSON object with the documented fields.
fn json_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            let mut fields: Vec<&str> = value
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            fields.sort_unstable();
            assert_eq!(
                fields,
                ["level", "message", "request_id", "target", "time"],
                "{line}"
            );
            value
        })
        .collect()
}

/// The access log lines (`component: status METHOD path ...`) about request `id`.
fn access_lines<'l>(lines: &'l [Value], id: &str) -> Vec<&'l str> {
    lines
        .iter()
        .filter(|line| line["request_id"] == id && line["target"] == "access")
        .map(|line| line["message"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_request_id_ties_the_gateway_the_service_and_the_peer_call_together() {
    let dir = tempfile::tempdir().unwrap();
    let log_path = dir.path().join("stack.log");
    let (child, port) = start_binary(
        &dir.path().join("data"),
        std::fs::File::create(&log_path).unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .basic_auth("admin", Some(PASSWORD))
            .json(&body)
    };
    let created = reply(post("/api/mgmt/oauthapps", app_body("Traced_App"))).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let app_id = created.json()["id"].clone();

    // A well-formed id is kept, echoed, and sent on: oauth-profiles checks the application
    // with oauth-apps under the same id.
    let sent = "ops-test.profile_1";
    let r = reply(
        post(
            "/api/mgmt/oauthprofiles",
            profile_body("Traced_Profile", &app_id),
        )
        .header("X-Request-Id", sent),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.headers["x-request-id"], sent);

    // Over-long or malformed ids are replaced by new ones.
    let long = "a".repeat(65);
    let mut replaced = Vec::new();
    for bad in [long.as_str(), "two words", "semi;colon", "quote\"d"] {
        let r = reply(
            client
                .get(format!("{base}/api/mgmt/oauthprofiles"))
                .basic_auth("admin", Some(PASSWORD))
                .header("X-Request-Id", bad),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        let given = r.headers["x-request-id"].to_str().unwrap().to_owned();
        assert_ne!(given, bad);
        assert_eq!(given.len(), 32, "{given}");
        assert!(given.bytes().all(|b| b.is_ascii_hexdigit()), "{given}");
        replaced.push((bad.to_owned(), given));
    }
    stop(child, "-TERM");

    let lines = json_lines(&log_path);
    let traced = access_lines(&lines, sent);
    for component in [
        "gateway: 201 POST /api/mgmt/oauthprofiles ",
        "oauth-profiles: 201 POST /api/mgmt/oauthprofiles ",
    ] {
        assert!(
            traced.iter().any(|line| line.starts_with(component)),
            "no line starting {component:?} among {traced:#?}"
        );
    }
    assert!(
        traced
            .iter()
            .any(|line| line.starts_with("oauth-apps: 200 GET ")),
        "the peer call to oauth-apps is not among {traced:#?}"
    );
    for (bad, given) in &replaced {
        let traced = access_lines(&lines, given);
        assert!(
            traced
                .iter()
                .any(|l| l.starts_with("gateway: 200 GET /api/mgmt/oauthprofiles "))
                && traced
                    .iter()
                    .any(|l| l.starts_with("oauth-profiles: 200 GET ")),
            "{traced:#?}"
        );
        let log = std::fs::read_to_string(&log_path).unwrap();
        assert!(!log.contains(bad.as_str()), "{bad:?} reached the log");
    }
    let log = std::fs::read_to_string(&log_path).unwrap();
    for secret in [
        PASSWORD,
        "1912308409123890",
        "111c334445e55",
        "222d88899966fa",
    ] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

/// One sample of an exposition, as the parser read it.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The Python interpreter with `prometheus_client` (`HDP_PROMETHEUS_PYTHON`, or `python3`).
fn parser_python() -> String {
    std::env::var("HDP_PROMETHEUS_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// `text` parsed by `prometheus_client`'s parser, the reference parser of the Python client.
fn parse_exposition(text: &str) -> Vec<Sample> {
    const SCRIPT: &str = "import sys, json\n\
        from prometheus_client.parser import text_string_to_metric_families\n\
        out = [[s.name, s.labels, s.value] for f in text_string_to_metric_families(sys.stdin.read()) for s in f.samples]\n\
        print(json.dumps(out))\n";
    let python = parser_python();
    let mut child = Command::new(&python)
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{python}: {e}"));
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the Prometheus parser refused the exposition (or {python} lacks prometheus_client: \
         pip install prometheus-client, or set HDP_PROMETHEUS_PYTHON): {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    let samples: Vec<(String, BTreeMap<String, String>, f64)> =
        serde_json::from_slice(&output.stdout).unwrap();
    samples
        .into_iter()
        .map(|(name, labels, value)| Sample {
            name,
            labels,
            value,
        })
        .collect()
}

/// The value of the sample `name` whose labels include `labels` (0 when there is none: a
/// counter not yet touched).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .sum()
}

async fn scrape(client: &reqwest::Client, port: Option<u16>) -> Vec<Sample> {
    let port = port.expect("a metrics port");
    let r = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    parse_exposition(&r.text().await.unwrap())
}

async fn scrape_all(app: &TestStack) -> [Vec<Sample>; 4] {
    let s = &app.stack;
    [
        scrape(&app.client, s.gateway.metrics_port).await,
        scrape(&app.client, s.oauth_apps.metrics_port).await,
        scrape(&app.client, s.oauth_profiles.metrics_port).await,
        scrape(&app.client, s.client_registration.metrics_port).await,
    ]
}

/// Whether the Prometheus parser can run here. Where it cannot, the metrics test says so and
/// passes on a developer's machine that has only Rust (the README's first commands); in CI
/// (`CI=true`, where `.ci/run` installs it) it fails instead.
fn parser_available() -> bool {
    let python = parser_python();
    let found = Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{python} lacks prometheus_client in CI"
        );
        println!(
            "skipped: the metrics scrape needs Python's prometheus_client (pip install \
             prometheus-client, or set HDP_PROMETHEUS_PYTHON)"
        );
    }
    found
}

#[tokio::test]
async fn each_component_counts_its_traffic_on_its_internal_listener_only() {
    if !parser_available() {
        return;
    }
    let app = spawn_stack_with(|config| config.metrics_host = Some("127.0.0.1".to_owned())).await;
    let before = scrape_all(&app).await;

    // Traffic: a user of its own signs in, makes a profile (oauth-profiles asks oauth-apps)
    // and reads it; a name that does not exist fails to sign in.
    let user = "metrics-probe-user";
    let oauth_app = app.create_app("Metered_App").await;
    let tenant = app.create_tenant("Metered_Tenant").await;
    // MgmtAPI (11), CreateDataSource (1), ViewDataSource (2).
    let body = json!({"userName": user, "password": PASSWORD, "tenantId": tenant, "permissions": [11, 1, 2]});
    let r = app
        .admin(Method::POST, "/api/admin/users", Some(body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let user_id = r.json()["id"].as_i64().unwrap().to_string();
    let as_user = Some((user, PASSWORD));
    let r = app
        .call(
            Method::POST,
            "/api/mgmt/oauthprofiles",
            as_user,
            Some(profile_body("Metered", &oauth_app["id"])),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let profile_path = format!("/api/mgmt/oauthprofiles/{}", r.json()["id"]);
    let r = app.call(Method::GET, &profile_path, as_user, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .call(
            Method::GET,
            "/api/mgmt/oauthapps",
            Some(("metrics-ghost-user", PASSWORD)),
            None,
        )
        .await;
    assert_eq!(r.status, 401);

    let after = scrape_all(&app).await;
    let [gateway, oauth_apps, oauth_profiles, client_registration] = &after;
    let moved = |component: usize, name: &str, labels: &[(&str, &str)]| {
        value(&after[component], name, labels) - value(&before[component], name, labels)
    };
    let requests = "hdp_http_requests_total";
    let create = [
        ("route", "/api/mgmt/oauthprofiles"),
        ("method", "POST"),
        ("status", "201"),
    ];
    assert_eq!(moved(0, requests, &create), 1.0, "gateway");
    assert_eq!(moved(2, requests, &create), 1.0, "oauth-profiles");
    let read = [
        ("route", "/api/mgmt/oauthprofiles/{id}"),
        ("method", "GET"),
        ("status", "200"),
    ];
    assert_eq!(moved(0, requests, &read), 1.0);
    assert_eq!(moved(2, requests, &read), 1.0);
    assert_eq!(
        moved(
            0,
            requests,
            &[("route", "/api/mgmt/oauthapps"), ("status", "401")]
        ),
        1.0
    );
    assert!(
        moved(1, requests, &[("method", "GET"), ("status", "200")]) >= 1.0,
        "the peer call"
    );
    let peer_calls = "hdp_peer_calls_total";
    assert_eq!(
        moved(
            0,
            peer_calls,
            &[("peer", "oauth-profiles"), ("outcome", "success")]
        ),
        2.0
    );
    assert!(
        moved(
            2,
            peer_calls,
            &[("peer", "oauth-apps"), ("outcome", "success")]
        ) >= 1.0
    );
    assert!(moved(0, "hdp_http_request_duration_seconds_count", &read[..2]) >= 1.0);
    assert!(moved(0, "hdp_gateway_password_checks_total", &[]) >= 1.0);
    let lookups = "hdp_gateway_cache_lookups_total";
    assert!(moved(0, lookups, &[("cache", "tokens")]) >= 2.0);
    assert!(moved(0, lookups, &[("cache", "credentials"), ("result", "hit")]) >= 1.0);
    assert!(moved(0, lookups, &[("cache", "users")]) >= 1.0);
    for samples in &after {
        assert_eq!(value(samples, "hdp_db_pool_max_connections", &[]), 8.0);
        assert!(value(samples, "hdp_db_pool_connections", &[]) >= 1.0);
        assert!(samples
            .iter()
            .any(|s| s.name == "hdp_db_pool_wait_seconds_count"));
        assert!(samples
            .iter()
            .any(|s| s.name == "hdp_http_requests_in_flight"));
    }
    assert!(gateway
        .iter()
        .any(|s| s.name == "hdp_gateway_password_checks_queued"));
    assert!(
        !oauth_apps.is_empty() && !client_registration.is_empty() && !oauth_profiles.is_empty()
    );

    // No label names a user, and routes are templates, never paths as received.
    for samples in &after {
        for sample in samples {
            for (label, value) in &sample.labels {
                assert!(
                    !value.contains(user) && !value.contains("metrics-ghost-user"),
                    "{sample:?}"
                );
                if label == "route" {
                    assert!(
                        !value.split('/').any(|segment| segment == user_id
                            || (!segment.is_empty()
                                && segment.bytes().all(|b| b.is_ascii_digit()))),
                        "{sample:?}"
                    );
                }
            }
        }
    }

    // The public listeners do not serve the metrics.
    let r = reply(app.client.get(format!("{}/metrics", app.base))).await;
    r.envelope(404, codes::ROUTE_NOT_FOUND);
    for port in [app.stack.oauth_apps.port, app.stack.oauth_profiles.port] {
        let r = reply(app.client.get(format!("http://127.0.0.1:{port}/metrics"))).await;
        assert_ne!(r.status, 200);
        assert!(!r.text.contains("hdp_"), "{}", r.text);
    }
}

/// Waits until GET `url` answers `status`.
async fn wait_for(client: &reqwest::Client, url: &str, status: u16) -> crate::helpers::Reply {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let r = reply(client.get(url)).await;
        if r.status.as_u16() == status {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "{url} is still {}: {}",
            r.status,
            r.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn readyz_follows_the_database_and_the_services_while_healthz_stays_200() {
    let mut app = spawn_stack_with(|_| {}).await;
    let oauth_apps = format!("http://127.0.0.1:{}", app.stack.oauth_apps.port);
    let gateway = app.base.clone();
    for base in [&oauth_apps, &gateway] {
        let r = reply(app.client.get(format!("{base}/readyz"))).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json(), json!({"status": "ready"}));
    }

    // oauth-apps' database loses its schema (migrations not current).
    let url = db::DatabaseUrl::parse("TEST", &app.database_urls["oauth-apps"]).unwrap();
    let mut conn = db::ConnectionManager::new(url).connect().unwrap();
    db::revert_all_migrations(&mut conn, oauth_apps::MIGRATIONS).unwrap();
    let r = wait_for(&app.client, &format!("{oauth_apps}/readyz"), 503).await;
    assert_eq!(r.envelope(503, codes::UNAVAILABLE), "Not ready: database");
    assert_eq!(
        reply(app.client.get(format!("{oauth_apps}/healthz")))
            .await
            .status,
        200
    );
    // The gateway asks its services whether they are alive, not whether they are ready.
    assert_eq!(
        reply(app.client.get(format!("{gateway}/readyz")))
            .await
            .status,
        200
    );

    db::run_migrations(&mut conn, oauth_apps::MIGRATIONS).unwrap();
    wait_for(&app.client, &format!("{oauth_apps}/readyz"), 200).await;

    // A service that stops makes the gateway not ready; the gateway is still alive.
    app.stack.oauth_apps.stop(true).await;
    let r = wait_for(&app.client, &format!("{gateway}/readyz"), 503).await;
    assert_eq!(r.envelope(503, codes::UNAVAILABLE), "Not ready: oauth-apps");
    assert_eq!(
        reply(app.client.get(format!("{gateway}/healthz")))
            .await
            .status,
        200
    );
}
