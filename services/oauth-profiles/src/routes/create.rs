use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use secrets::KeyRing;

use crate::domain::{
    authorize, check_oauth_app, name_taken, Action, OauthProfileBody, OauthProfileInput,
};
use crate::models::{self, Owner};

/// `POST /api/mgmt/oauthprofiles` -> 201 with the profile (seeds 000, 003). The application is
/// checked with oauth-apps first; nothing is written when that check cannot be made.
pub async fn create(
    caller: Caller,
    pool: web::Data<DbPool>,
    apps: web::Data<OauthAppsClient>,
    ring: web::Data<KeyRing>,
    body: JsonBody<OauthProfileBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Create)?;
    let input = OauthProfileInput::parse(body.into_inner())?;
    check_oauth_app(&apps, &caller, input.oauth_app_id).await?;
    let name = input.name.clone();
    let owner = Owner::of(&caller);
    let ring = ring.into_inner();
    let profile = run_db(&pool, move |conn| {
        models::insert(conn, &ring, owner, &input)
    })
    .await
    .on_unique_violation(|| name_taken(&name))?;
    log::info!("{} created OAuth profile {}", caller.describe(), profile.id);
    Ok(HttpResponse::Created().json(profile))
}
