use actix_web::{web, HttpResponse};
use api_common::http::ListQuery;
use api_common::ApiError;
use client_registration_client::ApplicationOwners;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;

use crate::models;

/// `GET /internal/owners?after=ID&limit=N` -> 200 `{"owners": [{"ownerId", "applications"}]}`:
/// a page of the users who own client applications, for the gateway's consistency check
/// (docs/consistency.md, I3), with its system token only (403 otherwise).
pub async fn owners(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let page = query.page()?;
    let owners = run_db(&pool, move |conn| models::owners(conn, page)).await?;
    Ok(HttpResponse::Ok().json(ApplicationOwners { owners }))
}
