//! Database plumbing shared by every component that owns a database.
//!
//! One code path, two databases: [`DbConnection`] is a `MultiConnection` over PostgreSQL and
//! SQLite, the backend is chosen by the URL ([`DatabaseUrl::parse`]), each component brings its
//! own embedded migrations for both ([`Migrations`]) and they run at start-up ([`connect`]).
//! Queries are synchronous Diesel and run on the blocking pool through [`run_db`], never on an
//! async worker thread.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use api_common::ApiError;
use diesel::connection::SimpleConnection;
use diesel::migration::{Migration, MigrationSource};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness};

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    // Last, as the derive tries variants in order and SQLite accepts any string.
    Sqlite(SqliteConnection),
}

pub type DbPool = r2d2::Pool<ConnectionManager>;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database URL, checked: `postgres://...` / `postgresql://...`, or SQLite as
/// `sqlite://path`, `sqlite:path` or a plain file path.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the driver is given: the URL for PostgreSQL, the file path for SQLite.
    target: String,
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // URLs may carry a password.
        write!(f, "DatabaseUrl({:?}, {})", self.backend, self.redacted())
    }
}

impl DatabaseUrl {
    /// Parses `value`, naming `variable` in the error.
    pub fn parse(variable: &str, value: &str) -> Result<Self, DbSetupError> {
        let invalid = |why: &str| DbSetupError::InvalidUrl {
            variable: variable.to_owned(),
            why: why.to_owned(),
        };
        let value = value.trim();
        if value.is_empty() {
            return Err(invalid("it is empty"));
        }
        if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            return Ok(DatabaseUrl {
                backend: Backend::Postgres,
                target: with_connect_timeout(value),
            });
        }
        let path = if let Some(rest) = value.strip_prefix("sqlite://") {
            rest
        } else if let Some(rest) = value.strip_prefix("sqlite:") {
            rest
        } else if has_scheme(value) {
            return Err(invalid(
                "expected postgres://, postgresql://, sqlite:// or a file path",
            ));
        } else {
            value
        };
        if path.is_empty() || path == ":memory:" {
            return Err(invalid("an SQLite database needs a file path"));
        }
        Ok(DatabaseUrl {
            backend: Backend::Sqlite,
            target: path.to_owned(),
        })
    }

    /// An SQLite database in the file at `path`.
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        DatabaseUrl {
            backend: Backend::Sqlite,
            target: path.into().to_string_lossy().into_owned(),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The URL with any password replaced, for logs and messages.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => format!("sqlite://{}", self.target),
            Backend::Postgres => redact_password(&self.target),
        }
    }
}

/// Seconds libpq waits for a server before giving up, unless the URL says otherwise: without
/// it an unreachable host blocks start-up (and each pooled connection attempt) for as long as
/// the operating system's TCP time-out, and the cause is lost behind a pool time-out.
const PG_CONNECT_TIMEOUT_SECS: u32 = 3;

fn with_connect_timeout(url: &str) -> String {
    if url.contains("connect_timeout=") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}connect_timeout={PG_CONNECT_TIMEOUT_SECS}")
}

fn has_scheme(value: &str) -> bool {
    match value.split_once(':') {
        Some((scheme, _)) => {
            scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        }
        None => false,
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A component's migrations, one set per backend. Declare it as a `const`: each use is then
/// a fresh value.
pub struct Migrations {
    pub postgres: EmbeddedMigrations,
    pub sqlite: EmbeddedMigrations,
}

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
    let manager = ConnectionManager { url: url.clone() };
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
    r2d2::Pool::builder()
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
fn retry_while_busy<T>(mut op: impl FnMut() -> Result<T, String>) -> Result<T, String> {
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

/// Why a database call failed.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("the blocking pool is gone")]
    Canceled,
}

impl DbError {
    /// A unique constraint refused the write (a name already taken).
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

/// The central mapping from database failures to what the caller sees: an unreachable database
/// is 503, everything else 500 with the cause logged and not shown.
impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Pool(cause) => ApiError::unavailable("database", cause),
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection
                | diesel::result::DatabaseErrorKind::UnableToSendCommand,
                info,
            )) => ApiError::unavailable("database", info.message()),
            DbError::Query(cause) => ApiError::internal(format!("database query failed: {cause}")),
            DbError::Canceled => ApiError::unavailable("database", "the blocking pool is gone"),
        }
    }
}

/// Runs `query` with a pooled connection on the blocking thread pool.
pub async fn run_db<T, F>(pool: &DbPool, query: F) -> Result<T, DbError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, diesel::result::Error> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        query(&mut conn).map_err(DbError::from)
    })
    .await
    .map_err(|_| DbError::Canceled)?
}

/// Whether the database answers (for `/healthz`).
pub async fn ping(pool: &DbPool) -> Result<(), DbError> {
    run_db(pool, |conn| conn.batch_execute("SELECT 1")).await
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

    #[test]
    fn urls_choose_the_backend_or_name_the_variable() {
        let pg = DatabaseUrl::parse("X_URL", "postgres://u:secret@h/db").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(pg.redacted(), "postgres://u:***@h/db?connect_timeout=3");
        let custom = DatabaseUrl::parse(
            "X_URL",
            "postgresql://h/db?sslmode=require&connect_timeout=9",
        );
        assert_eq!(
            custom.unwrap().redacted(),
            "postgresql://h/db?sslmode=require&connect_timeout=9"
        );
        assert!(!format!("{pg:?}").contains("secret"));
        for sqlite in [
            "sqlite://data/a.db",
            "sqlite:a.db",
            "./data/a.db",
            "/tmp/a.db",
            "a.db",
        ] {
            assert_eq!(
                DatabaseUrl::parse("X_URL", sqlite).unwrap().backend(),
                Backend::Sqlite
            );
        }
        for bad in [
            "mysql://h/db",
            "",
            "sqlite://",
            "sqlite::memory:",
            "http://x",
        ] {
            let err = DatabaseUrl::parse("X_URL", bad).unwrap_err();
            assert!(err.to_string().contains("X_URL"), "{err}");
        }
    }
}
