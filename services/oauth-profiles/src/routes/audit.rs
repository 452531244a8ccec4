//! What the gateway's consistency check reads and repairs (docs/consistency.md, I3), for its
//! system token only (403 otherwise).

use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, ListQuery};
use api_common::peer::Purged;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use oauth_profiles_client::{ProfileLinks, UnlinkedQuery};

use crate::models;

/// `GET /internal/profiles?after=ID&limit=N` -> 200 `{"profiles": [...]}`: a page of every
/// profile, pending ones too, with its owner, the owner's tenant and its link; no name and no
/// token.
pub async fn links(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let page = query.page()?;
    let profiles = run_db(&pool, move |conn| models::links(conn, page)).await?;
    Ok(HttpResponse::Ok().json(ProfileLinks { profiles }))
}

/// `DELETE /internal/profiles/{id}?oauthAppId=N` -> 200 `{"deleted": 0|1}`: profile `id`
/// goes if it still links to application N, which the check found gone or out of the owner's
/// reach. A profile relinked meanwhile stays.
pub async fn delete_unlinked(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
    query: web::Query<UnlinkedQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let app_id = query.oauth_app_id;
    let deleted = run_db(&pool, move |conn| models::delete_unlinked(conn, id, app_id)).await?;
    if deleted {
        log::info!("repair: deleted OAuth profile {id}, linked to application {app_id}");
    }
    Ok(HttpResponse::Ok().json(Purged {
        deleted: u64::from(deleted),
    }))
}
