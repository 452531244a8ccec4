use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use diesel::Connection;
use internal_auth::SYSTEM_TENANT_ID;

use crate::admin::domain::{authorize_tenant_write, can_see_tenant, tenant_not_found};
use crate::auth::Authenticated;
use crate::models::{self, tenants, users};

/// `DELETE /api/admin/tenants/{id}` -> 204; administrators only. 409 for the system tenant and
/// for a tenant users still belong to. Users who administered the tenant lose that access.
pub async fn delete(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    if !can_see_tenant(&auth.caller, id) {
        return Err(tenant_not_found(id));
    }
    authorize_tenant_write(&auth.caller)?;
    if id == SYSTEM_TENANT_ID {
        return Err(ApiError::conflict(
            "The system tenant (1) cannot be deleted",
        ));
    }
    run_db(&pool, move |conn| {
        conn.transaction(|conn| {
            models::lock_identity_changes(conn)?;
            let members = users::count_in_tenant(conn, id)?;
            if members > 0 {
                return Ok(Err(ApiError::conflict(format!(
                    "Tenant {id} still has {members} user(s): move or delete them first"
                ))));
            }
            users::forget_administered_tenant(conn, id)?;
            Ok(match tenants::delete(conn, id)? {
                true => Ok(()),
                false => Err(tenant_not_found(id)),
            })
        })
    })
    .await??;
    log::info!("{} deleted tenant {id}", auth.describe());
    Ok(HttpResponse::NoContent().finish())
}
