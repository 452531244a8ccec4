//! Sign-in sessions: a browser that signed in on the authorize page is remembered for
//! [`LIFETIME`] by the `hdp_session` cookie (HttpOnly, SameSite=Lax, Path=/, Secure behind
//! https), whose value is 32 random bytes; the identity database keeps only its keyed hash
//! ([`super::csrf::Keys::session_hash`]), the user and the expiry, so every replica knows every
//! session, and after a restart. On every use the user is looked up as their row is now
//! (within the user cache's bound): a deactivated or deleted user's session no longer counts,
//! nor one made before the user's password changed.
//! Expired rows are purged by the gateway's background worker ([`purge_expired`]).

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header;
use actix_web::HttpRequest;
use api_common::ApiError;
use chrono::{TimeDelta, Utc};
use db::{run_db, DbPool};
use identity::users::User;

use super::csrf::{random_token, same, Keys};
use crate::auth::Authenticator;

/// The session cookie's name.
pub const COOKIE: &str = "hdp_session";
/// The sign-in form's CSRF cookie's name.
pub const CSRF_COOKIE: &str = "hdp_csrf";
/// How long a session lasts.
pub const LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// A signed-in browser: the session's hash (what its consent form is bound to) and its user.
pub struct Session {
    pub hash: String,
    pub user: Arc<User>,
}

/// The value of cookie `name` in the request, if it carries it once.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    let mut found = req
        .headers()
        .get_all(header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned());
    let value = found.next()?;
    // Two cookies of one name (one set by a sibling domain, say): trust neither.
    found.next().is_none().then_some(value)
}

/// A `Set-Cookie` value; `max_age` `None` for a cookie that ends with the browser session.
pub fn set_cookie(
    name: &str,
    value: &str,
    same_site: &str,
    secure: bool,
    max_age: Option<Duration>,
) -> String {
    let mut cookie = format!("{name}={value}; HttpOnly; SameSite={same_site}; Path=/");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={}", age.as_secs()));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Records a new session for `user`: the cookie value and the session's hash.
pub async fn create(pool: &DbPool, keys: &Keys, user: &User) -> Result<(String, String), ApiError> {
    let id = random_token();
    let hash = keys.session_hash(&id);
    let now = Utc::now().naive_utc();
    let expires = now + TimeDelta::from_std(LIFETIME).unwrap_or(TimeDelta::hours(12));
    let stored = hash.clone();
    let (user_id, stamp) = (user.id, keys.password_stamp(&user.password_hash));
    run_db(pool, move |conn| {
        identity::sessions::create(conn, &stored, user_id, &stamp, now, expires)
    })
    .await?;
    Ok((id, hash))
}

/// The request's session, if its cookie names one that has not expired and whose user is
/// active now, with the password they had when they signed in.
pub async fn current(
    req: &HttpRequest,
    pool: &DbPool,
    keys: &Keys,
    authenticator: &Authenticator,
) -> Result<Option<Session>, ApiError> {
    let Some(id) = cookie(req, COOKIE) else {
        return Ok(None);
    };
    // Never more than a session id's length: anything longer is not one.
    if id.len() > 64 {
        return Ok(None);
    }
    let hash = keys.session_hash(&id);
    let lookup = hash.clone();
    let now = Utc::now().naive_utc();
    let Some((user_id, stamp)) = run_db(pool, move |conn| {
        identity::sessions::user_of(conn, &lookup, now)
    })
    .await?
    else {
        return Ok(None);
    };
    let user = authenticator.find_user_by_id(user_id).await?;
    Ok(user
        .filter(|user| user.active && same(&keys.password_stamp(&user.password_hash), &stamp))
        .map(|user| Session { hash, user }))
}

/// Deletes expired sessions (the background worker, now and then): how many.
pub async fn purge_expired(pool: &DbPool) -> Result<usize, ApiError> {
    let now = Utc::now().naive_utc();
    Ok(run_db(pool, move |conn| {
        identity::sessions::purge_expired(conn, now)
    })
    .await?)
}
