//! User deletion as durable work (docs/consistency.md, I2), over real HTTP with the real
//! services (in this process) and the real `gateway` binary (a child process we can SIGKILL):
//!
//! - the replica serving a deletion is killed at random points while the user writes through
//!   a second replica; once restarted, every deletion completes within 60 s and none of the
//!   user's rows remain;
//! - a peer slowed during a deletion (a database locked for 4 s while the user's creates are
//!   in flight: on PostgreSQL oauth-apps', which oauth-profiles asks before it writes a
//!   profile, so that creates admitted before the deletion reach their insert after the purge;
//!   on SQLite oauth-profiles' own) leaves no row behind either.
//!
//! On PostgreSQL when `TEST_POSTGRES_URL` is set, else on SQLite files.

#![expect(
    clippy::unwrap_used,
    reason = "a failed step in a test is a failed test"
)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use db::DbConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::Rng;
use serde_json::{json, Value};
use tempfile::TempDir;
use test_support::PgDatabases;

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "admin-password-1";
const PASSWORD: &str = "user-password-1";
/// How long a deletion may take once a replica runs again.
const COMPLETE_WITHIN: Duration = Duration::from_secs(60);

/// The three services in this process, a database for the gateway, and the keys.
struct Services {
    dir: TempDir,
    postgres: Option<PgDatabases>,
    signing_key: PathBuf,
    apps_url: String,
    profiles_url: String,
    registration_url: String,
}

impl Services {
    fn start() -> Services {
        let dir = tempfile::tempdir().unwrap();
        let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
        let postgres = PgDatabases::create_if_configured(&[
            "gateway",
            "oauth-apps",
            "oauth-profiles",
            "client-registration",
        ]);
        let url = |component| test_support::database_url(postgres.as_ref(), dir.path(), component);
        let profiles_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let profiles_url = format!(
            "http://127.0.0.1:{}",
            profiles_listener.local_addr().unwrap().port()
        );
        let apps = oauth_apps::build(&oauth_apps::Config {
            addr: "127.0.0.1:0".to_owned(),
            database_url: url("oauth-apps"),
            token_public_key_file: keys.public_key.clone(),
            oauth_profiles_url: profiles_url.clone(),
            peer_timeout_ms: 5_000,
            pool_size: 4,
            workers: Some(2),
            max_body_bytes: 256 * 1024,
            encryption_keys: Some(format!("k1:{}", secrets::generate_key())),
            encryption_keys_file: dir.path().join("keys/oauth-apps.keys"),
            encryption_active_key: None,
            allow_private_uris: Default::default(),
        })
        .unwrap();
        let apps_url = format!("http://127.0.0.1:{}", apps.port());
        let profiles = oauth_profiles::build_on(
            &oauth_profiles::Config {
                addr: "127.0.0.1:0".to_owned(),
                database_url: url("oauth-profiles"),
                token_public_key_file: keys.public_key.clone(),
                oauth_apps_url: apps_url.clone(),
                peer_timeout_ms: 5_000,
                pool_size: 8,
                workers: Some(2),
                max_body_bytes: 256 * 1024,
                encryption_keys: Some(format!("k1:{}", secrets::generate_key())),
                encryption_keys_file: dir.path().join("keys/oauth-profiles.keys"),
                encryption_active_key: None,
                providers: Default::default(),
            },
            profiles_listener,
        )
        .unwrap();
        let registration = client_registration::build(&client_registration::Config {
            addr: "127.0.0.1:0".to_owned(),
            database_url: url("client-registration"),
            token_public_key_file: keys.public_key.clone(),
            pool_size: 8,
            workers: Some(2),
            max_body_bytes: 256 * 1024,
            secret_hash_key: Some(secrets::generate_key()),
            secret_hash_key_file: dir.path().join("keys/client-registration.key"),
        })
        .unwrap();
        let registration_url = format!("http://127.0.0.1:{}", registration.port());
        tokio::spawn(apps.run_until_stopped());
        tokio::spawn(profiles.run_until_stopped());
        tokio::spawn(registration.run_until_stopped());
        Services {
            postgres,
            signing_key: keys.private_key,
            apps_url,
            profiles_url,
            registration_url,
            dir,
        }
    }

    fn database_url(&self, component: &str) -> String {
        test_support::database_url(self.postgres.as_ref(), self.dir.path(), component)
    }

    /// The gateway's settings, listening on `addr`.
    fn gateway_config(&self, addr: &str) -> gateway::Config {
        gateway::Config {
            addr: addr.to_owned(),
            database_url: self.database_url("gateway"),
            token_signing_key_file: self.signing_key.clone(),
            oauth_apps_url: self.apps_url.clone(),
            oauth_profiles_url: self.profiles_url.clone(),
            client_registration_url: self.registration_url.clone(),
            admin_user: ADMIN.to_owned(),
            admin_password: Some(ADMIN_PASSWORD.to_owned()),
            upstream_timeout_ms: 2_000,
            auth_cache_secs: 30,
            user_cache_ms: 1_000,
            token_ttl_secs: 60,
            pool_size: 4,
            workers: Some(2),
            max_body_bytes: 256 * 1024,
            password_checks: 4,
            password_queue: 64,
            public_url: None,
        }
    }

    /// A gateway replica in this process; its base URL.
    fn gateway_in_process(&self) -> String {
        let app = gateway::build(&self.gateway_config("127.0.0.1:0")).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        base
    }

    /// A gateway replica as a child process on `port` (the same after a restart).
    fn gateway_process(&self, port: u16) -> Child {
        let config = self.gateway_config(&format!("127.0.0.1:{port}"));
        Command::new(env!("CARGO_BIN_EXE_gateway"))
            .env("GATEWAY_ADDR", &config.addr)
            .env("GATEWAY_DATABASE_URL", &config.database_url)
            .env("TOKEN_SIGNING_KEY_FILE", &config.token_signing_key_file)
            .env("OAUTH_APPS_URL", &config.oauth_apps_url)
            .env("OAUTH_PROFILES_URL", &config.oauth_profiles_url)
            .env("CLIENT_REGISTRATION_URL", &config.client_registration_url)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("GATEWAY_UPSTREAM_TIMEOUT_MS", "2000")
            .env("GATEWAY_WORKERS", "2")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// A connection of its own to `component`'s database.
    fn connect(&self, component: &str) -> DbConnection {
        let mut conn = DbConnection::establish(&self.database_url(component)).unwrap();
        if let DbConnection::Sqlite(_) = conn {
            conn.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
        }
        conn
    }

    /// Where the deletion of user `id` stands, read from the gateway's database.
    fn deletion_state(&self, id: i64) -> String {
        let mut conn = self.connect("gateway");
        let user = identity::users::find(&mut conn, id).unwrap();
        let deletion = identity::deletions::find(&mut conn, id).unwrap();
        match (user, deletion) {
            (None, _) => "complete".to_owned(),
            (Some(user), None) => format!("not recorded, active: {}", user.active),
            (Some(_), Some(d)) => format!(
                "recorded, purges confirmed: profiles {}, client applications {}",
                d.profiles_purged, d.registrations_purged
            ),
        }
    }

    /// The rows of `owner` left in both services: (profiles, client applications).
    fn remaining(&self, owner: i64) -> (i64, i64) {
        let count = |component: &str, table: &str| {
            let mut conn = self.connect(component);
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
                "(SELECT COUNT(*) FROM {table} WHERE owner_id = {owner})"
            )))
            .get_result::<i64>(&mut conn)
            .unwrap()
        };
        (
            count("oauth-profiles", "oauth_profiles"),
            count("client-registration", "client_apps"),
        )
    }
}

/// A client of one gateway.
#[derive(Clone)]
struct Gateway {
    base: String,
    http: reqwest::Client,
}

impl Gateway {
    fn new(base: String) -> Gateway {
        Gateway {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        who: (&str, &str),
        body: Option<Value>,
    ) -> Result<(u16, Value), reqwest::Error> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .basic_auth(who.0, Some(who.1));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(method, path, (ADMIN, ADMIN_PASSWORD), body)
            .await
            .unwrap()
    }

    async fn wait_ready(&self, child: &mut Child) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = self
                .http
                .get(format!("{}/healthz", self.base))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return;
            }
            assert!(child.try_wait().unwrap().is_none(), "the gateway exited");
            assert!(Instant::now() < deadline, "the gateway never became ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A user who may create profiles and client applications; their id.
    async fn create_user(&self, name: &str) -> i64 {
        let (status, user) = self
            .admin(
                reqwest::Method::POST,
                "/api/admin/users",
                Some(json!({"userName": name, "password": PASSWORD, "permissions": [11, 1, 2]})),
            )
            .await;
        assert_eq!(status, 201, "{user}");
        user["id"].as_i64().unwrap()
    }

    /// An OAuth application of the system tenant, usable by every user; its id.
    async fn create_oauth_app(&self) -> i64 {
        let body = json!({
            "name": "Shared",
            "dataStore": 54,
            "tenantId": 1,
            "clientId": "client-id",
            "clientSecret": "client-secret",
            "authorizeURI": "https://accounts.google.com/o/oauth2/auth",
            "tokenURI": "https://www.googleapis.com/oauth2/v3/token",
            "scope": "analytics",
        });
        let (status, app) = self
            .admin(reqwest::Method::POST, "/api/mgmt/oauthapps", Some(body))
            .await;
        assert_eq!(status, 201, "{app}");
        app["id"].as_i64().unwrap()
    }

    /// The user's status: 404 once deleted.
    async fn user_status(&self, id: i64) -> (u16, Value) {
        self.admin(
            reqwest::Method::GET,
            &format!("/api/admin/users/{id}"),
            None,
        )
        .await
    }

    async fn wait_deleted(&self, id: i64, within: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let (status, _) = self.user_status(id).await;
            if status == 404 {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < within,
                "user {id} still exists {within:?} later ({status})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The user writing profiles and client applications through `gateway` as fast as it answers,
/// until `stop`; how many creates succeeded.
fn writer(
    gateway: Gateway,
    name: String,
    app_id: i64,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<usize> {
    let created = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    // Several requests of each kind in flight at once.
    for lane in 0..8 {
        let (gateway, name, stop, created) =
            (gateway.clone(), name.clone(), stop.clone(), created.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let (path, body) = match lane % 2 {
                    0 => (
                        "/api/mgmt/oauthprofiles",
                        json!({"name": format!("p{lane}-{n}"), "oauthAppId": app_id, "refreshToken": "r"}),
                    ),
                    _ => (
                        "/api/mgmt/oauth/client/applications",
                        json!({"name": format!("a{lane}-{n}"), "redirectUrls": ["https://app.example.com/cb"]}),
                    ),
                };
                match gateway
                    .send(reqwest::Method::POST, path, (&name, PASSWORD), Some(body))
                    .await
                {
                    Ok((201, _)) => {
                        created.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok((401, _)) => tokio::time::sleep(Duration::from_millis(50)).await,
                    _ => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }));
    }
    tokio::spawn(async move {
        for task in tasks {
            task.await.unwrap();
        }
        created.load(Ordering::Relaxed)
    })
}

fn backend() -> &'static str {
    if std::env::var(test_support::POSTGRES_VAR).is_ok_and(|url| !url.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deletion_survives_sigkill_of_its_replica_and_leaves_no_row() {
    let services = Services::start();
    // Replica B, in this process, serves the user's writes (and runs its own worker).
    let writes = Gateway::new(services.gateway_in_process());
    let app_id = writes.create_oauth_app().await;
    // Replica A, a process, serves the deletions and is killed.
    let port = test_support::free_port();
    let mut process = services.gateway_process(port);
    let deletes = Gateway::new(format!("http://127.0.0.1:{port}"));
    deletes.wait_ready(&mut process).await;

    let rounds = 20;
    let mut total_remaining = (0, 0);
    for round in 1..=rounds {
        let name = format!("doomed-{round}");
        let id = writes.create_user(&name).await;
        let stop = Arc::new(AtomicBool::new(false));
        let writer = writer(writes.clone(), name.clone(), app_id, stop.clone());
        tokio::time::sleep(Duration::from_millis(150)).await;

        let delete = tokio::spawn({
            let deletes = deletes.clone();
            async move {
                deletes
                    .send(
                        reqwest::Method::DELETE,
                        &format!("/api/admin/users/{id}"),
                        (ADMIN, ADMIN_PASSWORD),
                        None,
                    )
                    .await
                    .map(|(status, _)| status)
            }
        });
        // A deletion with nothing slow takes tens of milliseconds: most kills land in it, some
        // anywhere up to 500 ms.
        let most = if round % 4 == 0 { 500 } else { 30 };
        let delay = rand::thread_rng().gen_range(0..=most);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        process.kill().unwrap();
        process.wait().unwrap();
        let answered = delete.await.unwrap().ok();
        let killed_at = services.deletion_state(id);

        process = services.gateway_process(port);
        deletes.wait_ready(&mut process).await;
        let restarted = Instant::now();
        // A DELETE the kill cut off before it committed was never accepted: it is sent again.
        let (_, user) = writes.user_status(id).await;
        let resent = user["active"] == json!(true);
        if resent {
            let (status, body) = deletes
                .admin(
                    reqwest::Method::DELETE,
                    &format!("/api/admin/users/{id}"),
                    None,
                )
                .await;
            assert!(status == 202 || status == 204, "{status} {body}");
        }
        deletes.wait_deleted(id, COMPLETE_WITHIN).await;
        let took = restarted.elapsed();
        stop.store(true, Ordering::Relaxed);
        let created = writer.await.unwrap();
        let remaining = services.remaining(id);
        println!(
            "{} round {round}: killed after {delay} ms ({killed_at}; answer {answered:?}, sent \
             again: {resent}), complete {took:?} after the restart, {created} create(s) by the user, \
             remaining rows: {} profile(s), {} client application(s)",
            backend(),
            remaining.0,
            remaining.1
        );
        total_remaining.0 += remaining.0;
        total_remaining.1 += remaining.1;
        assert!(took < COMPLETE_WITHIN);
    }
    println!(
        "{} after {rounds} rounds: {} profile(s), {} client application(s) of deleted users remain",
        backend(),
        total_remaining.0,
        total_remaining.1
    );
    process.kill().unwrap();
    process.wait().unwrap();
    assert_eq!(total_remaining, (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_slowed_peer_during_a_deletion_leaves_no_row() {
    let services = Services::start();
    let gateway = Gateway::new(services.gateway_in_process());
    let app_id = gateway.create_oauth_app().await;
    let id = gateway.create_user("slowed").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = writer(gateway.clone(), "slowed".to_owned(), app_id, stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A peer's database locked for 4 s while the user's creates are in flight. On PostgreSQL
    // oauth-apps' table: oauth-profiles asks oauth-apps about the application of every
    // profile before writing it, so creates admitted before the deletion reach their insert
    // after the purge. SQLite cannot keep readers out (WAL): there oauth-profiles' own
    // database is locked for writing, and the creates and the purge queue up behind it.
    let locked = Arc::new(AtomicBool::new(false));
    let postgres = services.postgres.is_some();
    let lock = std::thread::spawn({
        let mut conn = services.connect(if postgres {
            "oauth-apps"
        } else {
            "oauth-profiles"
        });
        let locked = locked.clone();
        move || {
            let statement = match postgres {
                true => "BEGIN; LOCK TABLE oauth_apps IN ACCESS EXCLUSIVE MODE;",
                false => "BEGIN IMMEDIATE;",
            };
            conn.batch_execute(statement).unwrap();
            locked.store(true, Ordering::Relaxed);
            std::thread::sleep(Duration::from_secs(4));
            conn.batch_execute("COMMIT").unwrap();
        }
    });
    while !locked.load(Ordering::Relaxed) {
        assert!(!lock.is_finished(), "the lock could not be taken");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let (status, body) = gateway
        .admin(
            reqwest::Method::DELETE,
            &format!("/api/admin/users/{id}"),
            None,
        )
        .await;
    assert!(status == 202 || status == 204, "{status} {body}");
    let took = gateway.wait_deleted(id, COMPLETE_WITHIN).await;
    lock.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    let created = writer.await.unwrap();
    // Anything still in flight has had its chance.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let remaining = services.remaining(id);
    println!(
        "{}: slowed peer, DELETE answered {status}, complete after {:?}, {created} create(s) by \
         the user, remaining rows: {} profile(s), {} client application(s)",
        backend(),
        started.elapsed().max(took),
        remaining.0,
        remaining.1
    );
    assert_eq!(remaining, (0, 0));
}
