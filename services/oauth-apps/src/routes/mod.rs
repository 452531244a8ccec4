//! The oauth-apps routes, one handler per file.

mod create;
mod delete;
mod list;
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
        let app = test::init_service(App::new().configure(configure)).await;
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
