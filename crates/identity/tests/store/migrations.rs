//! The migration from comma-separated text columns to the permission and administered-tenant
//! tables carries every user's rows over, and its down migration puts them back.

use db::DbConnection;
use diesel::sql_types::Text;
use diesel::{QueryableByName, RunQueryDsl};
use diesel_migrations::MigrationHarness;
use identity::users;

use crate::helpers::TestDb;

/// The migrations before the tables came.
const OLD_MIGRATIONS: usize = 3;

fn run_next(conn: &mut DbConnection) {
    let migrations = identity::MIGRATIONS;
    match conn {
        DbConnection::Postgresql(c) => drop(c.run_next_migration(migrations.postgres).unwrap()),
        DbConnection::Sqlite(c) => drop(c.run_next_migration(migrations.sqlite).unwrap()),
    }
}

fn revert_last(conn: &mut DbConnection) {
    let migrations = identity::MIGRATIONS;
    match conn {
        DbConnection::Postgresql(c) => drop(c.revert_last_migration(migrations.postgres).unwrap()),
        DbConnection::Sqlite(c) => drop(c.revert_last_migration(migrations.sqlite).unwrap()),
    }
}

fn execute(conn: &mut DbConnection, sql: &str) {
    diesel::sql_query(sql).execute(conn).unwrap();
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct OldColumns {
    #[diesel(sql_type = Text)]
    user_name: String,
    #[diesel(sql_type = Text)]
    permissions: String,
    #[diesel(sql_type = Text)]
    administered_tenants: String,
}

/// (name, permissions, administered tenants) of every user, oldest first.
fn carried(conn: &mut DbConnection) -> Vec<(String, Vec<u32>, Vec<i64>)> {
    users::list(conn, None)
        .unwrap()
        .into_iter()
        .map(|u| (u.user_name, u.permissions, u.administered_tenants))
        .collect()
}

#[test]
fn text_columns_become_rows_and_come_back_on_the_way_down() {
    let db = TestDb::new();
    let mut conn = db.connection();
    for _ in 0..OLD_MIGRATIONS {
        run_next(&mut conn);
    }
    // As the old code wrote them, and some it never wrote: repeats, spaces, junk, a tenant
    // that was deleted.
    execute(
        &mut conn,
        "INSERT INTO tenants (id, name, created_at) VALUES \
         (2, 'A', CURRENT_TIMESTAMP), (3, 'B', CURRENT_TIMESTAMP)",
    );
    execute(
        &mut conn,
        "INSERT INTO users (user_name, password_hash, tenant_id, permissions, active, \
         created_at, updated_at, administered_tenants) VALUES \
         ('admin', 'h', 1, '1,2,3,4,8,11,12,14,21,28', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, ''), \
         ('manager', 'h', 2, '11,1', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3,2'), \
         ('plain', 'h', 3, '', false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, ''), \
         ('odd', 'h', 1, ' 28, 28,x,,4', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '2, 99')",
    );

    run_next(&mut conn);
    let expected = vec![
        (
            "admin".to_owned(),
            vec![1, 2, 3, 4, 8, 11, 12, 14, 21, 28],
            vec![],
        ),
        ("manager".to_owned(), vec![1, 11], vec![2, 3]),
        ("plain".to_owned(), vec![], vec![]),
        ("odd".to_owned(), vec![4, 28], vec![2]),
    ];
    assert_eq!(carried(&mut conn), expected);

    revert_last(&mut conn);
    let old: Vec<OldColumns> = diesel::sql_query(
        "SELECT user_name, permissions, administered_tenants FROM users ORDER BY id",
    )
    .load(&mut conn)
    .unwrap();
    let old: Vec<(&str, &str, &str)> = old
        .iter()
        .map(|o| {
            (
                o.user_name.as_str(),
                o.permissions.as_str(),
                o.administered_tenants.as_str(),
            )
        })
        .collect();
    assert_eq!(
        old,
        vec![
            ("admin", "1,2,3,4,8,11,12,14,21,28", ""),
            ("manager", "1,11", "2,3"),
            ("plain", "", ""),
            ("odd", "4,28", "2"),
        ]
    );

    run_next(&mut conn);
    assert_eq!(carried(&mut conn), expected);
}

#[test]
fn every_migration_runs_up_down_and_up_again() {
    let db = TestDb::new();
    let mut conn = db.connection();
    db::run_migrations(&mut conn, identity::MIGRATIONS).unwrap();
    db::revert_all_migrations(&mut conn, identity::MIGRATIONS).unwrap();
    db::run_migrations(&mut conn, identity::MIGRATIONS).unwrap();
    assert_eq!(users::count(&mut conn).unwrap(), 0);
}
