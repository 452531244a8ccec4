use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::{ApiError, ErrorCode};
use db::{run_db, DbPool, OnUniqueViolation};
use internal_auth::Caller;
use secrets::HashKey;

use crate::domain::{
    create_failed, name_taken, new_client_id, ClientAppBody, ClientAppInput, ClientSecret,
};
use crate::models;

/// `POST /api/mgmt/oauth/client/applications` -> 201 with the application and its new
/// credentials, the only answer besides a reset that shows the secret.
pub async fn create(
    caller: Caller,
    pool: web::Data<DbPool>,
    hash_key: web::Data<HashKey>,
    body: JsonBody<ClientAppBody>,
) -> Result<HttpResponse, ApiError> {
    let input = ClientAppInput::parse(body.into_inner())?;
    let secret = ClientSecret::generate().map_err(|e| {
        log::error!("cannot generate a client secret: {e}");
        create_failed()
    })?;
    let name = input.name.clone();
    let (owner_id, owner_tenant_id) = (caller.user_id, caller.tenant_id);
    let client_id = new_client_id();
    let hash_key = hash_key.into_inner();
    let (app, secret) = run_db(&pool, move |conn| {
        let app = models::insert(
            conn,
            &hash_key,
            owner_id,
            owner_tenant_id,
            &input,
            &client_id,
            &secret,
        )?;
        Ok((app, secret))
    })
    .await
    // The client id is unique too, but a clash of two random UUIDs is not worth a message.
    .on_unique_violation(|| name_taken(&name))
    .map_err(product_error)?;
    log::info!(
        "{} registered client application {}",
        caller.describe(),
        app.id
    );
    Ok(HttpResponse::Created().json(app.into_view(Some(secret))?))
}

/// An unexpected failure becomes the product's own answer for a failed registration; an
/// unreachable database stays 503, which tells the caller more.
fn product_error(err: ApiError) -> ApiError {
    match err.code() {
        ErrorCode::Internal => create_failed(),
        _ => err,
    }
}
