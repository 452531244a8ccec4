use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::DbPool;
use identity::deletions;

use crate::admin::domain::change_rule;
use crate::auth::{Authenticated, Authenticator};
use crate::deletions::{Deletions, LEASE};

/// `DELETE /api/admin/users/{id}` -> 204 when the user and everything they owned in the
/// services are gone, 202 when the deletion is recorded and will complete without further
/// requests (docs/consistency.md, I2).
///
/// 1. In one transaction the user is made inactive and the deletion recorded, under a lease
///    this replica holds: from then on the user gets 401 on this gateway at once and within
///    `GATEWAY_USER_CACHE_MS` on the other replicas.
/// 2. The deletion is carried out at once ([`Deletions::carry_out`]): both services purge the
///    user's rows and record a tombstone, which refuses any write of theirs still in flight;
///    then the user's row goes. 204.
/// 3. A service that cannot be reached leaves the record: the lease is given back and the
///    deletion worker of some replica finishes it. 202. So does a crash of this replica
///    anywhere after step 1.
///
/// A DELETE of a user being deleted answers 202 (204 when it could complete it now), never 404
/// while the record exists. 409 for the caller themself and for the last active
/// administrator. Who may delete the user is judged on the user as stored at step 1
/// ([`change_rule`]).
pub async fn delete(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    authenticator: web::Data<Authenticator>,
    deletions: web::Data<Deletions>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    if id == auth.actor.user_id {
        return Err(ApiError::conflict("You cannot delete yourself"));
    }
    let rule = change_rule(auth.actor.clone(), None);
    let holder = deletions.holder().to_owned();
    let requested = identity::run(&pool, move |conn| {
        deletions::request(conn, id, &holder, LEASE, rule)
    })
    .await?;
    authenticator.users_changed();
    let name = requested.user.user_name;
    if !requested.taken {
        log::info!(
            "{} asked again to delete user {id} ({name:?}), which another replica is deleting",
            auth.describe()
        );
        return Ok(HttpResponse::Accepted().finish());
    }
    match deletions.carry_out(id).await {
        Ok(true) => {
            log::info!("{} deleted user {id} ({name:?})", auth.describe());
            Ok(HttpResponse::NoContent().finish())
        }
        outcome => {
            if let Err(err) = outcome {
                log::warn!(
                    "{} asked to delete user {id} ({name:?}): recorded, but not complete yet \
                     ({err}); the deletion worker will finish it",
                    auth.describe()
                );
            }
            // Soon, but not at once: the peer that failed is given a moment.
            deletions.release(id, crate::deletions::backoff(1)).await?;
            Ok(HttpResponse::Accepted().finish())
        }
    }
}
