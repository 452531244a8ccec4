//! oauth-apps over real HTTP, with a real oauth-profiles beside it: who may read and manage the
//! applications of which tenant, and why an application in use is neither deleted nor moved
//! away from its users.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step in a test helper is a failed test"
)]

use std::path::Path;
use std::time::Duration;

use api_common::ErrorCode;
use internal_auth::{Identity, Service, TokenSigner};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use test_support::free_port;

const APPS: &str = "/api/mgmt/oauthapps";
const PROFILES: &str = "/api/mgmt/oauthprofiles";

/// oauth-apps, and oauth-profiles unless the test wants it absent, on 127.0.0.1.
struct TestApp {
    apps: String,
    profiles: String,
    client: reqwest::Client,
    signer: TokenSigner,
    _dir: TempDir,
}

fn apps_config(dir: &Path, profiles_url: String, peer_timeout_ms: u64) -> oauth_apps::Config {
    let keys = internal_auth::load_or_generate_key_pair(&dir.join("keys")).unwrap();
    oauth_apps::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: dir.join("oauth-apps.db").to_string_lossy().into_owned(),
        token_public_key_file: keys.public_key,
        oauth_profiles_url: profiles_url,
        peer_timeout_ms,
        pool_size: 2,
        workers: Some(1),
        max_body_bytes: 256 * 1024,
        metrics_addr: None,
        encryption_keys: Some(format!("k1:{}", secrets::generate_key())),
        encryption_keys_file: dir.join("keys/oauth-apps-encryption.keys"),
        encryption_active_key: None,
        allow_private_uris: Default::default(),
    }
}

fn profiles_config(dir: &Path, addr: String, apps_url: String) -> oauth_profiles::Config {
    let keys = internal_auth::load_or_generate_key_pair(&dir.join("keys")).unwrap();
    oauth_profiles::Config {
        addr,
        database_url: dir.join("oauth-profiles.db").to_string_lossy().into_owned(),
        token_public_key_file: keys.public_key,
        oauth_apps_url: apps_url,
        peer_timeout_ms: 10_000,
        pool_size: 2,
        workers: Some(1),
        max_body_bytes: 256 * 1024,
        metrics_addr: None,
        encryption_keys: Some(format!("k1:{}", secrets::generate_key())),
        encryption_keys_file: dir.join("keys/oauth-profiles-encryption.keys"),
        encryption_active_key: None,
        providers: Default::default(),
    }
}

/// Starts oauth-apps talking to oauth-profiles at `profiles_url`, with fresh databases and
/// keys in `dir`.
fn start_apps(dir: &TempDir, profiles_url: String, peer_timeout_ms: u64) -> String {
    let app = oauth_apps::build(&apps_config(dir.path(), profiles_url, peer_timeout_ms))
        .expect("oauth-apps starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    base
}

fn test_app(dir: TempDir, apps: String, profiles: String) -> TestApp {
    let private_pem = std::fs::read(dir.path().join("keys/token-signing.pem")).unwrap();
    TestApp {
        apps,
        profiles,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        signer: TokenSigner::from_pem(&private_pem, Duration::from_secs(60)).unwrap(),
        _dir: dir,
    }
}

/// Both services, each knowing the other. Each needs the other's URL at start-up, so
/// oauth-profiles' port is chosen before oauth-apps starts.
async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let profiles_addr = format!("127.0.0.1:{}", free_port());
    let apps = start_apps(&dir, format!("http://{profiles_addr}"), 10_000);
    let profiles = oauth_profiles::build(&profiles_config(
        dir.path(),
        profiles_addr.clone(),
        apps.clone(),
    ))
    .expect("oauth-profiles starts");
    tokio::spawn(profiles.run_until_stopped());
    test_app(dir, apps, format!("http://{profiles_addr}"))
}

/// oauth-apps alone, asking oauth-profiles at `profiles_url`.
async fn spawn_apps_only(profiles_url: String, peer_timeout_ms: u64) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let apps = start_apps(&dir, profiles_url.clone(), peer_timeout_ms);
    test_app(dir, apps, profiles_url)
}

/// A user of `tenant_id` with `permissions`, administering `administered`.
fn user(user_id: i64, tenant_id: i64, permissions: &[u32], administered: &[i64]) -> Identity {
    Identity {
        user_id,
        user_name: format!("user{user_id}"),
        tenant_id,
        permissions: permissions.to_vec(),
        administered_tenants: administered.to_vec(),
    }
}

fn admin() -> Identity {
    user(1, 1, &[12], &[])
}

/// Alice of tenant 5, who may do everything with her profiles.
fn alice() -> Identity {
    user(7, 5, &[11, 1, 2, 3, 4], &[])
}

fn app_body(name: &str, tenant_id: Option<i64>) -> Value {
    let mut body = json!({
        "name": name,
        "dataStore": 54,
        "clientId": "client-id",
        "clientSecret": "client-secret",
        "authorizeURI": "https://accounts.google.com/o/oauth2/auth",
        "tokenURI": "https://www.googleapis.com/oauth2/v3/token",
        "scope": "https://www.googleapis.com/auth/analytics.readonly",
    });
    if let Some(tenant_id) = tenant_id {
        body["tenantId"] = json!(tenant_id);
    }
    body
}

impl TestApp {
    /// The token the gateway would forward to `service` for `identity`.
    fn token(&self, service: Service, identity: &Identity) -> String {
        self.signer.mint(service, identity, None).unwrap().0
    }

    async fn call(
        &self,
        method: Method,
        url: String,
        as_user: &Identity,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let service = match url.starts_with(&self.profiles) {
            true => Service::OauthProfiles,
            false => Service::OauthApps,
        };
        let token = self.token(service, as_user);
        let mut request = self.client.request(method, url).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let bytes = response.bytes().await.unwrap();
        let body = match bytes.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&bytes).unwrap(),
        };
        (status, body)
    }

    /// Calls oauth-apps at `path`.
    async fn apps(
        &self,
        method: Method,
        path: &str,
        as_user: &Identity,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(method, format!("{}{path}", self.apps), as_user, body)
            .await
    }

    /// Creates an application as `as_user`; returns its id.
    async fn create_app(&self, as_user: &Identity, name: &str, tenant_id: Option<i64>) -> i64 {
        let (status, app) = self
            .apps(Method::POST, APPS, as_user, Some(app_body(name, tenant_id)))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{app}");
        app["id"].as_i64().unwrap()
    }

    /// Creates a profile of `owner` using application `app_id`; returns its id.
    async fn create_profile(&self, owner: &Identity, name: &str, app_id: i64) -> i64 {
        let body = json!({"name": name, "oauthAppId": app_id, "refreshToken": "refresh"});
        let (status, profile) = self
            .call(
                Method::POST,
                format!("{}{PROFILES}", self.profiles),
                owner,
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{profile}");
        profile["id"].as_i64().unwrap()
    }
}

/// The error envelope's code and message, after checking the status.
fn error(answer: (StatusCode, Value), expected: StatusCode) -> (String, String) {
    let (status, body) = answer;
    assert_eq!(status, expected, "{body}");
    (
        body["error"]["code"].as_str().unwrap().to_owned(),
        body["error"]["message"]["value"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

fn forbidden(answer: (StatusCode, Value)) {
    let (code, _) = error(answer, StatusCode::FORBIDDEN);
    assert_eq!(code, ErrorCode::Forbidden.as_str());
}

fn not_found(answer: (StatusCode, Value)) {
    let (code, _) = error(answer, StatusCode::NOT_FOUND);
    assert_eq!(code, ErrorCode::OauthAppNotFound.as_str());
}

#[tokio::test]
async fn an_administrator_manages_applications_of_any_tenant() {
    let app = spawn_app().await;

    let id = app.create_app(&admin(), "Analytics", Some(7)).await;

    let path = format!("{APPS}/{id}");
    let (status, read) = app.apps(Method::GET, &path, &admin(), None).await;
    assert_eq!(
        (status, read["tenantId"].as_i64()),
        (StatusCode::OK, Some(7))
    );
    let (status, updated) = app
        .apps(
            Method::PUT,
            &path,
            &admin(),
            Some(app_body("Renamed", Some(8))),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["tenantId"], 8);
    let (status, _) = app.apps(Method::DELETE, &path, &admin(), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn mgmt_api_and_oauth_manage_the_callers_own_tenant_only() {
    let app = spawn_app().await;
    let manager = user(20, 5, &[11, 28], &[]);

    let id = app.create_app(&manager, "Own", None).await;
    let path = format!("{APPS}/{id}");
    let (status, read) = app.apps(Method::GET, &path, &manager, None).await;
    assert_eq!(
        (status, read["tenantId"].as_i64()),
        (StatusCode::OK, Some(5))
    );

    forbidden(
        app.apps(
            Method::POST,
            APPS,
            &manager,
            Some(app_body("Other", Some(6))),
        )
        .await,
    );
    forbidden(
        app.apps(Method::PUT, &path, &manager, Some(app_body("Own", Some(6))))
            .await,
    );
    let (status, _) = app
        .apps(Method::PUT, &path, &manager, Some(app_body("Own2", None)))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.apps(Method::DELETE, &path, &manager, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_system_tenant_user_manages_the_tenants_they_administer() {
    let app = spawn_app().await;
    let system_user = user(21, 1, &[11, 28], &[5]);
    let child_user = user(22, 3, &[11, 28], &[5]);

    let id = app.create_app(&system_user, "Delegated", Some(5)).await;
    let path = format!("{APPS}/{id}");
    let (status, _) = app
        .apps(
            Method::PUT,
            &path,
            &system_user,
            Some(app_body("Delegated", Some(5))),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    forbidden(
        app.apps(
            Method::POST,
            APPS,
            &system_user,
            Some(app_body("Not", Some(6))),
        )
        .await,
    );

    // A child tenant's user who administers tenant 5 reads its applications, manages none.
    let (status, _) = app.apps(Method::GET, &path, &child_user, None).await;
    assert_eq!(status, StatusCode::OK);
    forbidden(
        app.apps(
            Method::POST,
            APPS,
            &child_user,
            Some(app_body("Not", Some(5))),
        )
        .await,
    );
    forbidden(app.apps(Method::DELETE, &path, &child_user, None).await);
    let (status, _) = app.apps(Method::DELETE, &path, &system_user, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn without_both_mgmt_api_and_oauth_nothing_is_managed() {
    let app = spawn_app().await;
    let id = app.create_app(&admin(), "Theirs", Some(5)).await;
    let path = format!("{APPS}/{id}");

    for permissions in [&[11][..], &[28], &[11, 1, 2, 3, 4, 14, 21]] {
        let caller = user(23, 5, permissions, &[]);
        forbidden(
            app.apps(Method::POST, APPS, &caller, Some(app_body("Mine", None)))
                .await,
        );
        forbidden(
            app.apps(Method::PUT, &path, &caller, Some(app_body("Theirs", None)))
                .await,
        );
        forbidden(app.apps(Method::DELETE, &path, &caller, None).await);
    }
}

#[tokio::test]
async fn applications_of_other_tenants_are_not_found() {
    let app = spawn_app().await;
    let own = app.create_app(&admin(), "Own", Some(5)).await;
    let other = app.create_app(&admin(), "Other", Some(6)).await;
    let system = app.create_app(&admin(), "System", Some(1)).await;
    let reader = user(24, 5, &[], &[]);
    let manager = user(25, 5, &[11, 28], &[]);

    let (status, read) = app
        .apps(Method::GET, &format!("{APPS}/{system}"), &reader, None)
        .await;
    assert_eq!(
        (status, read["tenantId"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    assert!(read.get("clientSecret").is_none(), "{read}");
    let other_path = format!("{APPS}/{other}");
    not_found(app.apps(Method::GET, &other_path, &reader, None).await);
    not_found(
        app.apps(
            Method::PUT,
            &other_path,
            &manager,
            Some(app_body("X", None)),
        )
        .await,
    );
    not_found(app.apps(Method::DELETE, &other_path, &manager, None).await);
    // The system tenant's applications are read by all, managed by their managers only.
    forbidden(
        app.apps(Method::DELETE, &format!("{APPS}/{system}"), &manager, None)
            .await,
    );

    let ids = |list: Value| -> Vec<i64> {
        list["applications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    let (_, list) = app.apps(Method::GET, APPS, &reader, None).await;
    assert_eq!(ids(list), [own, system]);
    let (_, list) = app
        .apps(Method::GET, &format!("{APPS}?tenantId=6"), &reader, None)
        .await;
    assert_eq!(ids(list), Vec::<i64>::new());
    let (_, list) = app.apps(Method::GET, APPS, &admin(), None).await;
    assert_eq!(ids(list), [own, other, system]);
    let administering = user(26, 3, &[], &[6]);
    let (_, list) = app.apps(Method::GET, APPS, &administering, None).await;
    assert_eq!(ids(list), [other, system]);
}

#[tokio::test]
async fn an_application_in_use_is_not_deleted() {
    let app = spawn_app().await;
    let id = app.create_app(&admin(), "Used", Some(5)).await;
    let profile = app.create_profile(&alice(), "Mine", id).await;
    let path = format!("{APPS}/{id}");

    let (code, message) = error(
        app.apps(Method::DELETE, &path, &admin(), None).await,
        StatusCode::CONFLICT,
    );

    assert_eq!(code, ErrorCode::Conflict.as_str());
    assert_eq!(
        message,
        format!("OAuth application {id} is used by 1 OAuth profile(s); delete or move them first")
    );
    let (status, _) = app.apps(Method::GET, &path, &admin(), None).await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = app
        .call(
            Method::DELETE,
            format!("{}{PROFILES}/{profile}", app.profiles),
            &alice(),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.apps(Method::DELETE, &path, &admin(), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn an_application_in_use_does_not_leave_its_users_tenant() {
    let app = spawn_app().await;
    let id = app.create_app(&admin(), "Used", Some(5)).await;
    app.create_profile(&alice(), "Mine", id).await;
    let path = format!("{APPS}/{id}");
    let move_to = |tenant: i64| Some(app_body("Used", Some(tenant)));

    let (code, message) = error(
        app.apps(Method::PUT, &path, &admin(), move_to(6)).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(code, ErrorCode::Conflict.as_str());
    assert!(
        message.contains(&format!("OAuth application {id}")),
        "{message}"
    );
    let (_, read) = app.apps(Method::GET, &path, &admin(), None).await;
    assert_eq!(read["tenantId"], 5);

    // Every tenant may use the system tenant's applications; back home is fine too.
    for tenant in [1, 5] {
        let (status, moved) = app
            .apps(Method::PUT, &path, &admin(), move_to(tenant))
            .await;
        assert_eq!(status, StatusCode::OK, "{moved}");
        assert_eq!(moved["tenantId"], tenant);
    }

    let unused = app.create_app(&admin(), "Unused", Some(5)).await;
    let (status, _) = app
        .apps(
            Method::PUT,
            &format!("{APPS}/{unused}"),
            &admin(),
            Some(app_body("Unused", Some(6))),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn nothing_is_deleted_or_moved_while_oauth_profiles_is_down() {
    let app = spawn_apps_only(format!("http://127.0.0.1:{}", free_port()), 10_000).await;
    let id = app.create_app(&admin(), "Kept", Some(5)).await;
    let path = format!("{APPS}/{id}");

    let (code, _) = error(
        app.apps(Method::DELETE, &path, &admin(), None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    );
    assert_eq!(code, ErrorCode::ServiceUnavailable.as_str());
    let (code, _) = error(
        app.apps(
            Method::PUT,
            &path,
            &admin(),
            Some(app_body("Moved", Some(6))),
        )
        .await,
        StatusCode::SERVICE_UNAVAILABLE,
    );
    assert_eq!(code, ErrorCode::ServiceUnavailable.as_str());

    let (status, read) = app.apps(Method::GET, &path, &admin(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (read["name"].as_str(), read["tenantId"].as_i64()),
        (Some("Kept"), Some(5))
    );
}

#[tokio::test]
async fn nothing_is_deleted_while_oauth_profiles_is_too_slow() {
    // Accepts connections (the kernel does) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let app = spawn_apps_only(url, 300).await;
    let id = app.create_app(&admin(), "Kept", Some(5)).await;
    let path = format!("{APPS}/{id}");

    let (code, _) = error(
        app.apps(Method::DELETE, &path, &admin(), None).await,
        StatusCode::GATEWAY_TIMEOUT,
    );

    assert_eq!(code, ErrorCode::UpstreamTimeout.as_str());
    let (status, _) = app.apps(Method::GET, &path, &admin(), None).await;
    assert_eq!(status, StatusCode::OK);
    drop(silent);
}

/// Everything the administrator can list, to show that a refused request stored nothing.
async fn all_applications(app: &TestApp) -> Value {
    let (status, list) = app.apps(Method::GET, APPS, &admin(), None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list
}

/// Sends `body` to create and to replace application `id`: both must be 400 naming `field`
/// (as `'field'` in the envelope's message), and nothing may change.
async fn refused_everywhere(app: &TestApp, id: i64, body: Value, field: &str) {
    let before = all_applications(app).await;
    let path = format!("{APPS}/{id}");
    let (_, read_before) = app.apps(Method::GET, &path, &admin(), None).await;
    for (method, path) in [(Method::POST, APPS), (Method::PUT, path.as_str())] {
        let body = fresh_name_for(&method, &body, field);
        let (code, message) = error(
            app.apps(method.clone(), path, &admin(), Some(body.clone()))
                .await,
            StatusCode::BAD_REQUEST,
        );
        assert_eq!(code, ErrorCode::InvalidField.as_str(), "{method} {body}");
        assert!(
            message.contains(&format!("'{field}'")),
            "{method} {body}: {message}"
        );
        assert!(!message.contains(['\r', '\n']), "{message}");
    }
    assert_eq!(all_applications(app).await, before, "{body}");
    let (_, read_after) = app.apps(Method::GET, &path, &admin(), None).await;
    assert_eq!(read_after, read_before, "{body}");
}

/// A header injected through a stored URL, and everything a WHATWG parser would strip or
/// repair unseen, is refused as sent (item 4 of the input-validation issue).
#[tokio::test]
async fn authorize_and_token_urls_are_checked_as_sent() {
    let app = spawn_app().await;
    let id = app.create_app(&admin(), "Kept", Some(5)).await;

    for field in ["authorizeURI", "tokenURI"] {
        for bad in [
            "https://x.example/a\r\nLocation: https://evil.example/",
            "https://x.example/a\rb",
            "https://x.example/a\nb",
            "https://x.example/a\tb",
            "https://x.example/a\u{0}b",
            "https://x.example/a\u{85}b",
            "https://x.example/a\u{2028}b",
            "https://x.example/a\u{202E}b",
            "https://x.example/a\u{200B}b",
            "https://x.example/a b",
            " https://x.example/a",
            "https://x.example/a ",
            "\thttps://x.example/a",
            "https://x.example/a\n",
            "https://user:password@x.example/a",
            "https://user@x.example/a",
            "https://x.example/a#fragment",
            "https://x.example/a#",
            "https:x.example/a",
            "https:/x.example/a",
            "https://x.example\\a",
            "ftp://x.example/a",
            "x.example/a",
        ] {
            let mut body = app_body("Kept", Some(5));
            body[field] = json!(bad);
            refused_everywhere(&app, id, body, field).await;
        }
    }
}

/// What is stored, answered and later called is the parsed URL's serialization; an encoded
/// line break (`%0d%0a`) is inert and stays as sent.
#[tokio::test]
async fn authorize_and_token_urls_are_stored_normalised() {
    let app = spawn_app().await;
    let mut body = app_body("Normalised", Some(5));
    body["authorizeURI"] = json!("HTTPS://Accounts.Google.COM:443/o/oauth2/../oauth2/auth");
    body["tokenURI"] = json!("https://www.googleapis.com/token?x=%0d%0aB");

    let (status, created) = app.apps(Method::POST, APPS, &admin(), Some(body)).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    let (_, read) = app
        .apps(Method::GET, &format!("{APPS}/{id}"), &admin(), None)
        .await;
    for answer in [created, read] {
        assert_eq!(
            answer["authorizeURI"],
            "https://accounts.google.com/o/oauth2/auth"
        );
        assert_eq!(
            answer["tokenURI"],
            "https://www.googleapis.com/token?x=%0d%0aB"
        );
    }
}

/// No stored string takes a control character, a format character or a line separator;
/// credentials, ids and scopes take no white space at either end (item 5).
#[tokio::test]
async fn control_and_format_characters_are_refused_in_every_stored_string() {
    let app = spawn_app().await;
    let id = app.create_app(&admin(), "Kept", Some(5)).await;
    let invisible = [
        "\r", "\n", "\t", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{2029}", "\u{202E}",
        "\u{200B}", "\u{FEFF}",
    ];

    for field in ["name", "description", "clientId", "clientSecret", "scope"] {
        for bad in invisible {
            let mut body = app_body("Kept", Some(5));
            body[field] = json!(format!("a{bad}b"));
            refused_everywhere(&app, id, body, field).await;
        }
    }
    for field in ["name", "clientId", "clientSecret", "scope"] {
        for bad in [" ab", "ab ", "\u{A0}ab", "ab\u{3000}"] {
            let mut body = app_body("Kept", Some(5));
            body[field] = json!(bad);
            refused_everywhere(&app, id, body, field).await;
        }
    }
    // Free text keeps its spaces, inside and at the ends, and any printable character.
    let mut body = app_body("Kept", Some(5));
    body["description"] = json!(" Zoë's app — analytics ");
    body["scope"] = json!("full_offline_access, test_repo");
    let (status, updated) = app
        .apps(Method::PUT, &format!("{APPS}/{id}"), &admin(), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["description"], " Zoë's app — analytics ");
}

/// A JSON array is not an object whose fields serde may fill by position (item 8).
#[tokio::test]
async fn a_json_array_body_is_refused() {
    let app = spawn_app().await;
    let id = app.create_app(&admin(), "Kept", Some(5)).await;
    let before = all_applications(&app).await;
    let positional = json!([
        "Positional",
        54,
        5,
        null,
        "client-id",
        "client-secret",
        "https://accounts.google.com/o/oauth2/auth",
        "https://www.googleapis.com/oauth2/v3/token",
        "scope"
    ]);

    for (method, path) in [
        (Method::POST, APPS.to_owned()),
        (Method::PUT, format!("{APPS}/{id}")),
    ] {
        for body in [positional.clone(), json!([]), json!("text"), json!(17)] {
            let (code, message) = error(
                app.apps(method.clone(), &path, &admin(), Some(body)).await,
                StatusCode::BAD_REQUEST,
            );
            assert_eq!(code, ErrorCode::MalformedRequest.as_str());
            assert_eq!(message, "The request body must be a JSON object");
        }
    }
    assert_eq!(all_applications(&app).await, before);
}

/// `body` for `method`: a create gets a name of its own (unless the name is what is tested), so
/// that only the field under test can refuse it, not a name already taken.
fn fresh_name_for(method: &Method, body: &Value, field: &str) -> Value {
    let mut body = body.clone();
    if *method == Method::POST && field != "name" {
        body["name"] = json!("Fresh");
    }
    body
}
