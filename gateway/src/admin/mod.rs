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

use crate::routes::reject_method;

/// The services that hold rows owned by a user, asked to purge them when the user is deleted.
#[derive(Debug, Clone)]
pub struct OwnerPurge {
    pub oauth_profiles: OauthProfilesClient,
    pub client_registration: ClientRegistrationClient,
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
    cfg.service(
        web::resource("/admin/tenants")
            .route(web::post().to(tenants::create::create))
            .route(web::get().to(tenants::list::list))
            .default_service(web::to(reject_method)),
    )
    .service(
        web::resource("/admin/tenants/{id}")
            .route(web::get().to(tenants::read::read))
            .route(web::put().to(tenants::update::update))
            .route(web::delete().to(tenants::delete::delete))
            .default_service(web::to(reject_method)),
    )
    .service(
        web::resource("/admin/users")
            .route(web::post().to(users::create::create))
            .route(web::get().to(users::list::list))
            .default_service(web::to(reject_method)),
    )
    .service(
        web::resource("/admin/users/{id}")
            .route(web::get().to(users::read::read))
            .route(web::put().to(users::update::update))
            .route(web::delete().to(users::delete::delete))
            .default_service(web::to(reject_method)),
    );
}

#[cfg(test)]
mod tests {
    use actix_web::http::{Method, StatusCode};
    use actix_web::{test, App};

    use super::*;

    /// Every listed (method, path) reaches a handler, every other method on a listed path is
    /// 405, and a path two segments below a listed one is 404: the lists are what `configure`
    /// registers.
    #[actix_web::test]
    async fn the_route_lists_are_what_configure_registers() {
        let app = test::init_service(
            App::new().service(actix_web::web::scope("/api").configure(configure)),
        )
        .await;
        let all: Vec<&(&str, &str)> = ROUTES.iter().collect();
        for (_, template) in &all {
            let path = template.replace("{id}", "1");
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                let listed = all.iter().any(|(m, t)| *m == method && t == template);
                let request = test::TestRequest::default()
                    .method(Method::from_bytes(method.as_bytes()).unwrap())
                    .uri(&path)
                    .to_request();
                let status = test::call_service(&app, request).await.status();
                if listed {
                    assert!(
                        status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                        "{method} {template}: {status}"
                    );
                } else {
                    assert_eq!(
                        status,
                        StatusCode::METHOD_NOT_ALLOWED,
                        "{method} {template}"
                    );
                }
            }
            let below = test::TestRequest::get()
                .uri(&format!("{path}/not/listed"))
                .to_request();
            let status = test::call_service(&app, below).await.status();
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}/not/listed");
        }
    }
}
