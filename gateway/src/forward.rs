//! Forwarding of authenticated requests to the service that owns the path.
//!
//! One shared keep-alive client with timeouts (built at start-up). Method, path, query string,
//! `Content-Type`, `Accept` and the body go to the service with the caller's internal token in
//! place of their Basic credentials; status, `Content-Type` and body come back. A service that
//! cannot be reached is 503, one too slow is 504, both in the envelope.
//!
//! The token carries the request's subject and, with `?user=`, its actor
//! ([`crate::on_behalf`]). One query parameter is translated on the way: oauth-apps filters its
//! list by tenant id, so `GET /api/mgmt/oauthapps?tenantName=X` goes on as `tenantId=<id of X>`
//! from the gateway's tenants table, or `tenantId=0` (which matches nothing) when there is no
//! tenant X, so that the answer does not reveal which tenants exist.

use std::borrow::Cow;

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use api_common::http::mark_enveloped;
use api_common::{ApiError, ErrorCode};
use db::{run_db, DbPool};

use crate::auth::{Authenticated, Authenticator};
use crate::models::tenants;

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
        let owns = |prefix: &str| is_under(path, prefix);
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

/// Whether `path` is `prefix` or below it (`/a/b` is under `/a`, `/ab` is not).
pub fn is_under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Forwards any authenticated `/api` request; a path no service owns is 404.
pub async fn forward(
    req: HttpRequest,
    body: web::Bytes,
    auth: Authenticated,
    upstreams: web::Data<Upstreams>,
    authenticator: web::Data<Authenticator>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, ApiError> {
    let Some((service, base)) = upstreams.route(req.path()) else {
        return Err(ApiError::new(
            ErrorCode::RouteNotFound,
            format!("No resource at '{}'", req.path()),
        ));
    };
    let query = translate_tenant_name(&pool, req.method(), req.path(), req.query_string()).await?;
    let token = authenticator.token_for(&auth)?;
    let method = reqwest::Method::from_bytes(req.method().as_str().as_bytes())
        .map_err(ApiError::internal)?;
    let mut url = format!("{base}{}", req.path());
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
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
    // The URL's query string may name a user: the service's name says enough.
    let err = err.without_url();
    if err.is_timeout() {
        ApiError::timeout(service, err)
    } else {
        ApiError::unavailable(service, err)
    }
}

/// The query string to send on: for `GET /api/mgmt/oauthapps?tenantName=X`, `tenantName`
/// replaced by `tenantId`; otherwise as it came.
async fn translate_tenant_name<'q>(
    pool: &DbPool,
    method: &Method,
    path: &str,
    query: &'q str,
) -> Result<Cow<'q, str>, ApiError> {
    if method != Method::GET || path != "/api/mgmt/oauthapps" {
        return Ok(Cow::Borrowed(query));
    }
    let Some((name, rest)) = split_tenant_name(query)? else {
        return Ok(Cow::Borrowed(query));
    };
    let id = run_db(pool, move |conn| tenants::id_by_name(conn, &name))
        .await?
        .unwrap_or(0);
    let mut pairs = rest;
    let tenant_id = format!("tenantId={id}");
    pairs.push(&tenant_id);
    Ok(Cow::Owned(pairs.join("&")))
}

/// The `tenantName` of a query string and its other parameters as they came (not re-encoded),
/// or `None` without `tenantName`.
fn split_tenant_name(query: &str) -> Result<Option<(String, Vec<&str>)>, ApiError> {
    let mut names = Vec::new();
    let mut rest = Vec::new();
    let mut has_tenant_id = false;
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        match url::form_urlencoded::parse(pair.as_bytes()).next() {
            Some((key, value)) if key == "tenantName" => names.push(value.into_owned()),
            Some((key, _)) => {
                has_tenant_id |= key == "tenantId";
                rest.push(pair);
            }
            None => rest.push(pair),
        }
    }
    let invalid = |message: &str| ApiError::new(ErrorCode::InvalidQuery, message);
    match names.len() {
        0 => Ok(None),
        1 if has_tenant_id => Err(invalid(
            "Invalid query: give either 'tenantId' or 'tenantName', not both",
        )),
        1 => Ok(names.pop().map(|name| (name, rest))),
        _ => Err(invalid(
            "Invalid value for 'tenantName': the parameter may be given only once",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_are_split_off_and_the_rest_kept_as_sent() {
        assert_eq!(split_tenant_name("").unwrap(), None);
        assert_eq!(split_tenant_name("tenantId=3&x=1").unwrap(), None);
        assert_eq!(
            split_tenant_name("a=%20b&tenantName=Tenant%5FA&c").unwrap(),
            Some(("Tenant_A".to_owned(), vec!["a=%20b", "c"]))
        );
        assert_eq!(
            split_tenant_name("tenant%4Eame=X").unwrap(),
            Some(("X".to_owned(), vec![]))
        );
        assert!(split_tenant_name("tenantName=A&tenantName=B").is_err());
        assert!(split_tenant_name("tenantName=A&tenantId=2").is_err());
    }

    #[test]
    fn paths_are_owned_by_segment() {
        assert!(is_under("/api/mgmt/oauthapps", "/api/mgmt/oauthapps"));
        assert!(is_under("/api/mgmt/oauthapps/3", "/api/mgmt/oauthapps"));
        assert!(!is_under("/api/mgmt/oauthappsx", "/api/mgmt/oauthapps"));
    }
}
