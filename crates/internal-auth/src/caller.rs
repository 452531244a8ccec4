//! The service side: verify the token once per request, hand handlers a [`Caller`].

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest};
use api_common::error::Challenge;
use api_common::ApiError;

use crate::{Identity, Scope, Surfaces, TokenVerifier};

/// The verified caller of a request, with the token it came with (to pass on to peers).
///
/// It derefs to the *subject*, the user whose resources the request reads and writes (the
/// owner). Permission checks use [`Caller::actor`], the user who actually called: the same
/// user, or the administrator acting on the subject's behalf with `?user=`.
#[derive(Debug, Clone)]
pub struct Caller {
    pub identity: Identity,
    actor: Option<Identity>,
    scope: Scope,
    opens: Surfaces,
    token: String,
}

impl Caller {
    /// The caller's internal token, for a call to a peer service on the caller's behalf.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Who actually called: the subject, or the user acting on their behalf.
    pub fn actor(&self) -> &Identity {
        self.actor.as_ref().unwrap_or(&self.identity)
    }

    /// Whether the request acts on behalf of another user.
    pub fn on_behalf(&self) -> bool {
        self.actor.is_some()
    }

    /// 403 unless this is the gateway's own system token (an open route's token is not).
    pub fn require_system(&self) -> Result<(), ApiError> {
        match self.scope {
            Scope::System => Ok(()),
            Scope::User | Scope::Open => Err(ApiError::forbidden(
                "This operation is reserved to the gateway",
            )),
        }
    }

    /// What the token allows.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// 403 unless this is a user's token addressed to this service's public routes: the
    /// gateway's system token carries no user, and a token minted for another service (or
    /// only for this one's internal routes) does not open them.
    fn require_public(&self) -> Result<(), ApiError> {
        match self.scope {
            Scope::User if self.opens.public => Ok(()),
            Scope::User => Err(ApiError::forbidden(
                "The internal token is not addressed to this service",
            )),
            Scope::System | Scope::Open => Err(ApiError::forbidden("A user token is required")),
        }
    }

    /// 403 unless the token is addressed to this service's internal routes: a peer calling
    /// with the caller's token, or the gateway's system token. The token of a request the
    /// gateway forwards to this very service never is.
    fn require_internal(&self) -> Result<(), ApiError> {
        match self.opens.internal {
            true => Ok(()),
            false => Err(ApiError::forbidden(
                "This route is reserved to the other services",
            )),
        }
    }

    /// "user 7 (alice)", or "user 1 (admin) on behalf of user 7 (alice)", for logs.
    pub fn describe(&self) -> String {
        let subject = format!(
            "user {} ({})",
            self.identity.user_id, self.identity.user_name
        );
        match &self.actor {
            Some(actor) => format!(
                "user {} ({}) on behalf of {subject}",
                actor.user_id, actor.user_name
            ),
            None => subject,
        }
    }
}

impl std::ops::Deref for Caller {
    type Target = Identity;

    fn deref(&self) -> &Identity {
        &self.identity
    }
}

/// The caller of an internal route (`/internal/...`): a peer service with the token of the
/// user it acts for, or the gateway's system token. Plain [`Caller`] is for public routes: it
/// refuses system tokens, so user routes never run without a user, and tokens not addressed
/// to them.
#[derive(Debug, Clone)]
pub struct PeerCaller(pub Caller);

impl FromRequest for PeerCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(verified_caller(req).and_then(|caller| {
            caller.require_internal()?;
            Ok(PeerCaller(caller))
        }))
    }
}

/// The caller of a public route that takes no user credentials (the OAuth connect callback,
/// authenticated by its `state`): the gateway's token for an open route, system scope and
/// addressed to this service's public surface. A user's token does not open such a route,
/// and neither does the gateway's maintenance token (addressed to internal surfaces only).
#[derive(Debug, Clone)]
pub struct OpenCaller(pub Caller);

impl FromRequest for OpenCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(verified_caller(req).and_then(|caller| match caller.scope {
            Scope::Open if caller.opens.public => Ok(OpenCaller(caller)),
            _ => Err(ApiError::forbidden(
                "This route is reached through the gateway's open route only",
            )),
        }))
    }
}

fn verified_caller(req: &HttpRequest) -> Result<Caller, ApiError> {
    req.extensions().get::<Caller>().cloned().ok_or_else(|| {
        ApiError::unauthenticated(Challenge::Bearer, "A valid internal token is required")
    })
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(verified_caller(req).and_then(|caller| {
            caller.require_public()?;
            Ok(caller)
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
    let verified = verifier.verify(token).map_err(|err| {
        log::debug!("rejected an internal token: {err}");
        unauthenticated("The internal token is invalid or has expired")
    })?;
    Ok(Caller {
        identity: verified.subject,
        actor: verified.actor,
        scope: verified.scope,
        opens: verified.opens,
        token: token.to_owned(),
    })
}
