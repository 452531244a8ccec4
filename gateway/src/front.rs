//! The gateway's one middleware, in front of every route. In order:
//! 1. the request's id, the access log and the metrics ([`telemetry::observed`]);
//! 2. the envelope guard: an error answer not in the envelope gets it
//!    ([`api_common::http::guard_envelope`]);
//! 3. paths in canonical form only: anything else is 400 ([`api_common::paths`]);
//! 4. the route, decided once ([`crate::routes::decide`]);
//! 5. credentials where the route needs them, then `?user=` ([`crate::auth::authenticate`]).
//!
//! One layer rather than five: each middleware layer costs every request a boxed future and a
//! call through `dyn`, which together cost more than the work of most layers.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;
use api_common::http::guard_envelope;
use api_common::paths::check_canonical;

use crate::{auth, routes};

/// See the module.
pub async fn front(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    telemetry::observed(req, |req| async move {
        let response = match check_canonical(req.uri().path()) {
            Ok(()) => {
                routes::decide(&req);
                auth::authenticate(req, |req| next.call(req)).await?
            }
            Err(refused) => req.error_response(refused),
        };
        Ok(guard_envelope(response))
    })
    .await
}
