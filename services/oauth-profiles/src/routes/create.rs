use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use secrets::KeyRing;

use crate::domain::{
    authorize, busy, check_oauth_app, name_taken, Action, Link, OauthProfileBody, OauthProfileInput,
};
use crate::models::{self, Owner};

/// `POST /api/mgmt/oauthprofiles` -> 201 with the profile (seeds 000, 003).
///
/// The protocol of docs/consistency.md (I1): the profile is committed pending (counted by
/// oauth-apps' usage, shown to nobody), then oauth-apps is asked whether the application is
/// live and usable by the owner; refused or unanswered (400, 503, 504), the pending row goes;
/// otherwise it becomes active, unless a sweeper took it meanwhile (503).
pub async fn create(
    caller: Caller,
    pool: web::Data<DbPool>,
    apps: web::Data<OauthAppsClient>,
    ring: web::Data<KeyRing>,
    body: JsonBody<OauthProfileBody>,
) -> Result<HttpResponse, ApiError> {
    authorize(&caller, Action::Create)?;
    let input = OauthProfileInput::parse(body.into_inner())?;
    let app_id = input.oauth_app_id;
    let name = input.name.clone();
    let owner = Owner::of(&caller);
    let ring = ring.into_inner();
    let profile = run_db(&pool, move |conn| {
        models::insert(conn, &ring, owner, &input)
    })
    .await
    .on_unique_violation(|| name_taken(&name))?;
    let id = profile.id;
    if let Err(err) = check_oauth_app(&apps, &caller, app_id, Link::New).await {
        run_db(&pool, move |conn| models::discard_pending(conn, id)).await?;
        return Err(err);
    }
    if !run_db(&pool, move |conn| models::activate(conn, id)).await? {
        return Err(busy());
    }
    log::info!("{} created OAuth profile {id}", caller.describe());
    Ok(HttpResponse::Created().json(profile))
}
