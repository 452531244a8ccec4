use actix_web::{web, HttpResponse};
use api_common::fields::PrivateUris;
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::{Caller, SYSTEM_TENANT_ID};
use oauth_profiles_client::OauthProfilesClient;
use secrets::KeyRing;

use crate::domain::{
    authorize_manage, busy, can_read, ensure_movable, name_taken, not_found, OauthAppBody,
    OauthAppInput,
};
use crate::models::{self, Fence};

/// `PUT /api/mgmt/oauthapps/{id}`: a full replacement under the rules of create -> 200 with the
/// application, its secret echoed once.
///
/// A move to another tenant is 409 while profiles of users outside that tenant use the
/// application. It follows the protocol of a delete (docs/consistency.md, I1): the application
/// is committed `moving` under a new token before oauth-profiles is asked, goes back to live
/// when the move is refused or cannot be checked, and is written only if the token still holds
/// it. A move to the system tenant is always allowed: every tenant may use its applications.
/// Any other update writes only a live application still in the tenant it was read in; 503
/// while a delete or move holds it.
pub async fn update(
    caller: Caller,
    pool: web::Data<DbPool>,
    ring: web::Data<KeyRing>,
    profiles: web::Data<OauthProfilesClient>,
    IdPath(id): IdPath,
    private: web::Data<PrivateUris>,
    body: JsonBody<OauthAppBody>,
) -> Result<HttpResponse, ApiError> {
    let input = OauthAppInput::parse(body.into_inner(), **private)?;
    let current = run_db(&pool, move |conn| models::find(conn, id))
        .await?
        .filter(|app| can_read(&caller, app.tenant_id))
        .ok_or_else(|| not_found(id))?;
    authorize_manage(&caller, current.tenant_id)?;
    let tenant_id = input.tenant_id.unwrap_or(current.tenant_id);
    authorize_manage(&caller, tenant_id)?;
    let name = input.name.clone();
    let ring = ring.into_inner();
    let app = if tenant_id != current.tenant_id && tenant_id != SYSTEM_TENANT_ID {
        let token = run_db(&pool, move |conn| models::hold(conn, id, models::MOVING))
            .await?
            .ok_or_else(|| busy(id))?;
        let checked = match profiles.app_usage(caller.token(), id).await {
            Ok(usage) => ensure_movable(id, tenant_id, &usage),
            Err(err) => Err(err.into()),
        };
        let held = token.clone();
        if let Err(err) = checked {
            run_db(&pool, move |conn| models::release(conn, id, &held)).await?;
            return Err(err);
        }
        let written = run_db(&pool, move |conn| {
            let fence = Fence::HeldBy { token: &held };
            models::update(conn, &ring, id, tenant_id, &input, fence)
        })
        .await;
        if written.is_err() {
            // A name taken in the target tenant, say: nothing was written; back out.
            run_db(&pool, move |conn| models::release(conn, id, &token)).await?;
        }
        written
            .on_unique_violation(|| name_taken(&name, tenant_id))?
            .ok_or_else(|| busy(id))?
    } else {
        let read_in = current.tenant_id;
        let written = run_db(&pool, move |conn| {
            let fence = Fence::LiveIn { tenant_id: read_in };
            models::update(conn, &ring, id, tenant_id, &input, fence)
        })
        .await
        .on_unique_violation(|| name_taken(&name, tenant_id))?;
        match written {
            Some(app) => app,
            None => {
                let exists = run_db(&pool, move |conn| models::find(conn, id)).await?;
                return Err(match exists {
                    Some(_) => busy(id),
                    None => not_found(id),
                });
            }
        }
    };
    log::info!("{} updated OAuth application {id}", caller.describe());
    Ok(HttpResponse::Ok().json(app))
}
