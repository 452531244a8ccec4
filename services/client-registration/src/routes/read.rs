use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::not_found;
use crate::models;

/// `GET /api/mgmt/oauth/client/applications/{id}` -> 200 without the client secret.
pub async fn read(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let owner_id = caller.user_id;
    let app = run_db(&pool, move |conn| models::find_owned(conn, id, owner_id))
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(app.into_view(None)?))
}
