//! No spelling of a public path reaches a service's `/internal` routes through the gateway.
//!
//! The attack: the gateway picked the service from the path as written
//! (`/api/mgmt/oauthprofiles/...`) and the URL it forwarded to resolved the dot segments, so
//! `/api/mgmt/oauthprofiles/../../../internal/oauth-apps/1/usage` reached oauth-profiles'
//! internal usage route. The requests are sent over a raw socket: an HTTP client would resolve
//! the dots itself before sending.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{profile_body, spawn_stack, ADMIN, ADMIN_PASSWORD};

/// Every public prefix (of the services, and of the gateway's own admin API).
const PREFIXES: [&str; 5] = [
    "/api/mgmt/oauthapps",
    "/api/mgmt/oauthprofiles",
    "/api/mgmt/oauth/client/applications",
    "/api/admin/users",
    "/api/admin/tenants",
];

/// The internal routes, as (method, path, body).
const TARGETS: [(&str, &str, &str); 8] = [
    ("GET", "internal/oauth-apps/1/usage", ""),
    (
        "POST",
        "internal/client-applications/verify",
        r#"{"clientId":"CLIENT","clientSecret":"SECRET"}"#,
    ),
    ("DELETE", "internal/owners/2", ""),
    // The consistency check's reads and repairs (docs/consistency.md, I3).
    ("GET", "internal/profiles", ""),
    ("GET", "internal/owners", ""),
    ("GET", "internal/applications", ""),
    ("DELETE", "internal/profiles/1?oauthAppId=1", ""),
    ("DELETE", "internal/tenants/2", ""),
];

/// Ways of writing "one segment up" and "/", each as an attacker would try them.
const UPS: [&str; 10] = [
    "..",
    "%2e%2e",
    "%2E%2E",
    "%2E.",
    ".%2e",
    "..;",
    "%252e%252e",
    "%2e%2e%3b",
    ".",
    "..%00",
];
const SLASHES: [&str; 4] = ["/", "%2f", "%2F", "\\"];

/// A request as written on the wire, and the status and body of the answer.
async fn send_raw(
    port: u16,
    method: &str,
    target: &str,
    credentials: &str,
    body: &str,
) -> (u16, String) {
    let basic = base64_encode(credentials);
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .expect("the gateway answers and closes")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn no_spelling_of_a_public_path_reaches_an_internal_route() {
    let app = spawn_stack().await;
    let port = app.stack.gateway.port;
    // Something for the internal routes to tell about: an application in use, a client
    // application whose secret an attacker would test, and a user with no permission at all.
    let app_id = app.create_app("Target_App").await["id"].clone();
    let r = app
        .admin(
            Method::POST,
            "/api/mgmt/oauthprofiles",
            Some(profile_body("Used", &app_id)),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .admin(
            Method::POST,
            "/api/mgmt/oauth/client/applications",
            Some(json!({"name": "Client", "redirectUrls": ["https://client.example/cb"]})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let client = r.json();
    let r = app
        .admin(
            Method::POST,
            "/api/admin/users",
            Some(json!({
                "userName": "nobody", "password": "nobody-password", "tenantId": 1,
                "permissions": [],
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let admin = format!("{ADMIN}:{ADMIN_PASSWORD}");
    let callers = [admin.as_str(), "nobody:nobody-password"];

    let mut tried = 0;
    for prefix in PREFIXES {
        for up in UPS {
            for slash in SLASHES {
                for (method, target, body) in TARGETS {
                    let ups = [up; 6].join(slash);
                    let path = format!("{prefix}{slash}1{slash}{ups}{slash}{target}");
                    let body = body
                        .replace("CLIENT", client["clientId"].as_str().unwrap())
                        .replace("SECRET", client["clientSecret"].as_str().unwrap());
                    for caller in callers {
                        let (status, answer) = send_raw(port, method, &path, caller, &body).await;
                        tried += 1;
                        assert!(
                            matches!(status, 400 | 404),
                            "{method} {path}: {status} {answer}"
                        );
                        let envelope: Value = serde_json::from_str(&answer)
                            .unwrap_or_else(|_| panic!("{path}: not JSON: {answer}"));
                        let code = envelope["error"]["code"].as_str().unwrap_or_default();
                        assert!(
                            code == "222200004" || code == "222200020",
                            "{method} {path}: {answer}"
                        );
                        for leak in ["valid", "profiles", "deleted", "tenants", "owners"] {
                            assert!(!answer.contains(&format!("\"{leak}\"")), "{path}: {answer}");
                        }
                    }
                }
            }
        }
    }
    assert_eq!(
        tried,
        PREFIXES.len() * UPS.len() * SLASHES.len() * TARGETS.len() * 2
    );

    // Nothing was purged, and the plain paths still work for both.
    let r = app
        .admin(Method::GET, "/api/mgmt/oauthprofiles", None)
        .await;
    assert_eq!(
        r.json()["profiles"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
    let (status, _) = send_raw(port, "GET", "/api/mgmt/oauthapps", &admin, "").await;
    assert_eq!(status, 200);
    let (status, _) = send_raw(
        port,
        "GET",
        "/api/mgmt/oauthprofiles",
        "nobody:nobody-password",
        "",
    )
    .await;
    assert_eq!(status, 403);
}

/// Undocumented paths under a service's prefix are answered by the gateway (404), not
/// forwarded: the gateway asks a service only for its documented routes.
#[tokio::test]
async fn only_documented_routes_are_forwarded() {
    let app = spawn_stack().await;
    let port = app.stack.gateway.port;
    let admin = format!("{ADMIN}:{ADMIN_PASSWORD}");
    for path in [
        "/api/mgmt/oauthapps/1/usage",
        "/api/mgmt/oauthprofiles/1/internal",
        "/api/mgmt/oauthapps/",
        "/api/mgmt/oauth/client/applications/1/verify",
        "/api/mgmt/oauthprofiles//1",
    ] {
        let (status, answer) = send_raw(port, "GET", path, &admin, "").await;
        assert_eq!(status, 404, "{path}: {answer}");
        assert!(answer.contains("222200020"), "{path}: {answer}");
    }
}
