//! oauth-profiles: one user's OAuth tokens (access and refresh) for one OAuth application.
//! A profile belongs to the user who created it and is visible to nobody else. Its
//! `oauthAppId` is checked with oauth-apps, over internal HTTP with the caller's own token, on
//! create and on update, and must belong to the owner's tenant or the system tenant. Tokens are
//! stored sealed with the service's key ring (see the `secrets` crate) and opened only to answer
//! their owner. Internally it tells oauth-apps how many profiles use an application, and purges
//! a deleted user's profiles for the gateway (`oauth-profiles-client`). A profile, or a new
//! link, is committed pending before its application is checked, and a sweeper removes what a
//! request left pending (docs/consistency.md, I1).
//!
//! It also obtains and renews tokens itself (docs/connect.md): the connect flow (a redirect
//! to the provider, and the callback that exchanges the code), and refreshes single flight
//! through the database, through the one outbound client of [`provider`].

pub mod connect;
pub mod domain;
pub mod flight;
pub mod models;
pub mod provider;
mod routes;
pub mod schema;
pub mod sweep;

use std::net::TcpListener;
use std::path::PathBuf;
use std::time::Duration;

use actix_web::web;
use api_common::fields::PrivateUris;
use db::Migrations;
use diesel_migrations::{embed_migrations, EmbeddedMigrations};
use envconfig::Envconfig;
use flight::Refresher;
use internal_auth::Service;
use oauth_apps_client::OauthAppsClient;
use provider::{ProviderClient, ProviderSettings};
use secrets::ResealReport;
use service_kit::{peer_client, Application, StartError};

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
    /// Where the internal listener serves `GET /metrics`, `host:port`; none when unset. Never
    /// the same port as `OAUTH_PROFILES_ADDR`.
    #[envconfig(from = "OAUTH_PROFILES_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// The key ring that seals tokens, inline (`id:base64key,...`); wins over the file.
    #[envconfig(from = "OAUTH_PROFILES_ENCRYPTION_KEYS")]
    pub encryption_keys: Option<String>,
    /// The key ring in a file, one `id:base64key` a line.
    #[envconfig(
        from = "OAUTH_PROFILES_ENCRYPTION_KEYS_FILE",
        default = "data/keys/oauth-profiles-encryption.keys"
    )]
    pub encryption_keys_file: PathBuf,
    /// The key that seals new values; the ring's last entry when unset.
    #[envconfig(from = "OAUTH_PROFILES_ENCRYPTION_ACTIVE_KEY")]
    pub encryption_active_key: Option<String>,
    /// The OAuth providers this service calls (docs/connect.md).
    #[envconfig(nested)]
    pub providers: ProviderConfig,
}

/// Without the database URL's password or an inline key ring: a `{:?}` never leaks them.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("database_url", &db::redact_password(&self.database_url))
            .field("token_public_key_file", &self.token_public_key_file)
            .field("oauth_apps_url", &self.oauth_apps_url)
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
            .field("providers", &self.providers)
            .finish()
    }
}

/// How this service calls OAuth providers.
#[derive(Debug, Clone, Envconfig)]
pub struct ProviderConfig {
    /// Whether an application's `tokenURI` may resolve to a loopback, private or link-local
    /// address: `1` or `true` allow it (tests, a provider inside the network).
    #[envconfig(from = "OAUTH_ALLOW_PRIVATE_URIS", default = "false")]
    pub allow_private_uris: PrivateUris,
    /// One request to a provider may take this long (connection and answer).
    #[envconfig(from = "OAUTH_PROFILES_PROVIDER_TIMEOUT_MS", default = "10000")]
    pub timeout_ms: u64,
    /// A whole token request, retries included, may take this long: within the 30 s a
    /// refresh answers in, with room for oauth-apps and the database.
    #[envconfig(from = "OAUTH_PROFILES_PROVIDER_DEADLINE_MS", default = "25000")]
    pub deadline_ms: u64,
    /// After a failed refresh, `GET .../token` does not call the provider for this long (503
    /// with `Retry-After`).
    #[envconfig(from = "OAUTH_PROFILES_REFRESH_BACKOFF_SECS", default = "30")]
    pub refresh_backoff_secs: u64,
}

impl Default for ProviderConfig {
    fn default() -> Self {
        ProviderConfig {
            allow_private_uris: PrivateUris::REFUSED,
            timeout_ms: 10_000,
            deadline_ms: 25_000,
            refresh_backoff_secs: 30,
        }
    }
}

service_kit::service_settings!(
    Config,
    "oauth-profiles",
    "OAUTH_PROFILES",
    Service::OauthProfiles,
    MIGRATIONS,
    key_ring
);

/// Connects the database, runs migrations and binds the listener.
pub fn build(config: &Config) -> Result<Application, StartError> {
    build_on(config, service_kit::bind(&config.addr)?)
}

/// [`build`] on a listener bound beforehand, so that oauth-apps can be given this service's
/// address before it starts (each calls the other).
pub fn build_on(config: &Config, listener: TcpListener) -> Result<Application, StartError> {
    let apps_url = service_kit::parse_base_url("OAUTH_APPS_URL", &config.oauth_apps_url)?;
    let ring = web::Data::new(service_kit::key_ring(config)?);
    let http = peer_client(Duration::from_millis(config.peer_timeout_ms))?;
    let apps = OauthAppsClient::new(http, apps_url);
    let settings = &config.providers;
    if settings.deadline_ms > flight::WAIT_LIMIT.as_millis() as u64 {
        return Err(StartError::Other(format!(
            "OAUTH_PROFILES_PROVIDER_DEADLINE_MS: at most {} (a refresh answers within 30 s)",
            flight::WAIT_LIMIT.as_millis()
        )));
    }
    let provider = ProviderClient::new(ProviderSettings {
        attempt_timeout: Duration::from_millis(settings.timeout_ms),
        deadline: Duration::from_millis(settings.deadline_ms),
        private: settings.allow_private_uris,
    })
    .map_err(|e| StartError::Other(format!("the OAuth providers' HTTP client: {e}")))?;
    let refresher = web::Data::new(Refresher {
        ring: ring.clone().into_inner(),
        apps: apps.clone(),
        provider: provider.clone(),
        backoff: Duration::from_secs(settings.refresh_backoff_secs),
    });
    let apps = web::Data::new(apps);
    let provider = web::Data::new(provider);
    service_kit::serve_on_with(
        config,
        listener,
        move |cfg| {
            cfg.app_data(apps.clone())
                .app_data(ring.clone())
                .app_data(provider.clone())
                .app_data(refresher.clone());
            configure(cfg);
        },
        sweep::run,
    )
}

/// The binary's `reseal` command, which reports on "oauth_profiles tokens".
pub const RESEAL: service_kit::Reseal<Config> = service_kit::Reseal {
    what: "oauth_profiles tokens",
    run: reseal,
};

/// Re-seals every access and refresh token with the active key, `batch` rows at a time. Safe
/// while the service runs; afterwards the old keys can leave the ring.
pub fn reseal(config: &Config, batch: i64) -> Result<ResealReport, StartError> {
    service_kit::reseal(config, batch, models::reseal_tokens)
}

pub use routes::{configure, INTERNAL_ROUTES, ROUTES};

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_database_password_and_inline_keys() {
        let config = Config::init_from_hashmap(&std::collections::HashMap::from([
            (
                "OAUTH_PROFILES_DATABASE_URL".to_owned(),
                "postgres://hdp:hunter2@db.example.com/hdp".to_owned(),
            ),
            (
                "OAUTH_PROFILES_ENCRYPTION_KEYS".to_owned(),
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
