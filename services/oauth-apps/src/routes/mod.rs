//! The oauth-apps routes, one handler per file: the management API under `/api/mgmt/...`,
//! which the gateway forwards, and under `/internal/...`, which it does not, the purge of a
//! deleted tenant's applications and what the consistency check reads (the gateway's system
//! token only).

mod create;
mod delete;
mod list;
mod placements;
mod provider;
mod purge_tenant;
mod read;
mod update;

use actix_web::web;
use service_kit::method_not_allowed_route;

/// The management API routes [`configure`] registers, which the gateway forwards: (method,
/// path template). The gateway's tests check the OpenAPI document against them.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/mgmt/oauthapps"),
    ("GET", "/api/mgmt/oauthapps"),
    ("GET", "/api/mgmt/oauthapps/{id}"),
    ("PUT", "/api/mgmt/oauthapps/{id}"),
    ("DELETE", "/api/mgmt/oauthapps/{id}"),
];

/// The routes [`configure`] registers for peers only; the gateway does not forward them:
/// oauth-profiles' read of an application's client credentials, and the gateway's purge of a
/// deleted tenant and its consistency check's read (system token only).
pub const INTERNAL_ROUTES: &[(&str, &str)] = &[
    ("GET", "/internal/oauth-apps/{id}/provider"),
    ("GET", "/internal/applications"),
    ("DELETE", "/internal/tenants/{id}"),
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/mgmt/oauthapps")
            .route(web::post().to(create::create))
            .route(web::get().to(list::list))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauthapps/{id}")
            .route(web::get().to(read::read))
            .route(web::put().to(update::update))
            .route(web::delete().to(delete::delete))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/oauth-apps/{id}/provider")
            .route(web::get().to(provider::provider))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/applications")
            .route(web::get().to(placements::placements))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/tenants/{id}")
            .route(web::delete().to(purge_tenant::purge_tenant))
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
