use actix_web::{web, HttpResponse};
use api_common::fields::PrivateUris;
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::Caller;
use secrets::KeyRing;

use crate::domain::{authorize_manage, name_taken, OauthAppBody, OauthAppInput};
use crate::models;

/// `POST /api/mgmt/oauthapps` -> 201 with the application, its secret echoed once.
pub async fn create(
    caller: Caller,
    pool: web::Data<DbPool>,
    ring: web::Data<KeyRing>,
    private: web::Data<PrivateUris>,
    body: JsonBody<OauthAppBody>,
) -> Result<HttpResponse, ApiError> {
    let input = OauthAppInput::parse(body.into_inner(), **private)?;
    let tenant_id = input.tenant_id.unwrap_or(caller.tenant_id);
    authorize_manage(&caller, tenant_id)?;
    let name = input.name.clone();
    // Who really created it, for the record: the actor, not the user acted for.
    let created_by = caller.actor().user_id;
    let ring = ring.into_inner();
    let app = run_db(&pool, move |conn| {
        models::insert(conn, &ring, tenant_id, created_by, &input)
    })
    .await
    .on_unique_violation(|| name_taken(&name, tenant_id))?;
    log::info!(
        "{} created OAuth application {} in tenant {}",
        caller.describe(),
        app.id,
        app.tenant_id
    );
    Ok(HttpResponse::Created().json(app))
}
