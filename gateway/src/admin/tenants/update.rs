use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool};

use crate::admin::domain::{
    authorize_tenant_write, can_see_tenant, tenant_name_taken, tenant_not_found, TenantBody,
    TenantInput,
};
use crate::auth::Authenticated;
use crate::models::tenants::{self, TenantChangeset};

/// `PUT /api/admin/tenants/{id}`: a full replacement of name and description -> 200 with the
/// tenant; administrators only.
pub async fn update(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
    body: JsonBody<TenantBody>,
) -> Result<HttpResponse, ApiError> {
    if !can_see_tenant(&auth.caller, id) {
        return Err(tenant_not_found(id));
    }
    authorize_tenant_write(&auth.caller)?;
    let input = TenantInput::parse(body.into_inner())?;
    let name = input.name.clone();
    let tenant = run_db(&pool, move |conn| {
        tenants::update(
            conn,
            id,
            &TenantChangeset {
                name: &input.name,
                description: input.description.as_deref(),
            },
        )
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => tenant_name_taken(&name),
        false => e.into(),
    })?
    .ok_or_else(|| tenant_not_found(id))?;
    log::info!("{} updated tenant {id} ({name:?})", auth.describe());
    Ok(HttpResponse::Ok().json(tenant.into_view()))
}
