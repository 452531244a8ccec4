//! What valid tenants and users are, and who may manage them.
//!
//! Bodies arrive as DTOs of raw JSON values and are parsed into known-good inputs whose every
//! failure names the field ([`input`]). The rules on who may do what are plain functions of the
//! caller's [`Identity`](internal_auth::Identity) so they can be tested without a server
//! ([`access`]). Which changes keep the stored users and tenants consistent (the last active
//! administrator, tenants that exist) is the `identity` crate's to say, not this module's.

pub mod access;
pub mod input;
#[cfg(test)]
mod tests;

pub use access::{
    authorize_change, authorize_grant, authorize_tenant_write, authorize_user_management,
    can_see_tenant, can_see_user, change_rule, user_tenants, visible_tenants, Grant,
};
pub use input::{user_name, Password, TenantBody, TenantInput, UserBody, UserInput};
