//! What an operator sees of a component: who asked for what ([`RequestId`]), the log lines
//! that say so ([`logging`]) and its Prometheus metrics ([`Metrics`]).
//!
//! A request's id and its component's metrics travel with the request's task ([`scope`]): a
//! log line written anywhere while the request is served names the id, a peer call made for it
//! sends the id on and is counted, without any signature in between carrying them. Work moved
//! to a blocking thread takes the id along ([`blocking`]).

mod context;
pub mod logging;
mod metrics;
mod observe;
mod request_id;

pub use context::{blocking, current_metrics, current_request_id, current_scope, scope, Scope};
pub use metrics::{
    HttpMetrics, Metrics, PeerMetrics, PeerOutcome, PeerSeries, DURATION_BUCKETS,
    METRICS_CONTENT_TYPE,
};
pub use observe::{method_label, observed, Observer, RouteName};
pub use request_id::{RequestId, REQUEST_ID_HEADER};
