use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::DbPool;
use identity::tenants::{self, TenantChangeset};
use identity::IdentityError;

use crate::admin::domain::{authorize_tenant_write, can_see_tenant, TenantBody, TenantInput};
use crate::admin::views::TenantView;
use crate::auth::Authenticated;

/// `PUT /api/admin/tenants/{id}`: a full replacement of name and description -> 200 with the
/// tenant; administrators only.
pub async fn update(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
    body: JsonBody<TenantBody>,
) -> Result<HttpResponse, ApiError> {
    if !can_see_tenant(&auth.actor, id) {
        return Err(IdentityError::TenantNotFound(id).into());
    }
    authorize_tenant_write(&auth.actor)?;
    let input = TenantInput::parse(body.into_inner())?;
    let tenant = identity::run(&pool, move |conn| {
        let changes = TenantChangeset {
            name: &input.name,
            description: input.description.as_deref(),
        };
        tenants::update(conn, id, &changes)
    })
    .await?;
    log::info!(
        "{} updated tenant {id} ({:?})",
        auth.describe(),
        tenant.name
    );
    Ok(HttpResponse::Ok().json(TenantView::from(tenant)))
}
