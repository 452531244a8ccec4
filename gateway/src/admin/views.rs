//! Tenants and users as the admin API shows them: the identity crate's wire types.

pub use identity::views::{TenantList, TenantView, UserList, UserView};
