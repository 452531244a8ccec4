use actix_web::{web, HttpResponse};
use api_common::fields::parse_id;
use api_common::{ApiError, ErrorCode};
use db::{run_db, DbPool};
use identity::users;
use serde::Deserialize;

use crate::admin::domain::{authorize_user_management, user_tenants};
use crate::admin::views::UserList;
use crate::auth::Authenticated;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    tenant_id: Option<String>,
}

/// `GET /api/admin/users[?tenantId=N]` -> 200 `{"users":[...]}`: the users the caller may
/// manage, oldest first.
pub async fn list(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    authorize_user_management(&auth.actor)?;
    let wanted = match query.into_inner().tenant_id {
        None => None,
        Some(raw) => Some(parse_id(&raw).ok_or_else(|| {
            ApiError::new(
                ErrorCode::InvalidQuery,
                format!(
                    "Invalid value for 'tenantId': expected a positive whole number, found '{raw}'"
                ),
            )
        })?),
    };
    let tenants = match (user_tenants(&auth.actor), wanted) {
        (None, wanted) => wanted.map(|t| vec![t]),
        (Some(visible), None) => Some(visible),
        (Some(visible), Some(t)) => Some(visible.into_iter().filter(|v| *v == t).collect()),
    };
    let rows = run_db(&pool, move |conn| users::list(conn, tenants.as_deref())).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().collect::<UserList>()))
}
