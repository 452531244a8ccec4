//! The client-registration routes, one handler per file: the management API under
//! `/api/mgmt/...`, which the gateway forwards; the public endpoints of the authorization
//! server (token, revocation, introspection, metadata: [`OAUTH2_ROUTES`]), which it forwards
//! with its open-route token; and under `/internal/...`, which it does not forward, the
//! credential check (so that only services holding an internal token can test secrets), the
//! purge of a deleted user's applications and the authorization server's internal routes (the
//! gateway's system token only).

mod allowed_list;
mod allowed_revoke;
mod check_token;
mod consents;
mod create;
mod create_code;
mod delete;
mod introspect;
mod list;
mod metadata;
mod oauth2_client;
mod owners;
mod purge_owner;
mod read;
mod reset;
mod revoke;
mod token;
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
    ("GET", "/api/mgmt/oauth/client/allowedapplications"),
    ("DELETE", "/api/mgmt/oauth/client/allowedapplications/{id}"),
];

/// The authorization server's public endpoints [`configure`] registers, which the gateway
/// forwards with its open-route token (the password grant with the user's token): each of
/// token, revocation and introspection at `/oauth2/...` and `/api/mgmt/oauth2/...`, and the
/// RFC 8414 metadata. Their answers are RFC 6749 JSON, never the envelope.
pub const OAUTH2_ROUTES: &[(&str, &str)] = &[
    ("POST", "/oauth2/token"),
    ("POST", "/api/mgmt/oauth2/token"),
    ("POST", "/oauth2/revoke"),
    ("POST", "/api/mgmt/oauth2/revoke"),
    ("POST", "/oauth2/introspect"),
    ("POST", "/api/mgmt/oauth2/introspect"),
    ("GET", "/.well-known/oauth-authorization-server"),
];

/// The routes [`configure`] registers for peers only; the gateway does not forward them.
pub const INTERNAL_ROUTES: &[(&str, &str)] = &[
    ("POST", "/internal/client-applications/verify"),
    ("DELETE", "/internal/owners/{id}"),
    ("GET", "/internal/owners"),
    ("GET", "/internal/oauth2/clients/{id}"),
    ("GET", "/internal/oauth2/consents"),
    ("POST", "/internal/oauth2/codes"),
    ("POST", "/internal/oauth2/tokens/check"),
];

/// The routes; their handlers take a `web::Data` of the `DbPool`, of the `secrets::HashKey`
/// and of the [`crate::oauth2::Oauth2`] from the app data.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for prefix in ["/oauth2", "/api/mgmt/oauth2"] {
        cfg.service(
            web::resource(format!("{prefix}/token"))
                .route(web::post().to(token::token))
                .default_service(method_not_allowed_route()),
        )
        .service(
            web::resource(format!("{prefix}/revoke"))
                .route(web::post().to(revoke::revoke))
                .default_service(method_not_allowed_route()),
        )
        .service(
            web::resource(format!("{prefix}/introspect"))
                .route(web::post().to(introspect::introspect))
                .default_service(method_not_allowed_route()),
        );
    }
    cfg.service(
        web::resource("/.well-known/oauth-authorization-server")
            .route(web::get().to(metadata::metadata))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauth/client/allowedapplications")
            .route(web::get().to(allowed_list::allowed_list))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/api/mgmt/oauth/client/allowedapplications/{id}")
            .route(web::delete().to(allowed_revoke::allowed_revoke))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/oauth2/clients/{id}")
            .route(web::get().to(oauth2_client::oauth2_client))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/oauth2/consents")
            .route(web::get().to(consents::consents))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/oauth2/codes")
            .route(web::post().to(create_code::create_code))
            .default_service(method_not_allowed_route()),
    )
    .service(
        web::resource("/internal/oauth2/tokens/check")
            .route(web::post().to(check_token::check_token))
            .default_service(method_not_allowed_route()),
    );
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
        test_support::assert_route_lists(configure, &[ROUTES, OAUTH2_ROUTES, INTERNAL_ROUTES])
            .await;
    }
}
