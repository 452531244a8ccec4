use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::{authorize_manage, can_read, not_found};
use crate::models;

/// `DELETE /api/mgmt/oauthapps/{id}` -> 204.
pub async fn delete(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let current = run_db(&pool, move |conn| models::find(conn, id))
        .await?
        .filter(|app| can_read(&caller, app.tenant_id))
        .ok_or_else(|| not_found(id))?;
    authorize_manage(&caller, current.tenant_id)?;
    if !run_db(&pool, move |conn| models::delete(conn, id)).await? {
        return Err(not_found(id));
    }
    log::info!("user {} deleted OAuth application {id}", caller.user_id);
    Ok(HttpResponse::NoContent().finish())
}
