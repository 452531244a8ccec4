//! The service side: verify the token once per request, hand handlers a [`Caller`].

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest};
use api_common::error::Challenge;
use api_common::ApiError;

use crate::{Identity, TokenVerifier};

/// The verified caller of a request, with the token it came with (to pass on to peers).
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    token: String,
}

impl Caller {
    /// The caller's internal token, for a call to a peer service on the caller's behalf.
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl std::ops::Deref for Caller {
    type Target = Identity;

    fn deref(&self) -> &Identity {
        &self.identity
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(req.extensions().get::<Caller>().cloned().ok_or_else(|| {
            ApiError::unauthenticated(Challenge::Bearer, "A valid internal token is required")
        }))
    }
}

/// Middleware: a request without a valid internal token gets 401 in the envelope.
///
/// Expects a `web::Data<TokenVerifier>` in the app data.
pub async fn require_token(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let caller = authenticate(&req)?;
    req.extensions_mut().insert(caller);
    next.call(req).await
}

fn authenticate(req: &ServiceRequest) -> Result<Caller, ApiError> {
    let unauthenticated =
        |message: &str| ApiError::unauthenticated(Challenge::Bearer, message.to_owned());
    let verifier = req
        .app_data::<web::Data<TokenVerifier>>()
        .ok_or_else(|| ApiError::internal("no TokenVerifier configured"))?;
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or_else(|| unauthenticated("A valid internal token is required"))?;
    let identity = verifier.verify(token).map_err(|err| {
        log::debug!("rejected an internal token: {err}");
        unauthenticated("The internal token is invalid or has expired")
    })?;
    Ok(Caller {
        identity,
        token: token.to_owned(),
    })
}
