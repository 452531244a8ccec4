//! The gateway's rows and the queries on them: [`tenants`] and [`users`].
//!
//! Queries are plain functions taking `&mut DbConnection` and returning `QueryResult`; handlers
//! run them through `db::run_db`.

pub mod tenants;
pub mod users;

use db::DbConnection;
use diesel::prelude::*;
use internal_auth::SYSTEM_TENANT_ID;

use crate::schema::tenants as tenants_table;

/// Serializes the transactions that change users or delete tenants, on both backends.
///
/// Call it first inside the transaction. The rules that span rows (the last active
/// administrator, a tenant that still has users, administered tenants that must exist) are
/// checked by reading, and two transactions reading at once could each allow what together
/// breaks the rule. A no-op write to the system tenant's row (which always exists) makes them
/// take turns: PostgreSQL locks that row until commit, SQLite takes its one write lock.
pub fn lock_identity_changes(conn: &mut DbConnection) -> QueryResult<()> {
    diesel::update(tenants_table::table.find(SYSTEM_TENANT_ID))
        .set(tenants_table::name.eq(tenants_table::name))
        .execute(conn)
        .map(drop)
}

/// Ids stored comma-separated in a text column (portable across both backends).
pub fn encode_ids<T: ToString>(ids: &[T]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The ids of a comma-separated text column; anything unreadable is skipped.
pub fn decode_ids<T: std::str::FromStr>(text: &str) -> Vec<T> {
    text.split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        assert_eq!(encode_ids(&[1u32, 12, 28]), "1,12,28");
        assert_eq!(decode_ids::<u32>("1,12,28"), vec![1, 12, 28]);
        assert_eq!(decode_ids::<i64>(""), Vec::<i64>::new());
        assert_eq!(encode_ids::<i64>(&[]), "");
    }
}
