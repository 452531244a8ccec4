use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::{PeerCaller, Scope};
use secrets::KeyRing;

use crate::domain::{can_read, not_found};
use crate::models;

/// `GET /internal/oauth-apps/{id}/provider` -> 200 with the client credentials oauth-profiles
/// needs to talk to the application's provider (connect, callback, refresh). With a user's
/// token, only an application that user may read; with the open route's token (the connect
/// callback, authenticated by its `state` alone), any: oauth-profiles then checks that the
/// profile's owner may use it. The gateway's maintenance token gets nothing here (it never
/// needs a secret). Never forwarded by the gateway.
pub async fn provider(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    ring: web::Data<KeyRing>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let scope = caller.scope();
    let ring = ring.into_inner();
    let app = run_db(&pool, move |conn| models::find_provider(conn, &ring, id))
        .await?
        .transpose()?
        .filter(|app| match scope {
            Scope::Open => true,
            Scope::User => can_read(&caller, app.tenant_id),
            Scope::System => false,
        })
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(app))
}
