//! oauth-apps dies, for real: the `oauth-apps` binary is started as its own process and killed
//! with SIGKILL in the middle of the work, then started again on the same database.
//!
//! - While profiles are being created (oauth-profiles asks oauth-apps about each one): every
//!   create answers 201 or 503, every 201 is readable afterwards, no 503 left a row, and once
//!   oauth-apps is back creates succeed again without restarting anything else.
//! - While oauth-apps itself is writing: every create it acknowledged is there after the
//!   restart, and nothing it did not acknowledge beyond the requests cut off in flight.
//!
//! Both run on SQLite files, or on PostgreSQL when `TEST_POSTGRES_URL` is set.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failed step in a test is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api_common::ErrorCode;
use internal_auth::{Identity, Service, TokenSigner};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use test_support::{free_port, PgDatabases};

const APPS: &str = "/api/mgmt/oauthapps";
const PROFILES: &str = "/api/mgmt/oauthprofiles";

/// The oauth-apps binary on a fixed port, and what it needs to start again after a kill.
struct AppsProcess {
    child: Option<Child>,
    port: u16,
    database_url: String,
    public_key: String,
    keys: String,
    profiles_url: String,
}

impl AppsProcess {
    fn start(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_oauth-apps"))
            .env("OAUTH_APPS_ADDR", format!("127.0.0.1:{}", self.port))
            .env("OAUTH_APPS_DATABASE_URL", &self.database_url)
            .env("TOKEN_PUBLIC_KEY_FILE", &self.public_key)
            .env("OAUTH_PROFILES_URL", &self.profiles_url)
            .env("OAUTH_APPS_ENCRYPTION_KEYS", &self.keys)
            .env("OAUTH_APPS_WORKERS", "2")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("the oauth-apps binary starts");
        self.child = Some(child);
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until `/healthz` answers 200.
    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!("oauth-apps exited at start-up: {status}");
            }
            let health = client.get(format!("{}/healthz", self.url())).send().await;
            if health.is_ok_and(|r| r.status() == StatusCode::OK) {
                return;
            }
            assert!(Instant::now() < deadline, "oauth-apps never became ready");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no shutdown hook, no flush, nothing.
    fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for AppsProcess {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// oauth-apps as a process and oauth-profiles in this one, each knowing the other.
struct Cluster {
    apps: AppsProcess,
    profiles_url: String,
    signer: TokenSigner,
    _profiles: actix_web::dev::ServerHandle,
    _postgres: Option<PgDatabases>,
    _dir: TempDir,
}

async fn start_cluster() -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let postgres = PgDatabases::create_if_configured(&["oauth-apps", "oauth-profiles"]);
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let apps_port = free_port();
    let profiles_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let profiles_url = format!(
        "http://127.0.0.1:{}",
        profiles_listener.local_addr().unwrap().port()
    );

    let mut apps = AppsProcess {
        child: None,
        port: apps_port,
        database_url: test_support::database_url(postgres.as_ref(), dir.path(), "oauth-apps"),
        public_key: path(&keys.public_key),
        keys: format!("k1:{}", secrets::generate_key()),
        profiles_url: profiles_url.clone(),
    };
    apps.start();
    apps.wait_ready().await;

    let profiles = oauth_profiles::build_on(
        &oauth_profiles::Config {
            addr: "127.0.0.1:0".to_owned(),
            database_url: test_support::database_url(
                postgres.as_ref(),
                dir.path(),
                "oauth-profiles",
            ),
            token_public_key_file: keys.public_key.clone(),
            oauth_apps_url: apps.url(),
            peer_timeout_ms: 10_000,
            pool_size: 4,
            workers: Some(2),
            max_body_bytes: 256 * 1024,
            metrics_addr: None,
            encryption_keys: Some(format!("k1:{}", secrets::generate_key())),
            encryption_keys_file: dir.path().join("keys/oauth-profiles-encryption.keys"),
            encryption_active_key: None,
            providers: Default::default(),
        },
        profiles_listener,
    )
    .expect("oauth-profiles starts");
    let handle = profiles.handle();
    tokio::spawn(profiles.run_until_stopped());

    let private_pem = std::fs::read(&keys.private_key).unwrap();
    Cluster {
        apps,
        profiles_url,
        signer: TokenSigner::from_pem(&private_pem, Duration::from_secs(600)).unwrap(),
        _profiles: handle,
        _postgres: postgres,
        _dir: dir,
    }
}

fn path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

fn admin() -> Identity {
    Identity {
        user_id: 1,
        user_name: "admin".to_owned(),
        tenant_id: 1,
        permissions: vec![12],
        administered_tenants: vec![],
    }
}

fn app_body(name: &str) -> Value {
    json!({
        "name": name,
        "dataStore": 1,
        "clientId": "client",
        "clientSecret": "secret",
        "authorizeURI": "https://auth.example.com/authorize",
        "tokenURI": "https://auth.example.com/token",
        "scope": "read"
    })
}

/// What one request came to: the status, or `None` when no answer came at all.
type Outcome = Option<StatusCode>;

async fn post(client: &reqwest::Client, url: &str, token: &str, body: &Value) -> (Outcome, Value) {
    let Ok(response) = client.post(url).bearer_auth(token).json(body).send().await else {
        return (None, Value::Null);
    };
    let status = response.status();
    match response.json::<Value>().await {
        Ok(body) => (Some(status), body),
        // The headers came and the body did not: as good as no answer.
        Err(_) => (None, Value::Null),
    }
}

/// Every item of a paged list, following the `after` cursor.
async fn list_all(client: &reqwest::Client, url: &str, token: &str, key: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let page_url = match after {
            Some(after) => format!("{url}?limit=1000&after={after}"),
            None => format!("{url}?limit=1000"),
        };
        let response = client
            .get(&page_url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let page = body[key].as_array().unwrap().clone();
        if page.is_empty() {
            return items;
        }
        after = page.last().unwrap()["id"].as_i64();
        items.extend(page);
    }
}

/// Creates profiles from several tasks until `stop`; returns each name with its outcome.
fn create_profiles(
    cluster: &Cluster,
    app_id: i64,
    prefix: &'static str,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<BTreeMap<String, (Outcome, Value)>> {
    let url = format!("{}{PROFILES}", cluster.profiles_url);
    let token = cluster
        .signer
        .mint(Service::OauthProfiles, &admin(), None)
        .unwrap()
        .0;
    tokio::spawn(async move {
        let tasks: Vec<_> = (0..6)
            .map(|task| {
                let (url, token, stop) = (url.clone(), token.clone(), stop.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let mut outcomes = BTreeMap::new();
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let name = format!("{prefix}_{task}_{n}");
                        let body = json!({"name": name, "oauthAppId": app_id, "refreshToken": "r"});
                        outcomes.insert(name, post(&client, &url, &token, &body).await);
                        n += 1;
                    }
                    outcomes
                })
            })
            .collect();
        let mut all = BTreeMap::new();
        for task in tasks {
            all.extend(task.await.unwrap());
        }
        all
    })
}

fn count(outcomes: &BTreeMap<String, (Outcome, Value)>, status: StatusCode) -> usize {
    outcomes
        .values()
        .filter(|(outcome, _)| *outcome == Some(status))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_oauth_apps_while_profiles_are_created_loses_nothing_and_leaves_nothing() {
    let mut cluster = start_cluster().await;
    let client = reqwest::Client::new();
    let token = cluster
        .signer
        .mint(Service::OauthApps, &admin(), None)
        .unwrap()
        .0;
    let (status, app) = post(
        &client,
        &format!("{}{APPS}", cluster.apps.url()),
        &token,
        &app_body("Killed"),
    )
    .await;
    assert_eq!(status, Some(StatusCode::CREATED), "{app}");
    let app_id = app["id"].as_i64().unwrap();

    // Creates run before, during and after the kill.
    let stop = Arc::new(AtomicBool::new(false));
    let during = create_profiles(&cluster, app_id, "during", stop.clone());
    tokio::time::sleep(Duration::from_millis(400)).await;
    cluster.apps.kill();
    tokio::time::sleep(Duration::from_millis(400)).await;
    stop.store(true, Ordering::Relaxed);
    let outcomes = during.await.unwrap();

    // Only 201 and 503, and at least some of each.
    for (name, (outcome, body)) in &outcomes {
        match outcome {
            Some(StatusCode::CREATED) => assert_eq!(body["name"], name.as_str()),
            Some(StatusCode::SERVICE_UNAVAILABLE) => assert_eq!(
                body["error"]["code"],
                ErrorCode::ServiceUnavailable.as_str(),
                "{body}"
            ),
            other => panic!("{name}: {other:?} {body}"),
        }
    }
    let created = count(&outcomes, StatusCode::CREATED);
    let unavailable = count(&outcomes, StatusCode::SERVICE_UNAVAILABLE);
    assert!(created > 0, "no create succeeded before the kill");
    assert!(unavailable > 0, "no create met the dead oauth-apps");

    // oauth-apps comes back; nothing else is restarted, and creates succeed again.
    cluster.apps.start();
    cluster.apps.wait_ready().await;
    let stop = Arc::new(AtomicBool::new(false));
    let after = create_profiles(&cluster, app_id, "after", stop.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let after = after.await.unwrap();
    assert!(
        after.values().all(|(o, _)| *o == Some(StatusCode::CREATED)),
        "{after:?}"
    );
    assert!(!after.is_empty());

    // Exactly the acknowledged profiles exist: every 201 is there, no 503 left a row.
    let profiles_token = cluster
        .signer
        .mint(Service::OauthProfiles, &admin(), None)
        .unwrap()
        .0;
    let stored: BTreeSet<String> = list_all(
        &client,
        &format!("{}{PROFILES}", cluster.profiles_url),
        &profiles_token,
        "profiles",
    )
    .await
    .iter()
    .map(|p| p["name"].as_str().unwrap().to_owned())
    .collect();
    let acknowledged: BTreeSet<String> = outcomes
        .iter()
        .chain(after.iter())
        .filter(|(_, (outcome, _))| *outcome == Some(StatusCode::CREATED))
        .map(|(name, _)| name.clone())
        .collect();
    assert_eq!(stored, acknowledged);
    eprintln!(
        "profiles: {created} created and {unavailable} refused around the kill, {} after",
        after.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_oauth_apps_acknowledged_survives_a_kill() {
    let mut cluster = start_cluster().await;
    let token = cluster
        .signer
        .mint(Service::OauthApps, &admin(), None)
        .unwrap()
        .0;
    let url = format!("{}{APPS}", cluster.apps.url());

    // Six writers create applications as fast as they can; the process dies under them.
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..6)
        .map(|writer| {
            let (url, token, stop) = (url.clone(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut outcomes = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let name = format!("app_{writer}_{n}");
                    let (outcome, body) = post(&client, &url, &token, &app_body(&name)).await;
                    let stopped = outcome.is_none();
                    outcomes.push((name, outcome, body));
                    n += 1;
                    if stopped {
                        break;
                    }
                }
                outcomes
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    cluster.apps.kill();
    stop.store(true, Ordering::Relaxed);
    let mut outcomes = Vec::new();
    for writer in writers {
        outcomes.extend(writer.await.unwrap());
    }

    let mut acknowledged = BTreeMap::new();
    let mut cut_off = 0;
    for (name, outcome, body) in &outcomes {
        match outcome {
            Some(StatusCode::CREATED) => {
                acknowledged.insert(body["id"].as_i64().unwrap(), name.clone());
            }
            None => cut_off += 1,
            Some(other) => panic!("{name}: {other} {body}"),
        }
    }
    assert!(
        !acknowledged.is_empty(),
        "nothing was written before the kill"
    );

    cluster.apps.start();
    cluster.apps.wait_ready().await;
    let client = reqwest::Client::new();
    let stored: BTreeMap<i64, String> = list_all(&client, &url, &token, "applications")
        .await
        .iter()
        .map(|a| {
            (
                a["id"].as_i64().unwrap(),
                a["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (id, name) in &acknowledged {
        assert_eq!(
            stored.get(id),
            Some(name),
            "acknowledged {name} ({id}) is lost"
        );
    }
    // A request cut off in flight may or may not have committed; nothing else may appear.
    let unacknowledged = stored.len() - acknowledged.len();
    assert!(
        unacknowledged <= cut_off,
        "{unacknowledged} rows nobody was told about, {cut_off} requests cut off"
    );
    // And the restarted process takes writes again.
    let (status, body) = post(&client, &url, &token, &app_body("after_restart")).await;
    assert_eq!(status, Some(StatusCode::CREATED), "{body}");
    eprintln!(
        "applications: {} acknowledged before the kill, {cut_off} cut off, {unacknowledged} of those stored",
        acknowledged.len()
    );
}
