//! client-registration: client applications registered with this system, i.e. the programs that
//! will ask this system for OAuth authorization. Registering one generates its client id and
//! client secret; the secret is shown once (and again only by a reset) and only its keyed hash is
//! kept, under a server key held outside the database, so that a copy of the database alone
//! neither reveals secrets nor lets anyone test guesses. Each application belongs to the user
//! who registered it. The management API is reached only through the gateway, or by peers with
//! a caller's internal token; the credential check is internal only, for the authorization
//! server.

pub mod domain;
pub mod models;
pub mod oauth2;
mod routes;
pub mod schema;

use std::fmt;
use std::path::PathBuf;

use actix_web::web;
use db::Migrations;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use envconfig::Envconfig;
use internal_auth::Service;
use secrets::HashKey;
use service_kit::{Application, StartError};

use crate::oauth2::{Oauth2, Oauth2Settings};

pub use routes::{configure, INTERNAL_ROUTES, OAUTH2_ROUTES, ROUTES};

pub const MIGRATIONS: Migrations = Migrations {
    postgres: POSTGRES_MIGRATIONS,
    sqlite: SQLITE_MIGRATIONS,
};
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The variables that give the client secret hash key, inline or as a file.
const HASH_KEY_VAR: &str = "CLIENT_REGISTRATION_SECRET_HASH_KEY";
const HASH_KEY_FILE_VAR: &str = "CLIENT_REGISTRATION_SECRET_HASH_KEY_FILE";

/// Settings, from the environment (`Config::init_from_env`) or built in code.
#[derive(Clone, Envconfig)]
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
    /// Where the internal listener serves `GET /metrics`, `host:port`; none when unset. Never
    /// the same port as `CLIENT_REGISTRATION_ADDR`.
    #[envconfig(from = "CLIENT_REGISTRATION_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// The key client secrets are hashed under, given inline: 32 bytes in standard base64,
    /// optionally `id:base64`. Takes precedence over `secret_hash_key_file`. Changing the key
    /// invalidates every stored secret.
    #[envconfig(from = "CLIENT_REGISTRATION_SECRET_HASH_KEY")]
    pub secret_hash_key: Option<String>,
    /// The file holding that key, when it is not given inline.
    #[envconfig(
        from = "CLIENT_REGISTRATION_SECRET_HASH_KEY_FILE",
        default = "data/keys/client-registration-hash.key"
    )]
    pub secret_hash_key_file: PathBuf,
    /// The authorization server's token lifetimes (`OAUTH2_ACCESS_TOKEN_TTL_SECS`,
    /// `OAUTH2_REFRESH_TOKEN_TTL_SECS`, `OAUTH2_REFRESH_GRACE_SECS`).
    #[envconfig(nested)]
    pub oauth2: Oauth2Settings,
}

// By hand, so that an inline key cannot reach a log through `{:?}`.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &db::redact_password(&self.database_url))
            .field("token_public_key_file", &self.token_public_key_file)
            .field("pool_size", &self.pool_size)
            .field("workers", &self.workers)
            .field("max_body_bytes", &self.max_body_bytes)
            .field(
                "secret_hash_key",
                &self.secret_hash_key.as_ref().map(|_| "***"),
            )
            .field("secret_hash_key_file", &self.secret_hash_key_file)
            .field("oauth2", &self.oauth2)
            .finish()
    }
}

service_kit::service_settings!(
    Config,
    "client-registration",
    "CLIENT_REGISTRATION",
    Service::ClientRegistration,
    MIGRATIONS
);

/// Checks the settings, loads the keys, connects the database, runs migrations and binds the
/// listener; the sweeper of expired codes and tokens runs beside the server.
pub fn build(config: &Config) -> Result<Application, StartError> {
    let lifetimes = config.oauth2.lifetimes().map_err(StartError::Other)?;
    let hash_key = web::Data::new(load_hash_key(config)?);
    let oauth2 = web::Data::new(Oauth2::new(lifetimes));
    let listener = service_kit::bind(&config.addr)?;
    service_kit::serve_on_with(
        config,
        listener,
        move |cfg| {
            cfg.app_data(hash_key.clone()).app_data(oauth2.clone());
            configure(cfg);
        },
        oauth2::sweeper::run,
    )
}

/// The hash key from the inline variable or, failing that, the file; errors name the variable
/// the key came from and never show its text.
fn load_hash_key(config: &Config) -> Result<HashKey, StartError> {
    let inline = config
        .secret_hash_key
        .as_deref()
        .filter(|text| !text.trim().is_empty());
    let text = secrets::read_key_setting(
        HASH_KEY_VAR,
        inline,
        HASH_KEY_FILE_VAR,
        &config.secret_hash_key_file,
    )
    .map_err(StartError::Other)?;
    HashKey::parse(&text).map_err(|e| {
        let source = match inline {
            Some(_) => HASH_KEY_VAR.to_owned(),
            None => format!(
                "{HASH_KEY_FILE_VAR} ({})",
                config.secret_hash_key_file.display()
            ),
        };
        StartError::Other(format!("{source}: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn the_oauth2_settings_are_read_with_the_rest_and_debug_hides_the_key() {
        let env = HashMap::from([
            ("OAUTH2_REFRESH_GRACE_SECS".to_owned(), "60".to_owned()),
            ("OAUTH2_ACCESS_TOKEN_TTL_SECS".to_owned(), "900".to_owned()),
            (
                HASH_KEY_VAR.to_owned(),
                "c2VjcmV0LWtleS1tYXRlcmlhbA==".to_owned(),
            ),
        ]);
        let config = Config::init_from_hashmap(&env).unwrap();
        assert_eq!(config.oauth2.refresh_grace_secs, 60);
        assert_eq!(config.oauth2.access_token_ttl_secs, 900);
        assert_eq!(config.oauth2.refresh_token_ttl_secs, 30 * 86_400);
        let debug = format!("{config:?}");
        assert!(debug.contains("refresh_grace_secs: 60"), "{debug}");
        assert!(!debug.contains("c2VjcmV0"), "{debug}");
    }
}
