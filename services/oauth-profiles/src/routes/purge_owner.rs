use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::peer::Purged;
use api_common::ApiError;
use db::{run_db, DbPool};
use internal_auth::PeerCaller;
use oauth_profiles_client::PurgeQuery;

use crate::models;

/// `DELETE /internal/owners/{id}` -> 200 `{"deleted": N}`: every profile of user `id` goes.
/// For the gateway when it deletes a user, with its system token only (403 otherwise); 0 when
/// there is nothing (left) to delete. A deleted user's tombstone is committed with the purge,
/// so no profile of theirs can be written afterwards; `?moved=true&tenant=T` (a user moved to
/// tenant T, who lives on) purges, without one, their profiles of every tenant but T.
pub async fn purge_owner(
    PeerCaller(caller): PeerCaller,
    pool: web::Data<DbPool>,
    IdPath(owner): IdPath,
    query: web::Query<PurgeQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require_system()?;
    let purge = match (query.moved, query.tenant) {
        (false, _) => models::Purge::Deleted,
        (true, Some(tenant)) => models::Purge::MovedTo(tenant),
        (true, None) => {
            return Err(ApiError::new(
                api_common::ErrorCode::InvalidQuery,
                "Missing query parameter 'tenant': the tenant a moved user belongs to now",
            ))
        }
    };
    let deleted = run_db(&pool, move |conn| {
        models::delete_all_owned(conn, owner, purge)
    })
    .await?;
    log::info!("purged {deleted} OAuth profile(s) of user {owner} ({purge:?})");
    Ok(HttpResponse::Ok().json(Purged {
        deleted: deleted as u64,
    }))
}
