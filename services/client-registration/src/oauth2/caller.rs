//! Who may reach the public OAuth routes (token, revoke, introspect, metadata).
//!
//! The gateway forwards them with its open-route token ([`internal_auth::Scope::Open`],
//! addressed to client-registration's public surface only: `Service::open_route_audiences`),
//! except the password grant, which it forwards with the token of the user whose password it
//! has just checked. So these routes take either ([`OauthCaller`]), and only these: every
//! management route takes [`internal_auth::Caller`], which refuses open tokens, and the
//! internal routes take [`internal_auth::PeerCaller`], which an open token (not addressed to
//! the internal surface) does not open either.

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::FutureExt;
use internal_auth::{Caller, OpenCaller};

use crate::oauth2::error::OauthError;

/// The caller of a public OAuth route; a refusal is an RFC 6749 error, not the envelope.
#[derive(Debug, Clone)]
pub enum OauthCaller {
    /// The gateway's open-route token: no user behind the request.
    Open,
    /// A user's token: the gateway checked this user's password (the password grant).
    User(Box<Caller>),
}

impl FromRequest for OauthCaller {
    type Error = OauthError;
    type Future = Ready<Result<Self, OauthError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Both extractors answer at once (`Ready`).
        let open = OpenCaller::from_request(req, payload).now_or_never();
        if matches!(open, Some(Ok(_))) {
            return ready(Ok(OauthCaller::Open));
        }
        ready(match Caller::from_request(req, payload).now_or_never() {
            Some(Ok(caller)) => Ok(OauthCaller::User(Box::new(caller))),
            _ => Err(OauthError::access_denied(
                "This route is reached through the gateway only",
            )),
        })
    }
}
