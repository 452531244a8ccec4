//! Users: who they are, where they belong and what they may do.
//!
//! A user is stored in three tables: their row in `users`, one row per permission in
//! `user_permissions` and one per administered tenant in `user_administered_tenants`. A
//! [`User`] is all of it, read in one query (the sign-in path reads it for every request that
//! misses the gateway's user cache): the two lists come back as text aggregated by the database
//! (`string_agg`, which PostgreSQL has and SQLite has since 3.44), numbers only, and are
//! parsed here.
//!
//! Reads are here; the store functions that change users are in `store`, re-exported here.

mod store;

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use internal_auth::{permissions, Identity};

use crate::schema::{user_permissions, users};

pub use store::{
    check_change, check_name, create, create_first, deactivate, delete, replace, Access, NewUser,
    Replaced, UserChangeset,
};
pub(crate) use store::{keep_an_administrator, locked_for_change};

/// A user, with their permissions and administered tenants. (`Default` is an empty one, for
/// tests that need a user as stored.)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub user_name: String,
    pub password_hash: String,
    pub tenant_id: i64,
    /// Permission ids, ascending.
    pub permissions: Vec<u32>,
    /// Ids of the tenants administered, ascending.
    pub administered_tenants: Vec<i64>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    /// Who this user is, as internal tokens carry them.
    pub fn identity(&self) -> Identity {
        Identity {
            user_id: self.id,
            user_name: self.user_name.clone(),
            tenant_id: self.tenant_id,
            permissions: self.permissions.clone(),
            administered_tenants: self.administered_tenants.clone(),
        }
    }

    pub fn is_active_admin(&self) -> bool {
        self.active && self.permissions.contains(&permissions::ADMINISTRATOR)
    }
}

/// A user's permission ids, joined by commas (a correlated subquery of the users query).
const PERMISSIONS: &str = "(SELECT string_agg(CAST(permission AS TEXT), ',' ORDER BY permission) \
     FROM user_permissions WHERE user_permissions.user_id = users.id)";
/// The ids of the tenants a user administers, joined by commas.
const ADMINISTERED_TENANTS: &str =
    "(SELECT string_agg(CAST(tenant_id AS TEXT), ',' ORDER BY tenant_id) \
     FROM user_administered_tenants WHERE user_administered_tenants.user_id = users.id)";

/// What the users query selects: the row and the two aggregated lists.
#[derive(Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRecord {
    id: i64,
    user_name: String,
    password_hash: String,
    tenant_id: i64,
    active: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    #[diesel(
        select_expression = sql::<Nullable<Text>>(PERMISSIONS),
        select_expression_type = SqlLiteral<Nullable<Text>>
    )]
    permissions: Option<String>,
    #[diesel(
        select_expression = sql::<Nullable<Text>>(ADMINISTERED_TENANTS),
        select_expression_type = SqlLiteral<Nullable<Text>>
    )]
    administered_tenants: Option<String>,
}

impl From<UserRecord> for User {
    fn from(record: UserRecord) -> Self {
        User {
            id: record.id,
            user_name: record.user_name,
            password_hash: record.password_hash,
            tenant_id: record.tenant_id,
            permissions: parse_ids(record.permissions.as_deref()),
            administered_tenants: parse_ids(record.administered_tenants.as_deref()),
            active: record.active,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// The ids of an aggregated list (`None`: no rows).
fn parse_ids<T: std::str::FromStr>(text: Option<&str>) -> Vec<T> {
    text.into_iter()
        .flat_map(|text| text.split(','))
        .filter_map(|id| id.parse().ok())
        .collect()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(UserRecord::as_select())
        .get_result(conn)
        .optional()
        .map(|record| record.map(User::from))
}

/// The user with this exact name: one lookup on the unique index, one round trip.
pub fn find_by_name(conn: &mut DbConnection, user_name: &str) -> QueryResult<Option<User>> {
    db::with_backend!(conn, |c| users::table
        .filter(users::user_name.eq(user_name))
        .select(UserRecord::as_select())
        .get_result(c)
        .optional())
    .map(|record| record.map(User::from))
}

/// Every user's id and tenant, in id order (the consistency check).
pub fn tenants_of_all(conn: &mut DbConnection) -> QueryResult<Vec<(i64, i64)>> {
    users::table
        .order(users::id)
        .select((users::id, users::tenant_id))
        .load(conn)
}

/// The users of `tenants` (every user for `None`), oldest first.
pub fn list(conn: &mut DbConnection, tenants: Option<&[i64]>) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .order(users::id)
        .select(UserRecord::as_select())
        .into_boxed();
    if let Some(tenants) = tenants {
        query = query.filter(users::tenant_id.eq_any(tenants.to_vec()));
    }
    let records = query.load(conn)?;
    Ok(records.into_iter().map(User::from).collect())
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// How many users belong to `tenant_id`.
pub fn count_in_tenant(conn: &mut DbConnection, tenant_id: i64) -> QueryResult<i64> {
    users::table
        .filter(users::tenant_id.eq(tenant_id))
        .count()
        .get_result(conn)
}

/// Whether an active administrator other than `except` exists.
pub fn another_active_admin(conn: &mut DbConnection, except: i64) -> QueryResult<bool> {
    let administrators = user_permissions::table
        .filter(user_permissions::permission.eq(i64::from(permissions::ADMINISTRATOR)))
        .select(user_permissions::user_id);
    let others: i64 = users::table
        .filter(users::active)
        .filter(users::id.ne(except))
        .filter(users::id.eq_any(administrators))
        .count()
        .get_result(conn)?;
    Ok(others > 0)
}
