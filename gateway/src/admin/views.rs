//! Tenants and users as the admin API shows them: never a password or its hash.

use identity::tenants::Tenant;
use identity::users::User;
use serde::Serialize;

/// A tenant in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantView {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /api/admin/tenants`.
#[derive(Debug, Serialize)]
pub struct TenantList {
    pub tenants: Vec<TenantView>,
}

/// A user in an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: i64,
    pub user_name: String,
    pub tenant_id: i64,
    pub permissions: Vec<u32>,
    pub administered_tenants: Vec<i64>,
    pub active: bool,
}

/// `GET /api/admin/users`.
#[derive(Debug, Serialize)]
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
