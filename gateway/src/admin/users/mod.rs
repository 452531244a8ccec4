//! `/api/admin/users`: administrators manage every user, tenant managers the users of the
//! tenants they administer. No answer ever carries a password or its hash.

pub mod create;
pub mod delete;
pub mod list;
pub mod read;
pub mod update;

use actix_web::web;
use api_common::ApiError;

use super::domain::Password;
use crate::password;

/// The argon2id hash of `secret`, computed on the blocking pool.
async fn hash_password(secret: &Password) -> Result<String, ApiError> {
    let secret = secret.clone();
    web::block(move || password::hash(secret.expose()))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("cannot hash a password: {e}")))
}
