//! The harness of the tests that run a cluster: the three services in the test process, on
//! SQLite files or on PostgreSQL when `TEST_POSTGRES_URL` is set, and gateway replicas in the
//! process or as child processes of the real `gateway` binary.

#![allow(dead_code, reason = "each test target uses a part of the harness")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use db::DbConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};
use tempfile::TempDir;
use test_support::PgDatabases;

pub const ADMIN: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const PASSWORD: &str = "user-password-1";
/// How long a deletion may take once a replica runs again.
pub const COMPLETE_WITHIN: Duration = Duration::from_secs(60);

/// The three services in this process, a database for the gateway, and the keys.
pub struct Services {
    pub dir: TempDir,
    pub postgres: Option<PgDatabases>,
    pub signing_key: PathBuf,
    pub apps_url: String,
    pub profiles_url: String,
    pub registration_url: String,
}

impl Services {
    pub fn start() -> Services {
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
            metrics_addr: None,
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
                metrics_addr: None,
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
            metrics_addr: None,
            secret_hash_key: Some(secrets::generate_key()),
            secret_hash_key_file: dir.path().join("keys/client-registration.key"),
            oauth2: Default::default(),
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

    pub fn database_url(&self, component: &str) -> String {
        test_support::database_url(self.postgres.as_ref(), self.dir.path(), component)
    }

    /// The gateway's settings, listening on `addr`.
    pub fn gateway_config(&self, addr: &str) -> gateway::Config {
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
            metrics_addr: None,
            password_checks: 4,
            password_queue: 64,
            public_url: None,
        }
    }

    /// A gateway replica in this process; its base URL.
    pub fn gateway_in_process(&self) -> String {
        self.gateway_in_process_with(self.gateway_config("127.0.0.1:0"))
    }

    /// A gateway replica in this process with these settings; its base URL.
    pub fn gateway_in_process_with(&self, config: gateway::Config) -> String {
        let app = gateway::build(&config).unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        base
    }

    /// A gateway replica as a child process on `port` (the same after a restart).
    pub fn gateway_process(&self, port: u16) -> Child {
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

    /// `gateway <command>` (the consistency check or repair) with this cluster's settings: its
    /// exit code and the JSON lines it printed.
    pub fn gateway_command(&self, command: &str) -> (i32, Vec<Value>) {
        let config = self.gateway_config("127.0.0.1:0");
        let output = Command::new(env!("CARGO_BIN_EXE_gateway"))
            .arg(command)
            .env("GATEWAY_DATABASE_URL", &config.database_url)
            .env("TOKEN_SIGNING_KEY_FILE", &config.token_signing_key_file)
            .env("OAUTH_APPS_URL", &config.oauth_apps_url)
            .env("OAUTH_PROFILES_URL", &config.oauth_profiles_url)
            .env("CLIENT_REGISTRATION_URL", &config.client_registration_url)
            .env("RUST_LOG", "error")
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let lines = stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (output.status.code().unwrap(), lines)
    }

    /// One number from `component`'s database: `sql` is a query of one BIGINT.
    pub fn count(&self, component: &str, sql: &str) -> i64 {
        let mut conn = self.connect(component);
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "({sql})"
        )))
        .get_result::<i64>(&mut conn)
        .unwrap()
    }

    /// Runs `sql` on `component`'s database, as an earlier version or a crash could have left
    /// it.
    pub fn execute(&self, component: &str, sql: &str) {
        self.connect(component).batch_execute(sql).unwrap();
    }

    /// A connection of its own to `component`'s database.
    pub fn connect(&self, component: &str) -> DbConnection {
        let mut conn = DbConnection::establish(&self.database_url(component)).unwrap();
        if let DbConnection::Sqlite(_) = conn {
            conn.batch_execute("PRAGMA busy_timeout = 5000").unwrap();
        }
        conn
    }

    /// Where the deletion of user `id` stands, read from the gateway's database.
    pub fn deletion_state(&self, id: i64) -> String {
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
    pub fn remaining(&self, owner: i64) -> (i64, i64) {
        let count = |component: &str, table: &str| {
            self.count(
                component,
                &format!("SELECT COUNT(*) FROM {table} WHERE owner_id = {owner}"),
            )
        };
        (
            count("oauth-profiles", "oauth_profiles"),
            count("client-registration", "client_apps"),
        )
    }
}

/// A client of one gateway.
#[derive(Clone)]
pub struct Gateway {
    pub base: String,
    pub http: reqwest::Client,
}

impl Gateway {
    pub fn new(base: String) -> Gateway {
        Gateway {
            base,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    pub async fn send(
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

    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.send(method, path, (ADMIN, ADMIN_PASSWORD), body)
            .await
            .unwrap()
    }

    pub async fn wait_ready(&self, child: &mut Child) {
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
    pub async fn create_user(&self, name: &str) -> i64 {
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
    pub async fn create_oauth_app(&self) -> i64 {
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
    pub async fn user_status(&self, id: i64) -> (u16, Value) {
        self.admin(
            reqwest::Method::GET,
            &format!("/api/admin/users/{id}"),
            None,
        )
        .await
    }

    pub async fn wait_deleted(&self, id: i64, within: Duration) -> Duration {
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
pub fn writer(
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

pub fn backend() -> &'static str {
    if std::env::var(test_support::POSTGRES_VAR).is_ok_and(|url| !url.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    }
}
