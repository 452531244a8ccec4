//! The identity administration API, served by the gateway itself from its own database:
//! `/api/admin/tenants` and `/api/admin/users`, one handler per file.
//!
//! These routes sit inside the authenticated `/api` scope, so every handler takes the caller as
//! an [`Authenticated`](crate::auth::Authenticated) argument. A handler parses the request and
//! decides who may make it ([`domain`]), calls one store function of the `identity` crate,
//! which owns the transaction and the rules that span rows, and renders the answer
//! ([`views`]).

pub mod domain;
mod tenants;
mod users;
pub mod views;

use actix_web::web;
use client_registration_client::ClientRegistrationClient;
use oauth_apps_client::OauthAppsClient;
use oauth_profiles_client::OauthProfilesClient;

use crate::routes::reject_method;

/// The services that hold rows owned by a user, asked to purge them when the user is deleted,
/// and oauth-apps, asked to purge a deleted tenant's applications.
#[derive(Debug, Clone)]
pub struct OwnerPurge {
    pub oauth_profiles: OauthProfilesClient,
    pub client_registration: ClientRegistrationClient,
    pub oauth_apps: OauthAppsClient,
}

/// The routes [`configure`] registers, as the public sees them (inside the `/api` scope):
/// (method, path template). The gateway's tests check the OpenAPI document against them.
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/admin/tenants"),
    ("GET", "/api/admin/tenants"),
    ("GET", "/api/admin/tenants/{id}"),
    ("PUT", "/api/admin/tenants/{id}"),
    ("DELETE", "/api/admin/tenants/{id}"),
    ("POST", "/api/admin/users"),
    ("GET", "/api/admin/users"),
    ("GET", "/api/admin/users/{id}"),
    ("PUT", "/api/admin/users/{id}"),
    ("DELETE", "/api/admin/users/{id}"),
];

/// Registers the admin routes; called inside the `/api` scope, before its forwarding default.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // One scope with a plain prefix: every other `/api` request (all the forwarded ones) is
    // told apart by comparing the prefix, without matching the `{id}` patterns' regexes. A path
    // under it that is none of these falls to the application's 404, as forwarding would answer.
    cfg.service(
        web::scope("/admin")
            .service(
                web::resource("/tenants")
                    .route(web::post().to(tenants::create::create))
                    .route(web::get().to(tenants::list::list))
                    .default_service(web::to(reject_method)),
            )
            .service(
                web::resource("/tenants/{id}")
                    .route(web::get().to(tenants::read::read))
                    .route(web::put().to(tenants::update::update))
                    .route(web::delete().to(tenants::delete::delete))
                    .default_service(web::to(reject_method)),
            )
            .service(
                web::resource("/users")
                    .route(web::post().to(users::create::create))
                    .route(web::get().to(users::list::list))
                    .default_service(web::to(reject_method)),
            )
            .service(
                web::resource("/users/{id}")
                    .route(web::get().to(users::read::read))
                    .route(web::put().to(users::update::update))
                    .route(web::delete().to(users::delete::delete))
                    .default_service(web::to(reject_method)),
            ),
    );
}

#[cfg(test)]
mod tests {
    use actix_web::web;

    /// The admin routes where the gateway mounts them, inside `/api`.
    fn inside_api(cfg: &mut web::ServiceConfig) {
        cfg.service(web::scope("/api").configure(super::configure));
    }

    /// Every listed (method, path) reaches a handler, every other method on a listed path is
    /// 405, and a path two segments below a listed one is 404: the list is what `configure`
    /// registers.
    #[actix_web::test]
    async fn the_route_list_is_what_configure_registers() {
        test_support::assert_route_lists(inside_api, &[super::ROUTES]).await;
    }
}
