//! Users and the queries on them.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use internal_auth::Identity;

use crate::schema::users;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub user_name: String,
    pub password_hash: String,
    pub tenant_id: i64,
    /// Permission ids, comma-separated (portable across both backends).
    pub permissions: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Ids of tenants administered, comma-separated.
    pub administered_tenants: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub user_name: &'a str,
    pub password_hash: &'a str,
    pub tenant_id: i64,
    pub permissions: &'a str,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn identity(&self) -> Identity {
        Identity {
            user_id: self.id,
            user_name: self.user_name.clone(),
            tenant_id: self.tenant_id,
            permissions: decode_permissions(&self.permissions),
            administered_tenants: decode_ids(&self.administered_tenants),
        }
    }
}

pub fn encode_permissions(permissions: &[u32]) -> String {
    permissions
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_permissions(text: &str) -> Vec<u32> {
    text.split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

fn decode_ids(text: &str) -> Vec<i64> {
    text.split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect()
}

pub fn find_by_name(conn: &mut DbConnection, user_name: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::user_name.eq(user_name))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<usize> {
    diesel::insert_into(users::table).values(new).execute(conn)
}
