//! Authentication of the requests that need it, in the gateway's middleware.

use std::future::Future;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};
use api_common::ApiError;

use super::authenticator::{describe, Authenticated, Authenticator};
use crate::oauth2::bearer::bearer_token;
use crate::oauth2::AuthorizationServer;
use crate::on_behalf;
use crate::routes::{Credentials, Decision};

/// Authentication, in the gateway's one middleware ([`crate::front`]) after the route is
/// decided ([`crate::routes::decide`]), before `serve` (the routes): a request whose route needs
/// Basic credentials ([`Credentials::Basic`]) gets 401 unless it carries valid ones; then
/// `?user=` is resolved where the route honours it (403 or 400 when refused), and an
/// [`Authenticated`] is left in the request extensions. Open routes pass as they are.
///
/// After an authenticated request that may have changed identities (a write where the route
/// table says so: users, and tenants, whose deletion changes who administers what), the
/// remembered user rows are forgotten, so that the change counts from the next request on,
/// whatever the answer: a refused or failed write costs only a read of each user's row, and a
/// user deletion that ends in 503 has already deactivated the user. Only authenticated
/// requests do this: an anonymous one cannot empty the cache.
///
/// Likewise, after an authenticated write that may have revoked access tokens (client
/// applications deleted or their secrets reset, consents withdrawn), the token checks kept are
/// forgotten, so that the revocation counts on this replica from the next request on; other
/// replicas forget theirs within `GATEWAY_USER_CACHE_MS`.
///
/// A refusal is answered here as a response rather than an error, so that the access log
/// records it (with the caller, once known) like any other answer.
pub async fn authenticate<B, F, Fut>(
    req: ServiceRequest,
    serve: F,
) -> Result<ServiceResponse<BoxBody>, Error>
where
    B: MessageBody + 'static,
    F: FnOnce(ServiceRequest) -> Fut,
    Fut: Future<Output = Result<ServiceResponse<B>, Error>>,
{
    let decision = Decision::of(req.request());
    if matches!(
        decision.area.credentials,
        Credentials::None | Credentials::OAuth
    ) {
        return Ok(serve(req).await?.map_into_boxed_body());
    }
    let Some(authenticator) = req.app_data::<web::Data<Authenticator>>() else {
        let missing = ApiError::internal("no Authenticator configured");
        return Ok(req.error_response(missing));
    };
    let authenticated = match identify(&req, authenticator, &decision).await {
        Ok(authenticated) => authenticated,
        Err(refused) => return Ok(req.into_response(refused)),
    };
    // Kept past `serve` only by the writes that need them afterwards: a clone is a reference
    // count that the workers share, which every request would otherwise write twice.
    let changes_identities = decision
        .changes_identities(req.method())
        .then(|| authenticator.clone());
    let revokes_tokens = match decision.revokes_tokens(req.method()) {
        true => req.app_data::<web::Data<AuthorizationServer>>().cloned(),
        false => None,
    };
    req.extensions_mut().insert(authenticated);
    let response = serve(req).await;
    if let Some(authenticator) = changes_identities {
        authenticator.users_changed();
    }
    if let Some(server) = revokes_tokens {
        server.tokens_revoked();
    }
    Ok(response?.map_into_boxed_body())
}

/// Who the request comes from and whom it acts for; the refusal's answer otherwise.
async fn identify(
    req: &ServiceRequest,
    authenticator: &Authenticator,
    decision: &Decision,
) -> Result<Authenticated, HttpResponse> {
    let caller = match bearer_token(req.headers()) {
        // An OAuth access token, where the area takes one; elsewhere it is no Basic
        // credential, and the 401 asks for Basic.
        Some(token) if decision.area.bearer => {
            let Some(server) = req.app_data::<web::Data<AuthorizationServer>>() else {
                return Err(
                    ApiError::internal("no AuthorizationServer configured").error_response()
                );
            };
            server
                .bearer_user(authenticator, token)
                .await
                .map_err(|refused| refused.response())?
        }
        _ => authenticator
            .authenticate(req.headers())
            .await
            .map_err(|e| e.error_response())?,
    };
    // In the extensions before `?user=` is decided, so that the access log names the caller
    // of a refused request too.
    req.extensions_mut().insert(Authenticated {
        actor: caller.clone(),
        on_behalf_of: None,
    });
    // A method the path does not take is answered 405 next (forward, or the route's
    // fallback), whatever `?user=` says: it is not looked up for such a request.
    let honoured = decision.area.on_behalf && !decision.wrong_method(req.method());
    let requested = match honoured {
        true => on_behalf::requested_user(req.query_string()).map_err(|e| e.error_response())?,
        false => None,
    }
    .filter(|name| *name != caller.user_name);
    let Some(name) = requested else {
        return Ok(Authenticated {
            actor: caller,
            on_behalf_of: None,
        });
    };
    // Boxed: acting on behalf of another is the rare case (see `Authenticator::verify`).
    let subject = Box::pin(authenticator.on_behalf(&caller, &name))
        .await
        .inspect_err(|err| {
            log::info!(
                "{} was refused acting on behalf of {name:?} on {} {}: {}",
                describe(&caller),
                req.method(),
                req.path(),
                err.message()
            );
        })
        .map_err(|e| e.error_response())?;
    let authenticated = Authenticated {
        actor: caller,
        on_behalf_of: Some(subject),
    };
    log::info!(
        "{} {} {}",
        authenticated.describe(),
        req.method(),
        req.path()
    );
    Ok(authenticated)
}
