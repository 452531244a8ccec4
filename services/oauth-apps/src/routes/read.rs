use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::{can_read, not_found};
use crate::models;

/// `GET /api/mgmt/oauthapps/{id}` -> 200 without the client secret.
pub async fn read(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let app = run_db(&pool, move |conn| models::find(conn, id))
        .await?
        .filter(|app| can_read(&caller, app.tenant_id))
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(app.into_view()))
}
