//! Who may use hdp-oauth: tenants and users, as the gateway stores them.
//!
//! This crate owns their tables ([`schema`]) and migrations ([`MIGRATIONS`], on both
//! backends), and every function that reads or changes them ([`tenants`], [`users`]). Reads are
//! plain queries returning `QueryResult`. Changes are *store functions*: each owns its
//! transaction, keeps the invariants that span rows (unique names, tenants that exist, a tenant
//! with users stays, at least one active administrator) and answers with an [`IdentityError`],
//! which `?` turns into the admin API's answer. How they keep those invariants when several
//! run at once, on SQLite and on PostgreSQL, is explained in the `lock` module.
//!
//! Who may make a change (the admin API's policy) stays with the caller; a store function
//! that must judge it on the rows as they are under its locks takes it as a rule (see
//! [`users`]).

pub mod deletions;
mod error;
mod leases;
mod lock;
pub mod schema;
pub mod sessions;
pub mod tenant_purges;
pub mod tenants;
pub mod users;
pub mod views;

use db::{DbConnection, DbPool, Migrations};
use diesel_migrations::{embed_migrations, EmbeddedMigrations};

pub use error::{IdentityError, TenantField};

/// The identity tables' migrations. The first three were the gateway's own (`gateway/migrations`)
/// and keep their names, so that databases made by earlier versions go on from where they are.
pub const MIGRATIONS: Migrations = Migrations {
    postgres: POSTGRES_MIGRATIONS,
    sqlite: SQLITE_MIGRATIONS,
};
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// Runs a store function through [`db::run_db`]: a database failure and the store's refusal
/// come back as one error.
pub async fn run<T, F>(pool: &DbPool, change: F) -> Result<T, IdentityError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, IdentityError> + Send + 'static,
    T: Send + 'static,
{
    db::run_db(pool, move |conn| Ok(change(conn))).await?
}
