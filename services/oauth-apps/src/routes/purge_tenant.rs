use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::peer::Purged;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;

use crate::models;

/// `DELETE /internal/tenants/{id}` -> 200 `{"deleted": N}`: every application of tenant `id`,
/// which the gateway has deleted, goes, and its tombstone refuses new ones there (creates and
/// moves answer 400 `tenantId`). For the gateway, with its system token only (403 otherwise);
/// 0 when there is nothing (left) to delete, so a retry is harmless.
///
/// A deleted tenant has no users, and a profile links only to applications of its owner's
/// tenant or of the system tenant, so no profile of a live user uses these applications.
pub async fn purge_tenant(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    IdPath(tenant): IdPath,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    if tenant == internal_auth::SYSTEM_TENANT_ID {
        return Err(ApiError::forbidden("The system tenant is never deleted"));
    }
    let deleted = run_db(&pool, move |conn| models::purge_tenant(conn, tenant)).await?;
    log::info!("purged {deleted} OAuth application(s) of deleted tenant {tenant}");
    Ok(HttpResponse::Ok().json(Purged {
        deleted: deleted as u64,
    }))
}
