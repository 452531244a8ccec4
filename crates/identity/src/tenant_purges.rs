//! Deleted tenants whose OAuth applications oauth-apps has yet to purge, as durable work
//! (docs/consistency.md, tenant deletion).
//!
//! [`crate::tenants::delete`] records the purge ([`record`]) in the transaction that deletes the
//! tenant. Any gateway replica takes a due purge under a lease ([`take`]), asks oauth-apps to
//! purge the tenant (idempotent, under a tombstone that refuses new applications there), and
//! then deletes the record ([`done`]).

use db::DbConnection;
use diesel::prelude::*;

use crate::leases::{expiry, now};
use crate::schema::tenant_purges;

crate::leases::leased_work!(tenant_purges, tenant_id);

/// Records that the applications of deleted tenant `id` are to be purged, leased to `holder`
/// for `lease` (the replica that deleted the tenant tries at once). Inside the deletion's
/// transaction.
pub fn record(
    conn: &mut DbConnection,
    id: i64,
    holder: &str,
    lease: std::time::Duration,
) -> QueryResult<()> {
    let record = diesel::insert_into(tenant_purges::table)
        .values((
            tenant_purges::tenant_id.eq(id),
            tenant_purges::requested_at.eq(now()),
            tenant_purges::lease_holder.eq(holder),
            tenant_purges::lease_expires_at.eq(expiry(lease)),
        ))
        .on_conflict_do_nothing();
    db::with_backend!(conn, |c| record.execute(c)).map(drop)
}

/// The purge of tenant `id` is confirmed: its record goes.
pub fn done(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::delete(tenant_purges::table.find(id))
        .execute(conn)
        .map(drop)
}

/// The deleted tenants whose purge is still to be done (for the consistency check).
pub fn pending(conn: &mut DbConnection) -> QueryResult<Vec<i64>> {
    tenant_purges::table
        .select(tenant_purges::tenant_id)
        .order(tenant_purges::tenant_id)
        .load(conn)
}
