//! The databases themselves: migrations both ways on both backends, and a database that goes
//! away while the stack runs.

use diesel::prelude::*;
use diesel::r2d2::ManageConnection;
use envconfig::Envconfig;
use reqwest::Method;

use crate::helpers::{codes, reply, spawn_stack, PgDatabases, COMPONENTS, POSTGRES_VAR};

fn migrations(component: &str) -> db::Migrations {
    match component {
        "gateway" => gateway::MIGRATIONS,
        "oauth-apps" => oauth_apps::MIGRATIONS,
        "oauth-profiles" => oauth_profiles::MIGRATIONS,
        "client-registration" => client_registration::MIGRATIONS,
        other => panic!("unknown component {other}"),
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Tables other than the migration bookkeeping.
fn user_tables(conn: &mut db::DbConnection) -> i64 {
    let count: Count = match conn {
        db::DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE '__diesel%' AND name <> 'sqlite_sequence'",
        )
        .get_result(c),
        db::DbConnection::Postgresql(c) => diesel::sql_query(
            "SELECT COUNT(*) AS n FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_name NOT LIKE '__diesel%'",
        )
        .get_result(c),
    }
    .unwrap();
    count.n
}

fn up_down_up(component: &str, url: &str) {
    let url = db::DatabaseUrl::parse("TEST", url).unwrap();
    let mut conn = db::ConnectionManager::new(url).connect().unwrap();
    db::run_migrations(&mut conn, migrations(component)).unwrap();
    let tables = user_tables(&mut conn);
    assert!(tables > 0, "{component}: no tables after up");
    db::revert_all_migrations(&mut conn, migrations(component)).unwrap();
    assert_eq!(
        user_tables(&mut conn),
        0,
        "{component}: tables left after down"
    );
    db::run_migrations(&mut conn, migrations(component)).unwrap();
    assert_eq!(
        user_tables(&mut conn),
        tables,
        "{component}: up again differs"
    );
}

#[test]
fn every_component_migrates_up_down_up_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    for component in COMPONENTS {
        let file = dir.path().join(format!("{component}.db"));
        up_down_up(component, &file.to_string_lossy());
    }
}

#[test]
fn every_component_migrates_up_down_up_on_postgres() {
    let Some(pg) = PgDatabases::create_if_configured(&COMPONENTS) else {
        eprintln!("skipped: {POSTGRES_VAR} is not set");
        return;
    };
    for component in COMPONENTS {
        up_down_up(component, &pg.url(component));
    }
}

#[tokio::test]
async fn a_lost_database_is_503_and_the_service_recovers_by_itself() {
    let app = spawn_stack().await;
    let Some(pg) = app.postgres() else {
        eprintln!("skipped: {POSTGRES_VAR} is not set");
        return;
    };
    app.create_app("Before").await;
    let name = pg.name("oauth-apps").to_owned();
    pg.admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    pg.admin_execute(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));

    let r = app.admin(Method::GET, "/api/mgmt/oauthapps", None).await;
    r.envelope(503, codes::UNAVAILABLE);
    // Not ready, but alive: nothing to restart.
    let oauth_apps = format!("http://127.0.0.1:{}", app.stack.oauth_apps.port);
    let ready = format!("{oauth_apps}/readyz");
    let health = format!("{oauth_apps}/healthz");
    reply(app.client.get(&ready))
        .await
        .envelope(503, codes::UNAVAILABLE);
    assert_eq!(reply(app.client.get(&health)).await.status, 200);
    // The other services are unaffected.
    let r = app
        .admin(Method::GET, "/api/mgmt/oauth/client/applications", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    pg.admin_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let r = app.admin(Method::GET, "/api/mgmt/oauthapps", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["applications"][0]["name"], "Before");
    assert_eq!(reply(app.client.get(&ready)).await.status, 200);
    assert_eq!(reply(app.client.get(&health)).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_on_one_database_all_come_up() {
    let dir = tempfile::tempdir().unwrap();
    let pg = PgDatabases::create_if_configured(&["gateway"]);
    let database_url = match &pg {
        Some(pg) => pg.url("gateway"),
        None => dir.path().join("gateway.db").to_string_lossy().into_owned(),
    };
    let keys = internal_auth::load_or_generate_key_pair(&dir.path().join("keys")).unwrap();
    let replicas: Vec<_> = (0..4)
        .map(|_| {
            let mut config = gateway::Config::init_from_hashmap(&Default::default()).unwrap();
            config.addr = "127.0.0.1:0".to_owned();
            config.database_url = database_url.clone();
            config.token_signing_key_file = keys.private_key.clone();
            config.admin_password = Some("replica-password".to_owned());
            config.workers = Some(1);
            tokio::task::spawn_blocking(move || gateway::build(&config).map(|app| app.handle()))
        })
        .collect();
    for replica in replicas {
        let handle = replica
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("a replica failed: {e}"));
        handle.stop(false).await;
    }
    let url = db::DatabaseUrl::parse("TEST", &database_url).unwrap();
    let mut conn = db::ConnectionManager::new(url).connect().unwrap();
    let users: Count = match &mut conn {
        db::DbConnection::Sqlite(c) => {
            diesel::sql_query("SELECT COUNT(*) AS n FROM users").get_result(c)
        }
        db::DbConnection::Postgresql(c) => {
            diesel::sql_query("SELECT COUNT(*) AS n FROM users").get_result(c)
        }
    }
    .unwrap();
    assert_eq!(users.n, 1);
}
