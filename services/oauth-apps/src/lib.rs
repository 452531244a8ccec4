//! oauth-apps: OAuth applications, i.e. how this system is registered as an OAuth client with
//! external data stores (client id and secret, authorize and token URLs, scopes). Each belongs
//! to a tenant. Reached only through the gateway, or by peers with a caller's internal token.
//! Client secrets are stored sealed with the service's key ring (see the `secrets` crate).
//! Before deleting an application, or moving it to another tenant, it asks oauth-profiles
//! (`oauth-profiles-client`) which profiles use it, holding the application `deleting` or
//! `moving` meanwhile; a sweeper takes back holds left behind (docs/consistency.md, I1).

pub mod domain;
pub mod models;
mod routes;
pub mod schema;
pub mod sweep;

use std::path::PathBuf;
use std::time::Duration;

use actix_web::web;
use api_common::fields::PrivateUris;
use db::Migrations;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use envconfig::Envconfig;
use internal_auth::Service;
use oauth_profiles_client::OauthProfilesClient;
use secrets::ResealReport;
use service_kit::{peer_client, Application, StartError};

pub use routes::{configure, INTERNAL_ROUTES, ROUTES};

pub const MIGRATIONS: Migrations = Migrations {
    postgres: POSTGRES_MIGRATIONS,
    sqlite: SQLITE_MIGRATIONS,
};
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Settings, from the environment (`Config::init_from_env`) or built in code.
#[derive(Clone, Envconfig)]
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
    /// Where the internal listener serves `GET /metrics`, `host:port`; none when unset. Never
    /// the same port as `OAUTH_APPS_ADDR`.
    #[envconfig(from = "OAUTH_APPS_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
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
    /// Whether `authorizeURI` and `tokenURI` may point at loopback, private or link-local
    /// addresses: `1` or `true` allow them (tests, a provider inside the network).
    #[envconfig(from = "OAUTH_ALLOW_PRIVATE_URIS", default = "false")]
    pub allow_private_uris: PrivateUris,
}

/// Without the database URL's password or an inline key ring: a `{:?}` never leaks them.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &db::redact_password(&self.database_url))
            .field("token_public_key_file", &self.token_public_key_file)
            .field("oauth_profiles_url", &self.oauth_profiles_url)
            .field("peer_timeout_ms", &self.peer_timeout_ms)
            .field("pool_size", &self.pool_size)
            .field("workers", &self.workers)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("metrics_addr", &self.metrics_addr)
            .field(
                "encryption_keys",
                &self.encryption_keys.as_ref().map(|_| "***"),
            )
            .field("encryption_keys_file", &self.encryption_keys_file)
            .field("encryption_active_key", &self.encryption_active_key)
            .field("allow_private_uris", &self.allow_private_uris)
            .finish()
    }
}

service_kit::service_settings!(
    Config,
    "oauth-apps",
    "OAUTH_APPS",
    Service::OauthApps,
    MIGRATIONS,
    key_ring
);

/// Connects the database, runs migrations and binds the listener.
pub fn build(config: &Config) -> Result<Application, StartError> {
    let profiles_url =
        service_kit::parse_base_url("OAUTH_PROFILES_URL", &config.oauth_profiles_url)?;
    let ring = web::Data::new(service_kit::key_ring(config)?);
    let http = peer_client(Duration::from_millis(config.peer_timeout_ms))?;
    let profiles = web::Data::new(OauthProfilesClient::new(http, profiles_url));
    let private = web::Data::new(config.allow_private_uris);
    let listener = service_kit::bind(&config.addr)?;
    service_kit::serve_on_with(
        config,
        listener,
        move |cfg| {
            cfg.app_data(ring.clone())
                .app_data(profiles.clone())
                .app_data(private.clone());
            configure(cfg);
        },
        sweep::run,
    )
}

/// The binary's `reseal` command, which reports on "oauth_apps.client_secret".
pub const RESEAL: service_kit::Reseal<Config> = service_kit::Reseal {
    what: "oauth_apps.client_secret",
    run: reseal,
};

/// Re-seals every client secret with the active key, `batch` rows at a time. Safe while the
/// service runs; afterwards the old keys can leave the ring.
pub fn reseal(config: &Config, batch: i64) -> Result<ResealReport, StartError> {
    service_kit::reseal(config, batch, models::reseal_client_secrets)
}

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_database_password_and_inline_keys() {
        let config = Config::init_from_hashmap(&std::collections::HashMap::from([
            (
                "OAUTH_APPS_DATABASE_URL".to_owned(),
                "postgres://hdp:hunter2@db.example.com/hdp".to_owned(),
            ),
            (
                "OAUTH_APPS_ENCRYPTION_KEYS".to_owned(),
                "k1:c2VjcmV0LWtleQ==".to_owned(),
            ),
        ]))
        .unwrap();
        let shown = format!("{config:?}");
        assert!(
            shown.contains("postgres://hdp:***@db.example.com/hdp"),
            "{shown}"
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
    }
}
