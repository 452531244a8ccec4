//! What every service reads from its settings before it serves: the database, the key that
//! verifies internal tokens, peers' base URLs and, for a service that seals credentials, its key
//! ring; each failure names the variable it came from.

use std::fmt::Display;
use std::path::Path;
use std::time::Duration;

use db::{DatabaseUrl, DbConnection, DbPool, Migrations, PoolOptions};
use internal_auth::{Service, TokenVerifier};
use secrets::{KeyRing, ResealReport};

use crate::StartError;

/// What service-kit reads of a service's settings. A service's `Config` implements it with
/// [`service_settings!`](crate::service_settings).
pub trait ServiceSettings {
    /// The service's name in logs (`oauth-apps`).
    const NAME: &'static str;
    /// The prefix of its variables (`OAUTH_APPS`: `OAUTH_APPS_DATABASE_URL`, ...).
    const PREFIX: &'static str;
    /// Whom the internal tokens it accepts must be addressed to.
    const AUDIENCE: Service;
    /// Its database migrations, run at start-up.
    const MIGRATIONS: Migrations;

    fn common(&self) -> Common<'_>;
}

/// The settings every service has. (No `Debug`: a database URL may hold a password.)
#[derive(Clone, Copy)]
pub struct Common<'a> {
    /// Where to listen, `host:port`; port 0 picks a free one.
    pub addr: &'a str,
    /// `{PREFIX}_DATABASE_URL`.
    pub database_url: &'a str,
    /// The gateway's public key, which verifies internal tokens (`TOKEN_PUBLIC_KEY_FILE`).
    pub token_public_key_file: &'a Path,
    /// Database connections kept open at most.
    pub pool_size: u32,
    /// HTTP worker threads; one per core when `None`.
    pub workers: Option<usize>,
    /// Largest JSON body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Where the internal listener serves `/metrics` (`{PREFIX}_METRICS_ADDR`); none when
    /// unset.
    pub metrics_addr: Option<&'a str>,
}

/// A service that seals credentials with a key ring (`{PREFIX}_ENCRYPTION_KEYS`, `..._FILE`,
/// `{PREFIX}_ENCRYPTION_ACTIVE_KEY`, see [`secrets::load_key_ring`]).
pub trait KeyRingSettings: ServiceSettings {
    fn key_ring_source(&self) -> KeyRingSource<'_>;
}

/// Where a key ring is configured: inline text (which wins), a file, and the active key's id.
#[derive(Clone, Copy)]
pub struct KeyRingSource<'a> {
    pub inline: Option<&'a str>,
    pub file: &'a Path,
    pub active: Option<&'a str>,
}

/// Implements [`ServiceSettings`] for a service's `Config` whose common fields have the names
/// every service gives them (`addr`, `database_url`, `token_public_key_file`, `pool_size`,
/// `workers`, `max_body_bytes`, `metrics_addr`), and with `key_ring`, [`KeyRingSettings`] from its
/// `encryption_keys`, `encryption_keys_file` and `encryption_active_key`:
/// `service_settings!(Config, "oauth-apps", "OAUTH_APPS", Service::OauthApps, MIGRATIONS, key_ring);`
#[macro_export]
macro_rules! service_settings {
    ($config:ty, $name:literal, $prefix:literal, $audience:expr, $migrations:expr) => {
        impl $crate::ServiceSettings for $config {
            const NAME: &'static str = $name;
            const PREFIX: &'static str = $prefix;
            const AUDIENCE: $crate::__macro::Service = $audience;
            const MIGRATIONS: $crate::__macro::Migrations = $migrations;

            fn common(&self) -> $crate::Common<'_> {
                $crate::Common {
                    addr: &self.addr,
                    database_url: &self.database_url,
                    token_public_key_file: &self.token_public_key_file,
                    pool_size: self.pool_size,
                    workers: self.workers,
                    max_body_bytes: self.max_body_bytes,
                    metrics_addr: self.metrics_addr.as_deref(),
                }
            }
        }
    };
    ($config:ty, $name:literal, $prefix:literal, $audience:expr, $migrations:expr, key_ring) => {
        $crate::service_settings!($config, $name, $prefix, $audience, $migrations);

        impl $crate::KeyRingSettings for $config {
            fn key_ring_source(&self) -> $crate::KeyRingSource<'_> {
                $crate::KeyRingSource {
                    inline: self.encryption_keys.as_deref(),
                    file: &self.encryption_keys_file,
                    active: self.encryption_active_key.as_deref(),
                }
            }
        }
    };
}

/// `{PREFIX}_DATABASE_URL`, checked; nothing is connected yet.
pub(crate) fn database_url<S: ServiceSettings>(settings: &S) -> Result<DatabaseUrl, StartError> {
    let variable = format!("{}_DATABASE_URL", S::PREFIX);
    Ok(DatabaseUrl::parse(
        &variable,
        settings.common().database_url,
    )?)
}

/// A pool of at most `max_size` connections on `url`, with the service's migrations run; its
/// metrics in `metrics` when given.
pub(crate) fn connect<S: ServiceSettings>(
    url: &DatabaseUrl,
    max_size: u32,
    metrics: Option<&telemetry::Metrics>,
) -> Result<DbPool, StartError> {
    let options = PoolOptions {
        max_size,
        ..PoolOptions::default()
    };
    let variable = format!("{}_DATABASE_URL", S::PREFIX);
    Ok(match metrics {
        Some(metrics) => db::connect_with_metrics(&variable, url, S::MIGRATIONS, options, metrics)?,
        None => db::connect(&variable, url, S::MIGRATIONS, options)?,
    })
}

/// The service's key ring; the error names the variable and never shows key material.
pub fn key_ring<S: KeyRingSettings>(settings: &S) -> Result<KeyRing, StartError> {
    let source = settings.key_ring_source();
    secrets::load_key_ring(S::PREFIX, source.inline, source.file, source.active)
        .map_err(StartError::Other)
}

/// The `reseal` command: re-seals with the active key what `reseal` finds sealed with another,
/// `batch` rows at a time, on one connection of the service's database. Safe while the service
/// runs; afterwards the old keys can leave the ring.
pub fn reseal<S, E>(
    settings: &S,
    batch: i64,
    reseal: impl FnOnce(&mut DbConnection, &KeyRing, i64) -> Result<ResealReport, E>,
) -> Result<ResealReport, StartError>
where
    S: KeyRingSettings,
    E: Display,
{
    let url = database_url(settings)?;
    let ring = key_ring(settings)?;
    let pool = connect::<S>(&url, 1, None)?;
    let mut conn = pool
        .get()
        .map_err(|e| StartError::Other(format!("{}_DATABASE_URL: {e}", S::PREFIX)))?;
    reseal(&mut conn, &ring, batch)
        .map_err(|e| StartError::Other(format!("re-sealing failed: {e}")))
}

/// Reads the public key that verifies internal tokens addressed to `service`; `variable` names
/// where its path came from.
pub fn load_verifier(
    variable: &str,
    path: &Path,
    service: Service,
) -> Result<TokenVerifier, StartError> {
    let pem = std::fs::read(path).map_err(|e| StartError::KeyFile {
        variable: variable.to_owned(),
        path: path.display().to_string(),
        cause: e.to_string(),
    })?;
    TokenVerifier::from_pem(&pem, service).map_err(|e| StartError::Key {
        variable: variable.to_owned(),
        cause: e.to_string(),
    })
}

/// How long a peer call may take before it is answered with 504.
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a peer client keeps an idle connection for reuse: below the servers' keep-alive
/// ([`crate::SERVER_KEEP_ALIVE`]), so that the client gives a connection up before the server
/// may close it, and never sends a request on a connection the server is closing.
pub const PEER_POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(4);

// The order the two timeouts must keep, checked when this crate compiles.
const _: () = assert!(PEER_POOL_IDLE_TIMEOUT.as_millis() < crate::SERVER_KEEP_ALIVE.as_millis());

/// An HTTP client for peer calls: keep-alive, bounded connect and total time. Redirects are
/// not followed: peers never send one, and a request carrying an internal token must not be
/// sent anywhere else. No proxy either: peers are this stack's own components.
pub fn peer_client(timeout: Duration) -> Result<reqwest::Client, StartError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2).min(timeout))
        .timeout(timeout)
        .pool_idle_timeout(PEER_POOL_IDLE_TIMEOUT)
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        // Peers are this stack's own components: never through an HTTP proxy of the
        // environment, and no proxy-rule matching (a regex per request) on the hot path.
        .no_proxy()
        .build()
        .map_err(|e| StartError::Other(format!("cannot build the HTTP client: {e}")))
}

/// Checks a peer's base URL (`http://host:port`), naming `variable` when it is not one.
pub fn parse_base_url(variable: &str, value: &str) -> Result<String, StartError> {
    let parsed = url::Url::parse(value)
        .map_err(|e| StartError::Other(format!("{variable} is not a URL ({value}): {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(StartError::Other(format!(
            "{variable} must be an http:// or https:// base URL, found {value}"
        )));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_clients_drop_idle_connections_before_servers_close_them() {
        assert!(PEER_POOL_IDLE_TIMEOUT < crate::SERVER_KEEP_ALIVE);
        // Room for a request already on its way when the client's timer runs out.
        assert!(crate::SERVER_KEEP_ALIVE - PEER_POOL_IDLE_TIMEOUT >= Duration::from_millis(500));
    }

    #[test]
    fn base_urls_name_their_variable() {
        assert_eq!(
            parse_base_url("X_URL", "http://127.0.0.1:8081/").unwrap(),
            "http://127.0.0.1:8081"
        );
        for bad in ["127.0.0.1:8081", "ftp://h", "not a url"] {
            let err = parse_base_url("X_URL", bad).unwrap_err();
            assert!(err.to_string().contains("X_URL"), "{err}");
        }
    }
}
