use actix_web::{web, HttpResponse};
use api_common::http::{IdPath, JsonBody};
use api_common::ApiError;
use db::{run_db, DbPool};
use diesel::Connection;

use super::{hash_password, refuse_taken_name};
use crate::admin::domain::{
    authorize_change, authorize_grant, can_see_user, last_admin, unknown_tenant, user_name_taken,
    user_not_found, UserBody, UserInput,
};
use crate::admin::OwnerPurge;
use crate::auth::{Authenticated, Authenticator};
use crate::models::{self, encode_ids, tenants, users};

/// `PUT /api/admin/users/{id}`: a full replacement of userName, tenantId, permissions,
/// administeredTenants and active; `password` only when sent -> 200 with the user.
///
/// Takes effect on the user's very next request: the gateway reads the user's row on every
/// request. The last active administrator cannot be deactivated or lose Administrator (409).
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
    let current = run_db(&pool, move |conn| users::find(conn, id))
        .await?
        .map(|user| user.identity())
        .filter(|user| can_see_user(&auth.caller, user))
        .ok_or_else(|| user_not_found(id))?;
    authorize_change(&auth.caller, &current)?;
    authorize_grant(
        &auth.caller,
        input.tenant_id,
        &input.permissions,
        &input.administered_tenants,
    )?;
    refuse_taken_name(&pool, &input.user_name, Some(id)).await?;
    let hash = match &input.password {
        Some(secret) => Some(hash_password(&authenticator, secret).await?),
        None => None,
    };
    let password_changed = hash.is_some();
    let caller = auth.caller.clone();
    let name = input.user_name.clone();
    let (user, moved) = run_db(&pool, move |conn| {
        conn.transaction(|conn| {
            models::lock_identity_changes(conn)?;
            // Again under the lock: the user may have changed since.
            let Some(current) = users::find(conn, id)? else {
                return Ok(Err(user_not_found(id)));
            };
            let moved = current.tenant_id != input.tenant_id;
            if let Err(refused) = authorize_change(&caller, &current.identity()) {
                return Ok(Err(refused));
            }
            for (field, tenant) in input.named_tenants() {
                if tenants::first_missing(conn, &[tenant])?.is_some() {
                    return Ok(Err(unknown_tenant(field, tenant)));
                }
            }
            if current.is_active_admin()
                && !input.is_active_admin()
                && !users::another_active_admin(conn, id)?
            {
                return Ok(Err(last_admin()));
            }
            let changes = users::UserChangeset {
                user_name: &input.user_name,
                password_hash: hash.as_deref(),
                tenant_id: input.tenant_id,
                permissions: &encode_ids(&input.permissions),
                administered_tenants: &encode_ids(&input.administered_tenants),
                active: input.active,
                updated_at: chrono::Utc::now().naive_utc(),
            };
            Ok(users::update(conn, id, &changes)?
                .map(|user| (user, moved))
                .ok_or_else(|| user_not_found(id)))
        })
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => user_name_taken(&name),
        false => e.into(),
    })??;
    if moved {
        authenticator.users_changed();
        purge_moved_profiles(&authenticator, &purge, id).await;
    }
    log::info!(
        "{} updated user {id} ({name:?}){}",
        auth.describe(),
        if password_changed {
            ", password changed"
        } else {
            ""
        }
    );
    Ok(HttpResponse::Ok().json(user.into_view()))
}

/// The two purges of a moved user's OAuth profiles: now, and once no replica can still admit
/// the user with their old tenant (a profile created meanwhile was made in the old tenant).
async fn purge_moved_profiles(authenticator: &Authenticator, purge: &OwnerPurge, id: i64) {
    let replicas_refuse_at = tokio::time::Instant::now() + authenticator.user_cache_ttl();
    let mut purged = 0;
    for pass in ["first", "second"] {
        if pass == "second" {
            tokio::time::sleep_until(replicas_refuse_at).await;
        }
        let done = async {
            let token = authenticator.system_token()?;
            purge
                .oauth_profiles
                .purge_owner(&token, id)
                .await
                .map_err(ApiError::from)
        };
        match done.await {
            Ok(rows) => purged += rows,
            Err(err) => log::warn!(
                "user {id} moved to another tenant; the {pass} purge of their OAuth profiles \
                 failed ({err}): they stay out of reach and go with the user's deletion"
            ),
        }
    }
    log::info!("user {id} moved to another tenant: {purged} OAuth profile(s) purged");
}
