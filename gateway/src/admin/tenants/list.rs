use actix_web::{web, HttpResponse};
use api_common::ApiError;
use db::{run_db, DbPool};

use crate::admin::domain::visible_tenants;
use crate::auth::Authenticated;
use crate::models::tenants::{self, Tenant, TenantList};

/// `GET /api/admin/tenants` -> 200 `{"tenants":[...]}`: every tenant for an administrator, the
/// caller's own and those they administer for anyone else.
pub async fn list(auth: Authenticated, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let visible = visible_tenants(&auth.caller);
    let rows = run_db(&pool, move |conn| tenants::list(conn, visible.as_deref())).await?;
    Ok(HttpResponse::Ok().json(TenantList {
        tenants: rows.into_iter().map(Tenant::into_view).collect(),
    }))
}
