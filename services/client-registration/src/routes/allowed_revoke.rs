use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::Caller;

use crate::domain::not_found;
use crate::models::oauth2 as store;

/// `DELETE /api/mgmt/oauth/client/allowedapplications/{id}` (`id`: the client application's)
/// -> 204: the caller's remembered consent to that application goes, with every grant, token
/// and code it holds for the caller, whatever the grant type, in one transaction; 404 when the
/// caller has granted it nothing.
pub async fn allowed_revoke(
    caller: Caller,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    let user_id = caller.user_id;
    if !run_db(&pool, move |conn| store::revoke_allowed(conn, user_id, id)).await? {
        return Err(not_found(id));
    }
    log::info!(
        "{} revoked the access of client application {id}",
        caller.describe()
    );
    Ok(HttpResponse::NoContent().finish())
}
