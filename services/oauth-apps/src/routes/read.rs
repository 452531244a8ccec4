use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use serde::Deserialize;

use crate::domain::{can_read, not_found};
use crate::models;

/// What oauth-profiles adds when it checks a link (`?live=true`).
#[derive(Debug, Deserialize)]
pub struct ReadQuery {
    /// Only a live application counts: one being deleted or moved is 404, so that no profile
    /// links to it meanwhile (docs/consistency.md, I1).
    /// Read as text: any other value is ignored, like an unknown parameter.
    #[serde(default)]
    live: Option<String>,
}

/// `GET /api/mgmt/oauthapps/{id}[?live=true]` -> 200 without the client secret.
pub async fn read(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
    query: web::Query<ReadQuery>,
) -> Result<HttpResponse, ApiError> {
    let live_only = query.live.as_deref() == Some("true");
    let app = run_db(&pool, move |conn| models::find(conn, id))
        .await?
        .filter(|app| can_read(&caller, app.tenant_id))
        .filter(|app| !live_only || app.is_live())
        .ok_or_else(|| not_found(id))?;
    Ok(HttpResponse::Ok().json(app.into_view()))
}
