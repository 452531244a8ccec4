use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use secrets::KeyRing;

use crate::domain::{authorize_manage, name_taken, OauthAppBody, OauthAppInput};
use crate::models::{self, NewOauthApp};

/// `POST /api/mgmt/oauthapps` -> 201 with the application, its secret echoed once.
pub async fn create(
    caller: Caller,
    pool: web::Data<DbPool>,
    ring: web::Data<KeyRing>,
    body: JsonBody<OauthAppBody>,
) -> Result<HttpResponse, ApiError> {
    let input = OauthAppInput::parse(body.into_inner())?;
    let tenant_id = input.tenant_id.unwrap_or(caller.tenant_id);
    authorize_manage(&caller, tenant_id)?;
    let name = input.name.clone();
    // Who really created it, for the record: the actor, not the user acted for.
    let created_by = caller.actor().user_id;
    let secret = input.client_secret.clone();
    let ring = ring.into_inner();
    let app = run_db(&pool, move |conn| {
        let now = chrono::Utc::now().naive_utc();
        models::insert(
            conn,
            &NewOauthApp {
                tenant_id,
                name: &input.name,
                data_store: input.data_store,
                description: input.description.as_deref(),
                client_id: &input.client_id,
                client_secret: "",
                authorize_uri: &input.authorize_uri,
                token_uri: &input.token_uri,
                scope: &input.scope,
                created_by,
                created_at: now,
                updated_at: now,
            },
            &input.client_secret,
            &ring,
        )
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => name_taken(&name, tenant_id),
        false => e.into(),
    })?;
    log::info!(
        "{} created OAuth application {} in tenant {}",
        caller.describe(),
        app.id,
        app.tenant_id
    );
    Ok(HttpResponse::Created().json(app.into_view(Some(secret))))
}
