use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::DbPool;
use identity::tenants;
use identity::IdentityError;

use crate::admin::domain::{authorize_tenant_write, can_see_tenant};
use crate::auth::Authenticated;
use crate::deletions::{backoff, Deletions, Work, LEASE};

/// `DELETE /api/admin/tenants/{id}` -> 204; administrators only. 409 for the system tenant and
/// for a tenant users still belong to. Users who administered the tenant lose that access.
///
/// The tenant's OAuth applications, which live in oauth-apps, go too (docs/consistency.md,
/// tenant deletion): the purge is recorded in the transaction that deletes the tenant, under a
/// lease this replica holds, and tried at once; oauth-apps deletes them and records a
/// tombstone that refuses any create or move into the tenant still in flight. When oauth-apps
/// cannot be reached, the deletion worker of some replica finishes the purge; the answer is
/// 204 either way, since the tenant itself is gone.
pub async fn delete(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    deletions: web::Data<Deletions>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    if !can_see_tenant(&auth.actor, id) {
        return Err(IdentityError::TenantNotFound(id).into());
    }
    authorize_tenant_write(&auth.actor)?;
    let holder = deletions.holder().to_owned();
    identity::run(&pool, move |conn| tenants::delete(conn, id, &holder, LEASE)).await?;
    log::info!("{} deleted tenant {id}", auth.describe());
    if let Err(err) = deletions.purge_tenant(id).await {
        log::warn!(
            "the OAuth applications of deleted tenant {id} are not purged yet ({err}); the \
             deletion worker will finish it"
        );
        // The record stays either way: given back, it is due in a second; otherwise when
        // its lease ends.
        if let Err(err) = deletions.give_back(Work::TenantPurge, id, backoff(1)).await {
            log::warn!("the purge of tenant {id} stays leased to this replica: {err}");
        }
    }
    Ok(HttpResponse::NoContent().finish())
}
