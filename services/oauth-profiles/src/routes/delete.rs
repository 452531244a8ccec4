use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::{authorize, not_found, Action};
use crate::models;

/// `DELETE /api/mgmt/oauthprofiles/{id}` -> 204.
pub async fn delete(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Delete)?;
    let owner = models::Owner::of(&caller);
    if !run_db(&pool, move |conn| models::delete(conn, owner, id)).await? {
        return Err(not_found(id));
    }
    log::info!("{} deleted OAuth profile {id}", caller.describe());
    Ok(HttpResponse::NoContent().finish())
}
