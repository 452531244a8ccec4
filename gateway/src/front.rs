//! The gateway's one middleware, in front of every route. In order:
//! 1. the request's id, the access log and the metrics ([`telemetry::observed`]);
//! 2. the envelope guard: an error answer not in the envelope gets it
//!    ([`api_common::http::guard_envelope`]);
//! 3. paths in canonical form only: anything else is 400 ([`api_common::paths`]);
//! 4. the route, decided once ([`crate::routes::decide`]);
//! 5. credentials where the route needs them, then `?user=` ([`crate::auth::authenticate`]);
//! 6. a request in an area that is forwarded whole goes to its service from here
//!    ([`crate::forward::serve`]); any other goes through actix's routes.
//!
//! One layer rather than five: each middleware layer costs every request a boxed future and a
//! call through `dyn`, which together cost more than the work of most layers.

use std::future::Future;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;
use api_common::http::guard_envelope;
use api_common::paths::check_canonical;

use crate::{auth, forward, routes};

/// See the module.
pub fn front<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> impl Future<Output = Result<ServiceResponse<BoxBody>, Error>> {
    // A function that returns the future rather than an `async fn` that awaits it: the future
    // is not held twice (see `telemetry::scope`).
    telemetry::observed(req, move |req| checked(req, next))
}

/// Steps 2 to 6 of the module's list.
async fn checked<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let response = match check_canonical(req.uri().path()) {
        Ok(()) => match routes::decide(&req).forwarded_whole() {
            // Straight to the service: actix's route lookup would end in the same place.
            true => auth::authenticate(req, forward::serve).await?,
            false => auth::authenticate(req, |req| next.call(req)).await?,
        },
        Err(refused) => req.error_response(refused),
    };
    Ok(guard_envelope(response))
}
