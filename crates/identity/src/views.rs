//! Tenants and users as the admin API shows them (never a password or its hash), and the
//! limits of its requests: the wire types of the gateway's own API, with their OpenAPI schemas
//! (crates/api-doc uses them as they are).

use serde::Serialize;
use utoipa::ToSchema;

use crate::tenants::Tenant;
use crate::users::User;

/// Longest user name, in characters.
pub const USER_NAME_MAX: usize = 128;
/// Shortest password accepted, in characters.
pub const PASSWORD_MIN: usize = 8;
/// Longest password accepted, in characters.
pub const PASSWORD_MAX: usize = 1024;

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Tenant)]
pub struct TenantView {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
}

/// `GET /api/admin/tenants`: every tenant the caller may see (not paged).
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantList {
    pub tenants: Vec<TenantView>,
}

/// A user: never the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = User)]
pub struct UserView {
    pub id: i64,
    pub user_name: String,
    pub tenant_id: i64,
    pub permissions: Vec<u32>,
    pub administered_tenants: Vec<i64>,
    pub active: bool,
}

/// `GET /api/admin/users`: every user the caller may manage or see (not paged).
#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserView>,
}

impl From<Tenant> for TenantView {
    fn from(tenant: Tenant) -> Self {
        TenantView {
            id: tenant.id,
            name: tenant.name,
            description: tenant.description,
        }
    }
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            user_name: user.user_name,
            tenant_id: user.tenant_id,
            permissions: user.permissions,
            administered_tenants: user.administered_tenants,
            active: user.active,
        }
    }
}

impl FromIterator<Tenant> for TenantList {
    fn from_iter<I: IntoIterator<Item = Tenant>>(tenants: I) -> Self {
        TenantList {
            tenants: tenants.into_iter().map(TenantView::from).collect(),
        }
    }
}

impl FromIterator<User> for UserList {
    fn from_iter<I: IntoIterator<Item = User>>(users: I) -> Self {
        UserList {
            users: users.into_iter().map(UserView::from).collect(),
        }
    }
}
