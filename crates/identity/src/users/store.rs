//! The store functions that change users. Each runs in its own transaction (see `lock`) and
//! keeps the invariants that span rows:
//!
//! - a user's name is unique;
//! - the tenant a user belongs to and the tenants they administer exist;
//! - at least one active user holds Administrator, once one does: no change demotes,
//!   deactivates or deletes the last one.
//!
//! Who may make a change is the caller's business, but it must be judged on the user as they
//! are when the change is made, not as they were when the request began: another change may
//! have come between. So the functions that change an existing user take a *rule*, a closure
//! that sees the stored [`User`] under the transaction's locks and refuses with the admin API's
//! answer ([`IdentityError::Refused`]).

use api_common::ApiError;
use db::DbConnection;
use diesel::prelude::*;
use internal_auth::permissions;

use super::{another_active_admin, count, find, User};
use crate::error::unless_taken;
use crate::lock::{lock_tenants, lock_users, write_transaction};
use crate::schema::users;
use crate::{IdentityError, TenantField};

/// Where a user belongs and what they may do: what rules are about.
#[derive(Debug, Clone, Copy)]
pub struct Access<'a> {
    pub tenant_id: i64,
    /// Permission ids, without repeats.
    pub permissions: &'a [u32],
    /// Tenant ids, without repeats.
    pub administered_tenants: &'a [i64],
    pub active: bool,
}

impl Access<'_> {
    pub fn is_active_admin(&self) -> bool {
        self.active && self.permissions.contains(&permissions::ADMINISTRATOR)
    }
}

/// A user to create.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub user_name: &'a str,
    pub password_hash: &'a str,
    pub access: Access<'a>,
}

/// A full replacement of a user; `password_hash: None` keeps the password.
#[derive(Debug)]
pub struct UserChangeset<'a> {
    pub user_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub access: Access<'a>,
}

/// A user as [`replace`] left them, and the tenant they belonged to before.
#[derive(Debug)]
pub struct Replaced {
    pub user: User,
    pub previous_tenant_id: i64,
}

impl Replaced {
    /// Whether the user was moved to another tenant.
    pub fn moved(&self) -> bool {
        self.user.tenant_id != self.previous_tenant_id
    }
}

/// Creates a user. [`IdentityError::UnknownTenant`] for a tenant that does not exist (their
/// own first), [`IdentityError::UserNameTaken`] when the name is another's.
pub fn create(conn: &mut DbConnection, new: &NewUser<'_>) -> Result<User, IdentityError> {
    write_transaction(conn, |conn| insert(conn, new))
}

/// Creates `new` unless there is a user already (`Ok(None)`): the first administrator, made
/// at start-up. `announce` runs before the commit, and if it fails nothing is created. Two
/// processes starting at once on SQLite take turns; on PostgreSQL the second finds the name
/// taken ([`IdentityError::UserNameTaken`]) when both were given the same one.
pub fn create_first<E>(
    conn: &mut DbConnection,
    new: &NewUser<'_>,
    announce: impl FnOnce(&User) -> Result<(), E>,
) -> Result<Option<User>, E>
where
    E: From<IdentityError>,
{
    write_transaction(conn, |conn| {
        if count(conn).map_err(IdentityError::from)? > 0 {
            return Ok(None);
        }
        let user = insert(conn, new)?;
        announce(&user)?;
        Ok(Some(user))
    })
}

/// What [`replace`] will check again under its locks, checked now, before the caller does
/// costly work for the change (hashing a new password): user `id` exists and passes `rule`,
/// and `user_name` is free or theirs already.
pub fn check_change(
    conn: &mut DbConnection,
    id: i64,
    user_name: &str,
    rule: impl Fn(&User) -> Result<(), ApiError>,
) -> Result<User, IdentityError> {
    let current = find(conn, id)?.ok_or(IdentityError::UserNotFound(id))?;
    rule(&current).map_err(IdentityError::Refused)?;
    check_name(conn, user_name, Some(id))?;
    Ok(current)
}

/// [`IdentityError::UserNameTaken`] when `user_name` belongs to a user other than `except`. A
/// check ahead of costly work only: the unique index decides when two changes race for a name.
pub fn check_name(
    conn: &mut DbConnection,
    user_name: &str,
    except: Option<i64>,
) -> Result<(), IdentityError> {
    let holder: Option<i64> = users::table
        .filter(users::user_name.eq(user_name))
        .select(users::id)
        .get_result(conn)
        .optional()?;
    match holder {
        Some(holder) if Some(holder) != except => {
            Err(IdentityError::UserNameTaken(user_name.to_owned()))
        }
        _ => Ok(()),
    }
}

/// Replaces user `id` with `change` if `rule` allows it for the user as stored, unless that
/// removes the last active administrator or names a tenant that does not exist.
pub fn replace(
    conn: &mut DbConnection,
    id: i64,
    change: &UserChangeset<'_>,
    rule: impl Fn(&User) -> Result<(), ApiError>,
) -> Result<Replaced, IdentityError> {
    write_transaction(conn, |conn| {
        let current = locked_for_change(conn, id, rule)?;
        if crate::deletions::find(conn, id)?.is_some() {
            return Err(IdentityError::BeingDeleted(id));
        }
        check_tenants(conn, &change.access)?;
        if !change.access.is_active_admin() {
            keep_an_administrator(conn, &current)?;
        }
        let columns = (
            users::user_name.eq(change.user_name),
            users::tenant_id.eq(change.access.tenant_id),
            users::active.eq(change.access.active),
            users::updated_at.eq(chrono::Utc::now().naive_utc()),
        );
        let target = diesel::update(users::table.find(id));
        match change.password_hash {
            Some(hash) => target
                .set((columns, users::password_hash.eq(hash)))
                .execute(conn),
            None => target.set(columns).execute(conn),
        }
        .map_err(|e| unless_taken(e, || name_taken(change.user_name)))?;
        write_access(conn, id, &change.access)?;
        Ok(Replaced {
            user: find(conn, id)?.ok_or(IdentityError::UserNotFound(id))?,
            previous_tenant_id: current.tenant_id,
        })
    })
}

/// Marks user `id` inactive if `rule` allows it for the user as stored, unless they are the
/// last active administrator; the user as they are now.
pub fn deactivate(
    conn: &mut DbConnection,
    id: i64,
    rule: impl Fn(&User) -> Result<(), ApiError>,
) -> Result<User, IdentityError> {
    write_transaction(conn, |conn| {
        let current = locked_for_change(conn, id, rule)?;
        keep_an_administrator(conn, &current)?;
        diesel::update(users::table.find(id))
            .set((
                users::active.eq(false),
                users::updated_at.eq(chrono::Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        Ok(User {
            active: false,
            ..current
        })
    })
}

/// Deletes user `id` with their permissions and administered tenants, unless they are the
/// last active administrator; whether there was such a user.
pub fn delete(conn: &mut DbConnection, id: i64) -> Result<bool, IdentityError> {
    write_transaction(conn, |conn| {
        lock_users(conn, id)?;
        let Some(current) = find(conn, id)? else {
            return Ok(false);
        };
        keep_an_administrator(conn, &current)?;
        diesel::delete(users::table.find(id)).execute(conn)?;
        Ok(true)
    })
}

fn insert(conn: &mut DbConnection, new: &NewUser<'_>) -> Result<User, IdentityError> {
    check_tenants(conn, &new.access)?;
    let now = chrono::Utc::now().naive_utc();
    let row = (
        users::user_name.eq(new.user_name),
        users::password_hash.eq(new.password_hash),
        users::tenant_id.eq(new.access.tenant_id),
        users::active.eq(new.access.active),
        users::created_at.eq(now),
        users::updated_at.eq(now),
    );
    let id: i64 = db::insert_returning!(
        conn,
        diesel::insert_into(users::table).values(row),
        users::id
    )
    .map_err(|e| unless_taken(e, || name_taken(new.user_name)))?;
    write_access(conn, id, &new.access)?;
    find(conn, id)?.ok_or(IdentityError::UserNotFound(id))
}

/// User `id` under lock as the rule sees them.
pub(crate) fn locked_for_change(
    conn: &mut DbConnection,
    id: i64,
    rule: impl Fn(&User) -> Result<(), ApiError>,
) -> Result<User, IdentityError> {
    lock_users(conn, id)?;
    let current = find(conn, id)?.ok_or(IdentityError::UserNotFound(id))?;
    rule(&current).map_err(IdentityError::Refused)?;
    Ok(current)
}

/// [`IdentityError::LastAdministrator`] when `current` is an active administrator and no
/// other is. Call after [`lock_users`].
pub(crate) fn keep_an_administrator(
    conn: &mut DbConnection,
    current: &User,
) -> Result<(), IdentityError> {
    if current.is_active_admin() && !another_active_admin(conn, current.id)? {
        return Err(IdentityError::LastAdministrator);
    }
    Ok(())
}

/// [`IdentityError::UnknownTenant`] for the first tenant of `access` that does not exist, the
/// user's own first; the others are locked against deletion until the transaction ends.
fn check_tenants(conn: &mut DbConnection, access: &Access<'_>) -> Result<(), IdentityError> {
    let named: Vec<(TenantField, i64)> = std::iter::once((TenantField::Member, access.tenant_id))
        .chain(
            access
                .administered_tenants
                .iter()
                .map(|id| (TenantField::Administered, *id)),
        )
        .collect();
    let ids: Vec<i64> = named.iter().map(|(_, id)| *id).collect();
    let existing = lock_tenants(conn, &ids)?;
    match named.into_iter().find(|(_, id)| !existing.contains(id)) {
        Some((field, id)) => Err(IdentityError::UnknownTenant { field, id }),
        None => Ok(()),
    }
}

/// Makes user `id`'s permission and administered-tenant rows those of `access`. (Several rows
/// in one statement are written on the concrete connection: the multi-backend has no such
/// statement.)
fn write_access(conn: &mut DbConnection, id: i64, access: &Access<'_>) -> QueryResult<()> {
    use crate::schema::user_administered_tenants::dsl as administered;
    use crate::schema::user_permissions::dsl as held;

    diesel::delete(held::user_permissions.filter(held::user_id.eq(id))).execute(conn)?;
    diesel::delete(administered::user_administered_tenants.filter(administered::user_id.eq(id)))
        .execute(conn)?;
    let permissions: Vec<_> = access
        .permissions
        .iter()
        .map(|p| (held::user_id.eq(id), held::permission.eq(i64::from(*p))))
        .collect();
    let tenants: Vec<_> = access
        .administered_tenants
        .iter()
        .map(|t| (administered::user_id.eq(id), administered::tenant_id.eq(*t)))
        .collect();
    let permissions = diesel::insert_into(held::user_permissions).values(permissions);
    let tenants = diesel::insert_into(administered::user_administered_tenants).values(tenants);
    db::with_backend!(conn, |c| permissions
        .execute(c)
        .and_then(|_| tenants.execute(c)))?;
    Ok(())
}

fn name_taken(user_name: &str) -> IdentityError {
    IdentityError::UserNameTaken(user_name.to_owned())
}
