//! Each component's embedded migrations, run at start-up by one process at a time.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::migration::{Migration, MigrationSource};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

use crate::DbConnection;

/// A component's migrations, one set per backend. Declare it as a `const`: each use is then
/// a fresh value.
pub struct Migrations {
    pub postgres: EmbeddedMigrations,
    pub sqlite: EmbeddedMigrations,
}

/// Runs every pending migration of the connection's backend.
///
/// Replicas starting together must not migrate at once: on PostgreSQL the run holds a
/// session advisory lock (scoped to the database), on SQLite an IMMEDIATE transaction.
pub fn run_migrations(conn: &mut DbConnection, migrations: Migrations) -> Result<(), String> {
    match conn {
        DbConnection::Postgresql(c) => {
            c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
                .map_err(|e| format!("cannot take the migration lock: {e}"))?;
            let result = c
                .run_pending_migrations(migrations.postgres)
                .map(drop)
                .map_err(|e| e.to_string());
            let unlocked = c
                .batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
                .map_err(|e| format!("cannot release the migration lock: {e}"));
            result.and(unlocked)
        }
        // One IMMEDIATE transaction around the whole run: the write lock is taken (waiting out
        // busy_timeout) before the pending migrations are even listed, so replicas cannot both
        // find one pending; the harness's own transactions become savepoints inside it.
        DbConnection::Sqlite(c) => retry_while_busy(|| {
            c.immediate_transaction(|c| {
                c.run_pending_migrations(Borrowed(&migrations.sqlite))
                    .map(drop)
            })
            .map_err(|e: Box<dyn std::error::Error + Send + Sync>| e.to_string())
        }),
    }
}

/// Whether some of `migrations` have not been run on the connection's database.
pub fn has_pending_migrations(
    conn: &mut DbConnection,
    migrations: Migrations,
) -> Result<bool, String> {
    match conn {
        DbConnection::Postgresql(c) => c.has_pending_migration(migrations.postgres),
        DbConnection::Sqlite(c) => c.has_pending_migration(migrations.sqlite),
    }
    .map_err(|e| format!("cannot list the migrations run: {e}"))
}

/// Lends embedded migrations, so that a run can be tried again.
struct Borrowed<'a>(&'a EmbeddedMigrations);

impl<DB: diesel::backend::Backend> MigrationSource<DB> for Borrowed<'_> {
    fn migrations(&self) -> diesel::migration::Result<Vec<Box<dyn Migration<DB>>>> {
        <EmbeddedMigrations as MigrationSource<DB>>::migrations(self.0)
    }
}

/// Retries `op` while SQLite reports the database busy, for up to ten seconds. Processes that
/// start together on one SQLite file (replicas, or a service and its `reseal` command) meet
/// locks that SQLite refuses at once instead of waiting out `busy_timeout`: switching the file
/// to WAL, and a migration's read lock turning into a write lock.
pub(crate) fn retry_while_busy<T>(mut op: impl FnMut() -> Result<T, String>) -> Result<T, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut pause = Duration::from_millis(10);
    loop {
        match op() {
            Err(e) if is_busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

fn is_busy(message: &str) -> bool {
    message.contains("database is locked") || message.contains("database is busy")
}

/// The advisory lock key that serializes migrations (any constant; "hdpm" in ASCII).
const MIGRATION_LOCK: i64 = 0x6864_706d;

/// Reverts every applied migration of the connection's backend (tests and operators).
pub fn revert_all_migrations(
    conn: &mut DbConnection,
    migrations: Migrations,
) -> Result<(), String> {
    let result = match conn {
        DbConnection::Postgresql(c) => c.revert_all_migrations(migrations.postgres).map(drop),
        DbConnection::Sqlite(c) => c.revert_all_migrations(migrations.sqlite).map(drop),
    };
    result.map_err(|e| e.to_string())
}
