//! `/api/admin/users`: administrators manage every user, tenant managers the users of the
//! tenants they administer. No answer ever carries a password or its hash.

pub mod create;
pub mod delete;
pub mod list;
pub mod read;
pub mod update;

use api_common::ApiError;

use super::domain::Password;
use crate::auth::Authenticator;

/// The argon2id hash of `secret`, within the gateway's bounds on argon2 (503 with
/// `Retry-After` when too many are waiting: [`crate::password_checks`]). Called after the
/// store's checks that need no lock, so that a request bound to be refused (a name that is
/// taken, a user the caller may not change) costs no argon2 run.
async fn hash_password(
    authenticator: &Authenticator,
    secret: &Password,
) -> Result<String, ApiError> {
    authenticator
        .password_checks()
        .hash(secret.expose().to_owned())
        .await
}
