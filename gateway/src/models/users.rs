//! Rows of `users` and the queries on them.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use internal_auth::{permissions, Identity};
use serde::Serialize;

use super::{decode_ids, encode_ids};
use crate::schema::users;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub user_name: String,
    pub password_hash: String,
    pub tenant_id: i64,
    /// Permission ids, comma-separated.
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
    /// See [`encode_ids`].
    pub permissions: &'a str,
    pub administered_tenants: &'a str,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A full replacement of what an administrator may set; `password_hash: None` keeps the
/// password.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChangeset<'a> {
    pub user_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub tenant_id: i64,
    pub permissions: &'a str,
    pub administered_tenants: &'a str,
    pub active: bool,
    pub updated_at: NaiveDateTime,
}

/// A user as the admin API shows them: never the password or its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    pub id: i64,
    pub user_name: String,
    pub tenant_id: i64,
    pub permissions: Vec<u32>,
    pub administered_tenants: Vec<i64>,
    pub active: bool,
}

/// `GET /api/admin/users`.
#[derive(Debug, Serialize)]
pub struct UserList {
    pub users: Vec<UserView>,
}

impl User {
    /// Who this user is, as internal tokens carry them.
    pub fn identity(&self) -> Identity {
        Identity {
            user_id: self.id,
            user_name: self.user_name.clone(),
            tenant_id: self.tenant_id,
            permissions: decode_ids(&self.permissions),
            administered_tenants: decode_ids(&self.administered_tenants),
        }
    }

    pub fn is_active_admin(&self) -> bool {
        self.active && self.identity().is_admin()
    }

    pub fn into_view(self) -> UserView {
        UserView {
            id: self.id,
            permissions: decode_ids(&self.permissions),
            administered_tenants: decode_ids(&self.administered_tenants),
            user_name: self.user_name,
            tenant_id: self.tenant_id,
            active: self.active,
        }
    }
}

/// Permission ids as stored.
pub fn encode_permissions(permissions: &[u32]) -> String {
    encode_ids(permissions)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .get_result(conn)
        .optional()
}

/// The user with this exact name (one lookup on the unique index).
pub fn find_by_name(conn: &mut DbConnection, user_name: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::user_name.eq(user_name))
        .select(User::as_select())
        .get_result(conn)
        .optional()
}

/// The users of `tenants` (every user for `None`), oldest first.
pub fn list(conn: &mut DbConnection, tenants: Option<&[i64]>) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .order(users::id)
        .select(User::as_select())
        .into_boxed();
    if let Some(tenants) = tenants {
        query = query.filter(users::tenant_id.eq_any(tenants.to_vec()));
    }
    query.load(conn)
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
    // Permissions are a text list; there are few active users with it, and parsing here keeps
    // the rule in one place rather than in LIKE patterns.
    let rows: Vec<String> = users::table
        .filter(users::active.eq(true))
        .filter(users::id.ne(except))
        .filter(users::permissions.like(format!("%{}%", permissions::ADMINISTRATOR)))
        .select(users::permissions)
        .load(conn)?;
    Ok(rows
        .iter()
        .any(|text| decode_ids::<u32>(text).contains(&permissions::ADMINISTRATOR)))
}

pub fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> QueryResult<User> {
    db::insert_returning!(
        conn,
        diesel::insert_into(users::table).values(new),
        User::as_returning()
    )
}

/// Replaces `id`'s settable columns; `None` when it no longer exists.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &UserChangeset<'_>,
) -> QueryResult<Option<User>> {
    let updated = diesel::update(users::table.find(id))
        .set(changes)
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// Marks `id` inactive; whether it exists.
pub fn deactivate(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(users::table.find(id))
        .set((users::active.eq(false), users::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n > 0)
}

/// Removes `tenant_id` from every user's administered tenants.
pub fn forget_administered_tenant(conn: &mut DbConnection, tenant_id: i64) -> QueryResult<()> {
    let rows: Vec<(i64, String)> = users::table
        .filter(users::administered_tenants.like(format!("%{tenant_id}%")))
        .select((users::id, users::administered_tenants))
        .load(conn)?;
    for (id, text) in rows {
        let ids: Vec<i64> = decode_ids(&text);
        if !ids.contains(&tenant_id) {
            continue;
        }
        let kept: Vec<i64> = ids.into_iter().filter(|t| *t != tenant_id).collect();
        diesel::update(users::table.find(id))
            .set(users::administered_tenants.eq(encode_ids(&kept)))
            .execute(conn)?;
    }
    Ok(())
}

/// Deletes `id`; whether a row went.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}
