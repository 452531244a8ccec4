//! The oauth-profiles routes, one handler per file: the management API under `/api/mgmt/...`,
//! which the gateway forwards, and under `/internal/...`, which it does not, what peers ask: how
//! many profiles use an OAuth application (oauth-apps, before deleting or moving one) and the
//! purge of a deleted user's profiles (the gateway's system token only).

mod create;
mod delete;
mod list;
mod purge_owner;
mod read;
mod update;
mod usage;

use actix_web::web;
use service_kit::method_not_allowed_route;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/api/mgmt/oauthprofiles")
            .route(web::post().to(create::create))
            .route(web::get().to(list::list))
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
    );
}
