use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use secrets::KeyRing;

use crate::domain::{
    authorize, check_oauth_app, name_taken, Action, OauthProfileBody, OauthProfileInput,
};
use crate::models::{self, NewOauthProfile};

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
    let (owner_id, owner_tenant_id) = (caller.user_id, caller.tenant_id);
    let (access_token, refresh_token) = (input.access_token.clone(), input.refresh_token.clone());
    let ring = ring.into_inner();
    let profile = run_db(&pool, move |conn| {
        let now = chrono::Utc::now().naive_utc();
        models::insert(
            conn,
            &NewOauthProfile {
                owner_id,
                owner_tenant_id,
                name: &input.name,
                oauth_app_id: input.oauth_app_id,
                description: input.description.as_deref(),
                access_token: None,
                refresh_token: "",
                created_at: now,
                updated_at: now,
            },
            input.access_token.as_deref(),
            &input.refresh_token,
            &ring,
        )
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => name_taken(&name),
        false => e.into(),
    })?;
    log::info!("{} created OAuth profile {}", caller.describe(), profile.id);
    Ok(HttpResponse::Created().json(profile.into_view(access_token, refresh_token)))
}
