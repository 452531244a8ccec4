//! Why a change to tenants or users was not made, and what the admin API answers then.

use api_common::{ApiError, ErrorCode};
use db::DbError;

/// Where a change named a tenant, so that the answer can name the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantField {
    /// The tenant the user belongs to.
    Member,
    /// One of the tenants the user administers.
    Administered,
}

impl TenantField {
    /// The field's name in the admin API.
    pub fn name(self) -> &'static str {
        match self {
            TenantField::Member => "tenantId",
            TenantField::Administered => "administeredTenants",
        }
    }
}

/// Why a store function made no change. Everything it wrote is rolled back.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("there is no user {0}")]
    UserNotFound(i64),
    #[error("there is no tenant {0}")]
    TenantNotFound(i64),
    /// Another user has this name (the unique index decides between two at once).
    #[error("a user named {0:?} already exists")]
    UserNameTaken(String),
    #[error("a tenant named {0:?} already exists")]
    TenantNameTaken(String),
    /// The change names a tenant that does not exist (or was deleted while it ran).
    #[error("there is no tenant {id} (named in {})", field.name())]
    UnknownTenant { field: TenantField, id: i64 },
    /// The change would leave no active user with the Administrator permission.
    #[error("the last active administrator would be gone")]
    LastAdministrator,
    /// The user is being deleted (`identity::deletions`): they cannot be changed any more.
    #[error("user {0} is being deleted")]
    BeingDeleted(i64),
    #[error("tenant {tenant_id} still has {users} user(s)")]
    TenantHasUsers { tenant_id: i64, users: i64 },
    /// The system tenant, where users are put by default, stays.
    #[error("the system tenant cannot be deleted")]
    SystemTenant,
    /// The caller's rule refused the change, judged on the rows as they were under the
    /// transaction's locks; its answer is passed on as it is.
    #[error("refused: {0}")]
    Refused(ApiError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for IdentityError {
    fn from(err: diesel::result::Error) -> Self {
        IdentityError::Db(err.into())
    }
}

/// What the admin API answers: the refusals in their own words and codes, database failures
/// through the central mapping of [`DbError`].
impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        match err {
            IdentityError::UserNotFound(id) => {
                ApiError::new(ErrorCode::UserNotFound, format!("Invalid user id: {id}"))
            }
            IdentityError::TenantNotFound(id) => ApiError::new(
                ErrorCode::TenantNotFound,
                format!("Invalid tenant id: {id}"),
            ),
            IdentityError::UserNameTaken(name) => {
                ApiError::conflict(format!("A user named '{name}' already exists"))
            }
            IdentityError::TenantNameTaken(name) => {
                ApiError::conflict(format!("A tenant named '{name}' already exists"))
            }
            IdentityError::UnknownTenant { field, id } => {
                ApiError::invalid_field(field.name(), format!("there is no tenant {id}"))
            }
            IdentityError::LastAdministrator => ApiError::conflict(
                "This is the last active administrator: make another user an active \
                 administrator first",
            ),
            IdentityError::BeingDeleted(id) => {
                ApiError::conflict(format!("User {id} is being deleted"))
            }
            IdentityError::TenantHasUsers { tenant_id, users } => ApiError::conflict(format!(
                "Tenant {tenant_id} still has {users} user(s): move or delete them first"
            )),
            IdentityError::SystemTenant => {
                ApiError::conflict("The system tenant (1) cannot be deleted")
            }
            IdentityError::Refused(answer) => answer,
            IdentityError::Db(err) => err.into(),
        }
    }
}

/// `taken` when a unique index refused the write, the database's failure otherwise.
pub(crate) fn unless_taken(
    err: diesel::result::Error,
    taken: impl FnOnce() -> IdentityError,
) -> IdentityError {
    let err = DbError::from(err);
    if err.is_unique_violation() {
        taken()
    } else {
        IdentityError::Db(err)
    }
}
