use actix_web::{web, HttpResponse};
use api_common::http::JsonBody;
use api_common::ApiError;
use db::{run_db, DbPool};
use diesel::Connection;

use super::{hash_password, refuse_taken_name};
use crate::admin::domain::{authorize_grant, unknown_tenant, user_name_taken, UserBody, UserInput};
use crate::auth::{Authenticated, Authenticator};
use crate::models::{self, encode_ids, tenants, users};

/// `POST /api/admin/users` -> 201 with the user (never the password or its hash).
pub async fn create(
    auth: Authenticated,
    pool: web::Data<DbPool>,
    authenticator: web::Data<Authenticator>,
    body: JsonBody<UserBody>,
) -> Result<HttpResponse, ApiError> {
    let input = UserInput::parse_create(body.into_inner())?;
    authorize_grant(
        &auth.caller,
        input.tenant_id,
        &input.permissions,
        &input.administered_tenants,
    )?;
    let Some(secret) = &input.password else {
        return Err(ApiError::missing_field("password"));
    };
    refuse_taken_name(&pool, &input.user_name, None).await?;
    let hash = hash_password(&authenticator, secret).await?;
    let name = input.user_name.clone();
    let user = run_db(&pool, move |conn| {
        conn.transaction(|conn| {
            models::lock_identity_changes(conn)?;
            for (field, tenant) in input.named_tenants() {
                if tenants::first_missing(conn, &[tenant])?.is_some() {
                    return Ok(Err(unknown_tenant(field, tenant)));
                }
            }
            let now = chrono::Utc::now().naive_utc();
            users::insert(
                conn,
                &users::NewUser {
                    user_name: &input.user_name,
                    password_hash: &hash,
                    tenant_id: input.tenant_id,
                    permissions: &encode_ids(&input.permissions),
                    administered_tenants: &encode_ids(&input.administered_tenants),
                    active: input.active,
                    created_at: now,
                    updated_at: now,
                },
            )
            .map(Ok)
        })
    })
    .await
    .map_err(|e| match e.is_unique_violation() {
        true => user_name_taken(&name),
        false => e.into(),
    })??;
    log::info!(
        "{} created user {} ({name:?}) in tenant {}",
        auth.describe(),
        user.id,
        user.tenant_id
    );
    Ok(HttpResponse::Created().json(user.into_view()))
}
