//! How an hdp-oauth service is put on the network.
//!
//! Every service is a library with a thin binary (STYLE.md point 1). The library's `build`
//! reads its own settings and calls [`serve`] with its routes; [`serve`] connects its database
//! and adds what every service has in common: request ids, the access log and the HTTP metrics
//! outermost, the envelope guard and paths in canonical form only, as one middleware
//! ([`api_common::http::front`]), `GET /healthz` (alive: the database answers) and `GET /readyz`
//! (able to serve: [`Readiness`]) without a token, and everything else behind
//! [`internal_auth::require_token`]; and, when `{PREFIX}_METRICS_ADDR` is set, the internal
//! listener that serves `GET /metrics` ([`serve_metrics`]). The returned [`Application`] has bound its port
//! (0 is allowed) and runs until stopped.
//!
//! A service's `Config` tells what every service has through [`ServiceSettings`] (one line,
//! [`service_settings!`]); its `main` is [`run_service`].

mod binary;
mod readiness;
mod server;
mod settings;

pub use binary::{
    exit_code, init_logging, print_reseal_report, run_service, run_with_signals, shutdown_signal,
    Command, Reseal,
};
pub use readiness::{readyz, Readiness};
pub use server::{
    bind, healthz, method_not_allowed_route, serve, serve_metrics, serve_on, serve_on_with,
    Application, BackgroundTask, MetricsServer, SERVER_KEEP_ALIVE,
};
pub use settings::{
    key_ring, load_verifier, parse_base_url, peer_client, reseal, Common, KeyRingSettings,
    KeyRingSource, ServiceSettings, DEFAULT_PEER_TIMEOUT, PEER_POOL_IDLE_TIMEOUT,
};

/// What [`service_settings!`] names, whatever the calling crate imports.
#[doc(hidden)]
pub mod __macro {
    pub use db::Migrations;
    pub use internal_auth::Service;
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
