//! The client-registration routes, one handler per file: the management API under
//! `/api/mgmt/...`, which the gateway forwards, and under `/internal/...`, which it does not, the
//! credential check (so that only services holding an internal token can test secrets) and the
//! purge of a deleted user's applications (the gateway's system token only).

mod create;
mod delete;
mod list;
mod owners;
mod purge_owner;
mod read;
mod reset;
mod update;
mod verify;

use actix_web::web;
use service_kit::method_not_allowed_route;

/// The management API routes [`configure`] registers, which the gateway forwards: (method,
/// path template). The gateway's tests check the OpenAPI document against them.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/mgmt/oauth/client/applications"),
    ("GET", "/api/mgmt/oauth/client/applications"),
    ("GET", "/api/mgmt/oauth/client/applications/{id}"),
    ("PUT", "/api/mgmt/oauth/client/applications/{id}"),
    ("DELETE", "/api/mgmt/oauth/client/applications/{id}"),
    ("PUT", "/api/mgmt/oauth/client/applications/{id}/reset"),
];

/// The routes [`configure`] registers for peers only; the gateway does not forward them.
pub const INTERNAL_ROUTES: &[(&str, &str)] = &[
    ("POST", "/internal/client-applications/verify"),
    ("DELETE", "/internal/owners/{id}"),
    ("GET", "/internal/owners"),
];

/// The routes; their handlers take a `web::Data` of the `DbPool` and of the `secrets::HashKey`
/// from the app data.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/mgmt/oauth/client/applications")
            .route(web::post().to(create::create))
            .route(web::get().to(list::list))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauth/client/applications/{id}")
            .route(web::get().to(read::read))
            .route(web::put().to(update::update))
            .route(web::delete().to(delete::delete))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauth/client/applications/{id}/reset")
            .route(web::put().to(reset::reset))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/client-applications/verify")
            .route(web::post().to(verify::verify))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/owners")
            .route(web::get().to(owners::owners))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/owners/{id}")
            .route(web::delete().to(purge_owner::purge_owner))
            .default_service(method_not_allowed_route()),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn the_route_lists_are_what_configure_registers() {
        test_support::assert_route_lists(configure, &[ROUTES, INTERNAL_ROUTES]).await;
    }
}
