//! Tenants: the rows, the reads, and the store functions that change them.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use internal_auth::SYSTEM_TENANT_ID;

use crate::error::unless_taken;
use crate::lock::{lock_tenant_for_deletion, write_transaction};
use crate::schema::tenants;
use crate::{users, IdentityError};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tenants)]
pub struct Tenant {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A tenant to create.
#[derive(Debug)]
pub struct NewTenant<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
}

/// A full replacement of the settable columns.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = tenants, treat_none_as_null = true)]
pub struct TenantChangeset<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
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

/// Creates a tenant; [`IdentityError::TenantNameTaken`] when the name is another's.
pub fn create(conn: &mut DbConnection, new: &NewTenant<'_>) -> Result<Tenant, IdentityError> {
    let row = (
        tenants::name.eq(new.name),
        tenants::description.eq(new.description),
        tenants::created_at.eq(chrono::Utc::now().naive_utc()),
    );
    db::insert_returning!(
        conn,
        diesel::insert_into(tenants::table).values(row),
        Tenant::as_returning()
    )
    .map_err(|e| unless_taken(e, || IdentityError::TenantNameTaken(new.name.to_owned())))
}

/// Replaces `id`'s name and description.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &TenantChangeset<'_>,
) -> Result<Tenant, IdentityError> {
    db::with_backend!(conn, |c| diesel::update(tenants::table.find(id))
        .set(changes)
        .returning(Tenant::as_returning())
        .get_result(c)
        .optional())
    .map_err(|e| {
        unless_taken(e, || {
            IdentityError::TenantNameTaken(changes.name.to_owned())
        })
    })?
    .ok_or(IdentityError::TenantNotFound(id))
}

/// Deletes tenant `id`, and with it every user's administrative access to it, and records the
/// purge of its OAuth applications in the same transaction, leased to `holder` for `lease`
/// ([`crate::tenant_purges`]). Refused for the system tenant and for a tenant users belong to,
/// counted under a lock that keeps users from joining it meanwhile (see `lock`).
pub fn delete(
    conn: &mut DbConnection,
    id: i64,
    holder: &str,
    lease: std::time::Duration,
) -> Result<(), IdentityError> {
    if id == SYSTEM_TENANT_ID {
        return Err(IdentityError::SystemTenant);
    }
    write_transaction(conn, |conn| {
        if !lock_tenant_for_deletion(conn, id)? {
            return Err(IdentityError::TenantNotFound(id));
        }
        let members = users::count_in_tenant(conn, id)?;
        if members > 0 {
            return Err(IdentityError::TenantHasUsers {
                tenant_id: id,
                users: members,
            });
        }
        // `user_administered_tenants` rows go with it (ON DELETE CASCADE).
        diesel::delete(tenants::table.find(id)).execute(conn)?;
        crate::tenant_purges::record(conn, id, holder, lease)?;
        Ok(())
    })
}
