use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::{Caller, SYSTEM_TENANT_ID};
use oauth_profiles_client::OauthProfilesClient;
use secrets::KeyRing;

use crate::domain::{
    authorize_manage, can_read, ensure_movable, name_taken, not_found, OauthAppBody, OauthAppInput,
};
use crate::models;

/// `PUT /api/mgmt/oauthapps/{id}`: a full replacement under the rules of create -> 200 with the
/// application, its secret echoed once.
///
/// A move to another tenant is 409 while profiles of users outside that tenant use the
/// application (oauth-profiles is asked first; when it cannot answer, nothing changes). A move
/// to the system tenant is always allowed: every tenant may use its applications.
pub async fn update(
    caller: Caller,
    pool: web::Data<DbPool>,
    ring: web::Data<KeyRing>,
    profiles: web::Data<OauthProfilesClient>,
    IdPath(id): IdPath,
    body: JsonBody<OauthAppBody>,
) -> Result<HttpResponse, ApiError> {
    let input = OauthAppInput::parse(body.into_inner())?;
    let current = run_db(&pool, move |conn| models::find(conn, id))
        .await?
        .filter(|app| can_read(&caller, app.tenant_id))
        .ok_or_else(|| not_found(id))?;
    authorize_manage(&caller, current.tenant_id)?;
    let tenant_id = input.tenant_id.unwrap_or(current.tenant_id);
    authorize_manage(&caller, tenant_id)?;
    if tenant_id != current.tenant_id && tenant_id != SYSTEM_TENANT_ID {
        let usage = profiles.app_usage(caller.token(), id).await?;
        ensure_movable(id, tenant_id, &usage)?;
    }
    let name = input.name.clone();
    let ring = ring.into_inner();
    let app = run_db(&pool, move |conn| {
        models::update(conn, &ring, id, tenant_id, &input)
    })
    .await
    .on_unique_violation(|| name_taken(&name, tenant_id))?
    .ok_or_else(|| not_found(id))?;
    log::info!("{} updated OAuth application {id}", caller.describe());
    Ok(HttpResponse::Ok().json(app))
}
