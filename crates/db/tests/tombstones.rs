//! The tombstone guard of `db::owners` against a purge at the same moment, on SQLite files and,
//! when `TEST_POSTGRES_URL` is set, on PostgreSQL: whichever of an insert and a purge starts
//! first, no row of the purged owner (tenant) is left. Each case holds one transaction open
//! mid-way while the other runs, so the interleaving is forced, not hoped for. Without the
//! guard's shared lock, PostgreSQL leaves the row in both cases (the purge's delete cannot see
//! an uncommitted insert; an insert after the purge sees no tombstone it waited for).

#![expect(
    clippy::unwrap_used,
    reason = "a failed step in a test is a failed test"
)]

use std::sync::mpsc;
use std::time::Duration;

use db::owners::{self, OwnerDeleted, TenantDeleted};
use db::DbConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use test_support::PgDatabases;

/// How long the first transaction stays open after its write.
const HOLD: Duration = Duration::from_millis(400);

struct Database {
    url: String,
    _postgres: Option<PgDatabases>,
    _dir: tempfile::TempDir,
}

impl Database {
    fn new() -> Database {
        let dir = tempfile::tempdir().unwrap();
        let postgres = PgDatabases::create_if_configured(&["tombstones"]);
        let url = test_support::database_url(postgres.as_ref(), dir.path(), "tombstones");
        let database = Database {
            url,
            _postgres: postgres,
            _dir: dir,
        };
        database
            .connect()
            .batch_execute(
                "CREATE TABLE deleted_owners (owner_id BIGINT PRIMARY KEY NOT NULL, \
                     deleted_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); \
                 CREATE TABLE deleted_tenants (tenant_id BIGINT PRIMARY KEY NOT NULL, \
                     deleted_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); \
                 CREATE TABLE owned (owner_id BIGINT NOT NULL)",
            )
            .unwrap();
        database
    }

    fn connect(&self) -> DbConnection {
        let mut conn = DbConnection::establish(&self.url).unwrap();
        if let DbConnection::Sqlite(_) = conn {
            conn.batch_execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000")
                .unwrap();
        }
        conn
    }

    fn rows_of(&self, owner: i64) -> i64 {
        diesel::select(diesel::dsl::sql::<BigInt>(&format!(
            "(SELECT COUNT(*) FROM owned WHERE owner_id = {owner})"
        )))
        .get_result(&mut self.connect())
        .unwrap()
    }
}

fn insert(conn: &mut DbConnection, owner: i64) -> QueryResult<()> {
    conn.batch_execute(&format!("INSERT INTO owned (owner_id) VALUES ({owner})"))
}

fn delete(conn: &mut DbConnection, owner: i64) -> QueryResult<usize> {
    diesel::sql_query(format!("DELETE FROM owned WHERE owner_id = {owner}")).execute(conn)
}

/// Whose tombstones: a user's or a tenant's.
#[derive(Clone, Copy)]
enum Kind {
    Owner,
    Tenant,
}

impl Kind {
    fn guard(self, conn: &mut DbConnection, id: i64) -> QueryResult<()> {
        match self {
            Kind::Owner => owners::guard_owner(conn, id),
            Kind::Tenant => owners::guard_tenant(conn, id),
        }
    }

    fn purge<T>(
        self,
        conn: &mut DbConnection,
        id: i64,
        rows: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
    ) -> QueryResult<T> {
        match self {
            Kind::Owner => owners::purge_owner(conn, id, rows),
            Kind::Tenant => owners::purge_tenant(conn, id, rows),
        }
    }

    fn refused(self, err: &diesel::result::Error) -> bool {
        match self {
            Kind::Owner => OwnerDeleted::find(err).is_some(),
            Kind::Tenant => TenantDeleted::find(err).is_some(),
        }
    }
}

/// The insert writes its row and passes the guard, holds its transaction open, and the purge
/// starts meanwhile: the purge waits for the insert's commit, then deletes the row.
fn insert_first(kind: Kind) {
    let database = Database::new();
    let (inserted, wait) = mpsc::channel();
    let insert = std::thread::spawn({
        let mut conn = database.connect();
        move || {
            conn.transaction(|conn| {
                insert(conn, 7)?;
                kind.guard(conn, 7)?;
                inserted.send(()).unwrap();
                std::thread::sleep(HOLD);
                Ok::<_, diesel::result::Error>(())
            })
        }
    });
    wait.recv().unwrap();
    let purged = kind.purge(&mut database.connect(), 7, |conn| delete(conn, 7));
    insert.join().unwrap().unwrap();
    assert_eq!(purged.unwrap(), 1, "the purge saw the insert's row");
    assert_eq!(database.rows_of(7), 0);
}

/// The purge records its tombstone and deletes, holds its transaction open, and an insert
/// starts meanwhile: the insert waits for the purge's commit, sees the tombstone and rolls
/// back.
fn purge_first(kind: Kind) {
    let database = Database::new();
    let (purging, wait) = mpsc::channel();
    let purge = std::thread::spawn({
        let mut conn = database.connect();
        move || {
            kind.purge(&mut conn, 7, |conn| {
                let rows = delete(conn, 7)?;
                purging.send(()).unwrap();
                std::thread::sleep(HOLD);
                Ok(rows)
            })
        }
    });
    wait.recv().unwrap();
    let outcome = database.connect().transaction(|conn| {
        insert(conn, 7)?;
        kind.guard(conn, 7)
    });
    purge.join().unwrap().unwrap();
    let err = outcome.unwrap_err();
    assert!(kind.refused(&err), "refused by the tombstone, not {err}");
    assert_eq!(database.rows_of(7), 0);
}

#[test]
fn an_owner_insert_before_the_purge_is_deleted_by_it() {
    insert_first(Kind::Owner);
}

#[test]
fn an_owner_insert_after_the_purge_is_refused() {
    purge_first(Kind::Owner);
}

#[test]
fn a_tenant_insert_before_the_purge_is_deleted_by_it() {
    insert_first(Kind::Tenant);
}

#[test]
fn a_tenant_insert_after_the_purge_is_refused() {
    purge_first(Kind::Tenant);
}
