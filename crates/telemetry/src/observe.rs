//! The outermost work of every component's middleware ([`observed`]): the request's id
//! (accepted or made, echoed in the answer, carried by the task that serves it), the access log
//! line, and the HTTP metrics.

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, Error, HttpRequest};
use prometheus::{Histogram, IntCounter};

use crate::context::in_scope;
use crate::{scope, Metrics, RequestId, Scope, REQUEST_ID_HEADER};

/// The log target of access log lines (`RUST_LOG=access=off` hides them).
pub const ACCESS_LOG_TARGET: &str = "access";

/// A request's route as a metric label: its template (`/api/mgmt/oauthapps/{id}`), never the
/// path as received, so that labels stay few.
pub enum RouteName {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

impl RouteName {
    pub fn as_str(&self) -> &str {
        match self {
            RouteName::Static(s) => s,
            RouteName::Shared(s) => s,
            RouteName::Owned(s) => s,
        }
    }

    /// The label of requests that matched no route.
    pub const UNMATCHED: RouteName = RouteName::Static("unmatched");

    /// The route actix matched (`/healthz`, `/internal/oauth-apps/{id}/usage`), if any.
    pub fn matched(req: &HttpRequest) -> RouteName {
        req.match_pattern()
            .map_or(RouteName::UNMATCHED, RouteName::Owned)
    }
}

/// How a component is observed, in its app data for [`observed`].
pub struct Observer {
    /// Which observer a thread's [`SERIES`] handles belong to.
    id: u64,
    component: &'static str,
    metrics: Arc<Metrics>,
    route: fn(&HttpRequest) -> RouteName,
    caller: Option<fn(&HttpRequest) -> Option<String>>,
    access_log: bool,
}

impl Observer {
    /// `component` names the access log's lines; `route` names a served request's route.
    /// Whether the access log is written is decided now, from the logging filter (the
    /// `access` target at `info`).
    pub fn new(
        component: &'static str,
        metrics: Arc<Metrics>,
        route: fn(&HttpRequest) -> RouteName,
    ) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        Observer {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            component,
            metrics,
            route,
            caller: None,
            access_log: log::log_enabled!(target: ACCESS_LOG_TARGET, log::Level::Info),
        }
    }

    /// Who called, for the access log (never a credential).
    pub fn with_caller(mut self, caller: fn(&HttpRequest) -> Option<String>) -> Self {
        self.caller = Some(caller);
        self
    }

    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }
}

/// The label of a method: the standard ones by name, anything else `other`.
pub fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    KNOWN
        .iter()
        .find(|known| *known == method)
        .map_or("other", |known| known.as_str())
}

/// Counts a request as in flight for as long as it lives, even when its client goes away.
struct InFlight<'m>(&'m Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.http.in_flight.dec();
    }
}

/// The outermost work of every component's middleware (see the module), around `serve` (the
/// layers inside it, then the routes). Needs an [`Observer`] in the app data (without one, it
/// passes requests through untouched).
pub async fn observed<B, F, Fut>(req: ServiceRequest, serve: F) -> Result<ServiceResponse<B>, Error>
where
    F: FnOnce(ServiceRequest) -> Fut,
    Fut: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    let Some(observer) = req.app_data::<web::Data<Observer>>().cloned() else {
        return serve(req).await;
    };
    let id = RequestId::accept_or_generate(
        req.headers()
            .get(REQUEST_ID_HEADER)
            .map(HeaderValue::as_bytes),
    );
    let metrics = &observer.metrics;
    metrics.http.in_flight.inc();
    let _in_flight = InFlight(metrics);
    let started = Instant::now();
    let method = method_label(req.method());
    // The query string is left out: it may name a user.
    let path = observer.access_log.then(|| req.path().to_owned());
    let scoped = Scope {
        request_id: Some(id.clone()),
        metrics: metrics.clone(),
    };
    // The access log line names the request's id as every log line does: it is written in the
    // scope too.
    let log_scope = path.as_ref().map(|_| scoped.clone());
    // `serve`'s future goes into the scoped one as it is, not inside an `async` block of its
    // own that would hold it twice: every request's future is moved and boxed whole.
    let mut result = scope(scoped, serve(req)).await;
    let elapsed = started.elapsed();
    let (status, route, caller) = match &result {
        Ok(res) => (
            res.status(),
            (observer.route)(res.request()),
            // Who called is for the access log only.
            observer
                .caller
                .filter(|_| path.is_some())
                .and_then(|caller| caller(res.request())),
        ),
        Err(err) => (
            err.as_response_error().status_code(),
            RouteName::UNMATCHED,
            None,
        ),
    };
    with_series(
        &observer,
        route.as_str(),
        method,
        status.as_u16(),
        |series| {
            series.requests.inc();
            series.duration.observe(elapsed.as_secs_f64());
        },
    );
    if let (Some(path), Some(log_scope)) = (path, log_scope) {
        in_scope(log_scope, || {
            log::info!(
                target: ACCESS_LOG_TARGET,
                "{}: {} {method} {path} {:.3}ms {}",
                observer.component,
                status.as_u16(),
                elapsed.as_secs_f64() * 1000.0,
                caller.as_deref().unwrap_or("-"),
            )
        });
    }
    if let (Ok(res), Ok(value)) = (&mut result, HeaderValue::from_str(id.as_str())) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    result
}

/// The handles of one route, method and status in an observer's HTTP families.
struct HttpSeries {
    method: &'static str,
    status: u16,
    requests: IntCounter,
    duration: Histogram,
}

/// One observer's handles on one thread, by route.
type RouteSeries = HashMap<Box<str>, Vec<HttpSeries>>;

/// Most routes a thread keeps handles of per observer, and most observers: past either, it
/// starts over (routes are templates, a component has a few dozen; tests build many apps).
const MAX_SERIES_ROUTES: usize = 1_024;
const MAX_SERIES_OBSERVERS: usize = 16;

thread_local! {
    /// This thread's handles of the HTTP series its requests counted in, by observer, then by
    /// route. A label lookup in a Prometheus family hashes every label and takes a lock that all
    /// the workers share, for each of the two families, on every request; a handle, once
    /// taken, counts with one atomic operation. The families are unchanged: a scrape sees the
    /// same series, counted as before.
    static SERIES: RefCell<Vec<(u64, RouteSeries)>> = const { RefCell::new(Vec::new()) };
}

/// Calls `count` with the series of `route`, `method` and `status` in `observer`'s families.
fn with_series(
    observer: &Observer,
    route: &str,
    method: &'static str,
    status: u16,
    count: impl FnOnce(&HttpSeries),
) {
    SERIES.with_borrow_mut(|observers| {
        let index = match observers.iter().position(|(id, _)| *id == observer.id) {
            Some(index) => index,
            None => {
                if observers.len() >= MAX_SERIES_OBSERVERS {
                    observers.remove(0);
                }
                observers.push((observer.id, HashMap::new()));
                observers.len() - 1
            }
        };
        let routes = &mut observers[index].1;
        if !routes.contains_key(route) && routes.len() >= MAX_SERIES_ROUTES {
            routes.clear();
        }
        let known = match routes.get_mut(route) {
            Some(known) => known,
            None => routes.entry(route.into()).or_default(),
        };
        let position = known
            .iter()
            .position(|series| series.method == method && series.status == status);
        let series = match position {
            Some(position) => &known[position],
            None => {
                let http = &observer.metrics.http;
                known.push(HttpSeries {
                    method,
                    status,
                    requests: http.requests.with_label_values(&[
                        route,
                        method,
                        &status.to_string(),
                    ]),
                    duration: http.duration.with_label_values(&[route, method]),
                });
                &known[known.len() - 1]
            }
        };
        count(series);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_threads_handles_count_in_their_own_observers_families() {
        let first = Observer::new("a", Arc::new(Metrics::new()), RouteName::matched);
        let second = Observer::new("b", Arc::new(Metrics::new()), RouteName::matched);
        let count = |observer: &Observer, route, method, status| {
            with_series(observer, route, method, status, |series| {
                series.requests.inc();
                series.duration.observe(0.001);
            })
        };
        count(&first, "/x/{id}", "GET", 200);
        count(&first, "/x/{id}", "GET", 200);
        count(&first, "/x/{id}", "GET", 404);
        count(&first, "/y", "POST", 201);
        count(&second, "/x/{id}", "GET", 200);
        std::thread::scope(|threads| {
            threads.spawn(|| count(&first, "/x/{id}", "GET", 200));
        });
        let requests = |observer: &Observer, labels: [&str; 3]| {
            observer
                .metrics
                .http
                .requests
                .with_label_values(&labels)
                .get()
        };
        assert_eq!(requests(&first, ["/x/{id}", "GET", "200"]), 3);
        assert_eq!(requests(&first, ["/x/{id}", "GET", "404"]), 1);
        assert_eq!(requests(&first, ["/y", "POST", "201"]), 1);
        assert_eq!(requests(&second, ["/x/{id}", "GET", "200"]), 1);
        let observed = |observer: &Observer, labels: [&str; 2]| {
            let duration = &observer.metrics.http.duration;
            duration.with_label_values(&labels).get_sample_count()
        };
        assert_eq!(observed(&first, ["/x/{id}", "GET"]), 4);
        assert_eq!(observed(&second, ["/x/{id}", "GET"]), 1);
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        assert_eq!(
            method_label(&Method::from_bytes(b"FROBNICATE").unwrap()),
            "other"
        );
    }
}
