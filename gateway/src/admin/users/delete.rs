use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::DbPool;
use identity::users;

use crate::admin::domain::change_rule;
use crate::admin::OwnerPurge;
use crate::auth::{Authenticated, Authenticator};

/// `DELETE /api/admin/users/{id}` -> 204, with everything the user owned in the services.
///
/// No rows of the user may be left behind in oauth-profiles or client-registration, and a
/// request of the user still in flight could write one while they are being deleted. So:
///
/// 1. the user is marked inactive: from their next request on they get 401 on this gateway,
///    which forgets the user rows it keeps, and within `GATEWAY_USER_CACHE_MS` on the other
///    replicas (which must have the same setting);
/// 2. both services purge the user's rows (`DELETE /internal/owners/{id}` with a system token);
/// 3. the user's row is deleted;
/// 4. once `GATEWAY_USER_CACHE_MS` has passed since step 1, so that no replica still admits
///    the user, both services purge once more: this catches a write that was in flight, or
///    admitted by another replica, during steps 2 and 3.
///
/// A service that cannot be reached (503) or does not answer in time (504) at step 2 stops
/// the deletion there: the user stays inactive but not deleted, and the same DELETE can simply
/// be retried (purging is idempotent). Once the row is gone (step 3) the answer is 204 even if
/// the second purge fails; that failure is logged with the user's id.
///
/// 409 for the caller themself and for the last active administrator. Who may delete the user
/// is judged on the user as stored when step 1 is made ([`change_rule`]).
pub async fn delete(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    authenticator: web::Data<Authenticator>,
    purge: web::Data<OwnerPurge>,
    IdPath(id): IdPath,
) -> Result<HttpResponse, ApiError> {
    if id == auth.actor.user_id {
        return Err(ApiError::conflict("You cannot delete yourself"));
    }
    // 1. Inactive from now on, if the caller may change the user as stored.
    let rule = change_rule(auth.actor.clone(), None);
    let current = identity::run(&pool, move |conn| users::deactivate(conn, id, rule)).await?;
    authenticator.users_changed();
    let replicas_refuse_at = tokio::time::Instant::now() + authenticator.user_cache_ttl();

    // 2. Purge; on failure the user stays inactive and the DELETE can be retried.
    let purged = purge_owner(&authenticator, &purge, id)
        .await
        .inspect_err(|_| {
            log::warn!("user {id} is inactive but not deleted: purging their data failed");
        })?;

    // 3. The row.
    identity::run(&pool, move |conn| users::delete(conn, id)).await?;

    // 4. Whatever a request in flight, or one another replica admitted, wrote meanwhile.
    tokio::time::sleep_until(replicas_refuse_at).await;
    let late = match purge_owner(&authenticator, &purge, id).await {
        Ok(rows) => rows,
        Err(err) => {
            log::error!(
                "user {id} was deleted, but the second purge of their data failed ({err}); \
                 rows they wrote during the deletion may remain"
            );
            0
        }
    };
    log::info!(
        "{} deleted user {id} ({:?}) and {} row(s) they owned",
        auth.describe(),
        current.user_name,
        purged + late
    );
    Ok(HttpResponse::NoContent().finish())
}

/// Asks both services to delete every row `user_id` owns; how many went.
async fn purge_owner(
    authenticator: &Authenticator,
    purge: &OwnerPurge,
    user_id: i64,
) -> Result<u64, ApiError> {
    let token = authenticator.system_token()?;
    let profiles = purge.oauth_profiles.purge_owner(&token, user_id).await?;
    let registrations = purge
        .client_registration
        .purge_owner(&token, user_id)
        .await?;
    Ok(profiles + registrations)
}
