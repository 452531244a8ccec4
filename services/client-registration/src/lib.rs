//! client-registration: client applications registered with this system, i.e. the programs that
//! will ask this system for OAuth authorization. Registering one generates its client id and
//! client secret; the secret is shown once (and again only by a reset) and only its digest is
//! kept. Each application belongs to the user who registered it. Reached only through the
//! gateway, or by peers with a caller's internal token.

pub mod domain;
pub mod models;
mod routes;
pub mod schema;

use std::path::PathBuf;

use db::{DatabaseUrl, Migrations, PoolOptions};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use envconfig::Envconfig;
use service_kit::{load_verifier, serve, Application, ServeOptions, StartError};

pub use routes::configure;

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
    #[envconfig(from = "CLIENT_REGISTRATION_ADDR", default = "127.0.0.1:8083")]
    pub addr: String,
    /// `postgres://...`, `sqlite://path` or a file path.
    #[envconfig(
        from = "CLIENT_REGISTRATION_DATABASE_URL",
        default = "data/client-registration.db"
    )]
    pub database_url: String,
    /// The gateway's Ed25519 public key (PEM), which verifies internal tokens.
    #[envconfig(from = "TOKEN_PUBLIC_KEY_FILE", default = "data/keys/token-public.pem")]
    pub token_public_key_file: PathBuf,
    /// Database connections kept open at most.
    #[envconfig(from = "CLIENT_REGISTRATION_DB_POOL_SIZE", default = "8")]
    pub pool_size: u32,
    /// HTTP worker threads; one per core when unset.
    #[envconfig(from = "CLIENT_REGISTRATION_WORKERS")]
    pub workers: Option<usize>,
    /// Largest request body accepted, in bytes.
    #[envconfig(from = "CLIENT_REGISTRATION_MAX_BODY_BYTES", default = "262144")]
    pub max_body_bytes: usize,
}

/// Connects the database, runs migrations and binds the listener.
pub fn build(config: &Config) -> Result<Application, StartError> {
    let url = DatabaseUrl::parse("CLIENT_REGISTRATION_DATABASE_URL", &config.database_url)?;
    let verifier = load_verifier("TOKEN_PUBLIC_KEY_FILE", &config.token_public_key_file)?;
    let pool = db::connect(
        "CLIENT_REGISTRATION_DATABASE_URL",
        &url,
        MIGRATIONS,
        PoolOptions {
            max_size: config.pool_size,
            ..PoolOptions::default()
        },
    )?;
    let options = ServeOptions {
        addr: config.addr.clone(),
        workers: config.workers,
        body_limit: config.max_body_bytes,
    };
    serve("client-registration", &options, pool, verifier, configure)
}
