use actix_web::{web, HttpResponse};
use api_common::ApiError;
use db::{run_db, DbPool};
use identity::tenants;

use crate::admin::domain::visible_tenants;
use crate::admin::views::TenantList;
use crate::auth::Authenticated;

/// `GET /api/admin/tenants` -> 200 `{"tenants":[...]}`: every tenant for an administrator, the
/// caller's own and those they administer for anyone else.
pub async fn list(auth: Authenticated, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let visible = visible_tenants(&auth.actor);
    let rows = run_db(&pool, move |conn| tenants::list(conn, visible.as_deref())).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().collect::<TenantList>()))
}
