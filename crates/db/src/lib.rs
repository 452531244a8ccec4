//! Database plumbing shared by every component that owns a database.
//!
//! One code path, two databases: [`DbConnection`] is a `MultiConnection` over PostgreSQL and
//! SQLite, the backend is chosen by the URL ([`DatabaseUrl::parse`]), each component brings its
//! own embedded migrations for both ([`Migrations`]) and they run at start-up ([`connect`]).
//! Queries are synchronous Diesel and run on the blocking pool through [`run_db`], never on an
//! async worker thread.
//!
//! A write refused by a unique constraint is answered by the caller's own message through
//! [`OnUniqueViolation`]; every other failure by the central mapping of [`DbError`].

mod error;
mod migrations;
pub mod owners;
mod pool;
mod url;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2;
use diesel::sqlite::SqliteConnection;

pub use error::{DbError, OnUniqueViolation};
pub use migrations::{has_pending_migrations, revert_all_migrations, run_migrations, Migrations};
pub use pool::{
    connect, connect_with_metrics, init_openssl, ConnectionManager, DbSetupError, PoolMetrics,
    PoolOptions,
};
pub use url::{redact_password, Backend, DatabaseUrl};

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    // Last, as the derive tries variants in order and SQLite accepts any string.
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<ConnectionManager>;

/// Runs `query` with a pooled connection on the blocking thread pool.
pub async fn run_db<T, F>(pool: &DbPool, query: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, diesel::result::Error> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    // The blocking thread logs for the request too.
    actix_web::web::block(telemetry::blocking(move || {
        let mut conn = pool.get()?;
        query(&mut conn).map_err(DbError::from)
    }))
    .await
    .map_err(|_| DbError::Canceled)?
}

/// Whether the component can serve, for `/readyz`: a connection within `wait` (a pooled
/// PostgreSQL connection is checked on the way out), and none of `migrations` pending. `Err`
/// says what is wrong, without the database's address.
pub async fn ready(
    pool: &DbPool,
    migrations: Migrations,
    wait: std::time::Duration,
) -> Result<(), String> {
    let pool = pool.clone();
    actix_web::web::block(telemetry::blocking(move || {
        let mut conn = pool
            .get_timeout(wait)
            .map_err(|e| format!("no database connection: {e}"))?;
        conn.batch_execute("SELECT 1")
            .map_err(|e| format!("the database does not answer: {e}"))?;
        match has_pending_migrations(&mut conn, migrations)? {
            false => Ok(()),
            true => Err("the database's migrations are not current".to_owned()),
        }
    }))
    .await
    .map_err(|_| "the readiness check was canceled".to_owned())?
}

/// Runs `$body` with `$c` bound to the concrete connection of either backend, for queries on
/// the hot path. Through the multi-backend connection Diesel writes out a query's SQL text on
/// every execution to find its cached statement; on a concrete connection the cache is keyed by
/// the query's type. The query is still written once.
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConnection::Postgresql($c) => $body,
            $crate::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Inserts a row and returns it, on either backend. `RETURNING` is not available through the
/// multi-backend, so the statement is built once and run on the concrete connection.
#[macro_export]
macro_rules! insert_returning {
    ($conn:expr, $insert:expr, $returning:expr) => {
        $crate::with_backend!($conn, |c| diesel::RunQueryDsl::get_result(
            $insert.returning($returning),
            c
        ))
    };
}
