use actix_web::{web, HttpResponse};
use api_common::{ApiError, ErrorCode};
use client_registration_client::oauth2::OauthClient;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;

use crate::models;

/// `GET /internal/oauth2/clients/{clientId}` -> 200 `{"id", "clientId", "name",
/// "description", "ownerId", "redirectUrls"}`: what the gateway's authorize pages need of a
/// client application; 404 when there is none (a `clientId` that is not a UUID included).
/// The gateway's system token only (403 otherwise).
pub async fn oauth2_client(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let client_id = path.into_inner();
    let unknown = || {
        ApiError::new(
            ErrorCode::ClientAppNotFound,
            "No client application has this client id",
        )
    };
    if uuid::Uuid::try_parse(&client_id).is_err() {
        return Err(unknown());
    }
    let app = run_db(&pool, move |conn| {
        models::find_by_client_id(conn, &client_id)
    })
    .await?
    .ok_or_else(unknown)?;
    let (id, owner_id) = (app.id, app.owner_id);
    let view = app.into_view(None)?;
    Ok(HttpResponse::Ok().json(OauthClient {
        id,
        client_id: view.client_id,
        name: view.name,
        description: view.description,
        owner_id,
        redirect_urls: view.redirect_urls,
    }))
}
