//! The oauth-profiles routes, one handler per file: the management API under `/api/mgmt/...`,
//! which the gateway forwards, and under `/internal/...`, which it does not, what peers ask: how
//! many profiles use an OAuth application (oauth-apps, before deleting or moving one), the
//! purge of a deleted user's profiles, and what the consistency check reads and repairs (the
//! gateway's system token only).

mod audit;
mod callback;
mod connect;
mod create;
mod delete;
mod list;
mod purge_owner;
mod read;
mod refresh;
mod token;
mod update;
mod usage;

use actix_web::web;
use service_kit::method_not_allowed_route;

/// The management API routes [`configure`] registers, which the gateway forwards: (method,
/// path template). The gateway's tests check the OpenAPI document against them.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/mgmt/oauthprofiles"),
    ("GET", "/api/mgmt/oauthprofiles"),
    ("GET", "/api/mgmt/oauthprofiles/{id}"),
    ("PUT", "/api/mgmt/oauthprofiles/{id}"),
    ("DELETE", "/api/mgmt/oauthprofiles/{id}"),
    ("GET", "/api/mgmt/oauthprofiles/connect"),
    ("GET", "/api/mgmt/oauthprofiles/callback"),
    ("POST", "/api/mgmt/oauthprofiles/{id}/refresh"),
    ("GET", "/api/mgmt/oauthprofiles/{id}/token"),
];

/// The routes [`configure`] registers for peers only; the gateway does not forward them.
pub const INTERNAL_ROUTES: &[(&str, &str)] = &[
    ("GET", "/internal/oauth-apps/{id}/usage"),
    ("DELETE", "/internal/owners/{id}"),
    ("GET", "/internal/profiles"),
    ("DELETE", "/internal/profiles/{id}"),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/mgmt/oauthprofiles")
            .route(web::post().to(create::create))
            .route(web::get().to(list::list))
            .default_service(method_not_allowed_route()),
    )
    // Before `/{id}`, which would take their last segment for an id.
    .service(
        web::resource("/api/mgmt/oauthprofiles/connect")
            .route(web::get().to(connect::connect))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauthprofiles/callback")
            .route(web::get().to(callback::callback))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauthprofiles/{id}/refresh")
            .route(web::post().to(refresh::refresh))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauthprofiles/{id}/token")
            .route(web::get().to(token::token))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauthprofiles/{id}")
            .route(web::get().to(read::read))
            .route(web::put().to(update::update))
            .route(web::delete().to(delete::delete))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/oauth-apps/{id}/usage")
            .route(web::get().to(usage::usage))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/owners/{id}")
            .route(web::delete().to(purge_owner::purge_owner))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/profiles")
            .route(web::get().to(audit::links))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/profiles/{id}")
            .route(web::delete().to(audit::delete_unlinked))
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
