//! A component's Prometheus metrics: one registry per component (the local stack runs four
//! in one process, each with its own), the families every component has, and the text
//! exposition of all of them.
//!
//! Hot paths hold handles and touch atomics only; gauges that mirror a state kept elsewhere
//! (a pool's connections, the password checks' queue) are set when a scrape asks
//! ([`Metrics::on_scrape`]), so the state's owner pays nothing between scrapes.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use prometheus::core::Collector;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The `Content-Type` of the text exposition format.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets of every latency histogram, in seconds: from a cached credential (under a
/// millisecond) to a peer's timeout (10 s).
pub const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

type Refresh = Box<dyn Fn() + Send + Sync>;

/// One component's metrics.
pub struct Metrics {
    registry: Registry,
    pub http: HttpMetrics,
    pub peers: PeerMetrics,
    /// OAuth token refreshes at providers, by outcome (oauth-profiles; no samples elsewhere).
    pub token_refreshes: IntCounterVec,
    refreshers: Mutex<Vec<Refresh>>,
}

/// Requests served, by route template (never the path as received), method and status.
pub struct HttpMetrics {
    pub requests: IntCounterVec,
    pub duration: HistogramVec,
    pub in_flight: IntGauge,
}

/// Calls to other components (forwarded requests and peer calls), by peer and outcome.
pub struct PeerMetrics {
    pub calls: IntCounterVec,
    pub duration: HistogramVec,
}

/// How a call to a peer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerOutcome {
    /// It answered 1xx, 2xx or 3xx.
    Success,
    /// It answered 4xx (a peer's "not found" is an answer, not a failure).
    ClientError,
    /// It answered 5xx.
    ServerError,
    /// No connection, or it broke before an answer.
    Unavailable,
    /// No answer within the caller's timeout.
    Timeout,
}

// `PeerOutcome as usize` indexes arrays of `COUNT` (the last variant is `Timeout`).
const _: () = assert!(PeerOutcome::Timeout as usize + 1 == PeerOutcome::COUNT);

impl PeerOutcome {
    /// How many outcomes there are.
    pub const COUNT: usize = 5;

    /// The outcome of a call answered with `status`.
    pub fn of_status(status: u16) -> Self {
        match status {
            500.. => PeerOutcome::ServerError,
            400.. => PeerOutcome::ClientError,
            _ => PeerOutcome::Success,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PeerOutcome::Success => "success",
            PeerOutcome::ClientError => "client_error",
            PeerOutcome::ServerError => "server_error",
            PeerOutcome::Unavailable => "unavailable",
            PeerOutcome::Timeout => "timeout",
        }
    }
}

impl PeerMetrics {
    /// Counts one call to `peer` (a component's name) that ended with `outcome` after
    /// `elapsed`.
    pub fn record(&self, peer: &str, outcome: PeerOutcome, elapsed: Duration) {
        self.calls.with_label_values(&[peer, outcome.label()]).inc();
        self.duration
            .with_label_values(&[peer])
            .observe(elapsed.as_secs_f64());
    }

    /// The handles of `peer`'s series, for a caller that calls it on every request: recording
    /// then looks no labels up. A series still appears only once a call has counted in it.
    pub fn of(&self, peer: &'static str) -> PeerSeries {
        PeerSeries {
            peer,
            calls: self.calls.clone(),
            duration: self.duration.clone(),
            calls_by_outcome: Default::default(),
            duration_handle: OnceLock::new(),
        }
    }
}

/// One peer's series of [`PeerMetrics`], each looked up the first time it counts.
#[derive(Clone)]
pub struct PeerSeries {
    peer: &'static str,
    calls: IntCounterVec,
    duration: HistogramVec,
    calls_by_outcome: [OnceLock<IntCounter>; PeerOutcome::COUNT],
    duration_handle: OnceLock<Histogram>,
}

impl PeerSeries {
    /// What [`PeerMetrics::record`] counts, for this series' peer.
    pub fn record(&self, outcome: PeerOutcome, elapsed: Duration) {
        self.calls_by_outcome[outcome as usize]
            .get_or_init(|| self.calls.with_label_values(&[self.peer, outcome.label()]))
            .inc();
        self.duration_handle
            .get_or_init(|| self.duration.with_label_values(&[self.peer]))
            .observe(elapsed.as_secs_f64());
    }
}

impl std::fmt::Debug for PeerSeries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerSeries")
            .field("peer", &self.peer)
            .finish()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with the HTTP and peer families, and the process's own (CPU, memory, open
    /// files) where the platform has them.
    pub fn new() -> Self {
        let registry = Registry::new();
        let http = HttpMetrics {
            requests: counter_vec(
                "hdp_http_requests_total",
                "HTTP requests answered, by route template, method and status.",
                &["route", "method", "status"],
            ),
            duration: histogram_vec(
                "hdp_http_request_duration_seconds",
                "Time from a request's head to its answer, by route template and method.",
                &["route", "method"],
            ),
            in_flight: gauge(
                "hdp_http_requests_in_flight",
                "HTTP requests being served now.",
            ),
        };
        let peers = PeerMetrics {
            calls: counter_vec(
                "hdp_peer_calls_total",
                "Calls to another component (forwarded requests, peer calls), by peer and outcome.",
                &["peer", "outcome"],
            ),
            duration: histogram_vec(
                "hdp_peer_call_duration_seconds",
                "Time a call to another component took until its answer's head, by peer.",
                &["peer"],
            ),
        };
        let token_refreshes = counter_vec(
            "hdp_token_refreshes_total",
            "Refreshes of OAuth profiles' tokens at their providers, by outcome.",
            &["outcome"],
        );
        let metrics = Metrics {
            registry,
            http,
            peers,
            token_refreshes,
            refreshers: Mutex::new(Vec::new()),
        };
        let own: [Box<dyn Collector>; 6] = [
            Box::new(metrics.http.requests.clone()),
            Box::new(metrics.http.duration.clone()),
            Box::new(metrics.http.in_flight.clone()),
            Box::new(metrics.peers.calls.clone()),
            Box::new(metrics.peers.duration.clone()),
            Box::new(metrics.token_refreshes.clone()),
        ];
        for collector in own {
            metrics.register_boxed(collector);
        }
        #[cfg(target_os = "linux")]
        metrics.register(prometheus::process_collector::ProcessCollector::for_self());
        metrics
    }

    /// Adds `collector`'s families to the exposition. A name taken twice is a programming
    /// error; it is logged and the second is left out.
    pub fn register(&self, collector: impl Collector + 'static) {
        self.register_boxed(Box::new(collector));
    }

    fn register_boxed(&self, collector: Box<dyn Collector>) {
        if let Err(err) = self.registry.register(collector) {
            log::error!("a metric could not be registered: {err}");
        }
    }

    /// Runs `refresh` before each scrape, to set gauges from state kept elsewhere.
    pub fn on_scrape(&self, refresh: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut refreshers) = self.refreshers.lock() {
            refreshers.push(Box::new(refresh));
        }
    }

    /// Every family in the Prometheus text format.
    pub fn render(&self) -> String {
        if let Ok(refreshers) = self.refreshers.lock() {
            refreshers.iter().for_each(|refresh| refresh());
        }
        TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_else(|err| {
                log::error!("cannot encode the metrics: {err}");
                String::new()
            })
    }
}

// The names and help texts below are constants and valid: building them cannot fail, and a
// test renders every family.
#[expect(clippy::expect_used, reason = "constant, valid metric definitions")]
pub(crate) fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter")
}

#[expect(clippy::expect_used, reason = "constant, valid metric definitions")]
pub(crate) fn histogram_vec(name: &str, help: &str, labels: &[&str]) -> HistogramVec {
    HistogramVec::new(
        HistogramOpts::new(name, help).buckets(DURATION_BUCKETS.to_vec()),
        labels,
    )
    .expect("a valid histogram")
}

#[expect(clippy::expect_used, reason = "constant, valid metric definitions")]
pub(crate) fn gauge(name: &str, help: &str) -> IntGauge {
    IntGauge::new(name, help).expect("a valid gauge")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peers_series_count_where_record_counts_and_appear_when_first_counted() {
        let metrics = Metrics::new();
        let series = metrics.peers.of("oauth-apps");
        assert!(!metrics.render().contains(r#"peer="oauth-apps""#));
        series.record(PeerOutcome::Success, Duration::from_millis(2));
        series.record(PeerOutcome::Success, Duration::from_millis(3));
        metrics
            .peers
            .record("oauth-apps", PeerOutcome::Timeout, Duration::from_millis(4));
        series
            .clone()
            .record(PeerOutcome::Timeout, Duration::from_secs(11));
        let text = metrics.render();
        for line in [
            r#"hdp_peer_calls_total{outcome="success",peer="oauth-apps"} 2"#,
            r#"hdp_peer_calls_total{outcome="timeout",peer="oauth-apps"} 2"#,
            r#"hdp_peer_call_duration_seconds_count{peer="oauth-apps"} 4"#,
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(!text.contains(r#"outcome="unavailable""#));
    }

    #[test]
    fn families_render_and_gauges_refresh_on_scrape() {
        let metrics = Metrics::new();
        metrics
            .http
            .requests
            .with_label_values(&["/api/x/{id}", "GET", "200"])
            .inc();
        metrics.peers.record(
            "oauth-apps",
            PeerOutcome::of_status(404),
            Duration::from_millis(3),
        );
        let mirrored = gauge("hdp_test_mirrored", "A gauge set at scrape time.");
        metrics.register(mirrored.clone());
        metrics.on_scrape(move || mirrored.set(7));
        let text = metrics.render();
        for line in [
            r#"hdp_http_requests_total{method="GET",route="/api/x/{id}",status="200"} 1"#,
            r#"hdp_peer_calls_total{outcome="client_error",peer="oauth-apps"} 1"#,
            "hdp_test_mirrored 7",
            "hdp_http_requests_in_flight 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
        assert_eq!(PeerOutcome::of_status(503), PeerOutcome::ServerError);
        assert_eq!(PeerOutcome::of_status(201), PeerOutcome::Success);
    }
}
