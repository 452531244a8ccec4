//! Sign-in sessions of the authorization server's pages, and the keys the gateway replicas
//! share.
//!
//! A session row holds only a keyed hash of the session id the browser keeps (the gateway
//! computes it), the user, a stamp of their password (a keyed hash of the password hash at
//! sign-in: a password change ends the session) and the expiry: a copy of the table opens no
//! session. Rows of a
//! deleted user go with the user (foreign key); whether a session still counts for a user who
//! was deactivated is the gateway's decision, made on every use from the user's row.
//!
//! [`shared_key`] gives every replica the same key for a name, made once by whichever replica
//! asks first and kept in the database, so that sessions and CSRF tokens made on one replica
//! work on every other and after a restart, whatever happens to the token signing key.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;

use crate::schema::{gateway_keys, sign_in_sessions};

/// Records a new session.
pub fn create(
    conn: &mut DbConnection,
    id_hash: &str,
    user_id: i64,
    password_stamp: &str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(sign_in_sessions::table)
        .values((
            sign_in_sessions::id_hash.eq(id_hash),
            sign_in_sessions::user_id.eq(user_id),
            sign_in_sessions::password_stamp.eq(password_stamp),
            sign_in_sessions::created_at.eq(created_at),
            sign_in_sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// The user and password stamp of the session whose id hashes to `id_hash`, if it has not
/// expired by `now`.
pub fn user_of(
    conn: &mut DbConnection,
    id_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(i64, String)>> {
    sign_in_sessions::table
        .find(id_hash)
        .filter(sign_in_sessions::expires_at.gt(now))
        .select((sign_in_sessions::user_id, sign_in_sessions::password_stamp))
        .get_result(conn)
        .optional()
}

/// Deletes the sessions that expired by `now`: how many.
pub fn purge_expired(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sign_in_sessions::table.filter(sign_in_sessions::expires_at.le(now)))
        .execute(conn)
}

/// The key named `name`: the one stored, or else `candidate`, stored now. Of several replicas
/// asking at once, the first insert wins and all read it back.
pub fn shared_key(
    conn: &mut DbConnection,
    name: &str,
    candidate: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let insert = diesel::insert_into(gateway_keys::table)
        .values((
            gateway_keys::name.eq(name),
            gateway_keys::key_value.eq(candidate),
            gateway_keys::created_at.eq(now),
        ))
        .on_conflict_do_nothing();
    db::with_backend!(conn, |c| insert.execute(c))?;
    gateway_keys::table
        .find(name)
        .select(gateway_keys::key_value)
        .get_result(conn)
}
