//! oauth-apps: OAuth applications, i.e. how this system is registered as an OAuth client with
//! external data stores (client id and secret, authorize and token URLs, scopes). Each belongs
//! to a tenant. Reached only through the gateway, or by peers with a caller's internal token.
//! Client secrets are stored sealed with the service's key ring (see the `secrets` crate).
//! Before deleting an application, or moving it to another tenant, it asks oauth-profiles
//! (`oauth-profiles-client`) which profiles use it.

pub mod domain;
pub mod models;
mod routes;
pub mod schema;

use std::path::PathBuf;
use std::time::Duration;

use actix_web::web;
use db::{DatabaseUrl, DbPool, Migrations, PoolOptions};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use envconfig::Envconfig;
use oauth_profiles_client::OauthProfilesClient;
use secrets::{load_key_ring, KeyRing, ResealReport};
use service_kit::{load_verifier, peer_client, serve, Application, ServeOptions, StartError};

pub use routes::{configure, ROUTES};

pub const MIGRATIONS: Migrations = Migrations {
    postgres: POSTGRES_MIGRATIONS,
    sqlite: SQLITE_MIGRATIONS,
};
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Settings, from the environment (`Config::init_from_env`) or built in code.
#[derive(Debug, Clone, Envconfig)]
pub struct Config {
    /// Where to listen, `host:port`.
    #[envconfig(from = "OAUTH_APPS_ADDR", default = "127.0.0.1:8081")]
    pub addr: String,
    /// `postgres://...`, `sqlite://path` or a file path.
    #[envconfig(from = "OAUTH_APPS_DATABASE_URL", default = "data/oauth-apps.db")]
    pub database_url: String,
    /// The gateway's Ed25519 public key (PEM), which verifies internal tokens.
    #[envconfig(from = "TOKEN_PUBLIC_KEY_FILE", default = "data/keys/token-public.pem")]
    pub token_public_key_file: PathBuf,
    /// The oauth-profiles service's base URL, asked whether profiles use an application before
    /// it is deleted or moved.
    #[envconfig(from = "OAUTH_PROFILES_URL", default = "http://127.0.0.1:8082")]
    pub oauth_profiles_url: String,
    /// How long a call to oauth-profiles may take before the request is answered with 504.
    #[envconfig(from = "OAUTH_APPS_PEER_TIMEOUT_MS", default = "10000")]
    pub peer_timeout_ms: u64,
    /// Database connections kept open at most.
    #[envconfig(from = "OAUTH_APPS_DB_POOL_SIZE", default = "8")]
    pub pool_size: u32,
    /// HTTP worker threads; one per core when unset.
    #[envconfig(from = "OAUTH_APPS_WORKERS")]
    pub workers: Option<usize>,
    /// Largest request body accepted, in bytes.
    #[envconfig(from = "OAUTH_APPS_MAX_BODY_BYTES", default = "262144")]
    pub max_body_bytes: usize,
    /// The key ring that seals client secrets, inline (`id:base64key,...`); wins over the file.
    #[envconfig(from = "OAUTH_APPS_ENCRYPTION_KEYS")]
    pub encryption_keys: Option<String>,
    /// The key ring in a file, one `id:base64key` a line.
    #[envconfig(
        from = "OAUTH_APPS_ENCRYPTION_KEYS_FILE",
        default = "data/keys/oauth-apps-encryption.keys"
    )]
    pub encryption_keys_file: PathBuf,
    /// The key that seals new values; the ring's last entry when unset.
    #[envconfig(from = "OAUTH_APPS_ENCRYPTION_ACTIVE_KEY")]
    pub encryption_active_key: Option<String>,
}

impl Config {
    fn key_ring(&self) -> Result<KeyRing, StartError> {
        load_key_ring(
            "OAUTH_APPS",
            self.encryption_keys.as_deref(),
            &self.encryption_keys_file,
            self.encryption_active_key.as_deref(),
        )
        .map_err(StartError::Other)
    }

    fn database_url(&self) -> Result<DatabaseUrl, StartError> {
        Ok(DatabaseUrl::parse(
            "OAUTH_APPS_DATABASE_URL",
            &self.database_url,
        )?)
    }

    fn pool(&self, url: &DatabaseUrl, max_size: u32) -> Result<DbPool, StartError> {
        Ok(db::connect(
            "OAUTH_APPS_DATABASE_URL",
            url,
            MIGRATIONS,
            PoolOptions {
                max_size,
                ..PoolOptions::default()
            },
        )?)
    }
}

/// Connects the database, runs migrations and binds the listener.
pub fn build(config: &Config) -> Result<Application, StartError> {
    let url = config.database_url()?;
    let profiles_url =
        service_kit::parse_base_url("OAUTH_PROFILES_URL", &config.oauth_profiles_url)?;
    let verifier = load_verifier(
        "TOKEN_PUBLIC_KEY_FILE",
        &config.token_public_key_file,
        internal_auth::Service::OauthApps,
    )?;
    let ring = web::Data::new(config.key_ring()?);
    let pool = config.pool(&url, config.pool_size)?;
    let http = peer_client(Duration::from_millis(config.peer_timeout_ms))?;
    let profiles = web::Data::new(OauthProfilesClient::new(http, profiles_url));
    let options = ServeOptions {
        addr: config.addr.clone(),
        workers: config.workers,
        body_limit: config.max_body_bytes,
    };
    serve("oauth-apps", &options, pool, verifier, move |cfg| {
        cfg.app_data(ring.clone()).app_data(profiles.clone());
        configure(cfg);
    })
}

/// Re-seals every client secret with the active key, `batch` rows at a time. Safe while the
/// service runs; afterwards the old keys can leave the ring.
pub fn reseal(config: &Config, batch: i64) -> Result<ResealReport, StartError> {
    let url = config.database_url()?;
    let ring = config.key_ring()?;
    let pool = config.pool(&url, 1)?;
    let mut conn = pool
        .get()
        .map_err(|e| StartError::Other(format!("OAUTH_APPS_DATABASE_URL: {e}")))?;
    models::reseal_client_secrets(&mut conn, &ring, batch)
        .map_err(|e| StartError::Other(format!("re-sealing failed: {e}")))
}
