use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use secrets::KeyRing;

use crate::domain::{
    authorize, busy, check_oauth_app, name_taken, not_found, Action, Link, OauthProfileBody,
    OauthProfileInput,
};
use crate::models::{self, Owner};

/// `PUT /api/mgmt/oauthprofiles/{id}`: a full replacement under the rules of create -> 204.
///
/// A change of `oauthAppId` follows the protocol of a create (docs/consistency.md, I1): the new
/// application is committed as the profile's pending link before oauth-apps is asked, and the
/// replacement is written only while that link is still pending (503 otherwise). Keeping the
/// application checks it as before and writes only while the profile still links to it.
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
    let current = run_db(&pool, move |conn| models::find(conn, owner, id))
        .await?
        .ok_or_else(|| not_found(id))?;
    let app_id = input.oauth_app_id;
    let link = if current.oauth_app_id == app_id {
        Link::Kept
    } else {
        Link::New
    };
    if link == Link::New
        && !run_db(&pool, move |conn| {
            models::hold_link(conn, owner, id, app_id)
        })
        .await?
    {
        return Err(not_found(id));
    }
    let release = || async {
        if link == Link::New {
            run_db(&pool, move |conn| models::release_link(conn, id, app_id)).await?;
        }
        Ok::<_, ApiError>(())
    };
    if let Err(err) = check_oauth_app(&apps, &caller, app_id, link).await {
        release().await?;
        return Err(err);
    }
    let name = input.name.clone();
    let ring = ring.into_inner();
    let written = run_db(&pool, move |conn| {
        models::update(conn, &ring, owner, id, &input, link)
    })
    .await;
    if written.is_err() {
        release().await?;
    }
    if !written.on_unique_violation(|| name_taken(&name))? {
        let exists = run_db(&pool, move |conn| models::find(conn, owner, id)).await?;
        return Err(match exists {
            Some(_) => busy(),
            None => not_found(id),
        });
    }
    log::info!("{} updated OAuth profile {id}", caller.describe());
    Ok(HttpResponse::NoContent().finish())
}
