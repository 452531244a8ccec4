//! The server every service runs: the middleware stack, `GET /healthz` and `GET /readyz`, and
//! its routes behind the internal token; beside it, when asked for, the internal listener that
//! serves `GET /metrics` ([`serve_metrics`]).

use std::future::Future;
use std::net::TcpListener;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use api_common::http::{
    envelope_guard, front, json_config, method_not_allowed, not_found, query_config,
};
use db::{DbPool, Migrations};
use telemetry::{Metrics, Observer, RouteName, Scope};

use crate::readiness::{readyz, Readiness};
use crate::settings::{connect, database_url, load_verifier, ServiceSettings};
use crate::StartError;

/// How long the servers keep an idle HTTP/1.1 connection open. Peer clients drop theirs
/// sooner ([`crate::PEER_POOL_IDLE_TIMEOUT`]), so a client never reuses a connection that the
/// server is closing at that very moment.
pub const SERVER_KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Work a service runs beside its server for as long as the server runs (a sweeper).
pub type BackgroundTask = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A bound, not yet running server, and its internal metrics listener if it has one.
pub struct Application {
    port: u16,
    server: Server,
    background: Option<BackgroundTask>,
    metrics: Option<MetricsServer>,
}

/// The internal listener of [`serve_metrics`].
pub struct MetricsServer {
    port: u16,
    server: Server,
}

impl Application {
    /// Wraps a server bound to `port` (the gateway builds its own).
    pub fn new(port: u16, server: Server) -> Self {
        Application {
            port,
            server,
            background: None,
            metrics: None,
        }
    }

    /// Runs `metrics` beside the server, and stops it with the server.
    pub fn with_metrics(mut self, metrics: Option<MetricsServer>) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the internal listener that serves `/metrics`, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|m| m.port)
    }

    /// Stops the server when asked (`stop(true)` lets in-flight requests finish).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Runs the server, and its background task beside it; the task is dropped (stopped) when
    /// the server stops.
    /// The metrics listener stops when the server has.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Some(metrics) = self.metrics else {
            return run_with_background(self.server, self.background).await;
        };
        let handle = metrics.server.handle();
        let main = async {
            let result = run_with_background(self.server, self.background).await;
            handle.stop(false).await;
            result
        };
        let (result, _) = tokio::join!(main, metrics.server);
        result
    }
}

async fn run_with_background(
    server: Server,
    background: Option<BackgroundTask>,
) -> std::io::Result<()> {
    match background {
        None => server.await,
        Some(background) => {
            let mut server = std::pin::pin!(server);
            tokio::select! {
                result = &mut server => result,
                () = background => server.await,
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
    let (mut app, pool, metrics) = serve_pool(settings, listener, configure)?;
    // The sweepers' peer calls are counted with the service's.
    let scoped = Scope {
        request_id: None,
        metrics,
    };
    app.background = Some(Box::pin(telemetry::scope(scoped, background(pool))));
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
    serve_pool(settings, listener, configure).map(|(app, _, _)| app)
}

fn serve_pool<S, F>(
    settings: &S,
    listener: TcpListener,
    configure: F,
) -> Result<(Application, DbPool, Arc<Metrics>), StartError>
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
    let metrics = Arc::new(Metrics::new());
    let pool = connect::<S>(&url, common.pool_size, Some(&metrics))?;
    let name = S::NAME;
    let bind_failed = |cause| StartError::Bind {
        addr: common.addr.to_owned(),
        cause,
    };
    let port = listener.local_addr().map_err(bind_failed)?.port();
    let observer = web::Data::new(Observer::new(name, metrics.clone(), RouteName::matched));
    let readiness = web::Data::new(Readiness::new(migrations::<S>));
    let shared_pool = pool.clone();
    let pool = web::Data::new(pool);
    let verifier = web::Data::new(verifier);
    let body_limit = common.max_body_bytes;
    let mut server = HttpServer::new(move || {
        App::new()
            // The request's id, access log and metrics, the envelope guard and canonical
            // paths, as one layer.
            .wrap(from_fn(front))
            .app_data(observer.clone())
            .app_data(readiness.clone())
            .app_data(pool.clone())
            .app_data(verifier.clone())
            .app_data(json_config(body_limit))
            .app_data(query_config())
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz))
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
    let metrics_server = match common.metrics_addr {
        Some(addr) => Some(serve_metrics(addr, metrics.clone())?),
        None => None,
    };
    let app = Application::new(port, server).with_metrics(metrics_server);
    Ok((app, shared_pool, metrics))
}

/// A service's migrations, as [`Readiness`] asks for them.
fn migrations<S: ServiceSettings>() -> Migrations {
    S::MIGRATIONS
}

/// The internal listener on `addr`: `GET /metrics` in the Prometheus text format, and nothing
/// else. It is never the public listener (docs/security.md); one worker is plenty for a
/// scrape every few seconds.
pub fn serve_metrics(addr: &str, metrics: Arc<Metrics>) -> Result<MetricsServer, StartError> {
    let listener = bind(addr)?;
    let bind_failed = |cause| StartError::Bind {
        addr: addr.to_owned(),
        cause,
    };
    let port = listener.local_addr().map_err(bind_failed)?.port();
    let metrics = web::Data::from(metrics);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(envelope_guard))
            .app_data(metrics.clone())
            .service(
                web::resource("/metrics")
                    .route(web::get().to(render_metrics))
                    .default_service(method_not_allowed_route()),
            )
            .default_service(web::to(not_found))
    })
    .workers(1)
    .shutdown_timeout(1)
    .disable_signals()
    .listen(listener)
    .map_err(bind_failed)?
    .run();
    log::info!("metrics on port {port} (GET /metrics)");
    Ok(MetricsServer { port, server })
}

async fn render_metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(telemetry::METRICS_CONTENT_TYPE)
        .body(metrics.render())
}

/// Binds a listener, naming the address on failure.
pub fn bind(addr: &str) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).map_err(|cause| StartError::Bind {
        addr: addr.to_owned(),
        cause,
    })
}

/// `GET /healthz`, the liveness check: the process serves HTTP. Whether it can serve its
/// routes (database, migrations) is `/readyz`'s question: a database outage takes a replica
/// out of its Service, it does not get it restarted.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// A handler for known paths asked with an unsupported method, for `web::resource` defaults.
pub fn method_not_allowed_route() -> actix_web::Route {
    web::to(method_not_allowed)
}
