//! Users being deleted, as durable work (docs/consistency.md, I2).
//!
//! [`request`] deactivates the user and records the deletion in one transaction; from then on
//! the record says what is left to do. Any gateway replica takes a due deletion under a lease
//! ([`take`]), asks both services to purge the user, records each confirmation ([`confirm`])
//! and, once both are in, deletes the user with the record ([`finish`]). The lease only keeps
//! two replicas from doing the same work at once: the purges are idempotent and [`finish`]
//! checks the confirmations under its own locks, so a replica that outlives its lease does no
//! harm.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;

use crate::lock::{lock_users, write_transaction};
use crate::schema::{user_deletions, users};
use crate::users::{find as find_user, keep_an_administrator, locked_for_change, User};
use crate::IdentityError;
use api_common::ApiError;

/// A deletion record.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = user_deletions)]
pub struct Deletion {
    pub user_id: i64,
    pub requested_at: NaiveDateTime,
    pub lease_holder: Option<String>,
    pub lease_expires_at: NaiveDateTime,
    pub profiles_purged: bool,
    pub registrations_purged: bool,
}

impl Deletion {
    /// Whether both services have confirmed their purge.
    pub fn purged(&self) -> bool {
        self.profiles_purged && self.registrations_purged
    }
}

/// Which service confirmed its purge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    Profiles,
    Registrations,
}

/// What [`request`] did.
#[derive(Debug)]
pub struct Requested {
    /// The user as stored now (inactive).
    pub user: User,
    /// Whether `holder` holds the lease now and should carry the work out.
    pub taken: bool,
}

use crate::leases::{expiry, now};

/// Deletes user `id` as durable work, if `rule` allows it for the user as stored: in one
/// transaction the user is made inactive and the deletion recorded, under a lease held by
/// `holder`. Refused for the last active administrator. A user already being deleted is
/// answered as such (the lease taken when it has expired).
pub fn request(
    conn: &mut DbConnection,
    id: i64,
    holder: &str,
    lease: std::time::Duration,
    rule: impl Fn(&User) -> Result<(), ApiError>,
) -> Result<Requested, IdentityError> {
    write_transaction(conn, |conn| {
        let current = locked_for_change(conn, id, rule)?;
        if find(conn, id)?.is_some() {
            let taken = take(conn, id, holder, lease, false)?;
            return Ok(Requested {
                user: current,
                taken,
            });
        }
        keep_an_administrator(conn, &current)?;
        let now = now();
        diesel::update(users::table.find(id))
            .set((users::active.eq(false), users::updated_at.eq(now)))
            .execute(conn)?;
        diesel::insert_into(user_deletions::table)
            .values((
                user_deletions::user_id.eq(id),
                user_deletions::requested_at.eq(now),
                user_deletions::lease_holder.eq(holder),
                user_deletions::lease_expires_at.eq(expiry(lease)),
            ))
            .execute(conn)?;
        Ok(Requested {
            user: User {
                active: false,
                updated_at: now,
                ..current
            },
            taken: true,
        })
    })
}

/// How many deletions are recorded and not finished.
pub fn count(conn: &mut DbConnection) -> QueryResult<u64> {
    let count: i64 = user_deletions::table.count().get_result(conn)?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// The deletion record of user `id`, if they are being deleted.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Deletion>> {
    user_deletions::table
        .find(id)
        .select(Deletion::as_select())
        .get_result(conn)
        .optional()
}

crate::leases::leased_work!(user_deletions, user_id);

/// Records that `purge` was confirmed for user `id`. Whoever holds the lease: a purge that
/// was confirmed stays true.
pub fn confirm(conn: &mut DbConnection, id: i64, purge: Purge) -> QueryResult<()> {
    let target = diesel::update(user_deletions::table.find(id));
    match purge {
        Purge::Profiles => target
            .set(user_deletions::profiles_purged.eq(true))
            .execute(conn),
        Purge::Registrations => target
            .set(user_deletions::registrations_purged.eq(true))
            .execute(conn),
    }
    .map(drop)
}

/// Deletes user `id` and their deletion record once both purges are confirmed (refusing the
/// last active administrator, should one have become that meanwhile). Whether the deletion is
/// complete now: `true` too when there is no record left (another replica finished it).
pub fn finish(conn: &mut DbConnection, id: i64) -> Result<bool, IdentityError> {
    write_transaction(conn, |conn| {
        lock_users(conn, id)?;
        let Some(deletion) = find(conn, id)? else {
            return Ok(true);
        };
        if !deletion.purged() {
            return Ok(false);
        }
        if let Some(user) = find_user(conn, id)? {
            keep_an_administrator(conn, &user)?;
        }
        // The record goes with the user's row (ON DELETE CASCADE); both, should either be left.
        diesel::delete(users::table.find(id)).execute(conn)?;
        diesel::delete(user_deletions::table.find(id)).execute(conn)?;
        Ok(true)
    })
}
