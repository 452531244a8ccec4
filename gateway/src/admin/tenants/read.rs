use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use identity::tenants;
use identity::IdentityError;

use crate::admin::domain::can_see_tenant;
use crate::admin::views::TenantView;
use crate::auth::Authenticated;

/// `GET /api/admin/tenants/{id}` -> 200; 404 for a tenant the caller does not see.
pub async fn read(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    if !can_see_tenant(&auth.actor, id) {
        return Err(IdentityError::TenantNotFound(id).into());
    }
    let tenant = run_db(&pool, move |conn| tenants::find(conn, id))
        .await?
        .ok_or(IdentityError::TenantNotFound(id))?;
    Ok(HttpResponse::Ok().json(TenantView::from(tenant)))
}
