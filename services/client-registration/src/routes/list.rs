use actix_web::{web, HttpResponse};
use api_common::http::ListQuery;
use api_common::ApiError;
use client_registration_client::ClientApplicationList;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::models;

/// `GET /api/mgmt/oauth/client/applications[?limit=N&after=ID]` -> 200 `{"applications":[...]}`,
/// a page of the caller's own, without secrets.
pub async fn list(
    caller: Caller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let owner_id = caller.user_id;
    let apps = run_db(&pool, move |conn| models::list_owned(conn, owner_id, page)).await?;
    let applications = apps
        .into_iter()
        .map(|app| app.into_view(None))
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(ClientApplicationList { applications }))
}
