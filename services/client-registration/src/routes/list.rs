use actix_web::{web, HttpResponse};
use api_common::http::Page;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use serde::Deserialize;

use crate::domain::ClientAppList;
use crate::models;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default, deserialize_with = "api_common::http::whole_number_param")]
    limit: Option<i64>,
    #[serde(default, deserialize_with = "api_common::http::whole_number_param")]
    after: Option<i64>,
}

/// `GET /api/mgmt/oauth/client/applications[?limit=N&after=ID]` -> 200 `{"applications":[...]}`,
/// a page of the caller's own, without secrets.
pub async fn list(
    caller: Caller,
    pool: web::Data<DbPool>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = Page::parse(query.limit, query.after)?;
    let owner_id = caller.user_id;
    let apps = run_db(&pool, move |conn| models::list_owned(conn, owner_id, page)).await?;
    let applications = apps
        .into_iter()
        .map(|app| app.into_view(None))
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(ClientAppList { applications }))
}
