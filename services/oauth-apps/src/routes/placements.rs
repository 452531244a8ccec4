use actix_web::{web, HttpResponse};
use api_common::http::ListQuery;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use oauth_apps_client::AppPlacements;

use crate::models;

/// `GET /internal/applications?after=ID&limit=N` -> 200 `{"applications": [{"id", "tenantId",
/// "live"}]}`: a page of every application's tenant and state, for the gateway's consistency
/// check (docs/consistency.md, I3), with its system token only (403 otherwise).
pub async fn placements(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let page = query.page()?;
    let applications = run_db(&pool, move |conn| models::placements(conn, page)).await?;
    Ok(HttpResponse::Ok().json(AppPlacements { applications }))
}
