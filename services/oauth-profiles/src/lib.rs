//! oauth-profiles: one user's OAuth tokens (access and refresh) for one OAuth application.
//! A profile belongs to the user who created it and is visible to nobody else. Its
//! `oauthAppId` is checked with oauth-apps, over internal HTTP with the caller's own token, on
//! create and on update.

pub mod domain;
pub mod models;
mod routes;
pub mod schema;

use std::path::PathBuf;
use std::time::Duration;

use actix_web::web;
use db::{DatabaseUrl, Migrations, PoolOptions};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use envconfig::Envconfig;
use oauth_apps_client::OauthAppsClient;
use service_kit::{load_verifier, peer_client, serve, Application, ServeOptions, StartError};

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
    #[envconfig(from = "OAUTH_PROFILES_ADDR", default = "127.0.0.1:8082")]
    pub addr: String,
    /// `postgres://...`, `sqlite://path` or a file path.
    #[envconfig(
        from = "OAUTH_PROFILES_DATABASE_URL",
        default = "data/oauth-profiles.db"
    )]
    pub database_url: String,
    /// The gateway's Ed25519 public key (PEM), which verifies internal tokens.
    #[envconfig(from = "TOKEN_PUBLIC_KEY_FILE", default = "data/keys/token-public.pem")]
    pub token_public_key_file: PathBuf,
    /// The oauth-apps service's base URL.
    #[envconfig(from = "OAUTH_APPS_URL", default = "http://127.0.0.1:8081")]
    pub oauth_apps_url: String,
    /// How long a call to oauth-apps may take before the request is answered with 504.
    #[envconfig(from = "OAUTH_PROFILES_PEER_TIMEOUT_MS", default = "10000")]
    pub peer_timeout_ms: u64,
    /// Database connections kept open at most.
    #[envconfig(from = "OAUTH_PROFILES_DB_POOL_SIZE", default = "8")]
    pub pool_size: u32,
    /// HTTP worker threads; one per core when unset.
    #[envconfig(from = "OAUTH_PROFILES_WORKERS")]
    pub workers: Option<usize>,
    /// Largest request body accepted, in bytes.
    #[envconfig(from = "OAUTH_PROFILES_MAX_BODY_BYTES", default = "262144")]
    pub max_body_bytes: usize,
}

/// Connects the database, runs migrations and binds the listener.
pub fn build(config: &Config) -> Result<Application, StartError> {
    let url = DatabaseUrl::parse("OAUTH_PROFILES_DATABASE_URL", &config.database_url)?;
    let apps_url = service_kit::parse_base_url("OAUTH_APPS_URL", &config.oauth_apps_url)?;
    let verifier = load_verifier("TOKEN_PUBLIC_KEY_FILE", &config.token_public_key_file)?;
    let pool = db::connect(
        "OAUTH_PROFILES_DATABASE_URL",
        &url,
        MIGRATIONS,
        PoolOptions {
            max_size: config.pool_size,
            ..PoolOptions::default()
        },
    )?;
    let http = peer_client(Duration::from_millis(config.peer_timeout_ms))?;
    let apps = web::Data::new(OauthAppsClient::new(http, apps_url));
    let options = ServeOptions {
        addr: config.addr.clone(),
        workers: config.workers,
        body_limit: config.max_body_bytes,
    };
    serve("oauth-profiles", &options, pool, verifier, move |cfg| {
        cfg.app_data(apps.clone());
        configure(cfg);
    })
}

pub use routes::configure;
