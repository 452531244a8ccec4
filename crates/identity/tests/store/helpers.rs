use db::{DatabaseUrl, DbConnection, DbPool, PoolOptions};
use diesel::r2d2::ManageConnection;
use identity::users::{self, Access, NewUser, User};
use internal_auth::permissions::ADMINISTRATOR;
use internal_auth::SYSTEM_TENANT_ID;
use test_support::PgDatabases;

/// A fresh identity database, dropped (PostgreSQL) or deleted (SQLite) with this value.
pub struct TestDb {
    pub url: DatabaseUrl,
    _postgres: Option<PgDatabases>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let postgres = PgDatabases::create_if_configured(&["identity"]);
        let url = test_support::database_url(postgres.as_ref(), dir.path(), "identity");
        TestDb {
            url: DatabaseUrl::parse("TEST_DB", &url).unwrap(),
            _postgres: postgres,
            _dir: dir,
        }
    }

    /// A pool on the database, migrated.
    pub fn pool(&self, size: u32) -> DbPool {
        let options = PoolOptions {
            max_size: size,
            ..PoolOptions::default()
        };
        db::connect("TEST_DB", &self.url, identity::MIGRATIONS, options).unwrap()
    }

    /// One connection, with nothing migrated.
    pub fn connection(&self) -> DbConnection {
        db::ConnectionManager::new(self.url.clone())
            .connect()
            .unwrap()
    }
}

/// Creates an active user of the system tenant.
pub fn user(conn: &mut DbConnection, name: &str, permissions: &[u32]) -> User {
    users::create(
        conn,
        &NewUser {
            user_name: name,
            password_hash: "hash",
            access: Access {
                tenant_id: SYSTEM_TENANT_ID,
                permissions,
                administered_tenants: &[],
                active: true,
            },
        },
    )
    .unwrap()
}

/// The names of the active administrators.
pub fn active_admins(conn: &mut DbConnection) -> Vec<String> {
    users::list(conn, None)
        .unwrap()
        .into_iter()
        .filter(|u| u.active && u.permissions.contains(&ADMINISTRATOR))
        .map(|u| u.user_name)
        .collect()
}

/// A replacement of `user` by `access`, keeping their name and password.
pub fn change<'a>(user: &'a User, access: Access<'a>) -> users::UserChangeset<'a> {
    users::UserChangeset {
        user_name: &user.user_name,
        password_hash: None,
        access,
    }
}

/// A rule that allows everything.
pub fn anyone(_: &User) -> Result<(), api_common::ApiError> {
    Ok(())
}

/// The lease store functions are given in these tests.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(30);
