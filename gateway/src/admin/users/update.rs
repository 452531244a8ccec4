use actix_web::{web, HttpResponse};
use api_common::http::IdPath;
use api_common::ApiError;
use db::{run_db, DbPool};
use diesel::Connection;

use super::hash_password;
use crate::admin::domain::{
    authorize_change, authorize_grant, can_see_user, last_admin, unknown_tenant, user_name_taken,
    user_not_found, UserBody, UserInput,
};
use crate::auth::Authenticated;
use crate::models::{self, encode_ids, tenants, users};

/// `PUT /api/admin/users/{id}`: a full replacement of userName, tenantId, permissions,
/// administeredTenants and active; `password` only when sent -> 200 with the user.
///
/// Takes effect on the user's very next request: the gateway reads the user's row on every
/// request. The last active administrator cannot be deactivated or lose Administrator (409).
pub async fn update(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    IdPath(id): IdPath,
    body: web::Json<UserBody>,
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
    let hash = match &input.password {
        Some(secret) => Some(hash_password(secret).await?),
        None => None,
    };
    let password_changed = hash.is_some();
    let caller = auth.caller.clone();
    let name = input.user_name.clone();
    let user = run_db(&pool, move |conn| {
        conn.transaction(|conn| {
            models::lock_identity_changes(conn)?;
            // Again under the lock: the user may have changed since.
            let Some(current) = users::find(conn, id)? else {
                return Ok(Err(user_not_found(id)));
            };
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
            Ok(users::update(conn, id, &changes)?.ok_or_else(|| user_not_found(id)))
        })
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => user_name_taken(&name),
        false => e.into(),
    })??;
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
