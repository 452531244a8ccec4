//! Tombstones of deleted owners and tenants, and the guards that keep their rows from being
//! written after their purge (docs/consistency.md, I2 and tenant deletion).
//!
//! A service that stores rows of users has a `deleted_owners` table (its own migration); one
//! that stores rows of tenants (oauth-apps) has `deleted_tenants`. A purge runs in
//! [`purge_owner`] or [`purge_tenant`], which record the tombstone and delete the rows in one
//! transaction; every insert of such a row calls [`guard_owner`] or [`guard_tenant`] after the
//! insert, inside the insert's transaction, which fails (and so rolls back) once the owner or
//! tenant has a tombstone. Why no insert can commit after the purge:
//!
//! - **SQLite** has one writer at a time: the insert's first statement is its write, so its
//!   transaction holds the write lock from before the guard's read until its commit. Either the
//!   purge committed first and the guard sees the tombstone, or the purge waits for the
//!   insert's commit and then deletes its row.
//! - **PostgreSQL** (READ COMMITTED): the guard takes a transaction-scoped advisory lock on the
//!   owner (tenant), *shared*, before it reads the tombstone; the purge takes the same lock
//!   *exclusive* before it writes. An insert holding the shared lock makes the purge wait until
//!   it commits, and the purge's delete (a later statement) then sees the row. An insert that
//!   asks for the lock while the purge holds it waits until the purge commits, and its read
//!   then sees the tombstone. A plain `INSERT ... WHERE NOT EXISTS` would not do: its snapshot
//!   may predate the purge's commit while the purge's delete cannot see the uncommitted row.
//!
//! User and tenant ids are never reused, so tombstones stay.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::DbConnection;

diesel::table! {
    /// One row per purged owner (and `deleted_at`, filled by the database).
    deleted_owners (owner_id) {
        owner_id -> BigInt,
    }
}

diesel::table! {
    /// One row per purged tenant (and `deleted_at`, filled by the database).
    deleted_tenants (tenant_id) {
        tenant_id -> BigInt,
    }
}

/// The first key of the owners' advisory locks (any constant; "hdpo" in ASCII). The second is
/// the owner id folded into 32 bits: two owners sharing a key only wait for each other.
const OWNER_LOCK: i32 = 0x6864_706f;
/// The same for tenants ("hdpt").
const TENANT_LOCK: i32 = 0x6864_7074;

/// Why an insert of an owner's row was refused: the owner was purged. Carried inside a Diesel
/// error (so that it rolls the transaction back) and answered 403 by the central mapping.
#[derive(Debug, thiserror::Error)]
#[error("user {0} has been deleted")]
pub struct OwnerDeleted(pub i64);

impl OwnerDeleted {
    /// The Diesel error that carries it.
    fn into_error(self) -> diesel::result::Error {
        diesel::result::Error::QueryBuilderError(Box::new(self))
    }

    /// The owner, when `err` is this refusal.
    pub fn find(err: &diesel::result::Error) -> Option<i64> {
        match err {
            diesel::result::Error::QueryBuilderError(inner) => inner
                .downcast_ref::<OwnerDeleted>()
                .map(|deleted| deleted.0),
            _ => None,
        }
    }
}

/// Why an insert of a tenant's row was refused: the tenant was deleted and its rows purged.
/// Answered 400 (`tenantId`: there is no such tenant) by the central mapping.
#[derive(Debug, thiserror::Error)]
#[error("tenant {0} has been deleted")]
pub struct TenantDeleted(pub i64);

impl TenantDeleted {
    fn into_error(self) -> diesel::result::Error {
        diesel::result::Error::QueryBuilderError(Box::new(self))
    }

    /// The tenant, when `err` is this refusal.
    pub fn find(err: &diesel::result::Error) -> Option<i64> {
        match err {
            diesel::result::Error::QueryBuilderError(inner) => inner
                .downcast_ref::<TenantDeleted>()
                .map(|deleted| deleted.0),
            _ => None,
        }
    }
}

fn lock_owner(conn: &mut DbConnection, owner: i64, exclusive: bool) -> QueryResult<()> {
    advisory_lock(conn, OWNER_LOCK, owner, exclusive)
}

fn advisory_lock(conn: &mut DbConnection, space: i32, id: i64, exclusive: bool) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        let function = match exclusive {
            true => "pg_advisory_xact_lock",
            false => "pg_advisory_xact_lock_shared",
        };
        // Both numbers are ours, not text from a request.
        c.batch_execute(&format!(
            "SELECT {function}({space}, CAST({id} % 2147483647 AS INTEGER))"
        ))?;
    }
    Ok(())
}

/// Whether `owner` has been purged.
pub fn is_deleted(conn: &mut DbConnection, owner: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        deleted_owners::table.filter(deleted_owners::owner_id.eq(owner)),
    ))
    .get_result(conn)
}

/// Call inside the transaction that inserts a row of `owner`, after the insert: fails with
/// [`OwnerDeleted`] (rolling the insert back) when the owner has been purged, and otherwise
/// keeps the purge from committing before this transaction does.
pub fn guard_owner(conn: &mut DbConnection, owner: i64) -> QueryResult<()> {
    lock_owner(conn, owner, false)?;
    match is_deleted(conn, owner)? {
        true => Err(OwnerDeleted(owner).into_error()),
        false => Ok(()),
    }
}

/// Purges `owner`: in one transaction, records their tombstone (kept if there is one) and runs
/// `delete`, which deletes their rows. Safe to run again.
pub fn purge_owner<T>(
    conn: &mut DbConnection,
    owner: i64,
    delete: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    conn.transaction(|conn| {
        lock_owner(conn, owner, true)?;
        let tombstone = diesel::insert_into(deleted_owners::table)
            .values(deleted_owners::owner_id.eq(owner))
            .on_conflict_do_nothing();
        crate::with_backend!(conn, |c| tombstone.execute(c))?;
        delete(conn)
    })
}

/// Whether `tenant` has been purged.
pub fn is_tenant_deleted(conn: &mut DbConnection, tenant: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        deleted_tenants::table.filter(deleted_tenants::tenant_id.eq(tenant)),
    ))
    .get_result(conn)
}

/// Call inside the transaction that inserts (or moves) a row into `tenant`, after the write:
/// fails with [`TenantDeleted`] (rolling the write back) when the tenant has been purged, and
/// otherwise keeps the purge from committing before this transaction does.
pub fn guard_tenant(conn: &mut DbConnection, tenant: i64) -> QueryResult<()> {
    advisory_lock(conn, TENANT_LOCK, tenant, false)?;
    match is_tenant_deleted(conn, tenant)? {
        true => Err(TenantDeleted(tenant).into_error()),
        false => Ok(()),
    }
}

/// Purges `tenant`: in one transaction, records its tombstone (kept if there is one) and runs
/// `delete`, which deletes its rows. Safe to run again.
pub fn purge_tenant<T>(
    conn: &mut DbConnection,
    tenant: i64,
    delete: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    conn.transaction(|conn| {
        advisory_lock(conn, TENANT_LOCK, tenant, true)?;
        let tombstone = diesel::insert_into(deleted_tenants::table)
            .values(deleted_tenants::tenant_id.eq(tenant))
            .on_conflict_do_nothing();
        crate::with_backend!(conn, |c| tombstone.execute(c))?;
        delete(conn)
    })
}
