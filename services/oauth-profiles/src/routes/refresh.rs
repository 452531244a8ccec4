use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::DbPool;
use internal_auth::Caller;
use secrets::KeyRing;

use crate::domain::{authorize, Action};
use crate::flight::{Mode, Refresher};

/// `POST /api/mgmt/oauthprofiles/{id}/refresh` -> 200 with the profile after a
/// `refresh_token` grant (single flight: docs/connect.md). Always asks the provider, or waits
/// for a refresh under way and answers its result.
pub async fn refresh(
    caller: Caller,
    pool: web::Data<DbPool>,
    refresher: web::Data<Refresher>,
    ring: web::Data<KeyRing>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Update)?;
    let profile = refresher
        .on(&pool)
        .refresh(&caller, id, Mode::Always)
        .await?;
    Ok(HttpResponse::Ok().json(profile.open(&ring)?))
}
