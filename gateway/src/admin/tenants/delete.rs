use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::DbPool;
use identity::tenants;
use identity::IdentityError;

use crate::admin::domain::{authorize_tenant_write, can_see_tenant};
use crate::auth::Authenticated;

/// `DELETE /api/admin/tenants/{id}` -> 204; administrators only. 409 for the system tenant and
/// for a tenant users still belong to. Users who administered the tenant lose that access.
pub async fn delete(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    if !can_see_tenant(&auth.actor, id) {
        return Err(IdentityError::TenantNotFound(id).into());
    }
    authorize_tenant_write(&auth.actor)?;
    identity::run(&pool, move |conn| tenants::delete(conn, id)).await?;
    log::info!("{} deleted tenant {id}", auth.describe());
    Ok(HttpResponse::NoContent().finish())
}
