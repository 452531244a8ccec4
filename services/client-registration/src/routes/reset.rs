use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;
use secrets::HashKey;

use crate::domain::{not_found, ClientSecret};
use crate::models;

/// `PUT /api/mgmt/oauth/client/applications/{id}/reset` -> 200 with the application and a new
/// client secret, which replaces the old one at once; the client id stays.
pub async fn reset(
    caller: Caller,
    pool: web::Data<DbPool>,
    hash_key: web::Data<HashKey>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let secret = ClientSecret::generate()
        .map_err(|e| ApiError::internal(format!("cannot generate a client secret: {e}")))?;
    let owner_id = caller.user_id;
    let hash_key = hash_key.into_inner();
    let (app, secret) = run_db(&pool, move |conn| {
        let app = models::reset_secret(conn, &hash_key, id, owner_id, &secret)?;
        Ok((app, secret))
    })
    .await?;
    let app = app.ok_or_else(|| not_found(id))?;
    log::info!(
        "{} reset the secret of client application {id}",
        caller.describe()
    );
    Ok(HttpResponse::Ok().json(app.into_view(Some(secret))?))
}
