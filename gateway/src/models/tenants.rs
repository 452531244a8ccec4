//! Rows of `tenants` and the queries on them.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::tenants;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tenants)]
pub struct NewTenant<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

/// A full replacement of the settable columns.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tenants, treat_none_as_null = true)]
pub struct TenantChangeset<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
}

/// A tenant as the admin API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TenantView {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `GET /api/admin/tenants`.
#[derive(Debug, Serialize)]
pub struct TenantList {
    pub tenants: Vec<TenantView>,
}

impl Tenant {
    pub fn into_view(self) -> TenantView {
        TenantView {
            id: self.id,
            name: self.name,
            description: self.description,
        }
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Tenant>> {
    tenants::table
        .find(id)
        .select(Tenant::as_select())
        .get_result(conn)
        .optional()
}

/// The id of the tenant named exactly `name`.
pub fn id_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Option<i64>> {
    tenants::table
        .filter(tenants::name.eq(name))
        .select(tenants::id)
        .get_result(conn)
        .optional()
}

/// The tenants with these ids (every tenant for `None`), oldest first.
pub fn list(conn: &mut DbConnection, ids: Option<&[i64]>) -> QueryResult<Vec<Tenant>> {
    let mut query = tenants::table
        .order(tenants::id)
        .select(Tenant::as_select())
        .into_boxed();
    if let Some(ids) = ids {
        query = query.filter(tenants::id.eq_any(ids.to_vec()));
    }
    query.load(conn)
}

/// The first of `ids` that names no tenant.
pub fn first_missing(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Option<i64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let found: Vec<i64> = tenants::table
        .filter(tenants::id.eq_any(ids.to_vec()))
        .select(tenants::id)
        .load(conn)?;
    Ok(ids.iter().copied().find(|id| !found.contains(id)))
}

pub fn insert(conn: &mut DbConnection, new: &NewTenant<'_>) -> QueryResult<Tenant> {
    db::insert_returning!(
        conn,
        diesel::insert_into(tenants::table).values(new),
        Tenant::as_returning()
    )
}

/// Replaces `id`'s settable columns; `None` when it no longer exists.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &TenantChangeset<'_>,
) -> QueryResult<Option<Tenant>> {
    let updated = diesel::update(tenants::table.find(id))
        .set(changes)
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    find(conn, id)
}

/// Deletes `id`; whether a row went.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::delete(tenants::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}
