use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};

use crate::admin::domain::{can_see_tenant, tenant_not_found};
use crate::auth::Authenticated;
use crate::models::tenants;

/// `GET /api/admin/tenants/{id}` -> 200; 404 for a tenant the caller does not see.
pub async fn read(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    if !can_see_tenant(&auth.caller, id) {
        return Err(tenant_not_found(id));
    }
    let tenant = run_db(&pool, move |conn| tenants::find(conn, id))
        .await?
        .ok_or_else(|| tenant_not_found(id))?;
    Ok(HttpResponse::Ok().json(tenant.into_view()))
}
