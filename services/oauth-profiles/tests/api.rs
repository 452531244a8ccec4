//! oauth-profiles over real HTTP, with a real oauth-apps beside it: the permission each action
//! needs, profiles visible to their owner only, applications the owner may use, acting on
//! behalf of a user, and the internal endpoints peers call.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step in a test helper is a failed test"
)]

use std::path::Path;
use std::time::Duration;

use api_common::peer::PeerError;
use api_common::ErrorCode;
use internal_auth::{Identity, Service, TokenSigner};
use oauth_profiles_client::{AppUsage, OauthProfilesClient};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use test_support::free_port;

const APPS: &str = "/api/mgmt/oauthapps";
const PROFILES: &str = "/api/mgmt/oauthprofiles";

struct TestApp {
    apps: String,
    profiles: String,
    client: reqwest::Client,
    signer: TokenSigner,
    _dir: TempDir,
}

fn apps_config(dir: &Path, profiles_url: String) -> oauth_apps::Config {
    let keys = internal_auth::load_or_generate_key_pair(&dir.join("keys")).unwrap();
    oauth_apps::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url: dir.join("oauth-apps.db").to_string_lossy().into_owned(),
        token_public_key_file: keys.public_key,
        oauth_profiles_url: profiles_url,
        peer_timeout_ms: 10_000,
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

/// Both services with fresh databases, each knowing the other. Each needs the other's URL at
/// start-up, so oauth-profiles' port is chosen before oauth-apps starts.
async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let profiles_addr = format!("127.0.0.1:{}", free_port());
    let profiles = format!("http://{profiles_addr}");
    let apps_server =
        oauth_apps::build(&apps_config(dir.path(), profiles.clone())).expect("oauth-apps starts");
    let apps = format!("http://127.0.0.1:{}", apps_server.port());
    tokio::spawn(apps_server.run_until_stopped());
    let profiles_server =
        oauth_profiles::build(&profiles_config(dir.path(), profiles_addr, apps.clone()))
            .expect("oauth-profiles starts");
    tokio::spawn(profiles_server.run_until_stopped());
    let private_pem = std::fs::read(dir.path().join("keys/token-signing.pem")).unwrap();
    TestApp {
        apps,
        profiles,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        signer: TokenSigner::from_pem(&private_pem, Duration::from_secs(60)).unwrap(),
        _dir: dir,
    }
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

const ALL: [u32; 5] = [11, 1, 2, 3, 4];

fn admin() -> Identity {
    user(1, 1, &[12], &[])
}

fn alice() -> Identity {
    user(7, 5, &ALL, &[])
}

fn bob() -> Identity {
    user(8, 5, &ALL, &[])
}

fn profile_body(name: &str, app_id: i64) -> Value {
    json!({"name": name, "oauthAppId": app_id, "refreshToken": "refresh", "accessToken": "access"})
}

impl TestApp {
    fn token(&self, identity: &Identity) -> String {
        self.signer
            .mint(Service::OauthProfiles, identity, None)
            .unwrap()
            .0
    }

    /// A token of `actor` acting on behalf of `subject` (`?user=` at the gateway).
    fn on_behalf(&self, subject: &Identity, actor: &Identity) -> String {
        self.signer
            .mint(Service::OauthProfiles, subject, Some(actor))
            .unwrap()
            .0
    }

    /// The token oauth-apps holds for `identity`'s request and passes on to oauth-profiles'
    /// internal routes.
    fn peer_token(&self, identity: &Identity) -> String {
        self.signer
            .mint(Service::OauthApps, identity, None)
            .unwrap()
            .0
    }

    fn system_token(&self) -> String {
        self.signer.mint_system().unwrap().0
    }

    fn client(&self) -> OauthProfilesClient {
        OauthProfilesClient::new(self.client.clone(), &self.profiles)
    }

    async fn call(
        &self,
        method: Method,
        url: String,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
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

    /// Calls oauth-profiles at `path` with `token`.
    async fn with_token(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(method, format!("{}{path}", self.profiles), token, body)
            .await
    }

    /// Calls oauth-profiles at `path` as `as_user`.
    async fn profiles(
        &self,
        method: Method,
        path: &str,
        as_user: &Identity,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.with_token(method, path, &self.token(as_user), body)
            .await
    }

    /// Creates an application of `tenant_id` as the administrator; returns its id.
    async fn create_app(&self, name: &str, tenant_id: i64) -> i64 {
        let body = json!({
            "name": name,
            "dataStore": 54,
            "tenantId": tenant_id,
            "clientId": "client-id",
            "clientSecret": "client-secret",
            "authorizeURI": "https://accounts.google.com/o/oauth2/auth",
            "tokenURI": "https://www.googleapis.com/oauth2/v3/token",
            "scope": "analytics",
        });
        let (status, app) = self
            .call(
                Method::POST,
                format!("{}{APPS}", self.apps),
                &self.token(&admin()),
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{app}");
        app["id"].as_i64().unwrap()
    }

    /// Creates a profile of `owner` using application `app_id`; returns its id.
    async fn create_profile(&self, owner: &Identity, name: &str, app_id: i64) -> i64 {
        let (status, profile) = self
            .profiles(
                Method::POST,
                PROFILES,
                owner,
                Some(profile_body(name, app_id)),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{profile}");
        profile["id"].as_i64().unwrap()
    }

    /// The ids of `owner`'s profiles.
    async fn list(&self, owner: &Identity) -> Vec<i64> {
        let (status, list) = self.profiles(Method::GET, PROFILES, owner, None).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_i64().unwrap())
            .collect()
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

fn invalid_app(answer: (StatusCode, Value), app_id: i64) {
    let (code, message) = error(answer, StatusCode::BAD_REQUEST);
    assert_eq!(code, ErrorCode::InvalidOauthAppId.as_str());
    assert_eq!(message, format!("Invalid OAuthAppId: {app_id}"));
}

#[tokio::test]
async fn each_action_needs_mgmt_api_and_its_own_permission() {
    let app = spawn_app().await;
    let app_id = app.create_app("Shared", 1).await;

    for (missing, method) in [
        (1, Method::POST),
        (2, Method::GET),
        (3, Method::PUT),
        (4, Method::DELETE),
        (11, Method::POST),
        (11, Method::GET),
        (11, Method::PUT),
        (11, Method::DELETE),
    ] {
        let mut owner = user(30 + i64::from(missing), 5, &ALL, &[]);
        let id = app
            .create_profile(&owner, &format!("P{missing}{method}"), app_id)
            .await;
        owner.permissions.retain(|p| *p != missing);
        let one = format!("{PROFILES}/{id}");
        let body = Some(profile_body("Changed", app_id));
        let answer = match method {
            Method::POST => {
                app.profiles(
                    Method::POST,
                    PROFILES,
                    &owner,
                    Some(profile_body("New", app_id)),
                )
                .await
            }
            Method::GET => {
                forbidden(app.profiles(Method::GET, PROFILES, &owner, None).await);
                app.profiles(Method::GET, &one, &owner, None).await
            }
            Method::PUT => app.profiles(Method::PUT, &one, &owner, body).await,
            _ => app.profiles(Method::DELETE, &one, &owner, None).await,
        };
        forbidden(answer);
    }

    // With every permission each action works; an administrator needs no other.
    for owner in [alice(), admin()] {
        let id = app.create_profile(&owner, "Mine", app_id).await;
        let one = format!("{PROFILES}/{id}");
        let (status, read) = app.profiles(Method::GET, &one, &owner, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(read["refreshToken"], "refresh");
        let (status, _) = app
            .profiles(
                Method::PUT,
                &one,
                &owner,
                Some(profile_body("Changed", app_id)),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(app.list(&owner).await, [id]);
        let (status, _) = app.profiles(Method::DELETE, &one, &owner, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
}

#[tokio::test]
async fn a_profile_is_visible_to_its_owner_only() {
    let app = spawn_app().await;
    let app_id = app.create_app("Shared", 1).await;
    let id = app.create_profile(&alice(), "Mine", app_id).await;
    let one = format!("{PROFILES}/{id}");

    for other in [bob(), admin()] {
        for (method, body) in [
            (Method::GET, None),
            (Method::PUT, Some(profile_body("Taken", app_id))),
            (Method::DELETE, None),
        ] {
            let (code, message) = error(
                app.profiles(method, &one, &other, body).await,
                StatusCode::NOT_FOUND,
            );
            assert_eq!(code, ErrorCode::OauthProfileNotFound.as_str());
            assert_eq!(message, format!("Invalid OAuthProfileId: {id}"));
        }
        assert_eq!(app.list(&other).await, Vec::<i64>::new());
    }
    let (status, read) = app.profiles(Method::GET, &one, &alice(), None).await;
    assert_eq!(
        (status, read["name"].as_str()),
        (StatusCode::OK, Some("Mine"))
    );
}

#[tokio::test]
async fn only_applications_of_the_owners_tenant_or_the_system_tenant_are_usable() {
    let app = spawn_app().await;
    let own = app.create_app("Own", 5).await;
    let system = app.create_app("System", 1).await;
    let other = app.create_app("Other", 6).await;

    invalid_app(
        app.profiles(
            Method::POST,
            PROFILES,
            &alice(),
            Some(profile_body("A", other)),
        )
        .await,
        other,
    );
    invalid_app(
        app.profiles(
            Method::POST,
            PROFILES,
            &alice(),
            Some(profile_body("A", 9999)),
        )
        .await,
        9999,
    );
    let id = app.create_profile(&alice(), "A", own).await;
    app.create_profile(&alice(), "B", system).await;
    invalid_app(
        app.profiles(
            Method::PUT,
            &format!("{PROFILES}/{id}"),
            &alice(),
            Some(profile_body("A", other)),
        )
        .await,
        other,
    );

    // Administering tenant 6 lets a system-tenant user read its applications, not use them.
    let administering = user(40, 1, &ALL, &[6]);
    invalid_app(
        app.profiles(
            Method::POST,
            PROFILES,
            &administering,
            Some(profile_body("C", other)),
        )
        .await,
        other,
    );
    app.create_profile(&administering, "C", system).await;
}

#[tokio::test]
async fn an_administrator_acting_for_a_user_creates_the_users_profile() {
    let app = spawn_app().await;
    let own = app.create_app("Own", 5).await;
    let other = app.create_app("Other", 6).await;
    let subject = user(7, 5, &[], &[]);
    let obo = app.on_behalf(&subject, &admin());

    let (status, created) = app
        .with_token(
            Method::POST,
            PROFILES,
            &obo,
            Some(profile_body("ForAlice", own)),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(app.list(&alice()).await, [id]);
    assert_eq!(app.list(&admin()).await, Vec::<i64>::new());
    let (status, _) = app
        .with_token(Method::GET, &format!("{PROFILES}/{id}"), &obo, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    // The administrator reads every application, but the profile is Alice's: only hers and
    // the system tenant's are usable.
    invalid_app(
        app.with_token(Method::POST, PROFILES, &obo, Some(profile_body("X", other)))
            .await,
        other,
    );
    // Permissions are the actor's, not the subject's.
    let weak_actor = user(9, 1, &[11], &[]);
    let obo = app.on_behalf(&alice(), &weak_actor);
    forbidden(
        app.with_token(Method::POST, PROFILES, &obo, Some(profile_body("Y", own)))
            .await,
    );
    forbidden(app.with_token(Method::GET, PROFILES, &obo, None).await);
}

#[tokio::test]
async fn usage_counts_the_profiles_of_every_owner() {
    let app = spawn_app().await;
    let system = app.create_app("System", 1).await;
    let own = app.create_app("Own", 5).await;
    let unused = app.create_app("Unused", 5).await;
    app.create_profile(&alice(), "A", system).await;
    app.create_profile(&alice(), "B", system).await;
    app.create_profile(&user(50, 3, &ALL, &[]), "C", system)
        .await;
    app.create_profile(&bob(), "D", own).await;
    let client = app.client();
    let token = app.peer_token(&user(51, 9, &[], &[]));

    assert_eq!(
        client.app_usage(&token, system).await.unwrap(),
        AppUsage {
            profiles: 3,
            tenants: vec![3, 5]
        }
    );
    assert_eq!(
        client.app_usage(&token, own).await.unwrap(),
        AppUsage {
            profiles: 1,
            tenants: vec![5]
        }
    );
    assert_eq!(
        client.app_usage(&token, unused).await.unwrap(),
        AppUsage::default()
    );

    // The gateway's own maintenance token may ask too.
    assert_eq!(
        client.app_usage(&app.system_token(), own).await.unwrap(),
        AppUsage {
            profiles: 1,
            tenants: vec![5]
        }
    );
    // The token of a request the gateway forwarded to oauth-profiles does not open its
    // internal routes, whoever the user: a routing mistake in the gateway cannot expose them.
    for caller in [alice(), admin(), user(51, 9, &[], &[])] {
        let refused = client
            .app_usage(&app.token(&caller), own)
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, PeerError::Api(e) if e.code() == ErrorCode::Forbidden),
            "{refused}"
        );
    }
    let path = format!("/internal/oauth-apps/{own}/usage");
    let (status, _) = app
        .with_token(Method::GET, &path, "not-a-token", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (code, _) = error(
        app.profiles(Method::POST, &path, &alice(), None).await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    assert_eq!(code, ErrorCode::MethodNotAllowed.as_str());
}

#[tokio::test]
async fn purging_an_owner_takes_the_system_token_and_only_their_profiles() {
    let app = spawn_app().await;
    let app_id = app.create_app("System", 1).await;
    app.create_profile(&alice(), "A", app_id).await;
    app.create_profile(&alice(), "B", app_id).await;
    let kept = app.create_profile(&bob(), "A", app_id).await;
    let client = app.client();
    let path = format!("/internal/owners/{}", alice().user_id);

    for caller in [alice(), admin()] {
        forbidden(app.profiles(Method::DELETE, &path, &caller, None).await);
    }
    let refused = client
        .purge_owner(&app.token(&admin()), alice().user_id)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, PeerError::Api(e) if e.code() == ErrorCode::Forbidden),
        "{refused}"
    );
    assert_eq!(app.list(&alice()).await.len(), 2);

    let system = app.system_token();
    assert_eq!(
        client.purge_owner(&system, alice().user_id).await.unwrap(),
        2
    );
    assert_eq!(
        client.purge_owner(&system, alice().user_id).await.unwrap(),
        0
    );

    assert_eq!(app.list(&alice()).await, Vec::<i64>::new());
    assert_eq!(app.list(&bob()).await, [kept]);
    let (status, answer) = app.with_token(Method::DELETE, &path, &system, None).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"deleted": 0})));
    let (code, _) = error(
        app.with_token(Method::GET, &path, &system, None).await,
        StatusCode::METHOD_NOT_ALLOWED,
    );
    assert_eq!(code, ErrorCode::MethodNotAllowed.as_str());
}

/// Sends `body` to create a profile and to replace profile `id` of Alice: both must be 400
/// naming `field`, and nothing may change.
async fn refused_everywhere(app: &TestApp, id: i64, body: Value, field: &str) {
    let path = format!("{PROFILES}/{id}");
    let (_, before) = app.profiles(Method::GET, &path, &alice(), None).await;
    for (method, path) in [(Method::POST, PROFILES), (Method::PUT, path.as_str())] {
        let body = fresh_name_for(&method, &body, field);
        let (code, message) = error(
            app.profiles(method.clone(), path, &alice(), Some(body.clone()))
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
    assert_eq!(app.list(&alice()).await, [id], "{body}");
    let (_, after) = app.profiles(Method::GET, &path, &alice(), None).await;
    assert_eq!(after, before, "{body}");
}

/// No stored string takes a control character, a format character or a line separator; names
/// and tokens take no white space at either end (item 5 of the input-validation issue).
#[tokio::test]
async fn control_and_format_characters_are_refused_in_every_stored_string() {
    let app = spawn_app().await;
    let app_id = app.create_app("Shared", 1).await;
    let id = app.create_profile(&alice(), "Mine", app_id).await;
    let invisible = [
        "\r", "\n", "\t", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{2029}", "\u{202E}",
        "\u{200B}", "\u{FEFF}",
    ];

    for field in ["name", "description", "accessToken", "refreshToken"] {
        for bad in invisible {
            let mut body = profile_body("Mine", app_id);
            body[field] = json!(format!("a{bad}b"));
            refused_everywhere(&app, id, body, field).await;
        }
    }
    for field in ["name", "accessToken", "refreshToken"] {
        for bad in [" ab", "ab ", "\u{A0}ab", "ab\u{3000}", "  "] {
            let mut body = profile_body("Mine", app_id);
            body[field] = json!(bad);
            refused_everywhere(&app, id, body, field).await;
        }
    }
    // Free text keeps its spaces; an empty access token is no access token.
    let mut body = profile_body("Mine", app_id);
    body["description"] = json!(" Zoë's profile — analytics ");
    body["accessToken"] = json!("");
    let path = format!("{PROFILES}/{id}");
    let (status, _) = app.profiles(Method::PUT, &path, &alice(), Some(body)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, read) = app.profiles(Method::GET, &path, &alice(), None).await;
    assert_eq!(read["description"], " Zoë's profile — analytics ");
    assert!(read.get("accessToken").is_none(), "{read}");
}

/// A JSON array is not an object whose fields serde may fill by position (item 8).
#[tokio::test]
async fn a_json_array_body_is_refused() {
    let app = spawn_app().await;
    let app_id = app.create_app("Shared", 1).await;
    let id = app.create_profile(&alice(), "Mine", app_id).await;
    let path = format!("{PROFILES}/{id}");
    let (_, before) = app.profiles(Method::GET, &path, &alice(), None).await;
    let positional = json!(["Positional", app_id, null, "access", "refresh"]);

    for (method, path) in [(Method::POST, PROFILES), (Method::PUT, path.as_str())] {
        for body in [positional.clone(), json!([]), json!("text"), json!(17)] {
            let (code, message) = error(
                app.profiles(method.clone(), path, &alice(), Some(body))
                    .await,
                StatusCode::BAD_REQUEST,
            );
            assert_eq!(code, ErrorCode::MalformedRequest.as_str());
            assert_eq!(message, "The request body must be a JSON object");
        }
    }
    assert_eq!(app.list(&alice()).await, [id]);
    let (_, after) = app.profiles(Method::GET, &path, &alice(), None).await;
    assert_eq!(after, before);
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

/// The token carries the owner's tenant: once the gateway has moved a user to another tenant,
/// the profiles they made in the old one are out of their reach (read, list, update, delete),
/// before any purge, and back within reach only if they are moved back.
#[tokio::test]
async fn profiles_of_a_tenant_the_owner_left_are_out_of_reach() {
    let app = spawn_app().await;
    let app_id = app.create_app("System", 1).await;
    let in_five = user(7, 5, &ALL, &[]);
    let moved = user(7, 6, &ALL, &[]);
    let id = app.create_profile(&in_five, "Old", app_id).await;
    let path = format!("{PROFILES}/{id}");
    let body = json!({"name": "Old", "oauthAppId": app_id, "refreshToken": "r"});

    assert_eq!(app.list(&moved).await, Vec::<i64>::new());
    for (method, body) in [
        (Method::GET, None),
        (Method::PUT, Some(body.clone())),
        (Method::DELETE, None),
    ] {
        let (code, _) = error(
            app.profiles(method, &path, &moved, body).await,
            StatusCode::NOT_FOUND,
        );
        assert_eq!(code, ErrorCode::OauthProfileNotFound.as_str());
    }
    assert_eq!(app.list(&in_five).await, [id]);
}
