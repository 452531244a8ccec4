//! The service over real HTTP: registered secrets verify through the internal credential check,
//! and nothing a copy of the database holds lets anyone learn or test them.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step in a test helper is a failed test"
)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use api_common::peer::PeerError;
use api_common::ErrorCode;
use client_registration::{build, Config};
use client_registration_client::{ClientRegistrationClient, Verification, VerifiedClient};
use internal_auth::{Identity, Service, TokenSigner};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;

const APPS: &str = "/api/mgmt/oauth/client/applications";
const VERIFY: &str = "/internal/client-applications/verify";

struct TestApp {
    base: String,
    client: reqwest::Client,
    signer: TokenSigner,
    /// A token of user 1, who registers the applications.
    token: String,
    database: PathBuf,
    _dir: TempDir,
}

/// The settings of a service on port 0 with its database and keys in `dir`.
fn config(dir: &Path, secret_hash_key: Option<String>) -> Config {
    let keys = internal_auth::load_or_generate_key_pair(&dir.join("keys")).unwrap();
    Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: dir
            .join("client-registration.db")
            .to_string_lossy()
            .into_owned(),
        token_public_key_file: keys.public_key,
        pool_size: 2,
        workers: Some(1),
        max_body_bytes: 256 * 1024,
        metrics_addr: None,
        secret_hash_key,
        secret_hash_key_file: dir.join("keys/client-registration-hash.key"),
        oauth2: Default::default(),
    }
}

/// Starts the service with a fresh SQLite database and a fresh hash key given inline.
async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), Some(secrets::generate_key()));
    let app = build(&config).expect("the service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let private_pem = std::fs::read(dir.path().join("keys/token-signing.pem")).unwrap();
    let signer = TokenSigner::from_pem(&private_pem, Duration::from_secs(60)).unwrap();
    let token = mint(&signer, 1);
    TestApp {
        base,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        signer,
        token,
        database: PathBuf::from(config.database_url),
        _dir: dir,
    }
}

fn mint(signer: &TokenSigner, user_id: i64) -> String {
    let identity = Identity {
        user_id,
        user_name: format!("user{user_id}"),
        tenant_id: 1,
        permissions: vec![],
        administered_tenants: vec![],
    };
    signer
        .mint(Service::ClientRegistration, &identity, None)
        .unwrap()
        .0
}

impl TestApp {
    fn peer(&self) -> ClientRegistrationClient {
        ClientRegistrationClient::new(self.client.clone(), &self.base)
    }

    /// Calls the service, with `token` as the bearer if given.
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
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

    /// Calls the service as user 1.
    async fn as_owner(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(method, path, Some(&self.token), body).await
    }

    /// Registers an application of user 1; returns its id, client id and client secret.
    async fn register(&self, name: &str) -> (i64, String, String) {
        let body = json!({"name": name, "redirectUrls": ["https://app.example.com/cb", "com.example.app:/cb"]});
        let (status, app) = self.as_owner(Method::POST, APPS, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{app}");
        (
            app["id"].as_i64().unwrap(),
            app["clientId"].as_str().unwrap().to_owned(),
            app["clientSecret"].as_str().unwrap().to_owned(),
        )
    }

    /// Calls an internal route with the gateway's system token.
    async fn as_system(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let system = self.signer.mint_system().unwrap().0;
        self.call(method, path, Some(&system), body).await
    }

    /// The answer of the credential check, asked with the gateway's system token, which must
    /// be 200.
    async fn verify(&self, client_id: &str, client_secret: &str) -> Value {
        let body = json!({"clientId": client_id, "clientSecret": client_secret});
        let (status, answer) = self.as_system(Method::POST, VERIFY, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer
    }

    /// Everything the SQLite database has on disk, its write-ahead log included.
    fn database_bytes(&self) -> Vec<u8> {
        let mut bytes = std::fs::read(&self.database).unwrap();
        let mut wal = self.database.clone().into_os_string();
        wal.push("-wal");
        if let Ok(log) = std::fs::read(wal) {
            bytes.extend(log);
        }
        bytes
    }
}

fn invalid() -> Value {
    json!({"valid": false})
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// The error envelope's code and message, after checking the status.
fn envelope(status: StatusCode, body: &Value, expected: StatusCode) -> (String, String) {
    assert_eq!(status, expected, "{body}");
    (
        body["error"]["code"].as_str().unwrap().to_owned(),
        body["error"]["message"]["value"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

#[tokio::test]
async fn a_registered_secret_verifies_with_the_application() {
    let app = spawn_app().await;
    let (id, client_id, secret) = app.register("App").await;

    let answer = app.verify(&client_id, &secret).await;

    assert_eq!(
        answer,
        json!({
            "valid": true,
            "id": id,
            "ownerId": 1,
            "redirectUrls": ["https://app.example.com/cb", "com.example.app:/cb"]
        })
    );
}

/// The check is an internal route: the gateway's own token opens it; the token of a request
/// the gateway forwards to client-registration, whoever the user (the owner included), does
/// not, so a routing mistake in the gateway cannot turn it into a secret oracle.
#[tokio::test]
async fn only_internal_callers_may_check_credentials() {
    let app = spawn_app().await;
    let (id, client_id, secret) = app.register("App").await;
    let body = json!({"clientId": client_id, "clientSecret": secret});
    for forwarded in [mint(&app.signer, 2), app.token.clone()] {
        let (status, answer) = app
            .call(Method::POST, VERIFY, Some(&forwarded), Some(body.clone()))
            .await;
        let (code, _) = envelope(status, &answer, StatusCode::FORBIDDEN);
        assert_eq!(code, ErrorCode::Forbidden.as_str());
    }

    let answer = app.verify(&client_id, &secret).await;
    assert_eq!(answer["valid"], true);
    assert_eq!(
        (answer["id"].as_i64(), answer["ownerId"].as_i64()),
        (Some(id), Some(1))
    );
}

#[tokio::test]
async fn wrong_secrets_and_unknown_ids_are_only_invalid() {
    let app = spawn_app().await;
    let (_, client_id, secret) = app.register("App").await;
    let (_, other_client_id, other_secret) = app.register("Other").await;

    let mut wrong = secret.clone();
    wrong.replace_range(..1, if secret.starts_with('A') { "B" } else { "A" });
    assert_eq!(app.verify(&client_id, &wrong).await, invalid());
    assert_eq!(app.verify(&client_id, &other_secret).await, invalid());
    assert_eq!(app.verify(&other_client_id, &secret).await, invalid());
    assert_eq!(app.verify(&uuid_like(), &secret).await, invalid());
    assert_eq!(app.verify(&secret, &client_id).await, invalid());
    assert_eq!(
        app.verify(&other_client_id, &other_secret).await["valid"],
        true
    );
}

#[tokio::test]
async fn the_typed_client_checks_credentials() {
    let app = spawn_app().await;
    let (id, client_id, secret) = app.register("App").await;
    let peer = app.peer();
    let system = app.signer.mint_system().unwrap().0;

    let verified = peer.verify(&system, &client_id, &secret).await.unwrap();
    let wrong = peer.verify(&system, &client_id, "wrong").await.unwrap();

    assert_eq!(
        verified,
        Verification::valid(VerifiedClient {
            id,
            owner_id: 1,
            redirect_urls: vec![
                "https://app.example.com/cb".into(),
                "com.example.app:/cb".into()
            ],
        })
    );
    assert_eq!(wrong, Verification::invalid());
    let refused = peer
        .verify("not-a-token", &client_id, &secret)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, PeerError::Api(e) if e.code() == ErrorCode::Unauthenticated),
        "{refused}"
    );
}

#[tokio::test]
async fn purging_an_owner_takes_the_system_token_and_only_their_applications() {
    let app = spawn_app().await;
    let (_, client_id, secret) = app.register("App").await;
    app.register("Other").await;
    let other_user = mint(&app.signer, 2);
    let body = json!({"name": "Theirs", "redirectUrls": ["https://theirs.example.com/cb"]});
    let (status, theirs) = app
        .call(Method::POST, APPS, Some(&other_user), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    let peer = app.peer();
    let path = "/internal/owners/1";

    let (status, answer) = app.as_owner(Method::DELETE, path, None).await;
    let (code, _) = envelope(status, &answer, StatusCode::FORBIDDEN);
    assert_eq!(code, ErrorCode::Forbidden.as_str());
    let refused = peer.purge_owner(&other_user, 1).await.unwrap_err();
    assert!(
        matches!(&refused, PeerError::Api(e) if e.code() == ErrorCode::Forbidden),
        "{refused}"
    );
    assert_eq!(app.verify(&client_id, &secret).await["valid"], true);

    let system = app.signer.mint_system().unwrap().0;
    assert_eq!(peer.purge_owner(&system, 1).await.unwrap(), 2);
    assert_eq!(peer.purge_owner(&system, 1).await.unwrap(), 0);

    assert_eq!(app.verify(&client_id, &secret).await, invalid());
    let (_, mine) = app.as_owner(Method::GET, APPS, None).await;
    assert_eq!(mine, json!({"applications": []}));
    let (_, kept) = app.call(Method::GET, APPS, Some(&other_user), None).await;
    assert_eq!(kept["applications"][0]["id"], theirs["id"]);
    let (status, answer) = app.call(Method::GET, path, Some(&system), None).await;
    let (code, _) = envelope(status, &answer, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(code, ErrorCode::MethodNotAllowed.as_str());
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".to_owned()
}

#[tokio::test]
async fn a_reset_replaces_the_secret_at_once() {
    let app = spawn_app().await;
    let (id, client_id, old_secret) = app.register("App").await;

    let (status, reset) = app
        .as_owner(Method::PUT, &format!("{APPS}/{id}/reset"), None)
        .await;

    assert_eq!(status, StatusCode::OK, "{reset}");
    assert_eq!(reset["clientId"], client_id.as_str());
    let new_secret = reset["clientSecret"].as_str().unwrap();
    assert_ne!(new_secret, old_secret);
    assert_eq!(app.verify(&client_id, &old_secret).await, invalid());
    let answer = app.verify(&client_id, new_secret).await;
    assert_eq!(
        (answer["valid"].as_bool(), answer["id"].as_i64()),
        (Some(true), Some(id))
    );
}

#[tokio::test]
async fn a_deleted_application_verifies_nothing() {
    let app = spawn_app().await;
    let (id, client_id, secret) = app.register("App").await;

    let (status, _) = app
        .as_owner(Method::DELETE, &format!("{APPS}/{id}"), None)
        .await;

    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.verify(&client_id, &secret).await, invalid());
}

#[tokio::test]
async fn missing_or_mistyped_fields_are_400_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({"clientSecret": "s"}), "'clientId'"),
        (json!({"clientId": "id"}), "'clientSecret'"),
        (
            json!({"clientId": "id", "clientSecret": 7}),
            "'clientSecret'",
        ),
        (json!({"clientId": "", "clientSecret": "s"}), "'clientId'"),
        (json!({}), "'clientId'"),
    ];
    for (body, field) in cases {
        let (status, answer) = app.as_system(Method::POST, VERIFY, Some(body)).await;
        let (code, message) = envelope(status, &answer, StatusCode::BAD_REQUEST);
        assert_eq!(code, ErrorCode::InvalidField.as_str());
        assert!(message.contains(field), "{message}");
    }
    let (status, answer) = app.as_system(Method::GET, VERIFY, None).await;
    let (code, _) = envelope(status, &answer, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(code, ErrorCode::MethodNotAllowed.as_str());
}

#[tokio::test]
async fn the_check_needs_an_internal_token() {
    let app = spawn_app().await;
    let (_, client_id, secret) = app.register("App").await;
    let body = json!({"clientId": client_id, "clientSecret": secret});

    let (status, answer) = app
        .call(Method::POST, VERIFY, None, Some(body.clone()))
        .await;
    let (code, _) = envelope(status, &answer, StatusCode::UNAUTHORIZED);
    assert_eq!(code, ErrorCode::Unauthenticated.as_str());

    let (status, answer) = app
        .call(Method::POST, VERIFY, Some("not-a-token"), Some(body))
        .await;
    envelope(status, &answer, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_database_holds_neither_the_secret_nor_its_plain_digest() {
    let app = spawn_app().await;
    let (id, client_id, first_secret) = app.register("App").await;
    let (_, reset) = app
        .as_owner(Method::PUT, &format!("{APPS}/{id}/reset"), None)
        .await;
    let second_secret = reset["clientSecret"].as_str().unwrap().to_owned();

    let stored = app.database_bytes();

    assert!(
        contains(&stored, &client_id),
        "the test reads the right file"
    );
    for secret in [&first_secret, &second_secret] {
        let digest = format!("{:x}", Sha256::digest(secret.as_bytes()));
        assert!(!contains(&stored, secret), "the secret is stored");
        assert!(!contains(&stored, &digest), "its SHA-256 is stored");
    }
}

/// What `build` fails with for `config`.
fn start_error(config: &Config) -> String {
    match build(config) {
        Ok(_) => panic!("the service started"),
        Err(err) => err.to_string(),
    }
}

#[tokio::test]
async fn a_malformed_hash_key_stops_start_up_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "bad-key-material-Zm9vYmFy";

    let message = start_error(&config(dir.path(), Some(bad.to_owned())));

    assert!(
        message.starts_with("CLIENT_REGISTRATION_SECRET_HASH_KEY:"),
        "{message}"
    );
    assert!(!message.contains(bad), "{message}");
    assert!(!dir.path().join("client-registration.db").exists());
}

#[tokio::test]
async fn a_hash_key_is_read_from_its_file_when_not_given_inline() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), None);

    let message = start_error(&config);
    assert!(
        message.starts_with("CLIENT_REGISTRATION_SECRET_HASH_KEY_FILE:"),
        "{message}"
    );

    let bad = "k1:c2hvcnQ=";
    std::fs::write(&config.secret_hash_key_file, bad).unwrap();
    let message = start_error(&config);
    assert!(
        message.starts_with("CLIENT_REGISTRATION_SECRET_HASH_KEY_FILE"),
        "{message}"
    );
    assert!(!message.contains("c2hvcnQ="), "{message}");

    std::fs::remove_file(&config.secret_hash_key_file).unwrap();
    let key = format!("k1:{}", secrets::generate_key());
    secrets::generate_key_file(&config.secret_hash_key_file, &key).unwrap();
    let app = build(&config).expect("the service starts with the key from its file");
    let handle = app.handle();
    let ((), stopped) = tokio::join!(handle.stop(false), app.run_until_stopped());
    stopped.unwrap();
}

/// The caller's applications, to show that a refused request stored nothing.
async fn owned_applications(app: &TestApp) -> Value {
    let (status, list) = app.as_owner(Method::GET, APPS, None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list
}

/// Sends `body` to register an application and to replace application `id`: both must be 400
/// naming `field`, and nothing may change.
async fn refused_everywhere(app: &TestApp, id: i64, body: Value, field: &str) {
    let before = owned_applications(app).await;
    let path = format!("{APPS}/{id}");
    for (method, path) in [(Method::POST, APPS), (Method::PUT, path.as_str())] {
        let body = fresh_name_for(&method, &body, field);
        let (status, answer) = app.as_owner(method.clone(), path, Some(body.clone())).await;
        let (code, message) = envelope(status, &answer, StatusCode::BAD_REQUEST);
        assert_eq!(code, ErrorCode::InvalidField.as_str(), "{method} {body}");
        assert!(
            message.contains(&format!("'{field}'")),
            "{method} {body}: {message}"
        );
        assert!(!message.contains(['\r', '\n', '\t']), "{message}");
    }
    assert_eq!(owned_applications(app).await, before, "{body}");
}

/// Redirect URLs come from an allow-list (item 6 of the input-validation issue): https, http to
/// a loopback host, a private-use scheme in reverse-domain form; nothing else.
#[tokio::test]
async fn redirect_urls_outside_the_allow_list_are_refused() {
    let app = spawn_app().await;
    let (id, _, _) = app.register("App").await;

    for bad in [
        "about:blank",
        "blob:https://app.example.com/550e8400-e29b-41d4-a716-446655440000",
        "view-source:https://app.example.com/cb",
        "chrome://settings",
        "jar:https://app.example.com/a.jar!/cb",
        "mailto:someone@example.com",
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "myapp:/cb",
        "https:app.example.com/cb",
        "https:/app.example.com/cb",
        "http://app.example.com/cb",
        "http://10.0.0.1/cb",
        "https://app.example.com\\cb",
        "https://*.example.com/cb",
        "https://app.example.com/*",
        "https://app.example.com/cb\r\nLocation: https://evil.example/",
        "https://app.example.com/c\tb",
        "https://app.example.com/c\u{0}b",
        "https://app.example.com/c\u{85}b",
        "https://app.example.com/c\u{2028}b",
        "https://app.example.com/c\u{202E}b",
        "https://app.example.com/c\u{200B}b",
        " https://app.example.com/cb",
        "https://app.example.com/cb ",
        "https://user:pw@app.example.com/cb",
        "https://app.example.com/cb#fragment",
        "https://bücher.example/cb",
        "bedford.progresstest.com",
    ] {
        refused_everywhere(
            &app,
            id,
            json!({"name": "App", "redirectUrls": [bad]}),
            "redirectUrls",
        )
        .await;
    }
}

/// Stored, shown and verified in the normalised form that authorization requests will be
/// compared with; an encoded line break stays encoded, as sent.
#[tokio::test]
async fn redirect_urls_are_stored_normalised() {
    let app = spawn_app().await;
    let body = json!({"name": "App", "redirectUrls": [
        "HTTPS://App.Example.COM:443/cb",
        "https://app.example.com/cb",
        "https://xn--bcher-kva.example",
        "http://LOCALHOST:8080/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:9000/cb",
        "Com.Example.App:/oauth2redirect",
        "https://app.example.com/cb?x=%0d%0a",
    ]});
    let normalised = json!([
        "https://app.example.com/cb",
        "https://xn--bcher-kva.example/",
        "http://localhost:8080/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:9000/cb",
        "com.example.app:/oauth2redirect",
        "https://app.example.com/cb?x=%0d%0a",
    ]);

    let (status, created) = app.as_owner(Method::POST, APPS, Some(body)).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["redirectUrls"], normalised);
    let id = created["id"].as_i64().unwrap();
    let (_, read) = app
        .as_owner(Method::GET, &format!("{APPS}/{id}"), None)
        .await;
    assert_eq!(read["redirectUrls"], normalised);
    let client_id = created["clientId"].as_str().unwrap();
    let secret = created["clientSecret"].as_str().unwrap();
    assert_eq!(
        app.verify(client_id, secret).await["redirectUrls"],
        normalised
    );
}

/// No stored string takes a control character, a format character or a line separator; a
/// name takes no white space at either end (item 5).
#[tokio::test]
async fn control_and_format_characters_are_refused_in_every_stored_string() {
    let app = spawn_app().await;
    let (id, _, _) = app.register("App").await;
    let invisible = [
        "\r", "\n", "\t", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{2029}", "\u{202E}",
        "\u{200B}", "\u{FEFF}",
    ];
    let valid = || json!({"name": "App", "redirectUrls": ["https://app.example.com/cb"]});

    for field in ["name", "description"] {
        for bad in invisible {
            let mut body = valid();
            body[field] = json!(format!("a{bad}b"));
            refused_everywhere(&app, id, body, field).await;
        }
    }
    for bad in [" App", "App ", "\u{A0}App", "App\u{3000}"] {
        let mut body = valid();
        body["name"] = json!(bad);
        refused_everywhere(&app, id, body, "name").await;
    }
    // The credential check takes no such characters either (it stores nothing: 400, not
    // "invalid").
    for field in ["clientId", "clientSecret"] {
        for bad in ["a\r\nb", "a\u{202E}b", " a", "a "] {
            let mut body = json!({"clientId": "id", "clientSecret": "secret"});
            body[field] = json!(bad);
            let (status, answer) = app.as_system(Method::POST, VERIFY, Some(body)).await;
            let (code, message) = envelope(status, &answer, StatusCode::BAD_REQUEST);
            assert_eq!(code, ErrorCode::InvalidField.as_str());
            assert!(message.contains(&format!("'{field}'")), "{message}");
        }
    }
    // Free text keeps its spaces and any printable character.
    let mut body = valid();
    body["name"] = json!("Zoë's App — v2");
    body["description"] = json!(" for analytics ");
    let (status, updated) = app
        .as_owner(Method::PUT, &format!("{APPS}/{id}"), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(
        (updated["name"].as_str(), updated["description"].as_str()),
        (Some("Zoë's App — v2"), Some(" for analytics "))
    );
}

/// A JSON array is not an object whose fields serde may fill by position (item 8), on every
/// route that takes a body.
#[tokio::test]
async fn a_json_array_body_is_refused() {
    let app = spawn_app().await;
    let (id, client_id, secret) = app.register("App").await;
    let before = owned_applications(&app).await;
    let positional = json!(["Positional", null, ["https://app.example.com/cb"]]);
    let one = format!("{APPS}/{id}");

    for (method, path) in [(Method::POST, APPS), (Method::PUT, one.as_str())] {
        for body in [positional.clone(), json!([]), json!("text"), json!(17)] {
            let (status, answer) = app.as_owner(method.clone(), path, Some(body)).await;
            let (code, message) = envelope(status, &answer, StatusCode::BAD_REQUEST);
            assert_eq!(code, ErrorCode::MalformedRequest.as_str());
            assert_eq!(message, "The request body must be a JSON object");
        }
    }
    assert_eq!(owned_applications(&app).await, before);
    let (status, answer) = app
        .as_system(Method::POST, VERIFY, Some(json!([client_id, secret])))
        .await;
    let (code, message) = envelope(status, &answer, StatusCode::BAD_REQUEST);
    assert_eq!(code, ErrorCode::MalformedRequest.as_str());
    assert_eq!(message, "The request body must be a JSON object");
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
