use actix_web::{web, HttpResponse};
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::ClientAppList;
use crate::models;

/// `GET /api/mgmt/oauth/client/applications` -> 200 `{"applications":[...]}`, the caller's own,
/// without secrets.
pub async fn list(caller: Caller, pool: web::Data<DbPool>) -> Result<HttpResponse, ApiError> {
    let owner_id = caller.user_id;
    let apps = run_db(&pool, move |conn| models::list_owned(conn, owner_id)).await?;
    let applications = apps
        .into_iter()
        .map(|app| app.into_view(None))
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(ClientAppList { applications }))
}
