//! The identity administration API, served by the gateway itself from its own database:
//! `/api/admin/tenants` and `/api/admin/users`, one handler per file.
//!
//! These routes sit inside the authenticated `/api` scope, so every handler takes the caller as
//! an [`Authenticated`](crate::auth::Authenticated) argument. The rules on what a request may
//! contain and who may do what are in [`domain`]; the queries in [`crate::models`].

pub mod domain;
mod tenants;
mod users;

use actix_web::web;
use client_registration_client::ClientRegistrationClient;
use oauth_profiles_client::OauthProfilesClient;
use service_kit::method_not_allowed_route;

/// The services that hold rows owned by a user, asked to purge them when the user is deleted.
#[derive(Debug, Clone)]
pub struct OwnerPurge {
    pub oauth_profiles: OauthProfilesClient,
    pub client_registration: ClientRegistrationClient,
}

/// Registers the admin routes; called inside the `/api` scope, before its forwarding default.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/tenants")
            .route(web::post().to(tenants::create::create))
            .route(web::get().to(tenants::list::list))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/admin/tenants/{id}")
            .route(web::get().to(tenants::read::read))
            .route(web::put().to(tenants::update::update))
            .route(web::delete().to(tenants::delete::delete))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/admin/users")
            .route(web::post().to(users::create::create))
            .route(web::get().to(users::list::list))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/admin/users/{id}")
            .route(web::get().to(users::read::read))
            .route(web::put().to(users::update::update))
            .route(web::delete().to(users::delete::delete))
            .default_service(method_not_allowed_route()),
    );
}
