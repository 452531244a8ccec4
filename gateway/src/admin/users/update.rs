use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::DbPool;
use identity::users::{self, UserChangeset};

use super::hash_password;
use crate::admin::domain::{change_rule, UserBody, UserInput};
use crate::admin::views::UserView;
use crate::admin::OwnerPurge;
use crate::auth::{Authenticated, Authenticator};

/// `PUT /api/admin/users/{id}`: a full replacement of userName, tenantId, permissions,
/// administeredTenants and active; `password` only when sent -> 200 with the user.
///
/// Takes effect on the user's very next request: the gateway reads the user's row on every
/// request. The last active administrator cannot be deactivated or lose Administrator (409).
///
/// Who may change the user is judged on the user as stored, once before a new password is
/// hashed and again by the store under its locks ([`change_rule`]).
///
/// A user moved to another tenant loses their OAuth profiles: the tokens in them were granted
/// for data stores of the old tenant's applications, which the user can no longer see. From
/// the move on, oauth-profiles shows a user only the profiles made in their current tenant
/// (the internal token carries it), so the old ones are out of reach at once; then they are
/// purged, twice like a deleted user's rows ([`super::delete`]): once now, and once more
/// when no replica can still admit the user as a member of the old tenant. A purge that fails
/// is logged; the profiles stay out of reach and go with the user's deletion.
pub async fn update(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    authenticator: web::Data<Authenticator>,
    purge: web::Data<OwnerPurge>,
    IdPath(id): IdPath,
    body: JsonBody<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let input = UserInput::parse_update(body.into_inner())?;
    let rule = change_rule(auth.actor.clone(), Some(input.grant()));
    let (check, name) = (rule.clone(), input.user_name.clone());
    identity::run(&pool, move |conn| {
        users::check_change(conn, id, &name, check)
    })
    .await?;
    let hash = match &input.password {
        Some(secret) => Some(hash_password(&authenticator, secret).await?),
        None => None,
    };
    let password_changed = hash.is_some();
    let replaced = identity::run(&pool, move |conn| {
        let change = UserChangeset {
            user_name: &input.user_name,
            password_hash: hash.as_deref(),
            access: input.access(),
        };
        users::replace(conn, id, &change, rule)
    })
    .await?;
    if replaced.moved() {
        authenticator.users_changed();
        purge_moved_profiles(&pool, &authenticator, &purge, id).await;
    }
    log::info!(
        "{} updated user {id} ({:?}){}",
        auth.describe(),
        replaced.user.user_name,
        if password_changed {
            ", password changed"
        } else {
            ""
        }
    );
    Ok(HttpResponse::Ok().json(UserView::from(replaced.user)))
}

/// The two purges of a moved user's OAuth profiles: now, and once no replica can still admit
/// the user with their old tenant (a profile created meanwhile was made in the old tenant).
/// Each keeps the profiles of the tenant the user belongs to when it runs (read afresh: the
/// user may have been moved again meanwhile), so that the profiles they make there at once
/// stay.
async fn purge_moved_profiles(
    pool: &DbPool,
    authenticator: &Authenticator,
    purge: &OwnerPurge,
    id: i64,
) {
    let replicas_refuse_at = tokio::time::Instant::now() + authenticator.user_cache_ttl();
    let mut purged = 0;
    for pass in ["first", "second"] {
        if pass == "second" {
            tokio::time::sleep_until(replicas_refuse_at).await;
        }
        let done = async {
            let current = db::run_db(pool, move |conn| users::find(conn, id)).await?;
            let Some(user) = current else {
                // Deleted meanwhile: the deletion purged everything, under a tombstone.
                return Ok(0);
            };
            let token = authenticator.system_token()?;
            purge
                .oauth_profiles
                .purge_moved_owner(&token, id, user.tenant_id)
                .await
                .map_err(ApiError::from)
        };
        match done.await {
            Ok(rows) => purged += rows,
            Err(err) => log::warn!(
                "user {id} moved to another tenant; the {pass} purge of their OAuth profiles \
                 failed ({err}): they stay out of reach, and the consistency check lists them"
            ),
        }
    }
    log::info!("user {id} moved to another tenant: {purged} OAuth profile(s) purged");
}
