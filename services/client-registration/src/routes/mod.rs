//! The client-registration routes, one handler per file.

mod create;
mod delete;
mod list;
mod read;
mod reset;
mod update;

use actix_web::web;
use service_kit::method_not_allowed_route;

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
    );
}
