use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use secrets::KeyRing;

use crate::domain::{
    authorize, check_oauth_app, name_taken, not_found, Action, OauthProfileBody, OauthProfileInput,
};
use crate::models::{self, OauthProfileChangeset};

/// `PUT /api/mgmt/oauthprofiles/{id}`: a full replacement under the rules of create -> 204.
pub async fn update(
    caller: Caller,
    pool: web::Data<DbPool>,
    apps: web::Data<OauthAppsClient>,
    ring: web::Data<KeyRing>,
    IdPath(id): IdPath,
    body: JsonBody<OauthProfileBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Update)?;
    let input = OauthProfileInput::parse(body.into_inner())?;
    let owner = models::Owner::of(&caller);
    run_db(&pool, move |conn| models::find(conn, owner, id))
        .await?
        .ok_or_else(|| not_found(id))?;
    check_oauth_app(&apps, &caller, input.oauth_app_id).await?;
    let name = input.name.clone();
    let access_token = input
        .access_token
        .as_deref()
        .map(|t| ring.seal(t, models::token_place(models::ACCESS_TOKEN, id)));
    let refresh_token = ring.seal(
        &input.refresh_token,
        models::token_place(models::REFRESH_TOKEN, id),
    );
    let updated = run_db(&pool, move |conn| {
        models::update(
            conn,
            owner,
            id,
            &OauthProfileChangeset {
                name: &input.name,
                oauth_app_id: input.oauth_app_id,
                description: input.description.as_deref(),
                access_token: access_token.as_deref(),
                refresh_token: &refresh_token,
                updated_at: chrono::Utc::now().naive_utc(),
            },
        )
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => name_taken(&name),
        false => e.into(),
    })?;
    if !updated {
        return Err(not_found(id));
    }
    log::info!("{} updated OAuth profile {id}", caller.describe());
    Ok(HttpResponse::NoContent().finish())
}
