//! `POST /oauth2/token` (and under `/api/mgmt`): forwarded to client-registration, which
//! authenticates the client and issues tokens; for the password grant the gateway first checks
//! the person's `username` and `password` (slowed per user name:
//! [`crate::password_slowing`]), then forwards the form without `password`, with an internal
//! token of that user, which is how client-registration knows the check was made.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use api_common::{ApiError, ErrorCode};
use internal_auth::Service;

use super::errors::{from_api_error, oauth_error};
use crate::auth::{Authenticated, Authenticator};
use crate::forward::{method_not_allowed_for, relay, route_and_owner, Upstreams};
use crate::routes::Decision;

/// Largest token request read, in bytes: a few short fields.
pub const FORM_MAX: usize = 16 * 1024;

/// The token endpoint.
pub async fn token(
    req: HttpRequest,
    body: web::Bytes,
    upstreams: web::Data<Upstreams>,
    authenticator: web::Data<Authenticator>,
) -> HttpResponse {
    match exchange(&req, body, &upstreams, &authenticator).await {
        Ok(answer) => answer,
        Err(err) => from_api_error(&err),
    }
}

async fn exchange(
    req: &HttpRequest,
    body: web::Bytes,
    upstreams: &Upstreams,
    authenticator: &Authenticator,
) -> Result<HttpResponse, ApiError> {
    let decision = Decision::of(req);
    let Some((route, target)) = route_and_owner(req, &decision)? else {
        return Ok(method_not_allowed_for(req, &decision));
    };
    if body.len() > FORM_MAX {
        return Ok(oauth_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "The request body is too large",
        ));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let pairs: Vec<(String, String)> = match is_form {
        true => url::form_urlencoded::parse(&body).into_owned().collect(),
        false => Vec::new(),
    };
    let values = |name: &str| -> Vec<&str> {
        pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .collect()
    };
    if values("grant_type").as_slice() != ["password"] {
        // A password sent with another grant (or with `grant_type` twice, which
        // client-registration refuses) is no business of client-registration's either.
        let body = match values("password").is_empty() {
            true => body,
            false => without_password(&pairs),
        };
        let token = authenticator.open_route_token(target)?;
        return relay(
            req,
            &decision,
            upstreams,
            &route,
            target,
            &token,
            req.query_string(),
            body,
        )
        .await;
    }
    let (user_name, password) = match (values("username").as_slice(), values("password").as_slice())
    {
        ([user_name], [password]) if !user_name.is_empty() => (*user_name, *password),
        _ => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The password grant needs 'username' and 'password', each once",
            ))
        }
    };
    let identity = match authenticator.sign_in(user_name, password.to_owned()).await {
        Ok(identity) => identity,
        Err(err) if err.code() == ErrorCode::Unauthenticated => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Invalid user name or password",
            ))
        }
        Err(err) => return Err(err),
    };
    let token = authenticator.token_for(
        &Authenticated {
            actor: identity,
            on_behalf_of: None,
        },
        Service::ClientRegistration,
    )?;
    debug_assert_eq!(target, Service::ClientRegistration);
    relay(
        req,
        &decision,
        upstreams,
        &route,
        target,
        &token,
        req.query_string(),
        without_password(&pairs),
    )
    .await
}

/// The form of `pairs` without its `password` fields: a password never leaves the gateway.
fn without_password(pairs: &[(String, String)]) -> web::Bytes {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs.iter().filter(|(name, _)| name != "password") {
        form.append_pair(name, value);
    }
    web::Bytes::from(form.finish())
}
