//! The pool: connections of exactly the backend the URL names, set up alike on every checkout.

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;

use crate::migrations::{retry_while_busy, run_migrations, Migrations};
use crate::{Backend, DatabaseUrl, DbConnection, DbPool};

/// How a pool is sized and how long it waits.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_size: u32,
    /// How long a request waits for a connection before it is answered with 503.
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_size: 8,
            connection_timeout: Duration::from_secs(3),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("{variable} is not a usable database URL: {why}")]
    InvalidUrl { variable: String, why: String },
    #[error("cannot connect to the database given by {variable} ({url}): {cause}")]
    Connect {
        variable: String,
        url: String,
        cause: String,
    },
    #[error("cannot migrate the database given by {variable} ({url}): {cause}")]
    Migrate {
        variable: String,
        url: String,
        cause: String,
    },
}

/// Opens a pool on `url` and runs pending migrations. `variable` names the setting the URL came
/// from, for error messages. Fails within about `options.connection_timeout` when the database
/// cannot be reached.
pub fn connect(
    variable: &str,
    url: &DatabaseUrl,
    migrations: Migrations,
    options: PoolOptions,
) -> Result<DbPool, DbSetupError> {
    connect_observed(variable, url, migrations, options, None)
}

/// [`connect`], with the pool's metrics in `metrics` ([`PoolMetrics`]).
pub fn connect_with_metrics(
    variable: &str,
    url: &DatabaseUrl,
    migrations: Migrations,
    options: PoolOptions,
    metrics: &telemetry::Metrics,
) -> Result<DbPool, DbSetupError> {
    let pool_metrics = PoolMetrics::new();
    let pool = connect_observed(
        variable,
        url,
        migrations,
        options,
        Some(pool_metrics.clone()),
    )?;
    pool_metrics.register(&pool, metrics);
    Ok(pool)
}

fn connect_observed(
    variable: &str,
    url: &DatabaseUrl,
    migrations: Migrations,
    options: PoolOptions,
    observer: Option<PoolMetrics>,
) -> Result<DbPool, DbSetupError> {
    init_openssl();
    let manager = ConnectionManager::new(url.clone());
    if url.backend() == Backend::Sqlite {
        owner_only(Path::new(&url.target)).map_err(|e| DbSetupError::Connect {
            variable: variable.to_owned(),
            url: url.redacted(),
            cause: format!("cannot create the database file readable by its owner only: {e}"),
        })?;
    }
    // Establish one connection ourselves first: r2d2 would retry until its timeout and lose the
    // cause.
    let mut conn =
        retry_while_busy(|| manager.connect().map_err(|e| e.to_string())).map_err(|cause| {
            DbSetupError::Connect {
                variable: variable.to_owned(),
                url: url.redacted(),
                cause,
            }
        })?;
    run_migrations(&mut conn, migrations).map_err(|cause| DbSetupError::Migrate {
        variable: variable.to_owned(),
        url: url.redacted(),
        cause,
    })?;
    drop(conn);
    let mut builder = r2d2::Pool::builder();
    if let Some(observer) = observer {
        builder = builder.event_handler(Box::new(observer));
    }
    builder
        .max_size(options.max_size)
        .min_idle(Some(1))
        // A PostgreSQL connection may have died with the server or the network: it is checked
        // (`SELECT 1`) before each use. An SQLite connection is a file opened in this process
        // and cannot; checking it anyway was 7% of a service's CPU for a GET.
        .test_on_check_out(url.backend() == Backend::Postgres)
        .connection_timeout(options.connection_timeout)
        .error_handler(Box::new(LogPoolErrors))
        .build(manager)
        .map_err(|e| DbSetupError::Connect {
            variable: variable.to_owned(),
            url: url.redacted(),
            cause: e.to_string(),
        })
}

/// Creates the SQLite file `path` readable and writable by its owner only (0600), or takes
/// group and other permissions away from one that exists: it holds sealed credentials and the
/// users' password hashes. SQLite creates the write-ahead log and shared-memory files with the
/// database file's permissions.
fn owner_only(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)?;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            log::warn!(
                "{} was readable by others (mode {:o}): it is now 0600",
                path.display(),
                mode & 0o777
            );
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Establishes connections of exactly the backend the URL names (the derive's own `establish`
/// would fall back to SQLite and create a file named after an unreachable PostgreSQL URL).
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        ConnectionManager { url }
    }
}

/// How long requests wait for a connection of the pool, and how many gave up (observed by the
/// pool on every checkout); and the pool's connections, idle and at most, read at each scrape.
#[derive(Clone)]
pub struct PoolMetrics {
    wait: prometheus::Histogram,
    timeouts: prometheus::IntCounter,
}

impl PoolMetrics {
    // Constant, valid definitions: building them cannot fail.
    #[expect(clippy::expect_used, reason = "constant, valid metric definitions")]
    fn new() -> Self {
        let wait = prometheus::HistogramOpts::new(
            "hdp_db_pool_wait_seconds",
            "Time a query waited for a connection of the pool.",
        )
        .buckets(telemetry::DURATION_BUCKETS.to_vec());
        PoolMetrics {
            wait: prometheus::Histogram::with_opts(wait).expect("a valid histogram"),
            timeouts: prometheus::IntCounter::new(
                "hdp_db_pool_timeouts_total",
                "Queries that got no connection within the pool's timeout (answered 503).",
            )
            .expect("a valid counter"),
        }
    }

    /// Adds these and gauges of `pool`'s connections to `metrics`.
    #[expect(clippy::expect_used, reason = "constant, valid metric definitions")]
    fn register(&self, pool: &crate::DbPool, metrics: &telemetry::Metrics) {
        metrics.register(self.wait.clone());
        metrics.register(self.timeouts.clone());
        let gauge = |name: &str, help: &str| {
            let gauge = prometheus::IntGauge::new(name, help).expect("a valid gauge");
            metrics.register(gauge.clone());
            gauge
        };
        let open = gauge(
            "hdp_db_pool_connections",
            "Connections the pool holds, in use or idle.",
        );
        let idle = gauge(
            "hdp_db_pool_idle_connections",
            "Idle connections of the pool.",
        );
        let max = gauge(
            "hdp_db_pool_max_connections",
            "Connections the pool may hold at most.",
        );
        let pool = pool.clone();
        metrics.on_scrape(move || {
            let state = pool.state();
            open.set(i64::from(state.connections));
            idle.set(i64::from(state.idle_connections));
            max.set(i64::from(pool.max_size()));
        });
    }
}

impl std::fmt::Debug for PoolMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PoolMetrics")
    }
}

impl r2d2::HandleEvent for PoolMetrics {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        self.wait.observe(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, event: r2d2::event::TimeoutEvent) {
        self.wait.observe(event.timeout().as_secs_f64());
        self.timeouts.inc();
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.url.backend {
            Backend::Postgres => PgConnection::establish(&self.url.target)
                .map(DbConnection::Postgresql)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.url.target)
                    .map_err(r2d2::Error::ConnectionError)?;
                // secure_delete: freed pages are zeroed, so a replaced credential (even sealed)
                // does not linger in the file. mmap_size: reads map the file instead of
                // copying each page into the connection's own 2 MB cache, so a table larger
                // than that cache is read as cheaply as a small one (docs/benchmarks.md).
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA secure_delete = ON; PRAGMA mmap_size = 268435456;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        match conn {
            DbConnection::Postgresql(c) => r2d2::R2D2Connection::is_broken(c),
            DbConnection::Sqlite(c) => r2d2::R2D2Connection::is_broken(c),
        }
    }
}

#[derive(Debug)]
struct LogPoolErrors;

impl r2d2::HandleError<r2d2::Error> for LogPoolErrors {
    fn handle_error(&self, error: r2d2::Error) {
        log::warn!("database connection failed: {error}");
    }
}

/// Initialises OpenSSL, which libpq uses, once and before any connection, without its exit-time
/// cleanup (`OPENSSL_INIT_NO_ATEXIT`, what `openssl_sys::init` asks for). With the cleanup
/// registered, a process that exits while other threads still hold PostgreSQL connections (the
/// pool's, the blocking pool's) may crash in `OPENSSL_cleanup` racing those threads' own
/// OpenSSL teardown: seen as SIGSEGV at the end of test binaries. The memory is the system's to
/// take back at exit anyway.
pub fn init_openssl() {
    openssl_sys::init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = Text)]
        compile_options: String,
    }

    /// .cargo/config.toml builds the bundled SQLite with the query planner stability guarantee,
    /// so that statements with a bound LIMIT are not prepared again on every execution.
    #[test]
    fn sqlite_is_built_with_the_query_planner_stability_guarantee() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<CompileOption> =
            diesel::sql_query("SELECT compile_options FROM pragma_compile_options")
                .load(&mut conn)
                .unwrap();
        assert!(
            options.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
            "{:?}",
            options
                .iter()
                .map(|o| &o.compile_options)
                .collect::<Vec<_>>()
        );
    }

    /// The database file, and the log and shared-memory files SQLite makes beside it, are the
    /// owner's only; a file found readable by others is tightened.
    #[cfg(unix)]
    #[test]
    fn sqlite_files_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("component.db");
        owner_only(&path).unwrap();
        let manager = ConnectionManager::new(DatabaseUrl::sqlite(&path));
        let mut conn = manager.connect().unwrap();
        conn.batch_execute("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('secret');")
            .unwrap();
        let mode = |suffix: &str| {
            let file = format!("{}{suffix}", path.display());
            std::fs::metadata(file).unwrap().permissions().mode() & 0o777
        };
        for suffix in ["", "-wal", "-shm"] {
            assert_eq!(mode(suffix), 0o600, "component.db{suffix}");
        }
        drop(conn);

        let loose = dir.path().join("loose.db");
        std::fs::write(&loose, b"").unwrap();
        std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
        owner_only(&loose).unwrap();
        let mode = std::fs::metadata(&loose).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
