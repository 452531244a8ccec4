use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::not_found;
use crate::models;

/// `DELETE /api/mgmt/oauth/client/applications/{id}` -> 204; its credentials stop working.
pub async fn delete(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let owner_id = caller.user_id;
    if !run_db(&pool, move |conn| models::delete_owned(conn, id, owner_id)).await? {
        return Err(not_found(id));
    }
    log::info!("{} deleted client application {id}", caller.describe());
    Ok(HttpResponse::NoContent().finish())
}
