//! Durable work taken under leases: user deletions and tenant purges (docs/consistency.md).
//!
//! A work table has one row per piece of work, keyed by an id, with `requested_at`,
//! `lease_holder` and `lease_expires_at`. Every gateway replica lists what is due and takes
//! each piece with one statement, so that of several replicas at once only one gets it; a
//! replica restarted under the same name takes back at once what its earlier run held.
//! [`leased_work!`] writes those functions over a work table.

use chrono::{NaiveDateTime, TimeDelta, Utc};

pub(crate) fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// `lease` from now.
pub(crate) fn expiry(lease: std::time::Duration) -> NaiveDateTime {
    now() + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(30))
}

/// `due`, `take` and `release` over the work table `$table` keyed by `$key`.
macro_rules! leased_work {
    ($table:ident, $key:ident) => {
        /// Up to `limit` pieces of work whose lease has expired, oldest first; with `reclaim`,
        /// those held by `reclaim` too (a replica restarted under the same name: its earlier
        /// run is gone).
        pub fn due(
            conn: &mut db::DbConnection,
            limit: i64,
            reclaim: Option<&str>,
        ) -> diesel::QueryResult<Vec<i64>> {
            use crate::schema::$table;
            use diesel::prelude::*;
            let mut query = $table::table
                .order($table::requested_at)
                .limit(limit)
                .select($table::$key)
                .into_boxed();
            let expired = $table::lease_expires_at.lt(crate::leases::now());
            query = match reclaim {
                Some(holder) => query.filter(expired.or($table::lease_holder.eq(holder))),
                None => query.filter(expired),
            };
            query.load(conn)
        }

        /// Takes the work `id` for `holder` until `lease` from now, if its lease has expired
        /// (or, with `reclaim`, is `holder`'s own from an earlier run): one statement, so of
        /// two replicas at once one takes it. Whether it was taken.
        pub fn take(
            conn: &mut db::DbConnection,
            id: i64,
            holder: &str,
            lease: std::time::Duration,
            reclaim: bool,
        ) -> diesel::QueryResult<bool> {
            use crate::schema::$table;
            use diesel::prelude::*;
            let set = (
                $table::lease_holder.eq(holder),
                $table::lease_expires_at.eq(crate::leases::expiry(lease)),
            );
            let expired = $table::lease_expires_at.lt(crate::leases::now());
            let row = $table::table.find(id);
            match reclaim {
                true => diesel::update(row.filter(expired.or($table::lease_holder.eq(holder))))
                    .set(set)
                    .execute(conn),
                false => diesel::update(row.filter(expired)).set(set).execute(conn),
            }
            .map(|taken| taken == 1)
        }

        /// Gives the work `id` back, if `holder` holds it, to be taken again after `retry_in`
        /// (a purge failed).
        pub fn release(
            conn: &mut db::DbConnection,
            id: i64,
            holder: &str,
            retry_in: std::time::Duration,
        ) -> diesel::QueryResult<()> {
            use crate::schema::$table;
            use diesel::prelude::*;
            diesel::update(
                $table::table
                    .find(id)
                    .filter($table::lease_holder.eq(holder)),
            )
            .set((
                $table::lease_holder.eq(None::<String>),
                $table::lease_expires_at.eq(crate::leases::expiry(retry_in)),
            ))
            .execute(conn)
            .map(drop)
        }
    };
}

pub(crate) use leased_work;
