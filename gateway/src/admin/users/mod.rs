//! `/api/admin/users`: administrators manage every user, tenant managers the users of the
//! tenants they administer. No answer ever carries a password or its hash.

pub mod create;
pub mod delete;
pub mod list;
pub mod read;
pub mod update;

use api_common::ApiError;
use db::{run_db, DbPool};

use super::domain::{user_name_taken, Password};
use crate::auth::Authenticator;
use crate::models::users;

/// The argon2id hash of `secret`, within the gateway's bounds on argon2 (503 with
/// `Retry-After` when too many are waiting: [`crate::password_checks`]).
async fn hash_password(
    authenticator: &Authenticator,
    secret: &Password,
) -> Result<String, ApiError> {
    authenticator
        .password_checks()
        .hash(secret.expose().to_owned())
        .await
}

/// 409 when `user_name` belongs to a user other than `except`: asked before a password is
/// hashed, so that a name that is taken costs no argon2 run. (The unique index still decides
/// when two requests race for a free name.)
async fn refuse_taken_name(
    pool: &DbPool,
    user_name: &str,
    except: Option<i64>,
) -> Result<(), ApiError> {
    let name = user_name.to_owned();
    let holder = run_db(pool, move |conn| users::find_by_name(conn, &name)).await?;
    match holder {
        Some(user) if Some(user.id) != except => Err(user_name_taken(user_name)),
        _ => Ok(()),
    }
}
