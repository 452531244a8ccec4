//! The gateway on its own, over HTTP: the identity administration API (tenants, users, who may
//! manage whom), credentials that take effect on the next request, `?user=`, the `tenantName`
//! filter and the purge of a deleted user's data.
//!
//! Each test starts a gateway on port 0 with a fresh database (SQLite in a temporary
//! directory; PostgreSQL when `TEST_POSTGRES_URL` names a server where the tests may create
//! databases, as for the stack's tests) and key pair. The services are either absent (their URLs point at a closed port: the admin routes never forward, and a
//! forwarded request gets 503) or replaced by a stub that checks the internal token and says
//! what it received.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers fail the test on anything unexpected"
)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use internal_auth::{Scope, Service, TokenVerifier};
use reqwest::Method;
use serde_json::{json, Value};
use tempfile::TempDir;
use test_support::PgDatabases;

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "admin-password-1";
const PASSWORD: &str = "user-password-1";

// ---- Helpers ----

struct Reply {
    status: u16,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// Asserts the error envelope with `status` and `code`; returns its message.
    fn envelope(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "body: {}", self.text);
        let body = self.json();
        assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        assert_eq!(body["error"]["message"]["lang"], "en-US", "{body}");
        body["error"]["message"]["value"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Asserts a 400 naming `field`.
    fn names_field(&self, field: &str) {
        let message = self.envelope(400, "222200002");
        assert!(
            message.contains(&format!("'{field}'")),
            "{field}: {message}"
        );
    }
}

/// What the stub services received, one line per request.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    query: String,
    subject: String,
    actor: Option<String>,
    system: bool,
}

/// Stands in for the three services: verifies the internal token, records the request and
/// answers with what it saw; `DELETE .../internal/owners/{id}` answers like a purge. While
/// `up` is false it answers 503 in the envelope.
#[derive(Clone)]
struct Stub {
    url: String,
    up: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    handle: ServerHandle,
}

struct StubState {
    /// One verifier per service it stands in for, by the path prefix the gateway is given.
    verifiers: Vec<(&'static str, TokenVerifier)>,
    up: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

async fn stub_answer(req: HttpRequest, state: web::Data<StubState>) -> HttpResponse {
    if !state.up.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().json(json!({"error": {
            "code": "222200090", "message": {"lang": "en-US", "value": "stub down"}}}));
    }
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let verifier = state
        .verifiers
        .iter()
        .find(|(prefix, _)| req.path().starts_with(prefix))
        .map(|(_, verifier)| verifier);
    let Some(Ok(verified)) = verifier.map(|verifier| verifier.verify(token)) else {
        return HttpResponse::Unauthorized().json(json!({"error": {
            "code": "222200010", "message": {"lang": "en-US", "value": "bad token"}}}));
    };
    let seen = Seen {
        method: req.method().to_string(),
        path: req.path().to_owned(),
        query: req.query_string().to_owned(),
        subject: verified.subject.user_name.clone(),
        actor: verified.actor.as_ref().map(|a| a.user_name.clone()),
        system: verified.scope == Scope::System,
    };
    state.seen.lock().unwrap().push(seen.clone());
    if req.path().contains("/internal/owners/") {
        return HttpResponse::Ok().json(json!({"deleted": 1}));
    }
    HttpResponse::Ok().json(json!({
        "path": seen.path, "query": seen.query, "subject": seen.subject, "actor": seen.actor,
    }))
}

/// The path prefix under which the stub stands in for each service.
const STUB_PREFIXES: [(&str, Service); 3] = [
    ("/apps", Service::OauthApps),
    ("/profiles", Service::OauthProfiles),
    ("/registration", Service::ClientRegistration),
];

impl Stub {
    fn start(public_key: &std::path::Path) -> Stub {
        let pem = std::fs::read(public_key).unwrap();
        let verifiers =
            Vec::from(STUB_PREFIXES.map(|(prefix, service)| {
                (prefix, TokenVerifier::from_pem(&pem, service).unwrap())
            }));
        let up = Arc::new(AtomicBool::new(true));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let state = web::Data::new(StubState {
            verifiers,
            up: up.clone(),
            seen: seen.clone(),
        });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .default_service(web::to(stub_answer))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Stub {
            url,
            up,
            seen,
            handle,
        }
    }

    fn take_seen(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

struct TestGateway {
    base: String,
    client: reqwest::Client,
    handle: ServerHandle,
    stub: Option<Stub>,
    config: gateway::Config,
    _postgres: Option<PgDatabases>,
    /// None for a replica, which uses the first gateway's.
    _dir: Option<TempDir>,
}

/// A URL where nothing listens.
fn closed_port_url() -> String {
    format!("http://127.0.0.1:{}", test_support::free_port())
}

/// The gateway with the services absent.
async fn spawn_gateway() -> TestGateway {
    start(false)
}

/// The gateway in front of the stub: oauth-apps at `/apps`, oauth-profiles at `/profiles`,
/// client-registration at `/registration` of the stub's URL.
async fn spawn_gateway_with_stub() -> TestGateway {
    start(true)
}

fn start(with_stub: bool) -> TestGateway {
    let dir = tempfile::tempdir().unwrap();
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let stub = with_stub.then(|| Stub::start(&keys.public_key));
    let url = |prefix: &str| match &stub {
        Some(stub) => format!("{}{prefix}", stub.url),
        None => closed_port_url(),
    };
    let postgres = PgDatabases::create_if_configured(&["gateway"]);
    let database_url = test_support::database_url(postgres.as_ref(), dir.path(), "gateway");
    let config = gateway::Config {
        addr: "127.0.0.1:0".to_owned(),
        database_url,
        token_signing_key_file: keys.private_key.clone(),
        oauth_apps_url: url("/apps"),
        oauth_profiles_url: url("/profiles"),
        client_registration_url: url("/registration"),
        admin_user: ADMIN.to_owned(),
        admin_password: Some(ADMIN_PASSWORD.to_owned()),
        upstream_timeout_ms: 5_000,
        auth_cache_secs: 30,
        user_cache_ms: 1_000,
        token_ttl_secs: 60,
        pool_size: 4,
        workers: Some(2),
        max_body_bytes: 256 * 1024,
        metrics_addr: None,
        password_checks: 4,
        password_queue: 64,
        public_url: None,
    };
    let mut gateway = run(config);
    gateway.stub = stub;
    gateway._postgres = postgres;
    gateway._dir = Some(dir);
    gateway
}

fn run(config: gateway::Config) -> TestGateway {
    let app = gateway::build(&config).unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestGateway {
        base,
        client: reqwest::Client::new(),
        handle,
        stub: None,
        config,
        _postgres: None,
        _dir: None,
    }
}

impl TestGateway {
    /// A second gateway on the same database and signing key, as another replica of a
    /// deployment is, remembering user rows for `user_cache_ms`; stop it before this one.
    fn replica(&self, user_cache_ms: u64) -> TestGateway {
        run(gateway::Config {
            addr: "127.0.0.1:0".to_owned(),
            user_cache_ms,
            ..self.config.clone()
        })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        credentials: Option<(&str, &str)>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some((user, password)) = credentials {
            request = request.basic_auth(user, Some(password));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        // Never a password or a hash, in any answer.
        for secret in [ADMIN_PASSWORD, PASSWORD, "new-password-2", "$argon2"] {
            assert!(!text.contains(secret), "{path} answered a secret: {text}");
        }
        Reply { status, text }
    }

    async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some((ADMIN, ADMIN_PASSWORD)), body)
            .await
    }

    /// As `user`, with the test password.
    async fn as_user(&self, user: &str, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call(method, path, Some((user, PASSWORD)), body).await
    }

    async fn create_tenant(&self, name: &str) -> i64 {
        let r = self
            .admin(
                Method::POST,
                "/api/admin/tenants",
                Some(json!({"name": name})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json()["id"].as_i64().unwrap()
    }

    /// Creates a user with the test password; `extra` is merged into the body.
    async fn create_user(&self, name: &str, tenant: i64, permissions: &[u32], extra: Value) -> i64 {
        let mut body = json!({
            "userName": name, "password": PASSWORD, "tenantId": tenant, "permissions": permissions,
        });
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        let r = self
            .admin(Method::POST, "/api/admin/users", Some(body))
            .await;
        assert_eq!(r.status, 201, "{name}: {}", r.text);
        r.json()["id"].as_i64().unwrap()
    }

    fn stub(&self) -> &Stub {
        self.stub.as_ref().unwrap()
    }

    async fn stop(self) {
        self.handle.stop(false).await;
        if let Some(stub) = &self.stub {
            stub.handle.stop(false).await;
        }
    }
}

fn user_body(name: &str, tenant: Value, permissions: Value) -> Value {
    json!({"userName": name, "password": PASSWORD, "tenantId": tenant, "permissions": permissions})
}

// ---- Tenants ----

#[tokio::test]
async fn administrators_manage_tenants() {
    let app = spawn_gateway().await;
    let tenants = "/api/admin/tenants";

    let r = app
        .admin(
            Method::POST,
            tenants,
            Some(json!({"name": "Tenant_A", "description": "First"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let a = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.json(),
        json!({"id": a, "name": "Tenant_A", "description": "First"})
    );
    app.admin(Method::POST, tenants, Some(json!({"name": "Tenant_A"})))
        .await
        .envelope(409, "222200030");
    app.admin(Method::POST, tenants, Some(json!({"name": "Tenant A"})))
        .await
        .names_field("name");
    app.admin(Method::POST, tenants, Some(json!({"description": "x"})))
        .await
        .names_field("name");
    app.admin(
        Method::POST,
        tenants,
        Some(json!({"name": "Long", "description": "x".repeat(257)})),
    )
    .await
    .names_field("description");

    let r = app.admin(Method::GET, tenants, None).await;
    assert_eq!(r.status, 200);
    let names: Vec<Value> = r.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("system"), json!("Tenant_A")]);
    let r = app
        .admin(Method::GET, &format!("{tenants}/{a}"), None)
        .await;
    assert_eq!(r.json()["name"], "Tenant_A");
    app.admin(Method::GET, &format!("{tenants}/999"), None)
        .await
        .envelope(404, "222200041");
    app.admin(Method::GET, &format!("{tenants}/abc"), None)
        .await
        .envelope(400, "222200004");

    // PUT replaces: the description left out is gone.
    let r = app
        .admin(
            Method::PUT,
            &format!("{tenants}/{a}"),
            Some(json!({"name": "Tenant_A2"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json(), json!({"id": a, "name": "Tenant_A2"}));
    app.admin(
        Method::PUT,
        &format!("{tenants}/{a}"),
        Some(json!({"name": "system"})),
    )
    .await
    .envelope(409, "222200030");
    app.admin(
        Method::PUT,
        &format!("{tenants}/999"),
        Some(json!({"name": "X"})),
    )
    .await
    .envelope(404, "222200041");

    // The system tenant stays; a tenant with users stays.
    let message = app
        .admin(Method::DELETE, &format!("{tenants}/1"), None)
        .await
        .envelope(409, "222200030");
    assert!(message.contains("system tenant"), "{message}");
    let user = app.create_user("member", a, &[], json!({})).await;
    app.admin(Method::DELETE, &format!("{tenants}/{a}"), None)
        .await
        .envelope(409, "222200030");
    let r = app
        .admin(
            Method::PUT,
            &format!("/api/admin/users/{user}"),
            Some(json!({"userName": "member", "tenantId": 1, "permissions": []})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app
        .admin(Method::DELETE, &format!("{tenants}/{a}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(r.text.is_empty());
    app.admin(Method::GET, &format!("{tenants}/{a}"), None)
        .await
        .envelope(404, "222200041");
    app.stop().await;
}

#[tokio::test]
async fn others_see_their_own_and_administered_tenants_only_and_change_none() {
    let app = spawn_gateway().await;
    let a = app.create_tenant("Tenant_A").await;
    let b = app.create_tenant("Tenant_B").await;
    let c = app.create_tenant("Tenant_C").await;
    app.create_user("member", a, &[11, 1], json!({"administeredTenants": [b]}))
        .await;

    let r = app
        .as_user("member", Method::GET, "/api/admin/tenants", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ids: Vec<i64> = r.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![a, b]);
    for (id, status) in [(a, 200), (b, 200), (c, 404), (1, 404)] {
        let r = app
            .as_user(
                "member",
                Method::GET,
                &format!("/api/admin/tenants/{id}"),
                None,
            )
            .await;
        assert_eq!(r.status, status, "tenant {id}: {}", r.text);
    }
    app.as_user(
        "member",
        Method::POST,
        "/api/admin/tenants",
        Some(json!({"name": "Mine"})),
    )
    .await
    .envelope(403, "222200011");
    app.as_user(
        "member",
        Method::PUT,
        &format!("/api/admin/tenants/{a}"),
        Some(json!({"name": "Mine"})),
    )
    .await
    .envelope(403, "222200011");
    app.as_user(
        "member",
        Method::DELETE,
        &format!("/api/admin/tenants/{b}"),
        None,
    )
    .await
    .envelope(403, "222200011");
    // Invisible tenants are 404, as if they did not exist.
    app.as_user(
        "member",
        Method::DELETE,
        &format!("/api/admin/tenants/{c}"),
        None,
    )
    .await
    .envelope(404, "222200041");
    app.stop().await;
}

// ---- Users ----

#[tokio::test]
async fn administrators_manage_users_and_no_answer_shows_a_password() {
    let app = spawn_gateway().await;
    let users = "/api/admin/users";
    let a = app.create_tenant("Tenant_A").await;

    // Ids as numbers or strings of digits.
    let r = app
        .admin(
            Method::POST,
            users,
            Some(json!({
                "userName": "alice", "password": PASSWORD, "tenantId": a.to_string(),
                "permissions": [11, "1", 2], "administeredTenants": [a],
            })),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let alice = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.json(),
        json!({
            "id": alice, "userName": "alice", "tenantId": a, "permissions": [1, 2, 11],
            "administeredTenants": [a], "active": true,
        })
    );
    // Defaults: the system tenant, no administered tenants, active.
    let r = app
        .admin(
            Method::POST,
            users,
            Some(json!({"userName": "bob", "password": PASSWORD, "permissions": []})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let bob = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        r.json(),
        json!({
            "id": bob, "userName": "bob", "tenantId": 1, "permissions": [],
            "administeredTenants": [], "active": true,
        })
    );

    app.admin(
        Method::POST,
        users,
        Some(user_body("alice", json!(1), json!([]))),
    )
    .await
    .envelope(409, "222200030");
    let mut short = user_body("carol", json!(1), json!([]));
    short["password"] = json!("1234567");
    app.admin(Method::POST, users, Some(short))
        .await
        .names_field("password");
    app.admin(
        Method::POST,
        users,
        Some(user_body("carol", json!(1), json!([99]))),
    )
    .await
    .names_field("permissions");
    app.admin(
        Method::POST,
        users,
        Some(user_body("carol", json!(999), json!([]))),
    )
    .await
    .names_field("tenantId");
    let mut unknown_administered = user_body("carol", json!(1), json!([]));
    unknown_administered["administeredTenants"] = json!([a, 999]);
    app.admin(Method::POST, users, Some(unknown_administered))
        .await
        .names_field("administeredTenants");
    for bad_name in [json!("a:b"), json!(" carol"), json!(""), json!(7)] {
        let mut body = user_body("x", json!(1), json!([]));
        body["userName"] = bad_name;
        app.admin(Method::POST, users, Some(body))
            .await
            .names_field("userName");
    }
    app.admin(
        Method::POST,
        users,
        Some(json!({"userName": "nopw", "permissions": []})),
    )
    .await
    .names_field("password");

    // Read and list, with the tenant filter.
    let r = app
        .admin(Method::GET, &format!("{users}/{alice}"), None)
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["userName"], "alice");
    app.admin(Method::GET, &format!("{users}/999"), None)
        .await
        .envelope(404, "222200040");
    let r = app.admin(Method::GET, users, None).await;
    let names: Vec<Value> = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].clone())
        .collect();
    assert_eq!(names, vec![json!("admin"), json!("alice"), json!("bob")]);
    let r = app
        .admin(Method::GET, &format!("{users}?tenantId={a}"), None)
        .await;
    assert_eq!(r.json()["users"].as_array().unwrap().len(), 1);
    app.admin(Method::GET, &format!("{users}?tenantId=abc"), None)
        .await
        .envelope(400, "222200003");

    // PUT replaces; without a password the password stays.
    let r = app
        .admin(
            Method::PUT,
            &format!("{users}/{alice}"),
            Some(json!({"userName": "alice2", "tenantId": a, "permissions": [2]})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json(),
        json!({
            "id": alice, "userName": "alice2", "tenantId": a, "permissions": [2],
            "administeredTenants": [], "active": true,
        })
    );
    let r = app
        .as_user("alice2", Method::GET, "/api/admin/tenants", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.admin(
        Method::PUT,
        &format!("{users}/{alice}"),
        Some(json!({"userName": "bob", "permissions": []})),
    )
    .await
    .envelope(409, "222200030");
    app.admin(
        Method::PUT,
        &format!("{users}/{alice}"),
        Some(json!({"userName": "alice2", "permissions": [], "password": "short"})),
    )
    .await
    .names_field("password");
    app.admin(
        Method::PUT,
        &format!("{users}/999"),
        Some(json!({"userName": "ghost", "permissions": []})),
    )
    .await
    .envelope(404, "222200040");
    app.stop().await;
}

#[tokio::test]
async fn the_last_administrator_and_oneself_are_protected() {
    let app = spawn_gateway().await;
    let users = "/api/admin/users";
    let r = app.admin(Method::GET, users, None).await;
    let admin_id = r.json()["users"][0]["id"].as_i64().unwrap();
    let admin_path = format!("{users}/{admin_id}");

    app.admin(Method::DELETE, &admin_path, None)
        .await
        .envelope(409, "222200030");
    let demote = json!({"userName": ADMIN, "permissions": [11]});
    app.admin(Method::PUT, &admin_path, Some(demote.clone()))
        .await
        .envelope(409, "222200030");
    let deactivate = json!({"userName": ADMIN, "permissions": [12], "active": false});
    app.admin(Method::PUT, &admin_path, Some(deactivate))
        .await
        .envelope(409, "222200030");

    // With a second active administrator the first may step down.
    app.create_user("second", 1, &[12], json!({})).await;
    let r = app.admin(Method::PUT, &admin_path, Some(demote)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // And is no administrator from the next request on.
    let r = app.admin(Method::GET, users, None).await;
    assert_eq!(r.json(), json!({"users": []}));
    app.admin(
        Method::POST,
        "/api/admin/tenants",
        Some(json!({"name": "T"})),
    )
    .await
    .envelope(403, "222200011");
    app.stop().await;
}

#[tokio::test]
async fn two_administrators_demoting_each_other_at_once_leave_one() {
    let app = spawn_gateway().await;
    let users = "/api/admin/users";
    let second = app.create_user("second", 1, &[12], json!({})).await;
    let r = app.admin(Method::GET, users, None).await;
    let admin_id = r.json()["users"][0]["id"].as_i64().unwrap();

    let second_path = format!("{users}/{second}");
    let admin_path = format!("{users}/{admin_id}");
    let demote = |name: &str| json!({"userName": name, "permissions": [11]});
    let (by_admin, by_second) = tokio::join!(
        app.admin(Method::PUT, &second_path, Some(demote("second"))),
        app.as_user("second", Method::PUT, &admin_path, Some(demote(ADMIN))),
    );
    // One wins. The other is refused: 409 if it ran alongside, or, if it was authenticated
    // after the winner's change, as a caller who no longer administers anything (404).
    let (winner, loser) = match (by_admin.status, by_second.status) {
        (200, _) => ((ADMIN, ADMIN_PASSWORD), &by_second),
        (_, 200) => (("second", PASSWORD), &by_admin),
        _ => panic!("neither won: {} / {}", by_admin.text, by_second.text),
    };
    assert!([404, 409].contains(&loser.status), "{}", loser.text);
    let r = app.call(Method::GET, users, Some(winner), None).await;
    let admins: Vec<Value> = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["active"] == true && u["permissions"].as_array().unwrap().contains(&json!(12))
        })
        .map(|u| u["userName"].clone())
        .collect();
    assert_eq!(admins, vec![json!(winner.0)], "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_manager_manages_the_users_of_their_tenants_within_their_rights() {
    let app = spawn_gateway().await;
    let users = "/api/admin/users";
    let a = app.create_tenant("Tenant_A").await;
    let b = app.create_tenant("Tenant_B").await;
    app.create_user(
        "manager",
        1,
        &[11, 1, 2],
        json!({"administeredTenants": [a]}),
    )
    .await;
    let in_b = app.create_user("in_b", b, &[1], json!({})).await;
    let strong_in_a = app.create_user("strong_in_a", a, &[1, 3], json!({})).await;
    let as_manager = |method: Method, path: String, body: Option<Value>| {
        let app = &app;
        async move { app.as_user("manager", method, &path, body).await }
    };

    let r = as_manager(
        Method::POST,
        users.into(),
        Some(user_body("member", json!(a), json!([1, 2]))),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let member = r.json()["id"].as_i64().unwrap();
    // Not a permission the manager lacks, not another tenant, not administration of it.
    as_manager(
        Method::POST,
        users.into(),
        Some(user_body("escalated", json!(a), json!([1, 12]))),
    )
    .await
    .envelope(403, "222200011");
    as_manager(
        Method::POST,
        users.into(),
        Some(user_body("elsewhere", json!(b), json!([1]))),
    )
    .await
    .envelope(403, "222200011");
    let mut administering = user_body("administering", json!(a), json!([1]));
    administering["administeredTenants"] = json!([b]);
    as_manager(Method::POST, users.into(), Some(administering))
        .await
        .envelope(403, "222200011");

    // Users of other tenants do not exist for the manager.
    for method in [Method::GET, Method::DELETE] {
        as_manager(method, format!("{users}/{in_b}"), None)
            .await
            .envelope(404, "222200040");
    }
    as_manager(
        Method::PUT,
        format!("{users}/{in_b}"),
        Some(user_body("in_b", json!(b), json!([1]))),
    )
    .await
    .envelope(404, "222200040");
    let r = as_manager(Method::GET, users.into(), None).await;
    let names: Vec<Value> = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].clone())
        .collect();
    assert_eq!(names, vec![json!("strong_in_a"), json!("member")]);
    let r = as_manager(Method::GET, format!("{users}?tenantId={b}"), None).await;
    assert_eq!(r.json(), json!({"users": []}));

    // Their own users they may change, within their rights...
    let r = as_manager(
        Method::PUT,
        format!("{users}/{member}"),
        Some(json!({"userName": "member", "tenantId": a, "permissions": [2], "active": false})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["active"], false);
    as_manager(
        Method::PUT,
        format!("{users}/{member}"),
        Some(json!({"userName": "member", "tenantId": a, "permissions": [3]})),
    )
    .await
    .envelope(403, "222200011");
    // ...but not a user holding more than they could grant (whose password they could set).
    let r = as_manager(Method::GET, format!("{users}/{strong_in_a}"), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut takeover = user_body("strong_in_a", json!(a), json!([1]));
    takeover["password"] = json!("new-password-2");
    as_manager(
        Method::PUT,
        format!("{users}/{strong_in_a}"),
        Some(takeover),
    )
    .await
    .envelope(403, "222200011");
    as_manager(Method::DELETE, format!("{users}/{strong_in_a}"), None)
        .await
        .envelope(403, "222200011");

    // Nobody else manages users.
    app.create_user(
        "plain",
        a,
        &[1, 2, 3, 4],
        json!({"administeredTenants": [a]}),
    )
    .await;
    app.as_user("plain", Method::GET, users, None)
        .await
        .envelope(403, "222200011");
    app.as_user("plain", Method::GET, &format!("{users}/{member}"), None)
        .await
        .envelope(404, "222200040");
    app.as_user(
        "plain",
        Method::POST,
        users,
        Some(user_body("by_plain", json!(a), json!([]))),
    )
    .await
    .envelope(403, "222200011");
    app.stop().await;
}

// ---- Credentials take effect on the next request ----

#[tokio::test]
async fn password_changes_deactivation_and_permissions_take_effect_at_once() {
    let app = spawn_gateway().await;
    let id = app.create_user("carol", 1, &[], json!({})).await;
    let path = format!("/api/admin/users/{id}");
    let probe = "/api/admin/tenants";
    // Verified, and so cached.
    for _ in 0..2 {
        let r = app.as_user("carol", Method::GET, probe, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    let r = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"userName": "carol", "permissions": [], "password": "new-password-2"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.as_user("carol", Method::GET, probe, None)
        .await
        .envelope(401, "222200010");
    let new = Some(("carol", "new-password-2"));
    let r = app.call(Method::GET, probe, new, None).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let r = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"userName": "carol", "permissions": [], "active": false})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.call(Method::GET, probe, new, None)
        .await
        .envelope(401, "222200010");
    let r = app
        .admin(
            Method::PUT,
            &path,
            Some(json!({"userName": "carol", "permissions": []})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.call(Method::GET, probe, new, None).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // Permissions too: no user management, then all of it.
    app.call(Method::GET, "/api/admin/users", new, None)
        .await
        .envelope(403, "222200011");
    app.admin(
        Method::PUT,
        &path,
        Some(json!({"userName": "carol", "permissions": [12]})),
    )
    .await;
    let r = app.call(Method::GET, "/api/admin/users", new, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn a_change_through_another_replica_counts_once_the_user_cache_time_is_over() {
    let app = spawn_gateway().await;
    let uncached = app.replica(0);
    let short = app.replica(300);
    let long = app.replica(600_000);
    app.create_user("dave", 1, &[], json!({})).await;
    let probe = "/api/admin/tenants";
    let old = Some(("dave", PASSWORD));
    let new = Some(("dave", "new-password-2"));
    for replica in [&uncached, &short, &long] {
        let r = replica.call(Method::GET, probe, old, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }

    let r = app.admin(Method::GET, "/api/admin/users", None).await;
    let id = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["userName"] == "dave")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = app
        .admin(
            Method::PUT,
            &format!("/api/admin/users/{id}"),
            Some(json!({"userName": "dave", "permissions": [], "password": "new-password-2"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The replica that made the change and the one that keeps no rows: at once.
    for replica in [&app, &uncached] {
        replica
            .call(Method::GET, probe, old, None)
            .await
            .envelope(401, "222200010");
        let r = replica.call(Method::GET, probe, new, None).await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    // One that keeps rows for 10 minutes still has the old one: the setting is what bounds it.
    let r = long.call(Method::GET, probe, old, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // One that keeps them for 300 ms: once they are older than that.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let r = short.call(Method::GET, probe, old, None).await;
        if r.status == 401 {
            r.envelope(401, "222200010");
            break;
        }
        assert_eq!(r.status, 200, "{}", r.text);
        assert!(
            std::time::Instant::now() < deadline,
            "the old password still works on a replica that keeps rows for 300 ms"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = short.call(Method::GET, probe, new, None).await;
    assert_eq!(r.status, 200, "{}", r.text);

    for replica in [uncached, short, long] {
        replica.stop().await;
    }
    app.stop().await;
}

// ---- On behalf of ----

#[tokio::test]
async fn acting_on_behalf_of_a_user_follows_the_rules() {
    let app = spawn_gateway().await;
    let a = app.create_tenant("Tenant_A").await;
    let b = app.create_tenant("Tenant_B").await;
    app.create_user("alice", a, &[11, 1, 2, 28], json!({}))
        .await;
    app.create_user("gone", a, &[11], json!({"active": false}))
        .await;
    app.create_user("boss", a, &[12], json!({})).await;
    app.create_user(
        "delegate",
        1,
        &[11, 21],
        json!({"administeredTenants": [a]}),
    )
    .await;
    app.create_user(
        "outsider",
        1,
        &[11, 21],
        json!({"administeredTenants": [b]}),
    )
    .await;
    app.create_user("no_21", 1, &[11], json!({"administeredTenants": [a]}))
        .await;
    app.create_user("plain", a, &[11, 1, 2], json!({})).await;
    let call = |user: &'static str, path: String| {
        let app = &app;
        async move {
            match user {
                ADMIN => app.admin(Method::GET, &path, None).await,
                _ => app.as_user(user, Method::GET, &path, None).await,
            }
        }
    };

    for base in [
        "/api/mgmt/oauthprofiles",
        "/api/mgmt/oauthprofiles/3",
        "/api/mgmt/oauth/client/applications",
        "/api/mgmt/oauth/client/applications/3",
    ] {
        // Permitted: forwarded (and the absent service is 503).
        for caller in [ADMIN, "delegate"] {
            call(caller, format!("{base}?user=alice"))
                .await
                .envelope(503, "222200090");
        }
        // Refused before forwarding.
        for caller in ["outsider", "no_21", "plain"] {
            call(caller, format!("{base}?user=alice"))
                .await
                .envelope(403, "222200011");
        }
        // Unknown or inactive: 400 for whom may know, 403 for anyone else.
        for target in ["nobody", "gone"] {
            let message = call(ADMIN, format!("{base}?user={target}"))
                .await
                .envelope(400, "222200003");
            assert!(message.contains("'user'"), "{message}");
        }
        call("delegate", format!("{base}?user=gone"))
            .await
            .envelope(400, "222200003");
        for caller in ["delegate", "outsider", "plain"] {
            call(caller, format!("{base}?user=nobody"))
                .await
                .envelope(403, "222200011");
        }
        // An administrator's data is for administrators.
        call("delegate", format!("{base}?user=boss"))
            .await
            .envelope(403, "222200011");
        // Oneself is no one else.
        call("plain", format!("{base}?user=plain"))
            .await
            .envelope(503, "222200090");
    }
    call(ADMIN, "/api/mgmt/oauthprofiles?user=alice&user=boss".into())
        .await
        .envelope(400, "222200003");
    // Elsewhere the parameter is ignored.
    call("plain", "/api/mgmt/oauthapps?user=alice".into())
        .await
        .envelope(503, "222200090");
    let r = call("plain", "/api/admin/tenants?user=alice".into()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.stop().await;
}

#[tokio::test]
async fn tokens_carry_subject_and_actor_and_tenant_names_become_ids() {
    let app = spawn_gateway_with_stub().await;
    let a = app.create_tenant("Tenant_A").await;
    app.create_user("alice", a, &[11, 1, 2], json!({})).await;
    app.create_user(
        "delegate",
        1,
        &[11, 21],
        json!({"administeredTenants": [a]}),
    )
    .await;

    let r = app
        .admin(Method::GET, "/api/mgmt/oauthprofiles/5?user=alice", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["path"], "/profiles/api/mgmt/oauthprofiles/5");
    assert_eq!(
        (&r.json()["subject"], &r.json()["actor"]),
        (&json!("alice"), &json!("admin"))
    );
    let r = app
        .as_user(
            "delegate",
            Method::GET,
            "/api/mgmt/oauth/client/applications?user=alice",
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (&r.json()["subject"], &r.json()["actor"]),
        (&json!("alice"), &json!("delegate"))
    );
    // Then as themselves again: a token of their own, not the one on alice's behalf.
    let r = app
        .as_user(
            "delegate",
            Method::GET,
            "/api/mgmt/oauth/client/applications",
            None,
        )
        .await;
    assert_eq!(
        (&r.json()["subject"], &r.json()["actor"]),
        (&json!("delegate"), &Value::Null)
    );

    let r = app
        .as_user(
            "alice",
            Method::GET,
            "/api/mgmt/oauthapps?x=%20y&tenantName=Tenant_A",
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["query"], format!("x=%20y&tenantId={a}"));
    let r = app
        .as_user(
            "alice",
            Method::GET,
            "/api/mgmt/oauthapps?tenantName=Nope",
            None,
        )
        .await;
    assert_eq!(r.json()["query"], "tenantId=0");
    let r = app
        .as_user("alice", Method::GET, "/api/mgmt/oauthapps?tenantId=7", None)
        .await;
    assert_eq!(r.json()["query"], "tenantId=7");
    // Both filters apply: the same tenant named twice, or two tenants and so nothing.
    let both = |id: i64| format!("/api/mgmt/oauthapps?tenantId={id}&tenantName=Tenant_A");
    let r = app.as_user("alice", Method::GET, &both(a), None).await;
    assert_eq!(r.json()["query"], format!("tenantId={a}"));
    let r = app.as_user("alice", Method::GET, &both(a + 1), None).await;
    assert_eq!(r.json()["query"], "tenantId=0");
    // A caller's own tenantId=0 would mean "nothing" to oauth-apps: refused here.
    app.as_user("alice", Method::GET, "/api/mgmt/oauthapps?tenantId=0", None)
        .await
        .envelope(400, "222200003");
    app.stop().await;
}

// ---- Deleting a user ----

#[tokio::test]
async fn deleting_a_user_purges_their_data_and_can_be_retried() {
    let app = spawn_gateway_with_stub().await;
    let a = app.create_tenant("Tenant_A").await;
    let alice = app.create_user("alice", a, &[11, 1], json!({})).await;
    app.create_user("manager", 1, &[11, 1], json!({"administeredTenants": [a]}))
        .await;
    let path = format!("/api/admin/users/{alice}");
    let r = app
        .as_user("alice", Method::GET, "/api/mgmt/oauthprofiles", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.stub().take_seen();

    // The services are down: 202, the deletion recorded, alice inactive but still there.
    app.stub().up.store(false, Ordering::SeqCst);
    let r = app.admin(Method::DELETE, &path, None).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let r = app.admin(Method::GET, &path, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["active"], false);
    app.as_user("alice", Method::GET, "/api/mgmt/oauthprofiles", None)
        .await
        .envelope(401, "222200010");
    // Asked again while it is being deleted: 202 again (never 404), and she cannot be changed.
    let r = app.as_user("manager", Method::DELETE, &path, None).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let r = app
        .admin(
            Method::PUT,
            &path,
            Some(
                json!({"userName": "alice", "tenantId": a, "permissions": [11, 1], "active": true}),
            ),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);

    // Up again: the deletion worker completes it without another request.
    app.stub().up.store(true, Ordering::SeqCst);
    let started = std::time::Instant::now();
    while app.admin(Method::GET, &path, None).await.status != 404 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "the recorded deletion never completed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let purges: Vec<(String, String, bool)> = app
        .stub()
        .take_seen()
        .into_iter()
        .map(|s| (s.method, s.path, s.system))
        .collect();
    let purge = |prefix: &str| {
        (
            "DELETE".to_owned(),
            format!("{prefix}/internal/owners/{alice}"),
            true,
        )
    };
    // Tried while down (and retried), then confirmed once each.
    assert!(purges
        .iter()
        .all(|p| *p == purge("/profiles") || *p == purge("/registration")));
    assert!(purges.contains(&purge("/profiles")) && purges.contains(&purge("/registration")));
    app.admin(Method::GET, &path, None)
        .await
        .envelope(404, "222200040");
    app.admin(Method::DELETE, &path, None)
        .await
        .envelope(404, "222200040");

    // Nobody deletes themself.
    let r = app.admin(Method::GET, "/api/admin/users", None).await;
    let manager = r.json()["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userName"] == "manager")
        .unwrap()["id"]
        .clone();
    let message = app
        .as_user(
            "manager",
            Method::DELETE,
            &format!("/api/admin/users/{manager}"),
            None,
        )
        .await
        .envelope(409, "222200030");
    assert!(message.contains("yourself"), "{message}");
    let r = app
        .admin(Method::DELETE, &format!("/api/admin/users/{manager}"), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.stop().await;
}

/// A JSON array, or any other value that is not an object, is not a user or a tenant: serde
/// would fill the fields by position. 400 naming the body, and nothing is created or changed.
#[tokio::test]
async fn admin_bodies_must_be_json_objects() {
    let app = spawn_gateway().await;
    let user = json!(["alice", "alice-password", 1, [11], [], true]);
    for (method, path, body) in [
        (Method::POST, "/api/admin/users", user.clone()),
        (Method::PUT, "/api/admin/users/1", user),
        (
            Method::POST,
            "/api/admin/tenants",
            json!(["Tenant_X", "described"]),
        ),
        (Method::PUT, "/api/admin/tenants/1", json!(["System"])),
        (Method::POST, "/api/admin/tenants", json!("Tenant_X")),
        (Method::POST, "/api/admin/users", json!(null)),
    ] {
        let r = app.admin(method.clone(), path, Some(body)).await;
        let message = r.envelope(400, "222200001");
        assert!(
            message.contains("JSON object"),
            "{method} {path}: {message}"
        );
    }
    let r = app.admin(Method::GET, "/api/admin/users", None).await;
    assert_eq!(
        r.json()["users"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
    let r = app.admin(Method::GET, "/api/admin/tenants", None).await;
    assert_eq!(
        r.json()["tenants"].as_array().map(Vec::len),
        Some(1),
        "{}",
        r.text
    );
}
