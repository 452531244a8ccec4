//! How an hdp-oauth service is put on the network.
//!
//! Every service is a library with a thin binary (STYLE.md point 1). The library's `build`
//! connects its database and calls [`serve`] with its routes; [`serve`] adds what every service
//! has in common: the envelope guard outermost, paths in canonical form only
//! ([`api_common::paths`]), `GET /healthz` without a token, and everything else behind
//! [`internal_auth::require_token`]. The returned [`Application`] has bound its port
//! (0 is allowed) and runs until stopped.

use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{from_fn, Condition, Logger};
use actix_web::{web, App, HttpResponse, HttpServer};
use api_common::http::{envelope_guard, json_config, method_not_allowed, not_found, query_config};
use api_common::paths::require_canonical_path;
use api_common::ApiError;
use db::DbPool;
use internal_auth::{Service, TokenVerifier};

/// Settings every service takes.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// `host:port`; port 0 picks a free one.
    pub addr: String,
    /// Worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// Largest JSON body accepted, in bytes.
    pub body_limit: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{variable}: cannot read the token key file {path}: {cause}")]
    KeyFile {
        variable: String,
        path: String,
        cause: String,
    },
    #[error("{variable}: {cause}")]
    Key { variable: String, cause: String },
    #[error("cannot listen on {addr}: {cause}")]
    Bind { addr: String, cause: std::io::Error },
    #[error(transparent)]
    Database(#[from] db::DbSetupError),
    #[error("{0}")]
    Other(String),
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

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Wraps a server bound to `port` (the gateway builds its own).
    pub fn new(port: u16, server: Server) -> Self {
        Application { port, server }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server when asked (`stop(true)` lets in-flight requests finish).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Binds `options.addr` and builds the server for a service: `configure` adds the service's own
/// routes and app data, which are reached only with a valid internal token.
pub fn serve<F>(
    name: &'static str,
    options: &ServeOptions,
    pool: DbPool,
    verifier: TokenVerifier,
    configure: F,
) -> Result<Application, StartError>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    serve_on(
        name,
        bind(&options.addr)?,
        options,
        pool,
        verifier,
        configure,
    )
}

/// [`serve`] on a listener bound beforehand (`options.addr` then only names it in errors): for
/// peers that must know each other's address before either starts.
pub fn serve_on<F>(
    name: &'static str,
    listener: TcpListener,
    options: &ServeOptions,
    pool: DbPool,
    verifier: TokenVerifier,
    configure: F,
) -> Result<Application, StartError>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let port = listener
        .local_addr()
        .map_err(|cause| StartError::Bind {
            addr: options.addr.clone(),
            cause,
        })?
        .port();
    let pool = web::Data::new(pool);
    let verifier = web::Data::new(verifier);
    let body_limit = options.body_limit;
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
    .shutdown_timeout(10)
    .disable_signals();
    if let Some(workers) = options.workers {
        server = server.workers(workers);
    }
    let server = server
        .listen(listener)
        .map_err(|cause| StartError::Bind {
            addr: options.addr.clone(),
            cause,
        })?
        .run();
    log::info!("{name} listening on port {port}");
    Ok(Application { port, server })
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

/// Logging for binaries: `RUST_LOG` if set, `info` otherwise.
pub fn init_logging() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
}

/// How long a peer call may take before it is answered with 504.
pub const DEFAULT_PEER_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP client for peer calls: keep-alive, bounded connect and total time. Redirects are
/// not followed: peers never send one, and a request carrying an internal token must not be
/// sent anywhere else.
pub fn peer_client(timeout: Duration) -> Result<reqwest::Client, StartError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(2).min(timeout))
        .timeout(timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| StartError::Other(format!("cannot build the HTTP client: {e}")))
}

pub use reqwest;

/// Listens for Ctrl-C (SIGINT) and SIGTERM from now on; the future resolves on the first.
/// The handlers are installed before this returns, so a signal that arrives before the future
/// is first polled still stops the process cleanly rather than killing it.
pub fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// Runs `app` until Ctrl-C or SIGTERM, then lets in-flight requests finish.
pub async fn run_with_signals(app: Application) -> std::io::Result<()> {
    let signal = shutdown_signal()?;
    log::info!("ready; stop with Ctrl-C or SIGTERM");
    let handle = app.handle();
    let mut server = std::pin::pin!(app.run_until_stopped());
    tokio::select! {
        result = &mut server => result,
        _ = signal => {
            log::info!("shutting down");
            // The server future itself carries out the stop: keep polling it meanwhile.
            let ((), result) = tokio::join!(handle.stop(true), server);
            result
        }
    }
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

/// A binary's exit: the error, with its causes, on one line of standard error.
pub fn exit_code<E: std::fmt::Display>(result: Result<(), E>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// What a service binary was asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// No arguments: serve.
    Serve,
    /// `reseal [--batch N]`: re-seal stored credentials with the active key, then exit.
    Reseal { batch: i64 },
}

impl Command {
    pub fn from_args() -> Result<Self, StartError> {
        Self::parse(std::env::args().skip(1))
    }

    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, StartError> {
        let usage = || {
            StartError::Other(
                "usage: <service> [reseal [--batch N]] (no argument: serve)".to_owned(),
            )
        };
        match args.next().as_deref() {
            None => Ok(Command::Serve),
            Some("reseal") => {
                let batch = match (args.next().as_deref(), args.next()) {
                    (None, _) => 500,
                    (Some("--batch"), Some(n)) => {
                        n.parse().ok().filter(|n| *n > 0).ok_or_else(usage)?
                    }
                    _ => return Err(usage()),
                };
                match args.next() {
                    None => Ok(Command::Reseal { batch }),
                    Some(_) => Err(usage()),
                }
            }
            Some(_) => Err(usage()),
        }
    }
}

/// Prints what a re-seal pass did; values that could not be opened make it an error, so that a
/// script does not go on to remove a key still in use.
pub fn print_reseal_report(what: &str, report: secrets::ResealReport) -> Result<(), StartError> {
    println!(
        "{what}: {} re-sealed, {} changed meanwhile (already current), {} could not be opened",
        report.resealed, report.changed_meanwhile, report.failed
    );
    if report.failed > 0 {
        return Err(StartError::Other(format!(
            "{} value(s) of {what} could not be opened: their key is not in the ring (see the log)",
            report.failed
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, StartError> {
        Command::parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn commands_parse_strictly() {
        assert_eq!(parse(&[]).unwrap(), Command::Serve);
        assert_eq!(parse(&["reseal"]).unwrap(), Command::Reseal { batch: 500 });
        assert_eq!(
            parse(&["reseal", "--batch", "20"]).unwrap(),
            Command::Reseal { batch: 20 }
        );
        for bad in [
            &["serve"][..],
            &["reseal", "--batch"],
            &["reseal", "--batch", "0"],
            &["reseal", "--batch", "x"],
            &["reseal", "--batch", "5", "extra"],
            &["reseal", "now"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
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
