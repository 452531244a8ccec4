//! How changes to users and tenants keep their invariants when several run at once.
//!
//! The rules that span rows are checked by reading: another active administrator remains, no
//! user belongs to the tenant being deleted, the tenants a user is given exist. Two
//! transactions that each read before the other writes could each pass and together break the
//! rule (two administrators demoting each other at once would leave none). So every store
//! function that writes runs in [`write_transaction`] and locks what its rules read *before*
//! it reads it:
//!
//! - **SQLite** has one writer at a time. The transaction begins `IMMEDIATE`, taking the write
//!   lock before its first read (waiting up to `busy_timeout` for it), so nothing it reads can
//!   change until it commits: identity changes take turns, and readers (the sign-in path) are
//!   not held up (WAL). A deferred transaction would read first and, if another writer
//!   committed meanwhile, fail its first write with `SQLITE_BUSY` without waiting. The lock
//!   functions below have nothing to add on SQLite and only read.
//! - **PostgreSQL** runs writers side by side under READ COMMITTED, where each statement sees
//!   what was committed before it began. A rule's rows are locked first (`SELECT ... FOR
//!   UPDATE` / `FOR KEY SHARE`): a transaction that has to wait for such a lock goes on once
//!   the holder has committed, and its next statement sees that commit.
//!   - *The last active administrator*: a change that may remove an active administrator (a
//!     demotion, a deactivation, a deletion) locks, in one statement in id order, the row of
//!     the user it changes and the row of every active administrator ([`lock_users`]). Of two
//!     such changes at once, each locks the other's user, an active administrator until the
//!     other commits; so the second waits for the first and then counts without it. One
//!     statement in id order means they cannot deadlock. An administrator appointed meanwhile
//!     is not locked and need not be: it only adds one.
//!   - *A tenant with users*: deleting it locks its row `FOR UPDATE` before counting its users
//!     ([`lock_tenant_for_deletion`]). A change that puts a user in a tenant or lets them
//!     administer one locks those tenants `FOR KEY SHARE` first, and learns from the lock
//!     which exist ([`lock_tenants`]). The two locks conflict: either the deletion waits and
//!     counts the new user, or the change waits and finds the tenant gone (400 naming the
//!     field). Changes naming the same tenant, and a rename, do not wait for each other.
//!   - Locks are taken in one order, users' rows before tenants' rows and both before any
//!     write, so a user change and a tenant deletion cannot deadlock either.
//!
//! Foreign keys hold the same lines on both backends should a rule ever be missed: a user's
//! tenant cannot be deleted, and a deleted user or tenant takes its permission and
//! administered-tenant rows along. SERIALIZABLE with retries would also be correct on
//! PostgreSQL, but it aborts on read/write overlaps that break no rule, and every store
//! function would have to be safe to run again; the locks above name what each rule depends
//! on and make the loser wait instead of fail.

use db::DbConnection;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use internal_auth::permissions::ADMINISTRATOR;

use crate::schema::{tenants, user_permissions, users};
use crate::IdentityError;

type Manager = <DbConnection as Connection>::TransactionManager;

/// Runs `change` in a transaction fit for the locks of this module: `BEGIN IMMEDIATE` on
/// SQLite, `BEGIN` (READ COMMITTED) on PostgreSQL. Committed when `change` succeeds, rolled
/// back otherwise. Not to be nested in another transaction.
pub(crate) fn write_transaction<T, E>(
    conn: &mut DbConnection,
    change: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<IdentityError>,
{
    let begun = match conn {
        DbConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
        DbConnection::Sqlite(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
        }
    };
    begun.map_err(IdentityError::from)?;
    // As Diesel's own `transaction`, whose begin statement cannot be chosen.
    match change(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn).map_err(IdentityError::from)?;
            Ok(value)
        }
        Err(refused) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(refused),
            Err(failed) => Err(IdentityError::from(failed).into()),
        },
    }
}

/// On PostgreSQL, locks the row of `user_id` and those of every active administrator, in id
/// order, for a change that could remove an administrator.
pub(crate) fn lock_users(conn: &mut DbConnection, user_id: i64) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        let administrators = user_permissions::table
            .filter(user_permissions::permission.eq(i64::from(ADMINISTRATOR)))
            .select(user_permissions::user_id);
        users::table
            .filter(
                users::id
                    .eq(user_id)
                    .or(users::active.and(users::id.eq_any(administrators))),
            )
            .select(users::id)
            .order(users::id)
            .for_update()
            .load::<i64>(c)?;
    }
    Ok(())
}

/// Which of `ids` are tenants; on PostgreSQL they are locked against deletion (`FOR KEY
/// SHARE`) until the transaction ends.
pub(crate) fn lock_tenants(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<i64>> {
    let existing = tenants::table
        .filter(tenants::id.eq_any(ids))
        .select(tenants::id)
        .order(tenants::id);
    match conn {
        DbConnection::Postgresql(c) => existing.for_key_share().load(c),
        DbConnection::Sqlite(c) => existing.load(c),
    }
}

/// Whether tenant `id` exists; on PostgreSQL its row is locked (`FOR UPDATE`) until the
/// transaction ends.
pub(crate) fn lock_tenant_for_deletion(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    let tenant = tenants::table.find(id).select(tenants::id);
    let found = match conn {
        DbConnection::Postgresql(c) => tenant.for_update().get_result::<i64>(c).optional(),
        DbConnection::Sqlite(c) => tenant.get_result::<i64>(c).optional(),
    };
    found.map(|found| found.is_some())
}
