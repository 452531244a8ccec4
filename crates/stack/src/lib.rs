//! The whole of hdp-oauth in one process: the three services on free loopback ports and the
//! gateway in front of them, sharing a data directory that holds the SQLite databases and the
//! internal token key pair. The `stack` binary runs it for local use; the integration tests
//! start it the same way on port 0 with a fresh directory.

use std::path::{Path, PathBuf};

use actix_web::dev::ServerHandle;
use envconfig::Envconfig;
use internal_auth::load_or_generate_key_pair;
use service_kit::{Application, StartError};
use tokio::task::JoinHandle;

/// Settings of the local stack.
#[derive(Clone, Envconfig)]
pub struct StackConfig {
    /// Where the gateway listens.
    #[envconfig(from = "GATEWAY_ADDR", default = "127.0.0.1:8080")]
    pub gateway_addr: String,
    /// Where the services listen; port 0 picks free ports.
    #[envconfig(from = "STACK_SERVICES_HOST", default = "127.0.0.1")]
    pub services_host: String,
    /// Databases (when not given by URL) and keys.
    #[envconfig(from = "DATA_DIR", default = "./data")]
    pub data_dir: PathBuf,
    #[envconfig(from = "GATEWAY_DATABASE_URL")]
    pub gateway_database_url: Option<String>,
    #[envconfig(from = "OAUTH_APPS_DATABASE_URL")]
    pub oauth_apps_database_url: Option<String>,
    #[envconfig(from = "OAUTH_PROFILES_DATABASE_URL")]
    pub oauth_profiles_database_url: Option<String>,
    #[envconfig(from = "CLIENT_REGISTRATION_DATABASE_URL")]
    pub client_registration_database_url: Option<String>,
    #[envconfig(from = "ADMIN_USER", default = "admin")]
    pub admin_user: String,
    #[envconfig(from = "ADMIN_PASSWORD")]
    pub admin_password: Option<String>,
    /// HTTP worker threads per component; one per core when unset.
    #[envconfig(from = "STACK_WORKERS")]
    pub workers: Option<usize>,
    /// How long a service may take before the caller gets 504 (gateway and peer calls).
    #[envconfig(from = "STACK_PEER_TIMEOUT_MS", default = "10000")]
    pub peer_timeout_ms: u64,
    /// How long the gateway uses a user's row before reading it again (0: every request).
    #[envconfig(from = "GATEWAY_USER_CACHE_MS", default = "1000")]
    pub user_cache_ms: u64,
    /// argon2 runs at once in the gateway, at most.
    #[envconfig(from = "GATEWAY_PASSWORD_CHECKS", default = "4")]
    pub password_checks: usize,
    /// Requests waiting for an argon2 run, at most.
    #[envconfig(from = "GATEWAY_PASSWORD_QUEUE", default = "64")]
    pub password_queue: usize,
    /// When set, each component also serves `GET /metrics` on a free port of this host (the
    /// ports are printed at start).
    #[envconfig(from = "STACK_METRICS_HOST")]
    pub metrics_host: Option<String>,
    /// The gateway's address as browsers and OAuth providers reach it; default its own.
    #[envconfig(from = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// How oauth-profiles calls OAuth providers; `OAUTH_ALLOW_PRIVATE_URIS` also governs
    /// oauth-apps' check of `authorizeURI` and `tokenURI`.
    #[envconfig(nested)]
    pub providers: oauth_profiles::ProviderConfig,
}

impl StackConfig {
    /// Defaults for a stack in `data_dir`, with the gateway on `gateway_addr`.
    pub fn new(data_dir: impl Into<PathBuf>, gateway_addr: impl Into<String>) -> Self {
        StackConfig {
            gateway_addr: gateway_addr.into(),
            services_host: "127.0.0.1".to_owned(),
            data_dir: data_dir.into(),
            gateway_database_url: None,
            oauth_apps_database_url: None,
            oauth_profiles_database_url: None,
            client_registration_database_url: None,
            admin_user: "admin".to_owned(),
            admin_password: None,
            workers: None,
            peer_timeout_ms: 10_000,
            user_cache_ms: 1_000,
            password_checks: 4,
            password_queue: 64,
            metrics_host: None,
            public_url: None,
            providers: oauth_profiles::ProviderConfig::default(),
        }
    }
}

/// One running component.
pub struct Running {
    pub name: &'static str,
    pub port: u16,
    /// Where it serves `/metrics`, with [`StackConfig::metrics_host`].
    pub metrics_port: Option<u16>,
    handle: ServerHandle,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    pub fn spawn(name: &'static str, app: Application) -> Self {
        let port = app.port();
        let metrics_port = app.metrics_port();
        let handle = app.handle();
        let task = Some(tokio::spawn(app.run_until_stopped()));
        Running {
            name,
            port,
            metrics_port,
            handle,
            task,
        }
    }

    /// Stops the component; `graceful` lets in-flight requests finish first.
    pub async fn stop(&mut self, graceful: bool) {
        self.handle.stop(graceful).await;
        let Some(task) = self.task.take() else {
            return;
        };
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(err)) => log::error!("{} stopped with an error: {err}", self.name),
            Err(err) => log::error!("{} task failed: {err}", self.name),
        }
    }
}

/// The running stack.
pub struct Stack {
    pub gateway: Running,
    pub oauth_apps: Running,
    pub oauth_profiles: Running,
    pub client_registration: Running,
    pub data_dir: PathBuf,
}

impl Stack {
    /// Prepares the data directory and keys, then starts the services and the gateway.
    pub fn start(config: &StackConfig) -> Result<Stack, StartError> {
        let data_dir = &config.data_dir;
        create_private_dir(data_dir).map_err(|e| {
            StartError::Other(format!(
                "DATA_DIR: cannot create {}: {e}",
                data_dir.display()
            ))
        })?;
        let keys = load_or_generate_key_pair(&data_dir.join("keys"))
            .map_err(|e| StartError::Other(format!("DATA_DIR: {e}")))?;
        let secret_keys = SecretKeyFiles::load_or_generate(&data_dir.join("keys"))?;
        let sqlite = |given: &Option<String>, file: &str| {
            given
                .clone()
                .unwrap_or_else(|| path_string(&data_dir.join(file)))
        };
        let any_port = format!("{}:0", config.services_host);
        let metrics_addr = config.metrics_host.as_ref().map(|host| format!("{host}:0"));

        // oauth-apps and oauth-profiles call each other: bind oauth-profiles' port first so
        // oauth-apps can be told where it is.
        let profiles_listener = service_kit::bind(&any_port)?;
        let oauth_profiles_url = format!(
            "http://{}:{}",
            config.services_host,
            profiles_listener
                .local_addr()
                .map_err(|e| StartError::Other(format!("oauth-profiles' listener: {e}")))?
                .port()
        );
        let oauth_apps = oauth_apps::build(&oauth_apps::Config {
            addr: any_port.clone(),
            database_url: sqlite(&config.oauth_apps_database_url, "oauth-apps.db"),
            token_public_key_file: keys.public_key.clone(),
            oauth_profiles_url: oauth_profiles_url.clone(),
            peer_timeout_ms: config.peer_timeout_ms,
            pool_size: 8,
            workers: config.workers,
            max_body_bytes: 256 * 1024,
            metrics_addr: metrics_addr.clone(),
            encryption_keys: None,
            encryption_keys_file: secret_keys.oauth_apps,
            encryption_active_key: None,
            allow_private_uris: config.providers.allow_private_uris,
        })?;
        let oauth_apps_url = format!("http://{}:{}", config.services_host, oauth_apps.port());
        let oauth_profiles = oauth_profiles::build_on(
            &oauth_profiles::Config {
                addr: any_port.clone(),
                database_url: sqlite(&config.oauth_profiles_database_url, "oauth-profiles.db"),
                token_public_key_file: keys.public_key.clone(),
                oauth_apps_url: oauth_apps_url.clone(),
                peer_timeout_ms: config.peer_timeout_ms,
                pool_size: 8,
                workers: config.workers,
                max_body_bytes: 256 * 1024,
                metrics_addr: metrics_addr.clone(),
                encryption_keys: None,
                encryption_keys_file: secret_keys.oauth_profiles,
                encryption_active_key: None,
                providers: config.providers.clone(),
            },
            profiles_listener,
        )?;
        let client_registration = client_registration::build(&client_registration::Config {
            addr: any_port,
            database_url: sqlite(
                &config.client_registration_database_url,
                "client-registration.db",
            ),
            token_public_key_file: keys.public_key.clone(),
            pool_size: 8,
            workers: config.workers,
            max_body_bytes: 256 * 1024,
            metrics_addr: metrics_addr.clone(),
            secret_hash_key: None,
            secret_hash_key_file: secret_keys.client_registration,
            oauth2: Default::default(),
        })?;
        let gateway = gateway::build(&gateway::Config {
            addr: config.gateway_addr.clone(),
            database_url: sqlite(&config.gateway_database_url, "gateway.db"),
            token_signing_key_file: keys.private_key,
            oauth_apps_url,
            oauth_profiles_url: format!(
                "http://{}:{}",
                config.services_host,
                oauth_profiles.port()
            ),
            client_registration_url: format!(
                "http://{}:{}",
                config.services_host,
                client_registration.port()
            ),
            admin_user: config.admin_user.clone(),
            admin_password: config.admin_password.clone(),
            upstream_timeout_ms: config.peer_timeout_ms,
            auth_cache_secs: 30,
            user_cache_ms: config.user_cache_ms,
            token_ttl_secs: 60,
            pool_size: 8,
            workers: config.workers,
            max_body_bytes: 256 * 1024,
            metrics_addr: metrics_addr.clone(),
            password_checks: config.password_checks,
            password_queue: config.password_queue,
            public_url: config.public_url.clone(),
        })?;
        Ok(Stack {
            oauth_apps: Running::spawn("oauth-apps", oauth_apps),
            oauth_profiles: Running::spawn("oauth-profiles", oauth_profiles),
            client_registration: Running::spawn("client-registration", client_registration),
            gateway: Running::spawn("gateway", gateway),
            data_dir: data_dir.clone(),
        })
    }

    /// Stops the gateway first (no new requests), then the services, letting in-flight
    /// requests finish.
    pub async fn stop(mut self) {
        self.gateway.stop(true).await;
        tokio::join!(
            self.oauth_apps.stop(true),
            self.oauth_profiles.stop(true),
            self.client_registration.stop(true),
        );
    }
}

/// The files holding the keys that protect credentials at rest, in the data directory.
pub struct SecretKeyFiles {
    /// oauth-apps' key ring (`id:base64key` a line; the last is active).
    pub oauth_apps: PathBuf,
    /// oauth-profiles' key ring.
    pub oauth_profiles: PathBuf,
    /// client-registration's hash key.
    pub client_registration: PathBuf,
}

impl SecretKeyFiles {
    /// The key files in `dir`, each generated (mode 0600) on first start. Rotating a ring is
    /// appending a line to its file and restarting; see docs/secrets.md.
    pub fn load_or_generate(dir: &Path) -> Result<Self, StartError> {
        let files = SecretKeyFiles {
            oauth_apps: dir.join("oauth-apps-encryption.keys"),
            oauth_profiles: dir.join("oauth-profiles-encryption.keys"),
            client_registration: dir.join("client-registration-hash.key"),
        };
        let generate = |path: &Path, contents: String| {
            secrets::generate_key_file(path, &contents).map_err(|e| {
                StartError::Other(format!("DATA_DIR: cannot write {}: {e}", path.display()))
            })
        };
        generate(&files.oauth_apps, format!("k1:{}", secrets::generate_key()))?;
        generate(
            &files.oauth_profiles,
            format!("k1:{}", secrets::generate_key()),
        )?;
        generate(&files.client_registration, secrets::generate_key())?;
        Ok(files)
    }
}

/// The data directory holds credentials: readable by its owner only.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn path_string(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
