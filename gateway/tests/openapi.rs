//! The OpenAPI document the gateway serves at `GET /openapi.json`, checked against the routes
//! the gateway and the services really register (their `ROUTES` lists, which each crate's unit
//! tests keep equal to its `configure`): every route is described, with a summary, a 2xx answer
//! and, behind credentials, the 401; and the document describes no route that does not exist.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on anything unexpected"
)]

use std::collections::BTreeSet;
use std::net::TcpListener;

use serde_json::Value;

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "admin-password-1";

/// A URL where nothing listens: the services are absent, so forwarded requests get 503.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Starts a gateway on port 0 with a fresh SQLite database and key pair; returns its base URL
/// and the directory that must outlive it.
fn spawn_gateway() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let config = gateway::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: dir.path().join("gateway.db").to_string_lossy().into_owned(),
        token_signing_key_file: keys.private_key.clone(),
        oauth_apps_url: closed_port_url(),
        oauth_profiles_url: closed_port_url(),
        client_registration_url: closed_port_url(),
        admin_user: ADMIN.to_owned(),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
        upstream_timeout_ms: 5_000,
        auth_cache_secs: 30,
        user_cache_ms: 1_000,
        token_ttl_secs: 60,
        pool_size: 4,
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
    (base, dir)
}

/// Every (method, path) of the authorization server: the gateway's own (authorize) and those
/// it forwards to client-registration. No gateway credentials; OAuth's own instead.
fn oauth_routes() -> Vec<(&'static str, &'static str)> {
    [gateway::oauth2::ROUTES, client_registration::OAUTH2_ROUTES].concat()
}

/// Every (method, path) behind credentials: the gateway's admin API and the three services'
/// management APIs, which the gateway forwards.
fn authenticated_routes() -> Vec<(&'static str, &'static str)> {
    [
        gateway::admin::ROUTES,
        oauth_apps::ROUTES,
        oauth_profiles::ROUTES,
        client_registration::ROUTES,
    ]
    .concat()
}

async fn fetch_document(base: &str) -> Value {
    let response = reqwest::get(format!("{base}/openapi.json")).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_document_is_served_without_credentials_and_declares_basic_auth() {
    let (base, _dir) = spawn_gateway();

    let document = fetch_document(&base).await;

    let version = document["openapi"].as_str().unwrap();
    assert!(version.starts_with("3.1."), "{version}");
    assert_eq!(document["info"]["title"], "hdp-oauth");
    let scheme = &document["components"]["securitySchemes"][api_doc::SECURITY_SCHEME];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "basic", "{scheme}");
    assert_eq!(
        document["security"],
        serde_json::json!([{ api_doc::SECURITY_SCHEME: [] }])
    );
    // The envelope lists every error code.
    let codes = &document["components"]["schemas"]["ErrorBody"]["properties"]["code"]["enum"];
    let codes: BTreeSet<&str> = codes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let expected: BTreeSet<&str> = api_common::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(codes, expected);
}

#[tokio::test]
async fn every_route_is_described_and_nothing_else() {
    let (base, _dir) = spawn_gateway();
    let document = fetch_document(&base).await;
    let paths = document["paths"].as_object().unwrap();

    let authenticated = authenticated_routes();
    let oauth = oauth_routes();
    for (method, path) in authenticated
        .iter()
        .chain(gateway::OPEN_ROUTES)
        .chain(oauth.iter())
    {
        let operation = &paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not in the document"))[method.to_lowercase()];
        assert!(
            operation.is_object(),
            "{method} {path} is not in the document"
        );
        let described = ["summary", "description"].iter().any(|key| {
            operation[key]
                .as_str()
                .is_some_and(|t| !t.trim().is_empty())
        });
        assert!(described, "{method} {path} has no summary or description");
        let responses = operation["responses"].as_object().unwrap();
        // A redirect is a success too (connect answers 302 to the provider).
        assert!(
            responses
                .keys()
                .any(|status| status.starts_with('2') || status.starts_with('3')),
            "{method} {path} has no 2xx or 3xx answer"
        );
        // Open: the gateway's own open routes, and the service routes the route table lets
        // through without credentials (the OAuth callback). The document must agree.
        let open = gateway::OPEN_ROUTES.contains(&(*method, *path))
            || gateway::routes::area_of(path).credentials == gateway::routes::Credentials::None;
        let oauth_area =
            gateway::routes::area_of(path).credentials == gateway::routes::Credentials::OAuth;
        if oauth_area {
            // OAuth's own authentication (none, or the client's Basic credentials): never the
            // document's default.
            assert!(operation.get("security").is_some(), "{method} {path}");
        } else if open {
            assert_eq!(
                operation["security"],
                serde_json::json!([]),
                "{method} {path}"
            );
        } else {
            assert!(
                responses.contains_key("401"),
                "{method} {path} has no 401 answer"
            );
            assert!(operation.get("security").is_none(), "{method} {path}");
        }
        for (status, response) in responses {
            assert!(
                response.get("description").is_some() || response.get("$ref").is_some(),
                "{method} {path} {status} has no description"
            );
        }
    }

    let served: BTreeSet<(String, String)> = authenticated
        .iter()
        .chain(gateway::OPEN_ROUTES)
        .chain(oauth.iter())
        .map(|(m, p)| (m.to_lowercase(), (*p).to_owned()))
        .collect();
    let methods = [
        "get", "put", "post", "delete", "options", "head", "patch", "trace",
    ];
    for (path, item) in paths {
        for method in methods {
            if item.get(method).is_some() {
                assert!(
                    served.contains(&(method.to_owned(), path.clone())),
                    "the document describes {method} {path}, which nothing serves"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_listed_route_is_served_by_the_gateway() {
    let (base, _dir) = spawn_gateway();
    let client = reqwest::Client::new();

    for (method, path) in authenticated_routes().into_iter().chain(oauth_routes()) {
        let url = format!("{base}{}", path.replace("{id}", "999"));
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .request(method.clone(), &url)
            .basic_auth(ADMIN, Some(ADMIN_PASSWORD))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        // Forwarded routes find their service absent (503); the admin routes answer themselves.
        assert!(
            status != 405
                && !(status == 404 && response.text().await.unwrap().contains("222200020")),
            "{method} {path}: {status}"
        );
    }
    for (method, path) in gateway::OPEN_ROUTES {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .request(method.clone(), format!("{base}{path}"))
            .send()
            .await
            .unwrap();
        // This gateway runs without its services: it is alive, but not ready.
        match *path {
            "/readyz" => {
                assert_eq!(response.status(), 503, "{method} {path}");
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "222200090", "{body}");
            }
            _ => assert_eq!(response.status(), 200, "{method} {path}"),
        }
    }
}
