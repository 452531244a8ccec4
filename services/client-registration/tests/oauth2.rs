//! The authorization server's client-registration half over real HTTP on loopback, on a real
//! SQLite file, or on PostgreSQL when `TEST_POSTGRES_URL` is set: the token endpoint's grants
//! and every RFC 6749 5.2 error that applies, PKCE, single-use codes and refresh rotation
//! (concurrent uses included), revocation, introspection, metadata, `allowedapplications`,
//! the internal routes the gateway calls, and who may reach what.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step in a test helper is a failed test"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use client_registration::oauth2::Oauth2Settings;
use client_registration::{build, Config, MIGRATIONS};
use client_registration_client::oauth2::{NewCode, CLIENT_AUTHORIZATION_HEADER};
use client_registration_client::ClientRegistrationClient;
use db::{DatabaseUrl, DbPool, PoolOptions};
use diesel::prelude::*;
use internal_auth::{Identity, Service, TokenSigner};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use test_support::PgDatabases;

const APPS: &str = "/api/mgmt/oauth/client/applications";
const ALLOWED: &str = "/api/mgmt/oauth/client/allowedapplications";
const TOKEN: &str = "/oauth2/token";
const MGMT_TOKEN: &str = "/api/mgmt/oauth2/token";
const REVOKE: &str = "/oauth2/revoke";
const INTROSPECT: &str = "/oauth2/introspect";
const CHECK: &str = "/internal/oauth2/tokens/check";
const REDIRECT: &str = "https://app.example.com/cb";
const OTHER_REDIRECT: &str = "com.example.app:/cb";
/// The RFC 7636 appendix B example.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

struct TestApp {
    base: String,
    client: reqwest::Client,
    signer: TokenSigner,
    database_url: String,
    postgres: Option<PgDatabases>,
    _dir: TempDir,
}

/// A registered client application.
#[derive(Clone)]
struct Client {
    id: i64,
    client_id: String,
    secret: String,
}

/// How a token request authenticates its client.
#[derive(Clone, Copy)]
enum Auth<'a> {
    Basic(&'a Client),
    Post(&'a Client),
    None,
}

/// An answer: status, headers and JSON body (null when empty).
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    /// Asserts an RFC 6749 5.2 error: the status, the `error`, a description, no envelope and
    /// no-store.
    #[track_caller]
    fn oauth_error(&self, status: StatusCode, error: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.body["error"], error, "{}", self.body);
        assert!(self.body["error_description"].is_string(), "{}", self.body);
        assert_eq!(self.headers["cache-control"], "no-store");
        assert_eq!(self.headers["pragma"], "no-cache");
    }

    #[track_caller]
    fn ok(&self) -> &Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        &self.body
    }
}

fn config(dir: &Path, database_url: String, oauth2: Oauth2Settings) -> Config {
    let keys = internal_auth::load_or_generate_key_pair(&dir.join("keys")).unwrap();
    Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url,
        token_public_key_file: keys.public_key,
        pool_size: 6,
        workers: Some(2),
        max_body_bytes: 256 * 1024,
        metrics_addr: None,
        secret_hash_key: Some(secrets::generate_key()),
        secret_hash_key_file: dir.join("keys/client-registration-hash.key"),
        oauth2,
    }
}

async fn spawn_app() -> TestApp {
    spawn_with(Oauth2Settings::default()).await
}

/// The service on port 0 with its own database: PostgreSQL when configured, else SQLite.
async fn spawn_with(oauth2: Oauth2Settings) -> TestApp {
    let _ = env_logger::builder().is_test(true).try_init();
    let dir = tempfile::tempdir().unwrap();
    let postgres = PgDatabases::create_if_configured(&["client-registration"]);
    let database_url =
        test_support::database_url(postgres.as_ref(), dir.path(), "client-registration");
    let config = config(dir.path(), database_url.clone(), oauth2);
    let app = build(&config).expect("the service starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let private_pem = std::fs::read(dir.path().join("keys/token-signing.pem")).unwrap();
    let signer = TokenSigner::from_pem(&private_pem, Duration::from_secs(60)).unwrap();
    TestApp {
        base,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        signer,
        database_url,
        postgres,
        _dir: dir,
    }
}

impl TestApp {
    /// A user's token, as the gateway mints it for a request forwarded here.
    fn user(&self, user_id: i64) -> String {
        let identity = Identity {
            user_id,
            user_name: format!("user{user_id}"),
            tenant_id: 1,
            permissions: vec![],
            administered_tenants: vec![],
        };
        self.signer
            .mint(Service::ClientRegistration, &identity, None)
            .unwrap()
            .0
    }

    /// The gateway's open-route token for client-registration.
    fn open(&self) -> String {
        self.signer
            .mint_open(Service::ClientRegistration)
            .unwrap()
            .0
    }

    fn system(&self) -> String {
        self.signer.mint_system().unwrap().0
    }

    fn peer(&self) -> ClientRegistrationClient {
        ClientRegistrationClient::new(self.client.clone(), &self.base)
    }

    /// A pool on the service's database, to look at or age its rows.
    fn pool(&self) -> DbPool {
        let url = DatabaseUrl::parse("TEST_DB", &self.database_url).unwrap();
        db::connect("TEST_DB", &url, MIGRATIONS, PoolOptions::default()).unwrap()
    }

    async fn json(&self, method: Method, path: &str, token: &str, body: Option<Value>) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        read(request.send().await.unwrap()).await
    }

    /// Registers an application of `owner`.
    async fn register(&self, owner: i64, name: &str) -> Client {
        let body = json!({"name": name, "redirectUrls": [REDIRECT, OTHER_REDIRECT]});
        let answer = self
            .json(Method::POST, APPS, &self.user(owner), Some(body))
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        Client {
            id: answer.body["id"].as_i64().unwrap(),
            client_id: answer.body["clientId"].as_str().unwrap().to_owned(),
            secret: answer.body["clientSecret"].as_str().unwrap().to_owned(),
        }
    }

    /// A code for `user` and `client`, as the gateway asks for one after consent.
    async fn code(
        &self,
        user: i64,
        client: &Client,
        redirect_uri: Option<&str>,
        scope: &str,
        challenge: Option<&str>,
    ) -> String {
        let new = NewCode {
            user_id: user,
            user_name: Some(format!("user{user}")),
            client_app_id: client.id,
            redirect_uri: redirect_uri.map(str::to_owned),
            scope: scope.to_owned(),
            code_challenge: challenge.map(str::to_owned),
            code_challenge_method: challenge.map(|_| "S256".to_owned()),
        };
        self.peer()
            .oauth2_create_code(&self.system(), &new)
            .await
            .unwrap()
            .code
    }

    /// A form post to a public OAuth route with the open-route token.
    async fn form(&self, path: &str, auth: Auth<'_>, params: &[(&str, &str)]) -> Answer {
        self.form_as(path, &self.open(), auth, params).await
    }

    async fn form_as(
        &self,
        path: &str,
        token: &str,
        auth: Auth<'_>,
        params: &[(&str, &str)],
    ) -> Answer {
        let mut params: Vec<(&str, &str)> = params.to_vec();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token);
        match auth {
            Auth::Basic(client) => {
                let basic = STANDARD.encode(format!("{}:{}", client.client_id, client.secret));
                request = request.header(CLIENT_AUTHORIZATION_HEADER, format!("Basic {basic}"));
            }
            Auth::Post(client) => {
                params.push(("client_id", &client.client_id));
                params.push(("client_secret", &client.secret));
            }
            Auth::None => {}
        }
        read(request.form(&params).send().await.unwrap()).await
    }

    /// Redeems `code` with the RFC 7636 verifier and [`REDIRECT`].
    async fn redeem(&self, client: &Client, code: &str) -> Answer {
        self.form(
            TOKEN,
            Auth::Basic(client),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ],
        )
        .await
    }

    /// A code redeemed: (access token, refresh token).
    async fn tokens(&self, user: i64, client: &Client, scope: &str) -> (String, String) {
        let code = self
            .code(user, client, Some(REDIRECT), scope, Some(CHALLENGE))
            .await;
        let answer = self.redeem(client, &code).await;
        let body = answer.ok();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    async fn refresh(&self, client: &Client, refresh_token: &str) -> Answer {
        self.form(
            TOKEN,
            Auth::Post(client),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// The gateway's token check.
    async fn check(&self, access_token: &str) -> Value {
        let answer = self
            .json(
                Method::POST,
                CHECK,
                &self.system(),
                Some(json!({"token": access_token})),
            )
            .await;
        answer.ok().clone()
    }

    async fn active(&self, access_token: &str) -> bool {
        self.check(access_token).await["active"] == true
    }
}

async fn read(response: reqwest::Response) -> Answer {
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let body = match bytes.is_empty() {
        true => Value::Null,
        false => serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes))),
    };
    Answer {
        status,
        headers,
        body,
    }
}

#[tokio::test]
async fn the_code_flow_with_pkce_issues_tokens_that_check_introspect_and_refresh() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let code = app
        .code(
            7,
            &client,
            Some(REDIRECT),
            "api.access.mgmt api.access.odata",
            Some(CHALLENGE),
        )
        .await;
    assert!(code.starts_with("hdpc_"));

    let answer = app.redeem(&client, &code).await;
    let body = answer.ok().clone();
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.headers["pragma"], "no-cache");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "api.access.odata api.access.mgmt");
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("hdpat_") && refresh.starts_with("hdprt_"));

    // The gateway's check.
    let check = app.check(access).await;
    assert_eq!(check["active"], true);
    assert_eq!(check["userId"], 7);
    assert_eq!(check["clientAppId"], client.id);
    assert_eq!(check["scope"], "api.access.odata api.access.mgmt");
    let expires_at = check["expiresAt"].as_i64().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now + 3590..=now + 3610).contains(&expires_at),
        "{expires_at}"
    );
    // A refresh token is not an access token.
    assert_eq!(app.check(refresh).await, json!({"active": false}));

    // Introspection by the client.
    let introspected = app
        .form(INTROSPECT, Auth::Post(&client), &[("token", access)])
        .await;
    let body = introspected.ok();
    assert_eq!(introspected.headers["cache-control"], "no-store");
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], client.client_id.as_str());
    assert_eq!(body["username"], "user7");
    assert_eq!(body["sub"], "7");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["exp"], expires_at);
    assert!(body["iat"].as_i64().unwrap() <= now + 1);
    let introspected = app
        .form(INTROSPECT, Auth::Basic(&client), &[("token", refresh)])
        .await;
    assert_eq!(introspected.ok()["token_type"], "refresh_token");

    // Refresh rotates; the new pair works, under the other prefix too.
    let refreshed = app
        .form(
            MGMT_TOKEN,
            Auth::Basic(&client),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    let body = refreshed.ok();
    assert_eq!(body["scope"], "api.access.odata api.access.mgmt");
    let new_access = body["access_token"].as_str().unwrap();
    assert_ne!(new_access, access);
    assert!(app.active(new_access).await);
    // The rotated refresh token no longer introspects as active.
    let introspected = app
        .form(INTROSPECT, Auth::Basic(&client), &[("token", refresh)])
        .await;
    assert_eq!(introspected.ok(), &json!({"active": false}));

    // A narrower scope on refresh; a wider one is invalid_scope.
    let narrowed = app
        .form(
            TOKEN,
            Auth::Basic(&client),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", body["refresh_token"].as_str().unwrap()),
                ("scope", "api.access.mgmt"),
            ],
        )
        .await;
    let narrowed = narrowed.ok();
    assert_eq!(narrowed["scope"], "api.access.mgmt");
    let narrow_refresh = narrowed["refresh_token"].as_str().unwrap();
    let (_, odata_refresh) = app.tokens(8, &client, "api.access.odata").await;
    app.form(
        TOKEN,
        Auth::Basic(&client),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &odata_refresh),
            ("scope", "api.access.mgmt"),
        ],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");
    // Refused for its scope, the token was not spent.
    app.refresh(&client, &odata_refresh).await.ok();
    app.refresh(&client, narrow_refresh).await.ok();
}

#[tokio::test]
async fn the_token_endpoint_answers_every_rfc_6749_error_that_applies() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let other = app.register(1, "Other").await;
    let wrong = Client {
        secret: "x".repeat(43),
        ..client.clone()
    };
    let unknown = Client {
        client_id: uuid_like(),
        ..client.clone()
    };
    let code = app
        .code(
            7,
            &client,
            Some(REDIRECT),
            "api.access.odata",
            Some(CHALLENGE),
        )
        .await;
    let grant = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];

    // invalid_request: missing, repeated, both methods, not a form.
    app.form(TOKEN, Auth::Basic(&client), &[("code", &code)])
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    app.form(
        TOKEN,
        Auth::Basic(&client),
        &[
            ("grant_type", "authorization_code"),
            ("grant_type", "password"),
        ],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    app.form(
        TOKEN,
        Auth::Basic(&client),
        &[("grant_type", "authorization_code")],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    let mut both = grant.to_vec();
    both.push(("client_secret", &client.secret));
    app.form(TOKEN, Auth::Basic(&client), &both)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    let mut spelled_twice = grant.to_vec();
    spelled_twice.push(("clientId", &client.client_id));
    app.form(TOKEN, Auth::Post(&client), &spelled_twice)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    for (content_type, body) in [
        ("application/json", r#"{"grant_type":"password"}"#),
        ("text/plain", "grant_type=password"),
    ] {
        let response = app
            .client
            .post(format!("{}{TOKEN}", app.base))
            .bearer_auth(app.open())
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        read(response)
            .await
            .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let huge = "x".repeat(40_000);
    app.form(TOKEN, Auth::Basic(&client), &[("grant_type", &huge)])
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");

    // invalid_client: 401 with a Basic challenge through Basic (or with no credentials at
    // all), 400 through the form.
    for answer in [
        app.form(TOKEN, Auth::Basic(&wrong), &grant).await,
        app.form(TOKEN, Auth::Basic(&unknown), &grant).await,
        app.form(TOKEN, Auth::None, &grant).await,
    ] {
        answer.oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
        let challenge = answer.headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Basic realm=\"hdp-oauth\""),
            "{challenge}"
        );
    }
    for answer in [
        app.form(TOKEN, Auth::Post(&wrong), &grant).await,
        app.form(TOKEN, Auth::Post(&unknown), &grant).await,
    ] {
        answer.oauth_error(StatusCode::BAD_REQUEST, "invalid_client");
        assert!(answer.headers.get("www-authenticate").is_none());
    }
    let mut id_only = grant.to_vec();
    id_only.push(("client_id", &client.client_id));
    app.form(TOKEN, Auth::None, &id_only)
        .await
        .oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    let malformed = app
        .client
        .post(format!("{}{TOKEN}", app.base))
        .bearer_auth(app.open())
        .header(CLIENT_AUTHORIZATION_HEADER, "Basic !!!")
        .form(&grant)
        .send()
        .await
        .unwrap();
    read(malformed)
        .await
        .oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");

    // unsupported_grant_type.
    for grant_type in ["client_credentials", "implicit", "urn:x"] {
        app.form(TOKEN, Auth::Basic(&client), &[("grant_type", grant_type)])
            .await
            .oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }

    // invalid_grant: a redirect_uri or verifier that does not match, or none, a verifier
    // without a challenge, another client's code, an unknown code. None of these spends it.
    let with = |pairs: &[(&'static str, &'static str)]| {
        let mut params: Vec<(&str, &str)> = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        params.extend_from_slice(pairs);
        params
    };
    for params in [
        with(&[
            ("redirect_uri", OTHER_REDIRECT),
            ("code_verifier", VERIFIER),
        ]),
        with(&[("code_verifier", VERIFIER)]),
        with(&[("redirect_uri", REDIRECT)]),
        with(&[
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-x",
            ),
        ]),
        with(&[("redirect_uri", REDIRECT), ("code_verifier", "short")]),
    ] {
        app.form(TOKEN, Auth::Basic(&client), &params)
            .await
            .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    app.form(TOKEN, Auth::Basic(&other), &grant)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    for bad in ["hdpc_unknown", "not-a-code", &"hdpc_x".repeat(100)] {
        app.form(
            TOKEN,
            Auth::Basic(&client),
            &[
                ("grant_type", "authorization_code"),
                ("code", bad),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let plain = app
        .code(7, &client, Some(REDIRECT), "api.access.odata", None)
        .await;
    app.form(
        TOKEN,
        Auth::Basic(&client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &plain),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // Without a challenge and without a verifier it works; the right one still redeems.
    app.form(
        TOKEN,
        Auth::Post(&client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &plain),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
    .ok();
    app.redeem(&client, &code).await.ok();

    // An expired code.
    let late = app
        .code(
            7,
            &client,
            Some(REDIRECT),
            "api.access.odata",
            Some(CHALLENGE),
        )
        .await;
    age_codes(&app, 61);
    app.redeem(&client, &late)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    // A refresh token: unknown, another client's, or missing.
    let (_, refresh) = app.tokens(7, &client, "api.access.odata").await;
    app.refresh(&other, &refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    app.refresh(&client, "hdprt_unknown")
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    app.form(
        TOKEN,
        Auth::Basic(&client),
        &[("grant_type", "refresh_token")],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    // Refused for another client, it was not spent.
    app.refresh(&client, &refresh).await.ok();

    // invalid_scope on the password grant.
    let user7 = app.user(7);
    app.form_as(
        TOKEN,
        &user7,
        Auth::Basic(&client),
        &[
            ("grant_type", "password"),
            ("username", "user7"),
            ("scope", "api.access.odata openid"),
        ],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_scope");

    // Nothing the client can send makes a non-JSON answer or the envelope.
    let garbage = app
        .client
        .post(format!("{}{TOKEN}", app.base))
        .bearer_auth(app.open())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', b'%', b'z'])
        .send()
        .await
        .unwrap();
    let garbage = read(garbage).await;
    assert!(garbage.body["error"].is_string(), "{}", garbage.body);
}

#[tokio::test]
async fn the_password_grant_needs_the_users_own_token() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let params = [("grant_type", "password"), ("username", "user7")];

    // The gateway checked the password and forwards with the user's token.
    let answer = app
        .form_as(TOKEN, &app.user(7), Auth::Basic(&client), &params)
        .await;
    let body = answer.ok();
    assert_eq!(body["scope"], "api.access.odata");
    let access = body["access_token"].as_str().unwrap();
    let check = app.check(access).await;
    assert_eq!(check["userId"], 7);
    let introspected = app
        .form(INTROSPECT, Auth::Basic(&client), &[("token", access)])
        .await;
    assert_eq!(introspected.ok()["username"], "user7");
    // With the mgmt scope.
    let answer = app
        .form_as(
            MGMT_TOKEN,
            &app.user(7),
            Auth::Post(&client),
            &[
                ("grant_type", "password"),
                ("username", "USER7"),
                ("scope", "api.access.mgmt"),
            ],
        )
        .await;
    assert_eq!(answer.ok()["scope"], "api.access.mgmt");

    // The open-route token (no password was checked), another user's token, no username.
    app.form(TOKEN, Auth::Basic(&client), &params)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    app.form_as(TOKEN, &app.user(8), Auth::Basic(&client), &params)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    app.form_as(
        TOKEN,
        &app.user(7),
        Auth::Basic(&client),
        &[("grant_type", "password")],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    // The client still authenticates first.
    let wrong = Client {
        secret: "y".repeat(43),
        ..client.clone()
    };
    app.form_as(TOKEN, &app.user(7), Auth::Basic(&wrong), &params)
        .await
        .oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn a_code_used_twice_fails_and_revokes_what_its_first_use_issued() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let code = app
        .code(
            7,
            &client,
            Some(REDIRECT),
            "api.access.odata",
            Some(CHALLENGE),
        )
        .await;
    let first = app.redeem(&client, &code).await;
    let access = first.ok()["access_token"].as_str().unwrap().to_owned();
    let refresh = first.ok()["refresh_token"].as_str().unwrap().to_owned();
    assert!(app.active(&access).await);

    app.redeem(&client, &code)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!app.active(&access).await);
    app.refresh(&client, &refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // And again: still refused.
    app.redeem(&client, &code)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn concurrent_redemptions_of_one_code_give_exactly_one_pair() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    for _ in 0..3 {
        let code = app
            .code(
                7,
                &client,
                Some(REDIRECT),
                "api.access.odata",
                Some(CHALLENGE),
            )
            .await;
        let attempts = (0..8).map(|_| app.redeem(&client, &code));
        let answers = futures_util::future::join_all(attempts).await;
        let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
        let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!(ok, 1, "{statuses:?}");
        for answer in answers.iter().filter(|a| a.status != StatusCode::OK) {
            answer.oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
        }
        // The replays revoked the one pair issued.
        let winner = answers.iter().find(|a| a.status == StatusCode::OK).unwrap();
        let access = winner.body["access_token"].as_str().unwrap();
        assert!(!app.active(access).await);
    }
}

#[tokio::test]
async fn concurrent_refreshes_of_one_token_never_both_succeed() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    for _ in 0..3 {
        let (_, refresh) = app.tokens(7, &client, "api.access.odata").await;
        let attempts = (0..8).map(|_| app.refresh(&client, &refresh));
        let answers = futures_util::future::join_all(attempts).await;
        let ok = answers
            .iter()
            .filter(|a| a.status == StatusCode::OK)
            .count();
        assert_eq!(ok, 1, "{ok} refreshes succeeded");
        for answer in answers.iter().filter(|a| a.status != StatusCode::OK) {
            answer.oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
        }
        // The reuses revoked the grant, the winner's new pair with it.
        let winner = answers.iter().find(|a| a.status == StatusCode::OK).unwrap();
        let access = winner.body["access_token"].as_str().unwrap();
        assert!(!app.active(access).await);
    }
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_grant() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let (first_access, first_refresh) = app.tokens(7, &client, "api.access.odata").await;
    let rotated = app.refresh(&client, &first_refresh).await;
    let second_access = rotated.ok()["access_token"].as_str().unwrap().to_owned();
    let second_refresh = rotated.ok()["refresh_token"].as_str().unwrap().to_owned();
    assert!(app.active(&second_access).await);

    // The thief (or the client) presents the rotated one: the grant goes.
    app.refresh(&client, &first_refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!app.active(&first_access).await);
    assert!(!app.active(&second_access).await);
    app.refresh(&client, &second_refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn within_the_grace_a_rotated_refresh_token_gives_a_fresh_pair_of_the_same_grant() {
    let app = spawn_with(Oauth2Settings {
        refresh_grace_secs: 30,
        access_token_ttl_secs: 600,
        ..Oauth2Settings::default()
    })
    .await;
    let client = app.register(1, "App").await;
    let (_, first_refresh) = app.tokens(7, &client, "api.access.odata").await;
    let rotated = app.refresh(&client, &first_refresh).await;
    assert_eq!(rotated.ok()["expires_in"], 600);
    let second_access = rotated.ok()["access_token"].as_str().unwrap().to_owned();
    // A lost answer: the client presents the old one again within the grace.
    let again = app.refresh(&client, &first_refresh).await;
    let third_access = again.ok()["access_token"].as_str().unwrap().to_owned();
    let third_refresh = again.ok()["refresh_token"].as_str().unwrap().to_owned();
    assert!(app.active(&second_access).await);
    assert!(app.active(&third_access).await);
    app.refresh(&client, &third_refresh).await.ok();

    // Past the grace, the same reuse revokes the grant.
    age_rotations(&app, 31);
    app.refresh(&client, &first_refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(!app.active(&third_access).await);
}

#[tokio::test]
async fn a_grace_over_five_minutes_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("db.sqlite").to_string_lossy().into_owned();
    let settings = Oauth2Settings {
        refresh_grace_secs: 301,
        ..Oauth2Settings::default()
    };
    let err = build(&config(dir.path(), url, settings)).err().unwrap();
    assert!(
        err.to_string().contains("OAUTH2_REFRESH_GRACE_SECS"),
        "{err}"
    );
}

#[tokio::test]
async fn revocation_takes_a_refresh_tokens_grant_and_an_access_token_alone() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let other = app.register(1, "Other").await;
    let (access, refresh) = app.tokens(7, &client, "api.access.odata").await;
    let (lone_access, lone_refresh) = app.tokens(7, &client, "api.access.odata").await;

    // An access token goes alone.
    let answer = app
        .form(
            REVOKE,
            Auth::Basic(&client),
            &[("token", &lone_access), ("token_type_hint", "access_token")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert!(!app.active(&lone_access).await);
    app.refresh(&client, &lone_refresh).await.ok();

    // Another client's token is refused and left alone.
    app.form(REVOKE, Auth::Basic(&other), &[("token", &refresh)])
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "unauthorized_client");
    assert!(app.active(&access).await);

    // A refresh token takes its grant.
    let answer = app
        .form(
            "/api/mgmt/oauth2/revoke",
            Auth::Post(&client),
            &[("token", &refresh)],
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!app.active(&access).await);
    app.refresh(&client, &refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    // Unknown or already revoked: 200 all the same; the errors that apply.
    for token in [refresh.as_str(), "hdpat_unknown", "anything"] {
        let answer = app
            .form(REVOKE, Auth::Basic(&client), &[("token", token)])
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    app.form(
        REVOKE,
        Auth::Basic(&client),
        &[("token_type_hint", "access_token")],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    app.form(REVOKE, Auth::None, &[("token", &access)])
        .await
        .oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn introspection_answers_only_active_false_for_tokens_not_the_clients_own() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let other = app.register(2, "Other").await;
    let (access, refresh) = app.tokens(7, &client, "api.access.mgmt").await;
    for token in [access.as_str(), refresh.as_str(), "hdpat_unknown", "x"] {
        for path in [INTROSPECT, "/api/mgmt/oauth2/introspect"] {
            let answer = app
                .form(path, Auth::Post(&other), &[("token", token)])
                .await;
            assert_eq!(answer.ok(), &json!({"active": false}));
            assert_eq!(answer.headers["cache-control"], "no-store");
        }
    }
    app.form(INTROSPECT, Auth::Post(&client), &[])
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    let wrong = Client {
        secret: "z".repeat(43),
        ..client.clone()
    };
    app.form(INTROSPECT, Auth::Basic(&wrong), &[("token", &access)])
        .await
        .oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // An expired access token is inactive to its own client and to the gateway.
    age_tokens(&app, 3601);
    let answer = app
        .form(INTROSPECT, Auth::Post(&client), &[("token", &access)])
        .await;
    assert_eq!(answer.ok(), &json!({"active": false}));
    assert!(!app.active(&access).await);
}

#[tokio::test]
async fn deleting_an_application_or_resetting_its_secret_revokes_its_tokens() {
    let app = spawn_app().await;
    let owner = app.user(1);
    let client = app.register(1, "App").await;
    let (access, refresh) = app.tokens(7, &client, "api.access.odata").await;
    let pending = app
        .code(
            7,
            &client,
            Some(REDIRECT),
            "api.access.mgmt",
            Some(CHALLENGE),
        )
        .await;

    let reset = app
        .json(
            Method::PUT,
            &format!("{APPS}/{}/reset", client.id),
            &owner,
            None,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let client = Client {
        secret: reset.body["clientSecret"].as_str().unwrap().to_owned(),
        ..client
    };
    assert!(!app.active(&access).await);
    app.refresh(&client, &refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    app.redeem(&client, &pending)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // The consent stays.
    let consent = app
        .peer()
        .oauth2_consent(&app.system(), 7, client.id)
        .await
        .unwrap();
    assert_eq!(consent.scopes, ["api.access.odata", "api.access.mgmt"]);

    // Deleting takes everything.
    let (access, _) = app.tokens(7, &client, "api.access.odata").await;
    let deleted = app
        .json(
            Method::DELETE,
            &format!("{APPS}/{}", client.id),
            &owner,
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(!app.active(&access).await);
    let consent = app
        .peer()
        .oauth2_consent(&app.system(), 7, client.id)
        .await
        .unwrap();
    assert!(consent.scopes.is_empty());
    let pool = app.pool();
    let mut conn = pool.get().unwrap();
    use client_registration::schema::{oauth2_codes, oauth2_grants, oauth2_tokens};
    let left: i64 = oauth2_tokens::table.count().get_result(&mut *conn).unwrap();
    let grants: i64 = oauth2_grants::table.count().get_result(&mut *conn).unwrap();
    let codes: i64 = oauth2_codes::table.count().get_result(&mut *conn).unwrap();
    assert_eq!((left, grants, codes), (0, 0, 0));
}

#[tokio::test]
async fn purging_a_user_removes_everything_they_granted() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let (access7, _) = app.tokens(7, &client, "api.access.odata").await;
    let (access8, _) = app.tokens(8, &client, "api.access.odata").await;
    let pending = app
        .code(
            7,
            &client,
            Some(REDIRECT),
            "api.access.odata",
            Some(CHALLENGE),
        )
        .await;

    let purged = app.peer().purge_owner(&app.system(), 7).await.unwrap();
    assert_eq!(purged, 0, "user 7 owns no application");
    assert!(!app.active(&access7).await);
    assert!(app.active(&access8).await);
    app.redeem(&client, &pending)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let consent = app
        .peer()
        .oauth2_consent(&app.system(), 7, client.id)
        .await
        .unwrap();
    assert!(consent.scopes.is_empty());
    // A purged user gets no more codes, nor password grants.
    let new = NewCode {
        user_id: 7,
        user_name: None,
        client_app_id: client.id,
        redirect_uri: Some(REDIRECT.to_owned()),
        scope: "api.access.odata".to_owned(),
        code_challenge: None,
        code_challenge_method: None,
    };
    let refused = app
        .json(
            Method::POST,
            "/internal/oauth2/codes",
            &app.system(),
            Some(serde_json::to_value(&new).unwrap()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.body["error"]["code"], "222200002");
    app.form_as(
        TOKEN,
        &app.user(7),
        Auth::Basic(&client),
        &[("grant_type", "password"), ("username", "user7")],
    )
    .await
    .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    // Purging the owner of the application takes its tokens for everyone.
    app.peer().purge_owner(&app.system(), 1).await.unwrap();
    assert!(!app.active(&access8).await);
}

#[tokio::test]
async fn allowed_applications_list_and_revoke_the_callers_grants() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let other = app.register(2, "Other").await;
    let (access, refresh) = app.tokens(7, &client, "api.access.mgmt").await;
    let (password_access, _) = {
        let answer = app
            .form_as(
                TOKEN,
                &app.user(7),
                Auth::Basic(&other),
                &[("grant_type", "password"), ("username", "user7")],
            )
            .await;
        let body = answer.ok();
        (
            body["access_token"].as_str().unwrap().to_owned(),
            body["refresh_token"].as_str().unwrap().to_owned(),
        )
    };
    let (theirs, _) = app.tokens(8, &client, "api.access.odata").await;

    let user7 = app.user(7);
    let list = app.json(Method::GET, ALLOWED, &user7, None).await;
    let apps = list.ok()["applications"].as_array().unwrap().clone();
    assert_eq!(apps.len(), 2, "{apps:?}");
    assert_eq!(apps[0]["id"], client.id);
    assert_eq!(apps[0]["name"], "App");
    assert_eq!(apps[0]["clientId"], client.client_id.as_str());
    assert_eq!(apps[0]["scopes"], json!(["api.access.mgmt"]));
    assert!(apps[0]["grantedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(apps[1]["id"], other.id);
    assert_eq!(apps[1]["scopes"], json!(["api.access.odata"]));
    // An open token is refused here, like on every management route.
    let refused = app.json(Method::GET, ALLOWED, &app.open(), None).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let revoked = app
        .json(
            Method::DELETE,
            &format!("{ALLOWED}/{}", client.id),
            &user7,
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert!(!app.active(&access).await);
    app.refresh(&client, &refresh)
        .await
        .oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert!(app.active(&password_access).await);
    assert!(app.active(&theirs).await, "user 8's grant is not user 7's");
    let consent = app
        .peer()
        .oauth2_consent(&app.system(), 7, client.id)
        .await
        .unwrap();
    assert!(consent.scopes.is_empty());

    let again = app
        .json(
            Method::DELETE,
            &format!("{ALLOWED}/{}", client.id),
            &user7,
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.body["error"]["code"], "222206601");
    let list = app.json(Method::GET, ALLOWED, &user7, None).await;
    assert_eq!(list.ok()["applications"].as_array().unwrap().len(), 1);
    let list = app.json(Method::GET, ALLOWED, &app.user(9), None).await;
    assert_eq!(list.ok(), &json!({"applications": []}));
}

#[tokio::test]
async fn the_internal_routes_take_the_system_token_only() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let system = app.system();

    let found = app
        .peer()
        .oauth2_client(&system, &client.client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, client.id);
    assert_eq!(found.owner_id, 1);
    assert_eq!(found.name, "App");
    assert_eq!(found.redirect_urls, [REDIRECT, OTHER_REDIRECT]);
    assert!(app
        .peer()
        .oauth2_client(&system, &uuid_like())
        .await
        .unwrap()
        .is_none());
    assert!(app
        .peer()
        .oauth2_client(&system, "not-a-uuid")
        .await
        .unwrap()
        .is_none());
    let not_uuid = app
        .json(
            Method::GET,
            "/internal/oauth2/clients/not-a-uuid",
            &system,
            None,
        )
        .await;
    assert_eq!(not_uuid.status, StatusCode::NOT_FOUND);
    assert_eq!(not_uuid.body["error"]["code"], "222206601");

    // Codes check what they are given.
    let code_body = |redirect: Value, challenge: Value, method: Value, scope: &str| {
        json!({"userId": 7, "clientAppId": client.id, "redirectUri": redirect,
               "scope": scope, "codeChallenge": challenge, "codeChallengeMethod": method})
    };
    for (body, field) in [
        (
            code_body(
                json!("https://evil.example.com/cb"),
                Value::Null,
                Value::Null,
                "api.access.odata",
            ),
            "redirectUri",
        ),
        (
            code_body(Value::Null, Value::Null, Value::Null, "api.access.odata"),
            "redirectUri",
        ),
        (
            code_body(
                json!(REDIRECT),
                json!(CHALLENGE),
                json!("plain"),
                "api.access.odata",
            ),
            "codeChallengeMethod",
        ),
        (
            code_body(
                json!(REDIRECT),
                json!("short"),
                json!("S256"),
                "api.access.odata",
            ),
            "codeChallenge",
        ),
        (
            code_body(json!(REDIRECT), Value::Null, Value::Null, "openid"),
            "scope",
        ),
    ] {
        let answer = app
            .json(Method::POST, "/internal/oauth2/codes", &system, Some(body))
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        let message = answer.body["error"]["message"]["value"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
    }
    let unknown_app = json!({"userId": 7, "clientAppId": 9999, "redirectUri": null,
                             "scope": "api.access.odata", "codeChallenge": null,
                             "codeChallengeMethod": null});
    let answer = app
        .json(
            Method::POST,
            "/internal/oauth2/codes",
            &system,
            Some(unknown_app),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let created = app
        .json(
            Method::POST,
            "/internal/oauth2/codes",
            &system,
            Some(code_body(json!(REDIRECT), Value::Null, Value::Null, "")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let consent = app
        .peer()
        .oauth2_consent(&system, 7, client.id)
        .await
        .unwrap();
    assert_eq!(consent.scopes, ["api.access.odata"]);
    app.code(7, &client, Some(OTHER_REDIRECT), "api.access.mgmt", None)
        .await;
    let consent = app
        .peer()
        .oauth2_consent(&system, 7, client.id)
        .await
        .unwrap();
    assert_eq!(
        consent.scopes,
        ["api.access.odata", "api.access.mgmt"],
        "a union"
    );
    let bad_query = app
        .json(
            Method::GET,
            "/internal/oauth2/consents?userId=7",
            &system,
            None,
        )
        .await;
    assert_eq!(bad_query.status, StatusCode::BAD_REQUEST);

    // Neither a user's token nor the open-route token opens them.
    let (access, _) = app.tokens(7, &client, "api.access.odata").await;
    for token in [app.user(1), app.open()] {
        for (method, path, body) in [
            (
                Method::GET,
                format!("/internal/oauth2/clients/{}", client.client_id),
                None,
            ),
            (
                Method::GET,
                format!(
                    "/internal/oauth2/consents?userId=7&clientAppId={}",
                    client.id
                ),
                None,
            ),
            (
                Method::POST,
                "/internal/oauth2/codes".to_owned(),
                Some(code_body(
                    json!(REDIRECT),
                    Value::Null,
                    Value::Null,
                    "api.access.odata",
                )),
            ),
            (
                Method::POST,
                CHECK.to_owned(),
                Some(json!({"token": access})),
            ),
        ] {
            let answer = app.json(method, &path, &token, body).await;
            assert_eq!(
                answer.status,
                StatusCode::FORBIDDEN,
                "{path}: {}",
                answer.body
            );
            assert!(answer.body["error"]["code"].is_string());
        }
    }
    assert!(app.active(&access).await);
    assert_eq!(app.check("hdpat_unknown").await, json!({"active": false}));
}

#[tokio::test]
async fn the_open_token_opens_the_oauth_routes_and_nothing_else() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let open = app.open();
    // Not the management API.
    for (method, path) in [
        (Method::GET, APPS.to_owned()),
        (Method::GET, format!("{APPS}/{}", client.id)),
        (Method::POST, APPS.to_owned()),
        (Method::DELETE, format!("{APPS}/{}", client.id)),
        (Method::PUT, format!("{APPS}/{}/reset", client.id)),
        (Method::GET, ALLOWED.to_owned()),
        (
            Method::POST,
            "/internal/client-applications/verify".to_owned(),
        ),
        (Method::DELETE, "/internal/owners/1".to_owned()),
    ] {
        let answer = app.json(method, &path, &open, Some(json!({}))).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {}",
            answer.body
        );
    }
    let owned = app.json(Method::GET, APPS, &app.user(1), None).await;
    assert_eq!(owned.ok()["applications"].as_array().unwrap().len(), 1);

    // The system token does not open the public OAuth routes; the answer is still RFC 6749.
    let answer = app
        .form_as(
            TOKEN,
            &app.system(),
            Auth::Basic(&client),
            &[("grant_type", "password")],
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["error"], "access_denied");
    // No internal token at all: 401 (the middleware, before any route).
    let answer = read(
        app.client
            .post(format!("{}{TOKEN}", app.base))
            .form(&[("grant_type", "password")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // Other methods on the OAuth routes.
    let answer = app.json(Method::GET, TOKEN, &open, None).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn the_metadata_names_the_gateways_public_url() {
    let app = spawn_app().await;
    let answer = read(
        app.client
            .get(format!(
                "{}/.well-known/oauth-authorization-server",
                app.base
            ))
            .bearer_auth(app.open())
            .header("x-hdp-public-url", "https://hdp.example.com/")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let body = answer.ok();
    assert_eq!(body["issuer"], "https://hdp.example.com");
    assert_eq!(
        body["authorization_endpoint"],
        "https://hdp.example.com/oauth2/authorize"
    );
    assert_eq!(
        body["token_endpoint"],
        "https://hdp.example.com/oauth2/token"
    );
    assert_eq!(
        body["revocation_endpoint"],
        "https://hdp.example.com/oauth2/revoke"
    );
    assert_eq!(
        body["introspection_endpoint"],
        "https://hdp.example.com/oauth2/introspect"
    );
    assert_eq!(body["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(body["response_types_supported"], json!(["code"]));
    assert_eq!(
        body["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "password"])
    );
    assert_eq!(
        body["scopes_supported"],
        json!(["api.access.odata", "api.access.mgmt"])
    );
    for field in [
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ] {
        assert_eq!(
            body[field],
            json!(["client_secret_basic", "client_secret_post"]),
            "{field}"
        );
    }
    // Without the header: the request's own address.
    let answer = app
        .json(
            Method::GET,
            "/.well-known/oauth-authorization-server",
            &app.open(),
            None,
        )
        .await;
    let issuer = answer.ok()["issuer"].as_str().unwrap().to_owned();
    assert_eq!(issuer, app.base);
}

#[tokio::test]
async fn repeated_bad_secrets_are_slowed_per_client_without_locking_it_out() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let other = app.register(1, "Other").await;
    let wrong = Client {
        secret: "w".repeat(43),
        ..client.clone()
    };
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "hdprt_x"),
    ];
    for _ in 0..6 {
        app.form(TOKEN, Auth::Post(&wrong), &params)
            .await
            .oauth_error(StatusCode::BAD_REQUEST, "invalid_client");
    }
    // Slowed now: two attempts in a row take at least a spacing (250 ms).
    let started = Instant::now();
    for _ in 0..2 {
        app.form(TOKEN, Auth::Post(&wrong), &params)
            .await
            .oauth_error(StatusCode::BAD_REQUEST, "invalid_client");
    }
    assert!(
        started.elapsed() >= Duration::from_millis(240),
        "{:?}",
        started.elapsed()
    );
    // Another client is not slowed.
    let started = Instant::now();
    app.form(INTROSPECT, Auth::Post(&other), &[("token", "x")])
        .await
        .ok();
    assert!(started.elapsed() < Duration::from_millis(240));
    // The right secret still works (at worst a few seconds late), and resets the count.
    let started = Instant::now();
    app.form(INTROSPECT, Auth::Post(&client), &[("token", "x")])
        .await
        .ok();
    assert!(started.elapsed() < Duration::from_secs(5));
    let started = Instant::now();
    for _ in 0..3 {
        app.form(INTROSPECT, Auth::Post(&client), &[("token", "x")])
            .await
            .ok();
    }
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_sweeper_purges_expired_codes_tokens_and_dead_grants() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let (live, _) = app.tokens(7, &client, "api.access.odata").await;
    app.code(7, &client, Some(REDIRECT), "api.access.odata", None)
        .await;
    let pool = app.pool();
    {
        use client_registration::schema::{oauth2_codes, oauth2_grants, oauth2_tokens};
        let mut conn = pool.get().unwrap();
        let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::days(31);
        diesel::update(oauth2_codes::table)
            .set(oauth2_codes::expires_at.eq(past))
            .execute(&mut *conn)
            .unwrap();
        diesel::update(oauth2_tokens::table)
            .set(oauth2_tokens::expires_at.eq(past))
            .execute(&mut *conn)
            .unwrap();
        diesel::update(oauth2_grants::table)
            .set(oauth2_grants::created_at.eq(past))
            .execute(&mut *conn)
            .unwrap();
    }
    assert!(!app.active(&live).await);
    let (fresh, _) = app.tokens(7, &client, "api.access.odata").await;
    let swept = client_registration::oauth2::sweeper::sweep_once(&pool).await;
    // 2 codes (the redeemed one and the other), 2 tokens and their grant.
    assert_eq!(swept, 5);
    assert!(app.active(&fresh).await);
    assert_eq!(
        client_registration::oauth2::sweeper::sweep_once(&pool).await,
        0
    );
}

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let app = spawn_app().await;
    let pool = app.pool();
    let mut conn = pool.get().unwrap();
    db::revert_all_migrations(&mut conn, MIGRATIONS).unwrap();
    db::run_migrations(&mut conn, MIGRATIONS).unwrap();
}

#[tokio::test]
async fn nothing_stored_reveals_a_code_or_token() {
    let app = spawn_app().await;
    let client = app.register(1, "App").await;
    let code = app
        .code(
            7,
            &client,
            Some(REDIRECT),
            "api.access.odata",
            Some(CHALLENGE),
        )
        .await;
    let answer = app.redeem(&client, &code).await;
    let access = answer.ok()["access_token"].as_str().unwrap().to_owned();
    use client_registration::schema::{oauth2_codes, oauth2_tokens};
    let pool = app.pool();
    let mut conn = pool.get().unwrap();
    let hashes: Vec<String> = oauth2_tokens::table
        .select(oauth2_tokens::token_hash)
        .load(&mut *conn)
        .unwrap();
    let code_hashes: Vec<String> = oauth2_codes::table
        .select(oauth2_codes::code_hash)
        .load(&mut *conn)
        .unwrap();
    let digest = |text: &str| URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes()));
    for stored in hashes.iter().chain(&code_hashes) {
        assert!(stored.starts_with("hmac-sha256:"), "{stored}");
        for secret in [&code, &access] {
            assert!(!stored.contains(secret.as_str()));
            assert!(!stored.contains(&digest(secret)));
        }
    }
}

fn uuid_like() -> String {
    "0f8a2b6c-1d2e-4f5a-8b9c-0d1e2f3a4b5c".to_owned()
}

/// Moves every code's expiry `seconds` into the past.
fn age_codes(app: &TestApp, seconds: i64) {
    use client_registration::schema::oauth2_codes;
    let mut conn = app.pool().get().unwrap();
    let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::seconds(seconds - 60);
    diesel::update(oauth2_codes::table)
        .set(oauth2_codes::expires_at.eq(past))
        .execute(&mut *conn)
        .unwrap();
}

/// Moves every access token's expiry `seconds` into the past.
fn age_tokens(app: &TestApp, seconds: i64) {
    use client_registration::schema::oauth2_tokens;
    let mut conn = app.pool().get().unwrap();
    let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::seconds(seconds - 3600);
    diesel::update(oauth2_tokens::table.filter(oauth2_tokens::kind.eq("access")))
        .set(oauth2_tokens::expires_at.eq(past))
        .execute(&mut *conn)
        .unwrap();
}

/// Moves every rotation `seconds` into the past.
fn age_rotations(app: &TestApp, seconds: i64) {
    use client_registration::schema::oauth2_tokens;
    let mut conn = app.pool().get().unwrap();
    let past = chrono::Utc::now().naive_utc() - chrono::TimeDelta::seconds(seconds);
    diesel::update(oauth2_tokens::table.filter(oauth2_tokens::rotated_at.is_not_null()))
        .set(oauth2_tokens::rotated_at.eq(past))
        .execute(&mut *conn)
        .unwrap();
}

#[tokio::test]
async fn a_lost_database_is_temporarily_unavailable_in_rfc_6749_form() {
    let app = spawn_app().await;
    let Some(pg) = app.postgres.as_ref() else {
        eprintln!("skipped: {} is not set", test_support::POSTGRES_VAR);
        return;
    };
    let client = app.register(1, "App").await;
    let (_, refresh) = app.tokens(7, &client, "api.access.odata").await;
    let name = pg.name("client-registration").to_owned();
    pg.admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    pg.admin_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    app.refresh(&client, &refresh)
        .await
        .oauth_error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable");
    pg.admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    app.refresh(&client, &refresh).await.ok();
}
