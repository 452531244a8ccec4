//! Forwarding of authenticated requests to the service that owns the path.
//!
//! One shared keep-alive client with timeouts (built at start-up). Method, path, query string,
//! `Content-Type`, `Accept` and the body go to the service with the caller's internal token in
//! place of their Basic credentials; status, `Content-Type` and body come back. A service that
//! cannot be reached is 503, one too slow is 504, both in the envelope.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use api_common::http::mark_enveloped;
use api_common::{ApiError, ErrorCode};

use crate::auth::Authenticated;

/// The services' base URLs and the client that reaches them.
pub struct Upstreams {
    pub http: reqwest::Client,
    pub oauth_apps: String,
    pub oauth_profiles: String,
    pub client_registration: String,
}

impl Upstreams {
    /// The service owning `path`, by name and base URL.
    fn route(&self, path: &str) -> Option<(&'static str, &str)> {
        let owns = |prefix: &str| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if owns("/api/mgmt/oauthapps") {
            Some(("oauth-apps service", &self.oauth_apps))
        } else if owns("/api/mgmt/oauthprofiles") {
            Some(("oauth-profiles service", &self.oauth_profiles))
        } else if owns("/api/mgmt/oauth/client/applications") {
            Some(("client-registration service", &self.client_registration))
        } else {
            None
        }
    }
}

/// Forwards any authenticated `/api` request; a path no service owns is 404.
pub async fn forward(
    req: HttpRequest,
    body: web::Bytes,
    upstreams: web::Data<Upstreams>,
) -> Result<HttpResponse, ApiError> {
    let Some((service, base)) = upstreams.route(req.path()) else {
        return Err(ApiError::new(
            ErrorCode::RouteNotFound,
            format!("No resource at '{}'", req.path()),
        ));
    };
    let token = req
        .extensions()
        .get::<Authenticated>()
        .map(|a| a.token.clone())
        .ok_or_else(|| ApiError::internal("forward reached without authentication"))?;
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(ApiError::internal)?;
    let mut url = format!("{base}{}", req.path());
    if !req.query_string().is_empty() {
        url.push('?');
        url.push_str(req.query_string());
    }
    let mut outgoing = upstreams.http.request(method, url).bearer_auth(token);
    for name in [header::CONTENT_TYPE, header::ACCEPT] {
        if let Some(value) = req.headers().get(&name) {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    if !body.is_empty() {
        outgoing = outgoing.body(body);
    }
    let response = outgoing.send().await.map_err(|e| peer_error(service, e))?;

    let status = StatusCode::from_u16(response.status().as_u16())
        .map_err(|e| ApiError::internal(format!("{service} answered a bad status: {e}")))?;
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.as_bytes().to_vec());
    let bytes = response.bytes().await.map_err(|e| peer_error(service, e))?;

    let mut reply = HttpResponse::build(status);
    let is_json = content_type
        .as_deref()
        .is_some_and(|ct| ct.starts_with(b"application/json"));
    if let Some(content_type) = content_type {
        reply.insert_header((header::CONTENT_TYPE, content_type));
    }
    let mut reply = reply.body(bytes);
    // A service's errors are already in the envelope; anything else is rewrapped by the guard.
    if is_json && !status.is_success() {
        mark_enveloped(&mut reply);
    }
    Ok(reply)
}

fn peer_error(service: &str, err: reqwest::Error) -> ApiError {
    if err.is_timeout() {
        ApiError::timeout(service, err)
    } else {
        ApiError::unavailable(service, err)
    }
}
