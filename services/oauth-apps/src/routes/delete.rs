use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_profiles_client::OauthProfilesClient;

use crate::domain::{authorize_manage, busy, can_read, ensure_unused, not_found};
use crate::models;

/// `DELETE /api/mgmt/oauthapps/{id}` -> 204, or 409 while any OAuth profile uses the
/// application.
///
/// The protocol of docs/consistency.md (I1): the application is first committed `deleting`
/// under a new token (from then on no profile can link to it), then oauth-profiles is asked,
/// with the caller's token, which profiles use it (pending ones included); in use, or no
/// answer (503, 504), it goes back to live; otherwise it is deleted if the token still holds
/// it (503 when a sweeper took it back meanwhile, or another delete or move holds it).
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
    let token = run_db(&pool, move |conn| models::hold(conn, id, models::DELETING))
        .await?
        .ok_or_else(|| busy(id))?;
    let checked = match profiles.app_usage(caller.token(), id).await {
        Ok(usage) => ensure_unused(id, &usage),
        Err(err) => Err(err.into()),
    };
    let held = token.clone();
    if let Err(err) = checked {
        run_db(&pool, move |conn| models::release(conn, id, &held)).await?;
        return Err(err);
    }
    if !run_db(&pool, move |conn| models::delete(conn, id, &held)).await? {
        return Err(busy(id));
    }
    log::info!("{} deleted OAuth application {id}", caller.describe());
    Ok(HttpResponse::NoContent().finish())
}
