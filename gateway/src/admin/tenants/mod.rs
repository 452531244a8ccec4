//! `/api/admin/tenants`: administrators manage tenants; everyone sees their own and those they
//! administer.

pub mod create;
pub mod delete;
pub mod list;
pub mod read;
pub mod update;
