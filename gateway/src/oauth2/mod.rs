//! The gateway's half of the authorization server: it authenticates *people* and renders
//! every page; client-registration authenticates clients and keeps every grant, code, token
//! and consent.
//!
//! By concern: [`authorize`] is the authorization endpoint (sign-in, consent, the Basic
//! POST), drawn by [`pages`] from the checks of [`params`]; [`sessions`] remembers a signed-in
//! browser and [`csrf`] keeps its forms its own; [`token`] checks the password grant's user;
//! [`bearer`] lets an access token stand for Basic credentials on `/api/mgmt`. The internal
//! API of client-registration is its client crate's (`client_registration_client::oauth2`).
//! The other endpoints (revoke, introspect, metadata, the other grants) are forwarded as they
//! are ([`crate::forward`]), with an Open-scope token.

pub mod authorize;
pub mod bearer;
pub mod csrf;
mod errors;
pub mod pages;
pub mod params;
pub mod sessions;
pub mod token;

use std::time::Duration;

use actix_web::web;
use client_registration_client::ClientRegistrationClient;
use db::DbPool;
use service_kit::StartError;

pub use errors::{from_api_error as oauth_error_of, oauth_error};

use crate::routes::{Decision, AUTHORIZE, TOKEN};

/// What the authorization endpoint and the Bearer acceptance share.
pub struct AuthorizationServer {
    peer: ClientRegistrationClient,
    keys: csrf::Keys,
    /// Whether cookies are `Secure` (`PUBLIC_URL` is https).
    secure_cookies: bool,
    /// `PUBLIC_URL`'s origin, as browsers send it in `Origin`.
    origin: String,
    bearer: bearer::BearerChecks,
}

impl AuthorizationServer {
    /// `client_registration`: its base URL; `public_url`: the gateway's; `check_ttl`: how long
    /// an access token's check is kept (the user cache's bound).
    pub fn new(
        pool: &DbPool,
        http: reqwest::Client,
        client_registration: &str,
        public_url: &str,
        check_ttl: Duration,
    ) -> Result<Self, StartError> {
        Ok(AuthorizationServer {
            peer: ClientRegistrationClient::new(http, client_registration),
            keys: csrf::Keys::load(pool)?,
            secure_cookies: public_url.starts_with("https://"),
            origin: url::Url::parse(public_url)
                .map(|url| url.origin().ascii_serialization())
                .unwrap_or_default(),
            bearer: bearer::BearerChecks::new(check_ttl),
        })
    }
}

/// The routes of the authorization server the gateway answers itself (the others are
/// client-registration's, forwarded: `client_registration::OAUTH2_ROUTES`).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", AUTHORIZE[0]),
    ("POST", AUTHORIZE[0]),
    ("GET", AUTHORIZE[1]),
    ("POST", AUTHORIZE[1]),
];

/// The endpoints the gateway answers itself; registered before `/api`. One resource per path:
/// a resource given several paths is matched with a regex set (actix-router), which cost every
/// request, whatever its path, more than the rest of the routing together.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for path in AUTHORIZE {
        cfg.service(
            web::resource(path)
                .route(web::get().to(authorize::authorize))
                .route(web::post().to(authorize::authorize))
                .default_service(web::to(wrong_method)),
        );
    }
    for path in TOKEN {
        cfg.service(
            web::resource(path)
                .route(web::post().to(token::token))
                .default_service(web::to(token::token)),
        );
    }
}

/// 405 on the authorize endpoint, as an RFC 6749 error with `Allow`.
async fn wrong_method(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    crate::forward::method_not_allowed_for(&req, &Decision::of(&req))
}
