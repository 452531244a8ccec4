use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_profiles_client::OauthProfilesClient;

use crate::domain::{authorize_manage, can_read, ensure_unused, not_found};
use crate::models;

/// `DELETE /api/mgmt/oauthapps/{id}` -> 204, or 409 while any OAuth profile uses the
/// application. oauth-profiles is asked, with the caller's token, first; when it cannot answer
/// (503, 504) nothing is deleted.
pub async fn delete(
    caller: Caller,
    pool: web::Data<DbPool>,
    profiles: web::Data<OauthProfilesClient>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let current = run_db(&pool, move |conn| models::find(conn, id))
        .await?
        .filter(|app| can_read(&caller, app.tenant_id))
        .ok_or_else(|| not_found(id))?;
    authorize_manage(&caller, current.tenant_id)?;
    let usage = profiles.app_usage(caller.token(), id).await?;
    ensure_unused(id, &usage)?;
    if !run_db(&pool, move |conn| models::delete(conn, id)).await? {
        return Err(not_found(id));
    }
    log::info!("{} deleted OAuth application {id}", caller.describe());
    Ok(HttpResponse::NoContent().finish())
}
