//! The server every service runs: the middleware stack, `GET /healthz`, and its routes behind
//! the internal token.

use std::future::Future;
use std::net::TcpListener;
use std::pin::Pin;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Condition, Logger};
use actix_web::{web, App, HttpResponse, HttpServer};
use api_common::http::{envelope_guard, json_config, method_not_allowed, not_found, query_config};
use api_common::paths::require_canonical_path;
use api_common::ApiError;
use db::DbPool;

use crate::settings::{connect, database_url, load_verifier, ServiceSettings};
use crate::StartError;

/// How long the servers keep an idle HTTP/1.1 connection open. Peer clients drop theirs
/// sooner ([`crate::PEER_POOL_IDLE_TIMEOUT`]), so a client never reuses a connection that the
/// server is closing at that very moment.
pub const SERVER_KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Work a service runs beside its server for as long as the server runs (a sweeper).
pub type BackgroundTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    background: Option<BackgroundTask>,
}

impl Application {
    /// Wraps a server bound to `port` (the gateway builds its own).
    pub fn new(port: u16, server: Server) -> Self {
        Application {
            port,
            server,
            background: None,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server when asked (`stop(true)` lets in-flight requests finish).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Runs the server, and its background task beside it; the task is dropped (stopped) when
    /// the server stops.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.background {
            None => self.server.await,
            Some(background) => {
                let mut server = std::pin::pin!(self.server);
                tokio::select! {
                    result = &mut server => result,
                    () = background => server.await,
                }
            }
        }
    }
}

/// Binds the service's address and serves it: see [`serve_on`].
pub fn serve<S, F>(settings: &S, configure: F) -> Result<Application, StartError>
where
    S: ServiceSettings,
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    serve_on(settings, bind(settings.common().addr)?, configure)
}

/// [`serve_on`], with `background` (given the service's pool) run beside the server for as
/// long as it runs: the periodic sweepers of docs/consistency.md.
pub fn serve_on_with<S, F, B, Fut>(
    settings: &S,
    listener: TcpListener,
    configure: F,
    background: B,
) -> Result<Application, StartError>
where
    S: ServiceSettings,
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    B: FnOnce(DbPool) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (mut app, pool) = serve_pool(settings, listener, configure)?;
    app.background = Some(Box::pin(background(pool)));
    Ok(app)
}

/// Checks the database URL, reads the key that verifies internal tokens, connects the
/// database (running its migrations) and builds the server on `listener` (bound beforehand, for
/// peers that must know each other's address before either starts; the address in the
/// settings then only names it in errors). `configure` adds the service's own routes and app
/// data, which are reached only with a valid internal token.
pub fn serve_on<S, F>(
    settings: &S,
    listener: TcpListener,
    configure: F,
) -> Result<Application, StartError>
where
    S: ServiceSettings,
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    serve_pool(settings, listener, configure).map(|(app, _)| app)
}

fn serve_pool<S, F>(
    settings: &S,
    listener: TcpListener,
    configure: F,
) -> Result<(Application, DbPool), StartError>
where
    S: ServiceSettings,
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let common = settings.common();
    let url = database_url(settings)?;
    let verifier = load_verifier(
        "TOKEN_PUBLIC_KEY_FILE",
        common.token_public_key_file,
        S::AUDIENCE,
    )?;
    let pool = connect::<S>(&url, common.pool_size)?;
    let name = S::NAME;
    let bind_failed = |cause| StartError::Bind {
        addr: common.addr.to_owned(),
        cause,
    };
    let port = listener.local_addr().map_err(bind_failed)?.port();
    let shared_pool = pool.clone();
    let pool = web::Data::new(pool);
    let verifier = web::Data::new(verifier);
    let body_limit = common.max_body_bytes;
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(require_canonical_path))
            .wrap(from_fn(envelope_guard))
            .wrap(access_log(name))
            .app_data(pool.clone())
            .app_data(verifier.clone())
            .app_data(json_config(body_limit))
            .app_data(query_config())
            .route("/healthz", web::get().to(healthz))
            .service(
                web::scope("")
                    .wrap(from_fn(internal_auth::require_token))
                    .configure(configure.clone())
                    .default_service(web::to(not_found)),
            )
    })
    .keep_alive(SERVER_KEEP_ALIVE)
    .shutdown_timeout(10)
    .disable_signals();
    if let Some(workers) = common.workers {
        server = server.workers(workers);
    }
    let server = server.listen(listener).map_err(bind_failed)?.run();
    log::info!("{name} listening on port {port}");
    Ok((Application::new(port, server), shared_pool))
}

/// Binds a listener, naming the address on failure.
pub fn bind(addr: &str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).map_err(|cause| StartError::Bind {
        addr: addr.to_owned(),
        cause,
    })
}

/// The access log: component, status, method, path and duration only (never headers, which carry credentials, nor
/// the query string, which may name a user). Left out when `RUST_LOG` hides it.
pub fn access_log(component: &str) -> Condition<Logger> {
    Condition::new(
        access_log_enabled(),
        Logger::new(&format!("{component}: %s %{{method}}xi %U %Dms"))
            .custom_request_replace("method", |req| req.method().to_string()),
    )
}

/// Whether the logging filter lets the access log through. actix's `Logger` renders its
/// fields for every request whether or not the line is then written (a few allocations each),
/// so where it would not be written it is not installed at all.
pub fn access_log_enabled() -> bool {
    log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info)
}

async fn healthz(pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    db::ping(&pool).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ok"})))
}

/// A handler for known paths asked with an unsupported method, for `web::resource` defaults.
pub fn method_not_allowed_route() -> actix_web::Route {
    web::to(method_not_allowed)
}
