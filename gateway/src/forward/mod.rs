//! Forwarding of authenticated requests to the service that owns the path.
//!
//! Requests go on over HTTP/1 connections kept alive per worker ([`pool`]), with hyper's
//! connection API, without reqwest's layers (URL parsing, redirect and retry policies), which
//! cost more than the rest of the hop; reqwest stays for the typed peer clients. Method, path, query string,
//! `Content-Type`, `Accept` and the body go to the service with the caller's internal token in
//! place of their Basic credentials, and the request's id (`X-Request-Id`); status,
//! `Content-Type` and body come back. Each call is counted by its outcome
//! ([`telemetry::PeerMetrics`]). A service that
//! cannot be reached is 503, one too slow is 504, both in the envelope.
//!
//! The token carries the request's subject and, with `?user=`, its actor
//! ([`crate::on_behalf`]). One query parameter is translated on the way: oauth-apps filters its
//! list by tenant id, so `GET /api/mgmt/oauthapps?tenantName=X` goes on as `tenantId=<id of X>`
//! from the gateway's tenants table, or `tenantId=0` (which matches nothing) when there is no
//! tenant X, so that the answer does not reveal which tenants exist. With both `tenantName` and
//! `tenantId`, both filters apply.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use api_common::fields::{optional_id, parse_id};
use api_common::http::mark_enveloped;
use api_common::{ApiError, ErrorCode};
use db::{run_db, DbPool};
use http_body_util::{BodyExt, Full};
use hyper::http::uri::{Authority, PathAndQuery, Scheme};
use hyper::http::{HeaderName, HeaderValue};
use hyper::Uri;
use service_kit::{parse_base_url, StartError};
use telemetry::{PeerOutcome, PeerSeries};

use internal_auth::Service;

mod pool;

pub use pool::{ForwardClient, MAX_IDLE};

use crate::auth::{own_bytes, Authenticated, Authenticator};
use crate::routes::{method_not_allowed, Credentials, Decision, Owner, Route};
use client_registration_client::oauth2::CLIENT_AUTHORIZATION_HEADER;
use identity::tenants;
use oauth_profiles_client::PUBLIC_URL_HEADER;

/// The services' base URLs and the clients that reach them.
#[derive(Clone)]
pub struct Upstreams {
    /// For the typed peer clients (shared by the workers).
    pub http: reqwest::Client,
    /// Forwards requests (each worker keeps its own connections).
    pub forward: ForwardClient,
    /// How long a forwarded request may take before it is 504, unless its route calls an OAuth
    /// provider ([`PROVIDER_CALL_TIMEOUT`]).
    pub timeout: Duration,
    pub oauth_apps: Upstream,
    pub oauth_profiles: Upstream,
    pub client_registration: Upstream,
    /// This gateway's public URL (`PUBLIC_URL`, default its own address), told to
    /// oauth-profiles in [`PUBLIC_URL_HEADER`]: the base of the connect callback's address.
    pub public_url: String,
    /// The same as a header value, made once.
    pub public_url_header: HeaderValue,
}

/// How long a request whose service calls an OAuth provider may take before it is 504: the
/// service answers within 30 s (docs/connect.md), plus a margin.
pub const PROVIDER_CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(35);

/// The answer headers copied from a service besides `Content-Type`: a redirect's target (the
/// connect flow), when to try again, and that tokens must not be cached. Each as hyper names
/// it (the service's answer) and as actix does (the caller's), so that no name is parsed per
/// request.
const ANSWER_HEADERS: [(HeaderName, header::HeaderName); 3] = [
    (hyper::header::LOCATION, header::LOCATION),
    (hyper::header::RETRY_AFTER, header::RETRY_AFTER),
    (hyper::header::CACHE_CONTROL, header::CACHE_CONTROL),
];

/// The authorization server's answer headers also copied: its challenges (`invalid_client`)
/// and caching rules are the client's to see.
const OAUTH_ANSWER_HEADERS: [(HeaderName, header::HeaderName); 2] = [
    (hyper::header::WWW_AUTHENTICATE, header::WWW_AUTHENTICATE),
    (hyper::header::PRAGMA, header::PRAGMA),
];

/// The request headers the gateway adds that are not standard ones, named once.
const PUBLIC_URL: HeaderName = HeaderName::from_static(PUBLIC_URL_HEADER);
const CLIENT_AUTHORIZATION: HeaderName = HeaderName::from_static(CLIENT_AUTHORIZATION_HEADER);
const REQUEST_ID: HeaderName = HeaderName::from_static(telemetry::REQUEST_ID_HEADER);

/// A service's base URL, parsed once: a request's URI is made from its scheme and authority
/// and a path and query, without parsing the base again.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// As configured, without a trailing `/`.
    base: String,
    scheme: Scheme,
    authority: Authority,
    /// `Host` of the requests sent to it.
    host: HeaderValue,
    /// The base URL's path, without a trailing `/` (empty for none).
    prefix: String,
    /// The calls to it, in the gateway's peer metrics.
    calls: PeerSeries,
}

impl Upstream {
    /// The base URL in `variable`, `value`: http(s), may have a path prefix. The calls to it
    /// count in `calls`.
    pub fn parse(variable: &str, value: &str, calls: PeerSeries) -> Result<Self, StartError> {
        let base = parse_base_url(variable, value)?;
        let invalid = |e: &dyn std::fmt::Display| {
            StartError::Other(format!("{variable} is not a URL ({value}): {e}"))
        };
        let parts = base.parse::<Uri>().map_err(|e| invalid(&e))?.into_parts();
        let (Some(scheme), Some(authority)) = (parts.scheme, parts.authority) else {
            return Err(invalid(&"no scheme or host"));
        };
        let host = HeaderValue::from_str(authority.as_str()).map_err(|e| invalid(&e))?;
        if parts
            .path_and_query
            .as_ref()
            .is_some_and(|p| p.query().is_some())
        {
            return Err(invalid(&"a base URL takes no query string"));
        }
        let prefix = parts
            .path_and_query
            .as_ref()
            .map_or("", PathAndQuery::path)
            .trim_end_matches('/')
            .to_owned();
        Ok(Upstream {
            base,
            scheme,
            authority,
            host,
            prefix,
            calls,
        })
    }

    /// A copy with header values of its own (see [`Upstreams::for_worker`]).
    fn for_worker(&self) -> Upstream {
        Upstream {
            host: own_bytes(&self.host),
            ..self.clone()
        }
    }

    /// The base URL, without a trailing `/`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `path` (in canonical form: no dot segments, no percent-encoding) and `query` (as
    /// received) under the base URL's path: the request's URI in origin form, as it is sent.
    fn path_and_query(&self, path: &str, query: &str) -> Result<Uri, hyper::http::Error> {
        let mut path_and_query =
            String::with_capacity(self.prefix.len() + path.len() + 1 + query.len());
        path_and_query.push_str(&self.prefix);
        path_and_query.push_str(path);
        if !query.is_empty() {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        Ok(Uri::from(PathAndQuery::try_from(path_and_query)?))
    }
}

impl Upstreams {
    /// A copy for one worker, with header values of its own. Sending a header value counts a
    /// reference to its bytes; with one copy for all workers, every forwarded request would
    /// write to memory that the workers' cores pass back and forth.
    pub fn for_worker(&self) -> Upstreams {
        Upstreams {
            oauth_apps: self.oauth_apps.for_worker(),
            oauth_profiles: self.oauth_profiles.for_worker(),
            client_registration: self.client_registration.for_worker(),
            public_url_header: own_bytes(&self.public_url_header),
            ..self.clone()
        }
    }

    /// The base URL of `service`, without a trailing `/`.
    pub fn base_of(&self, service: Service) -> &str {
        self.of(service).base()
    }

    /// The base URL of `service`.
    fn of(&self, service: Service) -> &Upstream {
        match service {
            Service::OauthApps => &self.oauth_apps,
            Service::OauthProfiles => &self.oauth_profiles,
            Service::ClientRegistration => &self.client_registration,
        }
    }
}

/// Forwards any request the gateway does not answer itself to the service that owns its
/// documented route ([`crate::routes`]); a path that is not a documented route of a service is
/// 404, a documented path asked with a method it does not take 405 (with `Allow`). The URL the
/// service is asked for is made from the route ([`crate::routes::Route::upstream_path`]), never
/// from the path as received. On the authorization server's routes ([`Credentials::OAuth`])
/// the gateway's own refusals are RFC 6749 errors, not the envelope.
///
/// The handler of actix's fallback routes; requests of an area forwarded whole come to
/// [`serve`] instead, straight from the middleware.
pub async fn forward(
    req: HttpRequest,
    body: web::Bytes,
    auth: Option<Authenticated>,
    upstreams: web::Data<Upstreams>,
    authenticator: web::Data<Authenticator>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let decision = Decision::of(&req);
    let forwarded = forward_as(
        &req,
        &decision,
        body,
        auth,
        &upstreams,
        &authenticator,
        &pool,
    )
    .await;
    in_area_terms(&decision, forwarded)
}

/// [`forward`], called by the gateway's middleware for a request in an area forwarded whole
/// ([`crate::routes::Area::forwarded_whole`]) once its credentials are checked: actix's route
/// lookup, the handler's boxed future and its extractors would all end in the same place.
/// The body is read as the handler's `web::Bytes` would read it (the same `PayloadConfig`).
///
/// One `async fn` over [`forward_as`] rather than a chain of small ones: each level of a
/// future's nesting costs a copy of everything under it.
pub async fn serve(req: ServiceRequest) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (req, mut payload) = req.into_parts();
    let body = match web::Bytes::from_request(&req, &mut payload).await {
        Ok(body) => body,
        Err(err) => return Ok(ServiceResponse::from_err(err, req)),
    };
    let (Some(upstreams), Some(authenticator), Some(pool)) = (
        req.app_data::<web::Data<Upstreams>>(),
        req.app_data::<web::Data<Authenticator>>(),
        req.app_data::<web::Data<DbPool>>(),
    ) else {
        let missing = ApiError::internal("the gateway's forwarding is not configured");
        return Ok(ServiceResponse::from_err(missing, req));
    };
    let auth = req.extensions().get::<Authenticated>().cloned();
    let decision = Decision::of(&req);
    let forwarded = forward_as(&req, &decision, body, auth, upstreams, authenticator, pool).await;
    let answer = match in_area_terms(&decision, forwarded) {
        Ok(answer) => answer,
        Err(err) => err.error_response(),
    };
    Ok(ServiceResponse::new(req, answer))
}

/// On the authorization server's routes, the gateway's own refusals as RFC 6749 errors.
fn in_area_terms(
    decision: &Decision,
    forwarded: Result<HttpResponse, ApiError>,
) -> Result<HttpResponse, ApiError> {
    match (forwarded, decision.area.credentials) {
        (Err(err), Credentials::OAuth) => Ok(crate::oauth2::oauth_error_of(&err)),
        (forwarded, _) => forwarded,
    }
}

async fn forward_as(
    req: &HttpRequest,
    decision: &Decision,
    body: web::Bytes,
    auth: Option<Authenticated>,
    upstreams: &Upstreams,
    authenticator: &Authenticator,
    pool: &DbPool,
) -> Result<HttpResponse, ApiError> {
    let Some((route, target)) = route_and_owner(req, decision)? else {
        return Ok(method_not_allowed_for(req, decision));
    };
    // No credentials only where the route table says none are needed (the connect callback,
    // the authorization server): the token then carries no user (`TokenSigner::mint_open`).
    let token = match (&auth, decision.area.credentials) {
        (Some(auth), _) => authenticator.token_for(auth, target)?,
        (None, Credentials::None | Credentials::OAuth) => authenticator.open_route_token(target)?,
        (None, Credentials::Basic) => {
            return Err(ApiError::internal(
                "a route of /api was reached without authentication",
            ))
        }
    };
    // The two reads of the gateway's database are boxed: they are needed on oauth-apps' routes
    // only, and would otherwise make every forwarded request's future (moved and boxed whole)
    // larger.
    if let (Some(auth), Service::OauthApps) = (&auth, target) {
        Box::pin(check_named_tenant(pool, auth, req.method(), &body)).await?;
    }
    let query = match decision.translates_tenant_name(req.method()) {
        true => Box::pin(translate_tenant_name(pool, req.query_string())).await?,
        false => Cow::Borrowed(req.query_string()),
    };
    relay(
        req, decision, upstreams, &route, target, &token, &query, body,
    )
    .await
}

/// The route a request matched and the service that owns it: `Err` 404 when there is none,
/// `Ok(None)` when the route does not take the request's method.
pub(crate) fn route_and_owner(
    req: &HttpRequest,
    decision: &Decision,
) -> Result<Option<(Arc<Route>, Service)>, ApiError> {
    let target = match decision.area.owner {
        Owner::Service(service) => Some(service),
        Owner::Gateway => None,
    };
    let Some((route, target)) = decision.route.clone().zip(target) else {
        return Err(ApiError::new(
            ErrorCode::RouteNotFound,
            format!("No resource at '{}'", req.path()),
        ));
    };
    Ok(route
        .allows(req.method())
        .is_ok()
        .then_some((route, target)))
}

/// The 405 of a request whose route does not take its method.
pub(crate) fn method_not_allowed_for(req: &HttpRequest, decision: &Decision) -> HttpResponse {
    let allow = decision
        .route
        .as_ref()
        .and_then(|route| route.allows(req.method()).err());
    match (allow, decision.area.credentials) {
        (Some(allow), Credentials::OAuth) => {
            let mut answer = crate::oauth2::oauth_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                &format!("Method {} is not allowed on '{}'", req.method(), req.path()),
            );
            answer.headers_mut().insert(header::ALLOW, allow);
            answer
        }
        (Some(allow), _) => method_not_allowed(req, allow),
        (None, _) => HttpResponse::MethodNotAllowed().finish(),
    }
}

/// Sends `req` (its method, `query` and `body`) to `target` at `route`'s upstream path with
/// `authorization` (the internal token's header value), and the answer back. `decision` is
/// the request's, as its caller looked it up.
#[expect(
    clippy::too_many_arguments,
    reason = "one request's parts, each used once"
)]
pub(crate) async fn relay(
    req: &HttpRequest,
    decision: &Decision,
    upstreams: &Upstreams,
    route: &Route,
    target: Service,
    authorization: &HeaderValue,
    query: &str,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let service = target.name();
    let method =
        hyper::Method::from_bytes(req.method().as_str().as_bytes()).map_err(ApiError::internal)?;
    let upstream = upstreams.of(target);
    if upstream.scheme != Scheme::HTTP {
        return Err(ApiError::unavailable(
            service,
            "the gateway forwards over http only (the services are on the internal network)",
        ));
    }
    let uri = upstream
        .path_and_query(&route.upstream_path(req.path()), query)
        .map_err(ApiError::internal)?;
    let timeout = match decision.calls_provider(req.method()) {
        true => PROVIDER_CALL_TIMEOUT,
        false => upstreams.timeout,
    };
    // A client's own `client_secret_basic` credentials, which client-registration checks: the
    // request's `Authorization` carries the internal token.
    let client_authorization = match decision.area.credentials {
        Credentials::OAuth => req.headers().get(header::AUTHORIZATION).filter(|value| {
            value
                .as_bytes()
                .get(..6)
                .is_some_and(|s| s.eq_ignore_ascii_case(b"basic "))
        }),
        _ => None,
    };
    let outgoing = || -> Result<hyper::Request<Full<web::Bytes>>, ApiError> {
        let mut outgoing = hyper::Request::new(Full::new(body.clone()));
        *outgoing.method_mut() = method.clone();
        *outgoing.uri_mut() = uri.clone();
        let headers = outgoing.headers_mut();
        headers.insert(hyper::header::HOST, upstream.host.clone());
        headers.insert(hyper::header::AUTHORIZATION, authorization.clone());
        if matches!(target, Service::OauthProfiles | Service::ClientRegistration) {
            headers.insert(PUBLIC_URL, upstreams.public_url_header.clone());
        }
        for (name, theirs) in [
            (header::CONTENT_TYPE, hyper::header::CONTENT_TYPE),
            (header::ACCEPT, hyper::header::ACCEPT),
        ] {
            if let Some(value) = req.headers().get(&name) {
                let value =
                    HeaderValue::from_bytes(value.as_bytes()).map_err(ApiError::internal)?;
                headers.insert(theirs, value);
            }
        }
        // What reqwest, which forwarded before, sends without one.
        headers
            .entry(hyper::header::ACCEPT)
            .or_insert(HeaderValue::from_static("*/*"));
        if let Some(value) = client_authorization {
            let mut value =
                HeaderValue::from_bytes(value.as_bytes()).map_err(ApiError::internal)?;
            value.set_sensitive(true);
            headers.insert(CLIENT_AUTHORIZATION, value);
        }
        if let Some(id) = telemetry::current_request_id() {
            let id = HeaderValue::from_str(id.as_str()).map_err(ApiError::internal)?;
            headers.insert(REQUEST_ID, id);
        }
        Ok(outgoing)
    };
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + timeout;
    let first = outgoing()?;
    // Boxed: the exchange's future (hyper's send, the answer's body, the timer) is the largest
    // part of a forwarded request's, and every future above it, to the one actix moves whole,
    // would otherwise carry it and be copied with it.
    let exchanged = Box::pin(tokio::time::timeout_at(
        deadline,
        exchange(upstreams.forward, &upstream.authority, first, outgoing),
    ))
    .await;
    let exchanged = match exchanged {
        Ok(exchanged) => exchanged?,
        Err(_) => Err(PeerFailure::Timeout(None)),
    };
    let outcome = match &exchanged {
        Ok((answer, _)) => PeerOutcome::of_status(answer.status.as_u16()),
        Err(PeerFailure::Timeout(_)) => PeerOutcome::Timeout,
        Err(PeerFailure::Unavailable(_)) => PeerOutcome::Unavailable,
    };
    upstream.calls.record(outcome, started.elapsed());
    let (answer, bytes) = exchanged.map_err(|failure| failure.into_error(service))?;
    let status = StatusCode::from_u16(answer.status.as_u16())
        .map_err(|e| ApiError::internal(format!("{service} answered a bad status: {e}")))?;
    // Elsewhere than on the authorization server's routes, a service's challenge is about
    // internal tokens.
    let oauth_headers: &[(HeaderName, header::HeaderName)] = match decision.area.credentials {
        Credentials::OAuth => &OAUTH_ANSWER_HEADERS,
        _ => &[],
    };

    let mut reply = HttpResponse::build(status);
    let content_type = answer.headers.get(hyper::header::CONTENT_TYPE);
    let is_json = content_type.is_some_and(|ct| ct.as_bytes().starts_with(b"application/json"));
    if let Some(content_type) = content_type {
        reply.insert_header((header::CONTENT_TYPE, content_type.as_bytes()));
    }
    for (theirs, ours) in ANSWER_HEADERS.iter().chain(oauth_headers) {
        if let Some(value) = answer.headers.get(theirs) {
            reply.insert_header((ours.clone(), value.as_bytes()));
        }
    }
    let mut reply = reply.body(bytes);
    // A service's errors are already in the envelope (or, on the authorization server's
    // routes, RFC 6749's JSON); anything else is rewrapped by the guard.
    if is_json && !status.is_success() {
        mark_enveloped(&mut reply);
    }
    Ok(reply)
}

/// Why a service gave no answer: it took too long (504), or could not be reached or broke off
/// (503). The cause, when there is one, is logged, never shown.
enum PeerFailure {
    Timeout(Option<Box<dyn std::error::Error + Send + Sync>>),
    Unavailable(Box<dyn std::error::Error + Send + Sync>),
}

impl PeerFailure {
    /// A connect that timed out (the connector's bound) is a timeout; anything else is the
    /// service being unavailable.
    fn of(err: impl std::error::Error + Send + Sync + 'static) -> Self {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(current) = cause {
            if current
                .downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
            {
                return PeerFailure::Timeout(Some(Box::new(err)));
            }
            cause = current.source();
        }
        PeerFailure::Unavailable(Box::new(err))
    }

    fn into_error(self, service: &str) -> ApiError {
        match self {
            PeerFailure::Timeout(Some(cause)) => ApiError::timeout(service, chain(&*cause)),
            PeerFailure::Timeout(None) => ApiError::timeout(service, "no answer in time"),
            PeerFailure::Unavailable(cause) => ApiError::unavailable(service, chain(&*cause)),
        }
    }
}

/// An error and its causes on one line (hyper's errors say little without their causes).
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut line = err.to_string();
    let mut cause = err.source();
    while let Some(current) = cause {
        line.push_str(": ");
        line.push_str(&current.to_string());
        cause = current.source();
    }
    line
}

/// One request to the service at `authority` and its whole answer: on a connection the worker
/// kept when it has one. A request the connection did not send (it was closing) goes once more
/// on another connection, and so does an idempotent one whose connection closed before any of
/// the answer came (the request may not have been processed; a kept connection the service was
/// closing is the usual reason); `again` makes it anew. `Err` only when `again` fails.
async fn exchange(
    client: ForwardClient,
    authority: &Authority,
    mut request: hyper::Request<Full<web::Bytes>>,
    again: impl Fn() -> Result<hyper::Request<Full<web::Bytes>>, ApiError>,
) -> Result<Result<(hyper::http::response::Parts, web::Bytes), PeerFailure>, ApiError> {
    let idempotent = request.method().is_idempotent();
    let mut retried = false;
    loop {
        let mut connection = match client.connection(authority).await {
            Ok(connection) => connection,
            Err(err) => return Ok(Err(PeerFailure::of(err))),
        };
        let mut failed = match connection.send(request).await {
            Ok(answer) => {
                let (answer, body) = answer.into_parts();
                return Ok(match body.collect().await {
                    Ok(collected) => {
                        connection.release();
                        Ok((answer, collected.to_bytes()))
                    }
                    Err(err) => Err(PeerFailure::of(err)),
                });
            }
            Err(failed) => failed,
        };
        let unsent = failed.take_message();
        let err = failed.into_error();
        request = match unsent {
            Some(unsent) if !retried => unsent,
            None if !retried && idempotent && err.is_incomplete_message() => again()?,
            _ => return Ok(Err(PeerFailure::of(err))),
        };
        retried = true;
    }
}

/// The query string to send on: for `GET /api/mgmt/oauthapps?tenantName=X`, `tenantName`
/// replaced by `tenantId`; otherwise as it came.
///
/// `tenantId=0` is how the gateway asks for "no tenant" (an unknown name, or a name and an id
/// that are different tenants: both filters apply, and nothing matches both), so a caller's
/// own `tenantId` must be a positive id: 0 or anything else is 400 here.
async fn translate_tenant_name<'q>(
    pool: &DbPool,
    query: &'q str,
) -> Result<Cow<'q, str>, ApiError> {
    let filter = TenantFilter::parse(query)?;
    let Some(name) = filter.name else {
        return Ok(Cow::Borrowed(query));
    };
    let named = run_db(pool, move |conn| tenants::id_by_name(conn, &name)).await?;
    let id = match (filter.id, named) {
        (None, Some(named)) => named,
        (Some(given), Some(named)) if given == named => named,
        _ => NO_TENANT,
    };
    let mut pairs = filter.rest;
    let tenant_id = format!("tenantId={id}");
    pairs.push(&tenant_id);
    Ok(Cow::Owned(pairs.join("&")))
}

/// For an administrator's create or update of an OAuth application: 400 naming `tenantId` when
/// the body names a tenant that does not exist (oauth-apps does not know the tenants; the
/// gateway does). A body that cannot be read this way is left to oauth-apps to refuse. Other
/// callers may only name tenants they administer, which oauth-apps checks, and are not told
/// whether another tenant exists.
async fn check_named_tenant(
    pool: &DbPool,
    auth: &Authenticated,
    method: &Method,
    body: &[u8],
) -> Result<(), ApiError> {
    if !(method == Method::POST || method == Method::PUT) || !auth.actor.is_admin() {
        return Ok(());
    }
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_slice(body) else {
        return Ok(());
    };
    let Ok(Some(tenant)) = optional_id("tenantId", fields.remove("tenantId")) else {
        return Ok(());
    };
    match run_db(pool, move |conn| tenants::first_missing(conn, &[tenant])).await? {
        Some(missing) => Err(ApiError::invalid_field(
            "tenantId",
            format!("there is no tenant {missing}"),
        )),
        None => Ok(()),
    }
}

/// The tenant id oauth-apps matches no application with.
const NO_TENANT: i64 = 0;

/// The tenant filters of a query string, and its other parameters as they came (not
/// re-encoded).
#[derive(Debug, PartialEq, Eq)]
struct TenantFilter<'q> {
    name: Option<String>,
    id: Option<i64>,
    rest: Vec<&'q str>,
}

impl<'q> TenantFilter<'q> {
    fn parse(query: &'q str) -> Result<Self, ApiError> {
        let invalid = |message: String| ApiError::new(ErrorCode::InvalidQuery, message);
        let mut filter = TenantFilter {
            name: None,
            id: None,
            rest: Vec::new(),
        };
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match url::form_urlencoded::parse(pair.as_bytes()).next() {
                Some((key, value)) if key == "tenantName" => {
                    if filter.name.replace(value.into_owned()).is_some() {
                        return Err(invalid(
                            "Invalid value for 'tenantName': the parameter may be given only once"
                                .to_owned(),
                        ));
                    }
                }
                Some((key, value)) if key == "tenantId" => {
                    let id = parse_id(&value).ok_or_else(|| {
                        invalid(format!(
                            "Invalid value for 'tenantId': expected a positive whole number, found '{value}'"
                        ))
                    })?;
                    if filter.id.replace(id).is_some() {
                        return Err(invalid(
                            "Invalid value for 'tenantId': the parameter may be given only once"
                                .to_owned(),
                        ));
                    }
                }
                _ => filter.rest.push(pair),
            }
        }
        Ok(filter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_filters_are_split_off_and_the_rest_kept_as_sent() {
        let parse = |query| TenantFilter::parse(query).map_err(|e| e.message().to_owned());
        let filter = |name: Option<&str>, id, rest| TenantFilter {
            name: name.map(str::to_owned),
            id,
            rest,
        };
        assert_eq!(parse(""), Ok(filter(None, None, vec![])));
        assert_eq!(
            parse("tenantId=3&x=1"),
            Ok(filter(None, Some(3), vec!["x=1"]))
        );
        assert_eq!(
            parse("a=%20b&tenantName=Tenant%5FA&c"),
            Ok(filter(Some("Tenant_A"), None, vec!["a=%20b", "c"]))
        );
        assert_eq!(
            parse("tenant%4Eame=X&tenantId=007"),
            Ok(filter(Some("X"), Some(7), vec![]))
        );
        for bad in [
            "tenantName=A&tenantName=B",
            "tenantId=1&tenantId=2",
            "tenantId=0",
            "tenantId=-1",
            "tenantId=",
            "tenantId=abc",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn request_urls_keep_the_base_path_and_the_path_as_received() {
        let url = |base: &str, path, query| {
            Upstream::parse("X_URL", base, telemetry::Metrics::new().peers.of("x"))
                .unwrap()
                .path_and_query(path, query)
                .unwrap()
                .to_string()
        };
        assert_eq!(
            url("http://127.0.0.1:8081", "/api/mgmt/oauthapps/7", ""),
            "/api/mgmt/oauthapps/7"
        );
        assert_eq!(
            url(
                "http://h:1/apps/",
                "/api/mgmt/oauthapps",
                "a=%20b&user=x%2By"
            ),
            "/apps/api/mgmt/oauthapps?a=%20b&user=x%2By"
        );
        assert_eq!(
            url("http://h:1/apps", "/api/mgmt/oauthprofiles/17.0", ""),
            "/apps/api/mgmt/oauthprofiles/17.0"
        );
        let host = Upstream::parse(
            "X_URL",
            "http://oauth-apps:8081/apps",
            telemetry::Metrics::new().peers.of("x"),
        )
        .unwrap()
        .host;
        assert_eq!(host, "oauth-apps:8081");
    }
}
