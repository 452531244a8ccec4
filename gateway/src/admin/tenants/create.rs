use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::DbPool;
use identity::tenants::{self, NewTenant};

use crate::admin::domain::{authorize_tenant_write, TenantBody, TenantInput};
use crate::admin::views::TenantView;
use crate::auth::Authenticated;

/// `POST /api/admin/tenants` -> 201 with the tenant; administrators only.
pub async fn create(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    body: JsonBody<TenantBody>,
) -> Result<HttpResponse, ApiError> {
    authorize_tenant_write(&auth.actor)?;
    let input = TenantInput::parse(body.into_inner())?;
    let tenant = identity::run(&pool, move |conn| {
        let new = NewTenant {
            name: &input.name,
            description: input.description.as_deref(),
        };
        tenants::create(conn, &new)
    })
    .await?;
    log::info!(
        "{} created tenant {} ({:?})",
        auth.describe(),
        tenant.id,
        tenant.name
    );
    Ok(HttpResponse::Created().json(TenantView::from(tenant)))
}
