use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use secrets::KeyRing;

use crate::domain::{
    authorize, check_oauth_app, name_taken, not_found, Action, OauthProfileBody, OauthProfileInput,
};
use crate::models::{self, Owner};

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
    let owner = Owner::of(&caller);
    run_db(&pool, move |conn| models::find(conn, owner, id))
        .await?
        .ok_or_else(|| not_found(id))?;
    check_oauth_app(&apps, &caller, input.oauth_app_id).await?;
    let name = input.name.clone();
    let ring = ring.into_inner();
    let updated = run_db(&pool, move |conn| {
        models::update(conn, &ring, owner, id, &input)
    })
    .await
    .on_unique_violation(|| name_taken(&name))?;
    if !updated {
        return Err(not_found(id));
    }
    log::info!("{} updated OAuth profile {id}", caller.describe());
    Ok(HttpResponse::NoContent().finish())
}
