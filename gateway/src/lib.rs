//! The gateway: the one public entry point of hdp-oauth.
//!
//! It authenticates HTTP Basic credentials against its own users table ([`auth`]), mints a
//! short-lived internal token for the caller and forwards the request to the service that owns
//! the path ([`forward`]), acting on behalf of another user where `?user=` allows it
//! ([`on_behalf`]). It is the only holder of the token signing key. It also serves the
//! identity administration API, tenants and users, from its own database ([`admin`]), and the
//! OpenAPI document of the whole public API at `GET /openapi.json` ([`api_doc`]). For the
//! authorization server, it signs people in and renders the authorize pages, checks the
//! password grant's user, and takes OAuth access tokens in place of Basic credentials on
//! `/api/mgmt` ([`oauth2`]); client-registration does the rest.

pub mod admin;
pub mod auth;
mod bootstrap;
pub mod consistency;
pub mod deletions;
pub mod forward;
mod front;
pub mod oauth2;
pub mod on_behalf;
pub mod password;
pub mod password_checks;
pub mod password_slowing;
pub mod routes;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpMessage, HttpRequest, HttpResponse, HttpServer};
use api_common::http::{json_config, query_config};
use db::{DatabaseUrl, Migrations, PoolOptions};
use envconfig::Envconfig;
use internal_auth::{Service, TokenSigner};
use service_kit::{bind, peer_client, serve_metrics, Application, Readiness, StartError};
use telemetry::{Metrics, Observer, RouteName, Scope};

use crate::admin::OwnerPurge;
use crate::auth::{Authenticated, Authenticator};
use crate::deletions::Deletions;
use crate::forward::{ForwardClient, Upstream, Upstreams};
use crate::password_checks::PasswordChecks;
use crate::routes::{reject_method, Decision, RouteTable};

/// The allocator of every binary that runs the gateway (`gateway`, `stack`), which each
/// declares with this macro. jemalloc rather than glibc's malloc: argon2 takes 19 MiB a run,
/// and glibc keeps such blocks in its per-thread arenas after they are freed (a flood of
/// sign-ins once left gigabytes held). jemalloc's background thread gives freed pages back to
/// the system within about a second (`JEMALLOC_SYS_WITH_MALLOC_CONF` in .cargo/config.toml).
/// How many runs hold memory at once is bounded by `GATEWAY_PASSWORD_CHECKS`
/// ([`password_checks`]). Only binaries declare it, not this library: test processes keep the
/// system allocator, which the C libraries they load (libpq, OpenSSL) also use at exit.
#[macro_export]
macro_rules! global_allocator {
    () => {
        #[global_allocator]
        static ALLOCATOR: $crate::Jemalloc = $crate::Jemalloc;
    };
}

#[doc(hidden)]
pub use tikv_jemallocator::Jemalloc;

/// The routes the gateway answers without credentials, outside `/api`: (method, path).
pub const OPEN_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/openapi.json"),
];

/// The gateway's database is the identity tables: their migrations.
pub const MIGRATIONS: Migrations = identity::MIGRATIONS;

/// Settings, from the environment (`Config::init_from_env`) or built in code.
#[derive(Clone, Envconfig)]
pub struct Config {
    /// Where to listen, `host:port`.
    #[envconfig(from = "GATEWAY_ADDR", default = "127.0.0.1:8080")]
    pub addr: String,
    /// `postgres://...`, `sqlite://path` or a file path: users and tenants.
    #[envconfig(from = "GATEWAY_DATABASE_URL", default = "data/gateway.db")]
    pub database_url: String,
    /// The Ed25519 private key (PKCS#8 PEM) that signs internal tokens.
    #[envconfig(
        from = "TOKEN_SIGNING_KEY_FILE",
        default = "data/keys/token-signing.pem"
    )]
    pub token_signing_key_file: PathBuf,
    #[envconfig(from = "OAUTH_APPS_URL", default = "http://127.0.0.1:8081")]
    pub oauth_apps_url: String,
    #[envconfig(from = "OAUTH_PROFILES_URL", default = "http://127.0.0.1:8082")]
    pub oauth_profiles_url: String,
    #[envconfig(from = "CLIENT_REGISTRATION_URL", default = "http://127.0.0.1:8083")]
    pub client_registration_url: String,
    /// The administrator created at first start.
    #[envconfig(from = "ADMIN_USER", default = "admin")]
    pub admin_user: String,
    /// Their password; generated and printed once when unset.
    #[envconfig(from = "ADMIN_PASSWORD")]
    pub admin_password: Option<String>,
    /// How long a service may take to answer before the caller gets 504.
    #[envconfig(from = "GATEWAY_UPSTREAM_TIMEOUT_MS", default = "10000")]
    pub upstream_timeout_ms: u64,
    /// How long a verified credential is remembered (0 turns the cache off).
    #[envconfig(from = "GATEWAY_AUTH_CACHE_SECS", default = "30")]
    pub auth_cache_secs: u64,
    /// How long a user's row, once read, is used before it is read again, in milliseconds:
    /// how long a change made through another gateway replica may take to count here (a
    /// change through this one counts at once). 0 reads it on every request.
    #[envconfig(from = "GATEWAY_USER_CACHE_MS", default = "1000")]
    pub user_cache_ms: u64,
    /// Lifetime of internal tokens, at most 60.
    #[envconfig(from = "GATEWAY_TOKEN_TTL_SECS", default = "60")]
    pub token_ttl_secs: u64,
    #[envconfig(from = "GATEWAY_DB_POOL_SIZE", default = "8")]
    pub pool_size: u32,
    /// HTTP worker threads; one per core when unset.
    #[envconfig(from = "GATEWAY_WORKERS")]
    pub workers: Option<usize>,
    /// Largest request body accepted, in bytes.
    #[envconfig(from = "GATEWAY_MAX_BODY_BYTES", default = "262144")]
    pub max_body_bytes: usize,
    /// argon2 runs at once, at most (sign-ins and new passwords): the memory they take is this
    /// times 19 MiB.
    #[envconfig(from = "GATEWAY_PASSWORD_CHECKS", default = "4")]
    pub password_checks: usize,
    /// Requests waiting for an argon2 run, at most; past it they get 503 with `Retry-After`.
    #[envconfig(from = "GATEWAY_PASSWORD_QUEUE", default = "64")]
    pub password_queue: usize,
    /// Where the internal listener serves `GET /metrics`, `host:port`; none when unset. Never
    /// the public port (`GATEWAY_ADDR`): metrics are for the monitoring system only.
    #[envconfig(from = "GATEWAY_METRICS_ADDR")]
    pub metrics_addr: Option<String>,
    /// The gateway's address as users' browsers and OAuth providers reach it (behind a proxy,
    /// say `https://hdp.example.com`): the connect callback is `<PUBLIC_URL>/api/mgmt/
    /// oauthprofiles/callback`, which must be registered with each provider. Default: the
    /// address the gateway listens on, `http://<host>:<port>`.
    #[envconfig(from = "PUBLIC_URL")]
    pub public_url: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field("admin_user", &self.admin_user)
            .field(
                "admin_password",
                &self.admin_password.as_ref().map(|_| "***"),
            )
            .finish_non_exhaustive()
    }
}

/// Connects the database, creates the administrator on first start and binds the listener.
pub fn build(config: &Config) -> Result<Application, StartError> {
    let url = DatabaseUrl::parse("GATEWAY_DATABASE_URL", &config.database_url)?;
    let signer = load_signer(config)?;
    let timeout = Duration::from_millis(config.upstream_timeout_ms);
    let listener = bind(&config.addr)?;
    let local = listener.local_addr().map_err(|cause| StartError::Bind {
        addr: config.addr.clone(),
        cause,
    })?;
    let public_url = match &config.public_url {
        Some(url) => service_kit::parse_base_url("PUBLIC_URL", url)?,
        None => format!("http://{local}"),
    };
    let public_url_header = hyper::http::HeaderValue::from_str(&public_url)
        .map_err(|e| StartError::Other(format!("PUBLIC_URL is not a header value: {e}")))?;
    let metrics = Arc::new(Metrics::new());
    let upstreams = Upstreams {
        public_url,
        public_url_header,
        http: peer_client(timeout)?,
        forward: ForwardClient::new(timeout),
        timeout,
        oauth_apps: Upstream::parse(
            "OAUTH_APPS_URL",
            &config.oauth_apps_url,
            metrics.peers.of(Service::OauthApps.name()),
        )?,
        oauth_profiles: Upstream::parse(
            "OAUTH_PROFILES_URL",
            &config.oauth_profiles_url,
            metrics.peers.of(Service::OauthProfiles.name()),
        )?,
        client_registration: Upstream::parse(
            "CLIENT_REGISTRATION_URL",
            &config.client_registration_url,
            metrics.peers.of(Service::ClientRegistration.name()),
        )?,
    };
    let purge = OwnerPurge {
        oauth_profiles: oauth_profiles_client::OauthProfilesClient::new(
            upstreams.http.clone(),
            upstreams.oauth_profiles.base().to_owned(),
        ),
        client_registration: client_registration_client::ClientRegistrationClient::new(
            upstreams.http.clone(),
            upstreams.client_registration.base().to_owned(),
        ),
        oauth_apps: oauth_apps_client::OauthAppsClient::new(
            upstreams.http.clone(),
            upstreams.oauth_apps.base().to_owned(),
        ),
    };
    let pool = db::connect_with_metrics(
        "GATEWAY_DATABASE_URL",
        &url,
        MIGRATIONS,
        PoolOptions {
            max_size: config.pool_size,
            ..PoolOptions::default()
        },
        &metrics,
    )?;
    bootstrap::ensure_admin(&pool, &config.admin_user, config.admin_password.as_deref())?;
    let readiness = web::Data::new(
        Readiness::new(|| MIGRATIONS).with_dependencies(
            upstreams.http.clone(),
            [
                Service::OauthApps,
                Service::OauthProfiles,
                Service::ClientRegistration,
            ]
            .map(|service| (service.name(), upstreams.base_of(service).to_owned()))
            .to_vec(),
        ),
    );
    let authorization_server = web::Data::new(oauth2::AuthorizationServer::new(
        &pool,
        upstreams.http.clone(),
        upstreams.client_registration.base(),
        &upstreams.public_url,
        Duration::from_millis(config.user_cache_ms),
    )?);
    let authenticator = Authenticator::new(
        pool.clone(),
        signer,
        Duration::from_secs(config.auth_cache_secs),
        Duration::from_millis(config.user_cache_ms),
        PasswordChecks::new(config.password_checks, config.password_queue),
    );
    authenticator.register_metrics(&metrics);

    let port = local.port();
    let (openapi, route_table) = ApiDocument::render()?;
    let route_table = Arc::new(route_table);
    let openapi = web::Data::new(openapi);
    let pool = web::Data::new(pool);
    let authenticator = web::Data::new(authenticator);
    let workers = config.workers.unwrap_or_else(default_workers).max(1);
    let deletions = Deletions::new(
        (**pool).clone(),
        authenticator.clone().into_inner(),
        purge.clone(),
        replica_name(port),
    );
    // Stops when the server lets go of its pool. Its peer calls are counted with the
    // gateway's.
    let scoped = Scope {
        request_id: None,
        metrics: metrics.clone(),
    };
    tokio::spawn(telemetry::scope(
        scoped,
        deletions::worker(
            deletions.clone(),
            Arc::downgrade(&pool.clone().into_inner()),
        ),
    ));
    let deletions = web::Data::new(deletions);
    let purge = web::Data::new(purge);
    let body_limit = config.max_body_bytes;
    let observer =
        web::Data::new(Observer::new("gateway", metrics.clone(), route_name).with_caller(caller));
    let server = HttpServer::new(move || {
        App::new()
            // Every request has its route decided once, then its credentials checked where the
            // route needs them (crate::front).
            .wrap(from_fn(front::front))
            .app_data(observer.clone())
            .app_data(readiness.clone())
            .app_data(pool.clone())
            .app_data(authenticator.clone())
            .app_data(authorization_server.clone())
            // Each worker its own: see `Upstreams::for_worker`.
            .app_data(web::Data::new(upstreams.for_worker()))
            .app_data(purge.clone())
            .app_data(deletions.clone())
            .app_data(openapi.clone())
            // Each worker its own: see `RouteTable::for_worker`.
            .app_data(web::Data::new(route_table.for_worker()))
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(json_config(body_limit))
            .app_data(query_config())
            .service(
                web::resource("/healthz")
                    .route(web::get().to(service_kit::healthz))
                    .default_service(web::to(reject_method)),
            )
            .service(
                web::resource("/readyz")
                    .route(web::get().to(service_kit::readyz))
                    .default_service(web::to(reject_method)),
            )
            .service(
                web::resource("/openapi.json")
                    .route(web::get().to(openapi_json))
                    .default_service(web::to(reject_method)),
            )
            // Before `/api`, which would take `/api/mgmt/oauth2/...` otherwise.
            .configure(oauth2::configure)
            .service(
                web::scope("/api")
                    .configure(admin::configure)
                    .default_service(web::to(forward::forward)),
            )
            // The authorization server's other endpoints and its metadata; anything else
            // outside `/api` is 404 there.
            .default_service(web::to(forward::forward))
    })
    .shutdown_timeout(10)
    .disable_signals()
    .workers(workers);
    let server = server
        .listen(listener)
        .map_err(|cause| StartError::Bind {
            addr: config.addr.clone(),
            cause,
        })?
        .run();
    log::info!("gateway listening on port {port}");
    let metrics_server = match &config.metrics_addr {
        Some(addr) => Some(serve_metrics(addr, metrics)?),
        None => None,
    };
    Ok(Application::new(port, server).with_metrics(metrics_server))
}

/// A request's route as a metric label: the documented route it matched ([`Decision`]), one
/// of the gateway's own open routes, or `unmatched`; never the path as received.
fn route_name(req: &HttpRequest) -> RouteName {
    if let Some(route) = req
        .extensions()
        .get::<Decision>()
        .and_then(|decision| decision.route.as_ref())
    {
        return RouteName::Shared(route.template().clone());
    }
    OPEN_ROUTES
        .iter()
        .find(|(_, path)| *path == req.path())
        .map_or(RouteName::UNMATCHED, |(_, path)| RouteName::Static(path))
}

/// Who called, for the access log: user ids and names, both users when acting on behalf of
/// another; never a credential.
fn caller(req: &HttpRequest) -> Option<String> {
    req.extensions()
        .get::<Authenticated>()
        .map(Authenticated::describe)
}

/// How this replica names itself in the leases of deletions: its host and port, the same
/// after a restart (so it takes back at once what its earlier run held), different from every
/// other replica's as long as two do not share both.
fn replica_name(port: u16) -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}:{port}")
}

/// As many workers as actix starts by default: one per core.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

pub(crate) fn load_signer(config: &Config) -> Result<TokenSigner, StartError> {
    let variable = "TOKEN_SIGNING_KEY_FILE";
    let pem = std::fs::read(&config.token_signing_key_file).map_err(|e| StartError::KeyFile {
        variable: variable.to_owned(),
        path: config.token_signing_key_file.display().to_string(),
        cause: e.to_string(),
    })?;
    TokenSigner::from_pem(&pem, Duration::from_secs(config.token_ttl_secs)).map_err(|e| {
        StartError::Key {
            variable: variable.to_owned(),
            cause: e.to_string(),
        }
    })
}

/// The OpenAPI 3.1 document of the public API ([`api_doc`]) and a browsable page of it, both
/// rendered once at start-up.
struct ApiDocument {
    json: web::Bytes,
}

impl ApiDocument {
    /// The document, and the methods of each path read back from it (the parsed form is not
    /// kept: only the table is needed after start-up).
    fn render() -> Result<(Self, RouteTable), StartError> {
        let failed = |e: serde_json::Error| {
            StartError::Other(format!("cannot render the OpenAPI document: {e}"))
        };
        let json = api_doc::openapi().to_json().map_err(failed)?;
        let routes = RouteTable::from_document(&serde_json::from_str(&json).map_err(failed)?);
        Ok((ApiDocument { json: json.into() }, routes))
    }
}

async fn openapi_json(document: web::Data<ApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document.json.clone())
}
