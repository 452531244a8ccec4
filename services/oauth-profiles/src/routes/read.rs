use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use secrets::KeyRing;

use crate::domain::{authorize, not_found, Action};
use crate::models;

/// `GET /api/mgmt/oauthprofiles/{id}` -> 200 with the tokens (seed 001); another user's -> 404.
pub async fn read(
    caller: Caller,
    pool: web::Data<DbPool>,
    ring: web::Data<KeyRing>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Read)?;
    let owner = models::Owner::of(&caller);
    let profile = run_db(&pool, move |conn| models::find(conn, owner, id))
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(profile.open(&ring)?))
}
