use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::peer::Purged;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;

use crate::models;

/// `DELETE /internal/owners/{id}` -> 200 `{"deleted": N}`: every profile of user `id` goes.
/// For the gateway when it deletes a user, with its system token only (403 otherwise); 0 when
/// there is nothing (left) to delete.
pub async fn purge_owner(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    IdPath(owner): IdPath,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let deleted = run_db(&pool, move |conn| models::delete_all_owned(conn, owner)).await?;
    log::info!("purged {deleted} OAuth profile(s) of deleted user {owner}");
    Ok(HttpResponse::Ok().json(Purged {
        deleted: deleted as u64,
    }))
}
