use actix_web::{web, HttpResponse};
use api_common::http::ListQuery;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_apps_client::OauthAppList;
use serde::Deserialize;

use crate::domain::readable_tenants;
use crate::models;

/// The list's filter, besides the page ([`ListQuery`]).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantFilter {
    /// 0 matches no tenant: the gateway sends it for a `tenantName` that names none (it
    /// refuses 0 from callers).
    #[serde(default, deserialize_with = "api_common::http::whole_number_param")]
    tenant_id: Option<i64>,
}

/// `GET /api/mgmt/oauthapps[?tenantId=N&limit=N&after=ID]` -> 200 `{"applications":[...]}`, a
/// page of what the caller may read.
pub async fn list(
    caller: Caller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
    filter: web::Query<TenantFilter>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let wanted = filter.tenant_id;
    let tenants = match (readable_tenants(&caller), wanted) {
        (None, None) => None,
        (None, Some(tenant)) => Some(vec![tenant]),
        (Some(readable), None) => Some(readable),
        (Some(readable), Some(tenant)) => {
            Some(readable.into_iter().filter(|t| *t == tenant).collect())
        }
    };
    let apps = run_db(&pool, move |conn| match tenants {
        None => models::list_all(conn, page),
        Some(tenants) => models::list_in_tenants(conn, &tenants, page),
    })
    .await?;
    Ok(HttpResponse::Ok().json(OauthAppList {
        applications: apps
            .into_iter()
            .map(models::OauthApp::into_summary)
            .collect(),
    }))
}
