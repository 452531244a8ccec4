use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use oauth_profiles_client::AppUsage;

use crate::models;

/// `GET /internal/oauth-apps/{id}/usage` -> 200 `{"profiles": N, "tenants": [...]}`: how many
/// profiles, of every owner, use OAuth application `id`, and their owners' tenants.
///
/// For oauth-apps, which refuses to delete an application in use or to move it away from the
/// tenants of its users, with the token of the user it acts for ([`PeerCaller`]: a token the
/// gateway minted for oauth-profiles itself does not open it). The answer names no profile and
/// no owner.
pub async fn usage(
    _caller: PeerCaller,
    pool: web::Data<DbPool>,
    IdPath(app_id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let (profiles, tenants) = run_db(&pool, move |conn| models::app_usage(conn, app_id)).await?;
    Ok(HttpResponse::Ok().json(AppUsage {
        profiles: u64::try_from(profiles).unwrap_or_default(),
        tenants,
    }))
}
