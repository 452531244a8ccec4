//! What the test suites of several packages share, and nothing of the product: fresh
//! PostgreSQL databases for the second half of the test matrix, free loopback ports, and the
//! check that a service's route lists are what it registers ([`assert_route_lists`]).
//!
//! The suites run on SQLite files unless [`POSTGRES_VAR`] names a PostgreSQL server; then each
//! test gets databases of its own, created here and dropped (connections and all) when the
//! [`PgDatabases`] value goes.

#![expect(
    clippy::unwrap_used,
    reason = "a helper that cannot do its job fails the test that called it"
)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::{Connection, PgConnection, RunQueryDsl};

/// The environment variable that switches the suites to PostgreSQL: a URL of a database the
/// tests may connect to as a user who may create databases, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`. Unset or empty: SQLite files.
pub const POSTGRES_VAR: &str = "TEST_POSTGRES_URL";

/// Fresh PostgreSQL databases for one test, one per component, dropped at the end.
pub struct PgDatabases {
    admin_url: String,
    names: HashMap<String, String>,
}

impl PgDatabases {
    /// Databases for `components` when [`POSTGRES_VAR`] is set; `None` otherwise.
    pub fn create_if_configured(components: &[&str]) -> Option<Self> {
        let admin_url = std::env::var(POSTGRES_VAR)
            .ok()
            .filter(|url| !url.is_empty())?;
        Some(Self::create(&admin_url, components))
    }

    /// Databases for `components` on the server of `admin_url`.
    pub fn create(admin_url: &str, components: &[&str]) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = format!(
            "hdp_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos_suffix()
        );
        // Before libpq's first use of OpenSSL: no exit-time cleanup (`db::init_openssl`).
        openssl_sys::init();
        let mut conn = PgConnection::establish(admin_url)
            .unwrap_or_else(|e| panic!("{POSTGRES_VAR}={admin_url}: {e}"));
        let mut names = HashMap::new();
        for component in components {
            let name = format!("{unique}_{}", component.replace('-', "_"));
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
            names.insert((*component).to_owned(), name);
        }
        PgDatabases {
            admin_url: admin_url.to_owned(),
            names,
        }
    }

    /// The URL of `component`'s database.
    pub fn url(&self, component: &str) -> String {
        let mut url = url::Url::parse(&self.admin_url).unwrap();
        url.set_path(&format!("/{}", self.name(component)));
        url.to_string()
    }

    /// The name of `component`'s database.
    pub fn name(&self, component: &str) -> &str {
        self.names
            .get(component)
            .unwrap_or_else(|| panic!("no database was created for {component}"))
    }

    /// Runs `sql` over the administrative connection (to cut a database off, say).
    pub fn admin_execute(&self, sql: &str) {
        let mut conn = PgConnection::establish(&self.admin_url).unwrap();
        diesel::sql_query(sql)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

impl Drop for PgDatabases {
    fn drop(&mut self) {
        let Ok(mut conn) = PgConnection::establish(&self.admin_url) else {
            return;
        };
        for name in self.names.values() {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

/// `component`'s database: in PostgreSQL when `postgres` holds one, else a SQLite file in
/// `dir`.
pub fn database_url(
    postgres: Option<&PgDatabases>,
    dir: &std::path::Path,
    component: &str,
) -> String {
    match postgres {
        Some(pg) => pg.url(component),
        None => dir
            .join(format!("{component}.db"))
            .to_string_lossy()
            .into_owned(),
    }
}

/// A loopback port nothing listens on right now. Another process could take it before the
/// caller binds it: a small race tests accept where a component must be told a peer's address
/// before that peer starts.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn nanos_suffix() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    nanos % 1_000_000
}

/// Checks a service's route lists against what its `configure` registers: every listed (method,
/// path template) reaches a handler, every other method on a listed path is 405, and a path two
/// segments below a listed one is 404. `{id}` in a template is tried as `1`.
pub async fn assert_route_lists(
    configure: fn(&mut actix_web::web::ServiceConfig),
    lists: &[&[(&str, &str)]],
) {
    use actix_web::http::{Method, StatusCode};
    use actix_web::{test, App};

    let app = test::init_service(App::new().configure(configure)).await;
    let all: Vec<&(&str, &str)> = lists.iter().flat_map(|list| list.iter()).collect();
    for (_, template) in &all {
        let path = template.replace("{id}", "1");
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
            let listed = all.iter().any(|(m, t)| *m == method && t == template);
            let request = test::TestRequest::default()
                .method(Method::from_bytes(method.as_bytes()).unwrap())
                .uri(&path)
                .to_request();
            let status = test::call_service(&app, request).await.status();
            if listed {
                assert!(
                    status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template}: {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {template}"
                );
            }
        }
        let below = test::TestRequest::get()
            .uri(&format!("{path}/not/listed"))
            .to_request();
        let status = test::call_service(&app, below).await.status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}/not/listed");
    }
}
