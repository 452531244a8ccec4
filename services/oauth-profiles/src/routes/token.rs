use actix_web::http::header;
use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::DbPool;
use internal_auth::Caller;
use oauth_profiles_client::ProfileToken;
use secrets::KeyRing;

use crate::domain::{authorize, Action};
use crate::flight::{Mode, Refresher};
use crate::models::rfc3339;

/// `GET /api/mgmt/oauthprofiles/{id}/token` -> 200 `{"accessToken","expiresAt"}`: valid for at
/// least 60 more seconds, refreshed first when needed (single flight: docs/connect.md).
pub async fn token(
    caller: Caller,
    pool: web::Data<DbPool>,
    refresher: web::Data<Refresher>,
    ring: web::Data<KeyRing>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Read)?;
    let profile = refresher
        .on(&pool)
        .refresh(&caller, id, Mode::IfNeeded)
        .await?;
    let expires_at = profile.expires_at.map(rfc3339);
    let access_token = profile
        .open_access_token(&ring)?
        .ok_or_else(|| ApiError::internal("a refreshed profile has no access token"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ProfileToken {
            access_token,
            expires_at,
        }))
}
