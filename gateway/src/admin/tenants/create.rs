use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool};

use crate::admin::domain::{authorize_tenant_write, tenant_name_taken, TenantBody, TenantInput};
use crate::auth::Authenticated;
use crate::models::tenants::{self, NewTenant};

/// `POST /api/admin/tenants` -> 201 with the tenant; administrators only.
pub async fn create(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    body: JsonBody<TenantBody>,
) -> Result<HttpResponse, ApiError> {
    authorize_tenant_write(&auth.caller)?;
    let input = TenantInput::parse(body.into_inner())?;
    let name = input.name.clone();
    let tenant = run_db(&pool, move |conn| {
        tenants::insert(
            conn,
            &NewTenant {
                name: &input.name,
                description: input.description.as_deref(),
                created_at: chrono::Utc::now().naive_utc(),
            },
        )
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => tenant_name_taken(&name),
        false => e.into(),
    })?;
    log::info!(
        "{} created tenant {} ({name:?})",
        auth.describe(),
        tenant.id
    );
    Ok(HttpResponse::Created().json(tenant.into_view()))
}
