//! Rows of the authorization server: grants, codes, tokens and remembered consent, and the
//! queries on them.
//!
//! Codes and tokens are looked up by their keyed hash ([`secrets::HashKey::hash`], which is
//! deterministic); callers hand in the text and the hash is made here, so nothing else of
//! them reaches the database.
//!
//! Single use is decided by the database, not by a read: a code is spent, and a refresh token
//! rotated, by a conditional `UPDATE ... WHERE used_at IS NULL` (`rotated_at IS NULL`) whose
//! affected row count says whether this request was the one, on both backends (PostgreSQL
//! re-checks the condition on the row after a concurrent writer commits; SQLite has one writer
//! at a time). That `UPDATE` is the first statement of its transaction, so that SQLite takes
//! its write lock (waiting for `busy_timeout`) before reading anything, instead of failing to
//! upgrade a read.
//!
//! A refusal found after that write is either rolled back (a wrong `redirect_uri` or PKCE
//! verifier: the code stays usable by its rightful client) or committed with what it revoked
//! (a replayed code, a reused refresh token).

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeDelta};
use client_registration_client::oauth2::{ACCESS_TOKEN_PREFIX, REFRESH_TOKEN_PREFIX};
use db::DbConnection;
use diesel::prelude::*;
use secrets::HashKey;

use crate::models::ClientApp;
use crate::oauth2::scope;
use crate::schema::{client_apps, oauth2_codes, oauth2_consents, oauth2_grants, oauth2_tokens};

/// `kind` of an access token row.
const ACCESS: &str = "access";
/// `kind` of a refresh token row.
const REFRESH: &str = "refresh";

/// How long a spent code is kept after it expired, so that presenting it again still revokes
/// what its first use issued.
const SPENT_CODES_KEPT: TimeDelta = TimeDelta::hours(1);

/// How old a grant without tokens must be before the sweeper deletes it: its tokens are
/// inserted in the transaction that inserts it, so this only keeps clear of clock skew.
const EMPTY_GRANT_AGE: TimeDelta = TimeDelta::minutes(1);

/// How long tokens live, and the grace of a just-rotated refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    pub access: TimeDelta,
    pub refresh: TimeDelta,
    /// Zero: off.
    pub grace: TimeDelta,
}

/// A new access and refresh token in clear, generated before the transaction that stores
/// them (their hashes). Its `Debug` hides them.
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenPair(***)")
    }
}

/// What a grant issued: the pair (given back), the access token's scope and the grant's id.
#[derive(Debug)]
pub struct Issued {
    pub pair: TokenPair,
    pub scope: String,
    pub grant_id: i64,
}

/// Why a code or refresh token does not give tokens; each is `invalid_grant` (or
/// `invalid_scope`) to the client, with a description that says no more than RFC 6749 needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Unknown, expired, or issued to another client: the client cannot tell which.
    Invalid,
    /// A code presented again: what its first use issued was revoked.
    CodeReplayed,
    /// A rotated refresh token presented again past the grace: its grant was revoked.
    RefreshReused,
    /// `redirect_uri` differs from the authorization request's.
    RedirectMismatch,
    /// The PKCE verifier is missing, malformed or does not match; or was sent for a code
    /// without a challenge.
    PkceFailed,
    /// A refresh asked for a scope the grant does not hold.
    ScopeExceeded,
    /// The user was deleted.
    OwnerDeleted,
}

/// A transaction's way out: a database failure, or a refusal that rolls it back.
enum TxError {
    Db(diesel::result::Error),
    Refused(Refusal),
}

impl From<diesel::result::Error> for TxError {
    fn from(err: diesel::result::Error) -> Self {
        match db::owners::OwnerDeleted::find(&err) {
            Some(_) => TxError::Refused(Refusal::OwnerDeleted),
            None => TxError::Db(err),
        }
    }
}

/// A transaction's result with its refusals (rolled back) folded into the answer.
fn settle<T>(result: Result<Result<T, Refusal>, TxError>) -> QueryResult<Result<T, Refusal>> {
    match result {
        Ok(answer) => Ok(answer),
        Err(TxError::Refused(refusal)) => Ok(Err(refusal)),
        Err(TxError::Db(err)) => Err(err),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth2_codes)]
pub struct Code {
    pub id: i64,
    pub client_app_id: i64,
    pub user_id: i64,
    pub user_name: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: String,
    pub code_challenge: Option<String>,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    pub grant_id: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = oauth2_codes)]
struct NewCodeRow<'a> {
    code_hash: &'a str,
    client_app_id: i64,
    user_id: i64,
    user_name: Option<&'a str>,
    redirect_uri: Option<&'a str>,
    scope: &'a str,
    code_challenge: Option<&'a str>,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth2_grants)]
pub struct Grant {
    pub id: i64,
    pub client_app_id: i64,
    pub user_id: i64,
    pub user_name: Option<String>,
    pub scope: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = oauth2_grants)]
struct NewGrant<'a> {
    client_app_id: i64,
    user_id: i64,
    user_name: Option<&'a str>,
    scope: &'a str,
    created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth2_tokens)]
pub struct Token {
    pub id: i64,
    pub kind: String,
    pub grant_id: i64,
    pub client_app_id: i64,
    pub user_id: i64,
    pub scope: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
}

impl Token {
    pub fn is_refresh(&self) -> bool {
        self.kind == REFRESH
    }

    /// Whether the token still grants anything at `now`: not expired, and for a refresh token,
    /// not rotated.
    pub fn is_active(&self, now: NaiveDateTime) -> bool {
        self.expires_at > now && !(self.is_refresh() && self.rotated_at.is_some())
    }
}

#[derive(Insertable)]
#[diesel(table_name = oauth2_tokens)]
struct NewToken<'a> {
    token_hash: &'a str,
    kind: &'a str,
    grant_id: i64,
    client_app_id: i64,
    user_id: i64,
    scope: &'a str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
}

/// What a consented authorization request stores with its code.
#[derive(Debug)]
pub struct CodeRequest<'a> {
    pub client_app_id: i64,
    pub user_id: i64,
    pub user_name: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub scope: &'a str,
    pub code_challenge: Option<&'a str>,
}

/// Stores a code (its hash under `key`) and remembers the consent to its scopes, in one
/// transaction; `false` when the application does not exist. Fails with
/// [`db::owners::OwnerDeleted`] for a purged user.
pub fn insert_code(
    conn: &mut DbConnection,
    key: &HashKey,
    code: &str,
    request: &CodeRequest<'_>,
    now: NaiveDateTime,
    lifetime: TimeDelta,
) -> QueryResult<bool> {
    let code_hash = key.hash(code);
    let row = NewCodeRow {
        code_hash: &code_hash,
        client_app_id: request.client_app_id,
        user_id: request.user_id,
        user_name: request.user_name,
        redirect_uri: request.redirect_uri,
        scope: request.scope,
        code_challenge: request.code_challenge,
        created_at: now,
        expires_at: now + lifetime,
    };
    let stored = conn.transaction(|conn| {
        // First, so that SQLite takes the write lock before the guard reads (db::owners); an
        // unknown application fails its foreign key.
        diesel::insert_into(oauth2_codes::table)
            .values(&row)
            .execute(conn)?;
        for scope in scope::split(request.scope) {
            let consent = diesel::insert_into(oauth2_consents::table)
                .values((
                    oauth2_consents::user_id.eq(request.user_id),
                    oauth2_consents::client_app_id.eq(request.client_app_id),
                    oauth2_consents::scope.eq(scope),
                    oauth2_consents::created_at.eq(now),
                ))
                .on_conflict_do_nothing();
            db::with_backend!(&mut *conn, |c| consent.execute(c))?;
        }
        db::owners::guard_owner(conn, request.user_id)
    });
    match stored {
        Ok(()) => Ok(true),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        )) => Ok(false),
        Err(err) => Err(err),
    }
}

/// The scopes `user_id` has consented to for `client_app_id`, in [`scope::SCOPES`] order.
pub fn consented_scopes(
    conn: &mut DbConnection,
    user_id: i64,
    client_app_id: i64,
) -> QueryResult<Vec<String>> {
    let scopes: Vec<String> = oauth2_consents::table
        .filter(oauth2_consents::user_id.eq(user_id))
        .filter(oauth2_consents::client_app_id.eq(client_app_id))
        .select(oauth2_consents::scope)
        .load(conn)?;
    Ok(scope::ordered(scopes.iter().map(String::as_str)))
}

/// Inserts a grant of `client_app_id` by `user_id` for `scope` and its first pair of tokens;
/// inside the caller's transaction.
#[expect(clippy::too_many_arguments, reason = "one row's columns")]
fn insert_grant(
    conn: &mut DbConnection,
    key: &HashKey,
    client_app_id: i64,
    user_id: i64,
    user_name: Option<&str>,
    scope: &str,
    pair: TokenPair,
    lifetimes: Lifetimes,
    now: NaiveDateTime,
) -> QueryResult<Issued> {
    let new = NewGrant {
        client_app_id,
        user_id,
        user_name,
        scope,
        created_at: now,
    };
    let grant = db::insert_returning!(
        conn,
        diesel::insert_into(oauth2_grants::table).values(&new),
        Grant::as_returning()
    )?;
    db::owners::guard_owner(conn, user_id)?;
    insert_pair(conn, key, &grant, scope, pair, lifetimes, now)
}

/// Stores `pair` in `grant`: the access token with `access_scope`, the refresh token with the
/// grant's whole scope.
fn insert_pair(
    conn: &mut DbConnection,
    key: &HashKey,
    grant: &Grant,
    access_scope: &str,
    pair: TokenPair,
    lifetimes: Lifetimes,
    now: NaiveDateTime,
) -> QueryResult<Issued> {
    let access_hash = key.hash(&pair.access);
    let refresh_hash = key.hash(&pair.refresh);
    let rows = [
        NewToken {
            token_hash: &access_hash,
            kind: ACCESS,
            grant_id: grant.id,
            client_app_id: grant.client_app_id,
            user_id: grant.user_id,
            scope: access_scope,
            created_at: now,
            expires_at: now + lifetimes.access,
        },
        NewToken {
            token_hash: &refresh_hash,
            kind: REFRESH,
            grant_id: grant.id,
            client_app_id: grant.client_app_id,
            user_id: grant.user_id,
            scope: &grant.scope,
            created_at: now,
            expires_at: now + lifetimes.refresh,
        },
    ];
    // One statement each: a multi-row insert is not available through the multi-backend.
    for row in &rows {
        diesel::insert_into(oauth2_tokens::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(Issued {
        pair,
        scope: access_scope.to_owned(),
        grant_id: grant.id,
    })
}

/// The password grant: a new grant of `client_app_id` by the user, and its first pair.
#[expect(clippy::too_many_arguments, reason = "one grant's facts")]
pub fn grant_password(
    conn: &mut DbConnection,
    key: &HashKey,
    client_app_id: i64,
    user_id: i64,
    user_name: &str,
    scope: &str,
    pair: TokenPair,
    lifetimes: Lifetimes,
    now: NaiveDateTime,
) -> QueryResult<Result<Issued, Refusal>> {
    let result = conn.transaction(|conn| {
        insert_grant(
            conn,
            key,
            client_app_id,
            user_id,
            Some(user_name),
            scope,
            pair,
            lifetimes,
            now,
        )
        .map(Ok)
        .map_err(TxError::from)
    });
    settle(result)
}

/// What the token request says besides the code, checked against the code's request.
pub struct Redemption<'a> {
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

/// The `authorization_code` grant: spends `code` for `client` and issues a grant and its
/// first pair. A code presented again revokes the grant its first use started (committed);
/// a wrong `redirect_uri` or verifier leaves the code unspent (rolled back).
#[expect(clippy::too_many_arguments, reason = "one redemption's facts")]
pub fn redeem_code(
    conn: &mut DbConnection,
    key: &HashKey,
    code: &str,
    client: &ClientApp,
    redemption: &Redemption<'_>,
    pair: TokenPair,
    lifetimes: Lifetimes,
    now: NaiveDateTime,
) -> QueryResult<Result<Issued, Refusal>> {
    let code_hash = key.hash(code);
    let result = conn.transaction(|conn| {
        let spent = diesel::update(
            oauth2_codes::table
                .filter(oauth2_codes::code_hash.eq(&code_hash))
                .filter(oauth2_codes::client_app_id.eq(client.id))
                .filter(oauth2_codes::used_at.is_null())
                .filter(oauth2_codes::expires_at.gt(now)),
        )
        .set(oauth2_codes::used_at.eq(now))
        .execute(conn)?;
        let found: Option<Code> = oauth2_codes::table
            .filter(oauth2_codes::code_hash.eq(&code_hash))
            .select(Code::as_select())
            .get_result(conn)
            .optional()?;
        let Some(found) = found else {
            return Ok(Err(Refusal::Invalid));
        };
        if spent == 0 {
            if found.client_app_id != client.id || found.used_at.is_none() {
                // Another client's, or expired unspent.
                return Ok(Err(Refusal::Invalid));
            }
            if let Some(grant_id) = found.grant_id {
                queue_on_code(conn, found.id)?;
                diesel::delete(oauth2_grants::table.find(grant_id)).execute(conn)?;
                log::warn!(
                    "authorization code {} of client application {} presented again: grant \
                     {grant_id} revoked",
                    found.id,
                    client.id
                );
            }
            return Ok(Err(Refusal::CodeReplayed));
        }
        check_redirect(&found, client, redemption.redirect_uri)?;
        check_pkce(&found, redemption.code_verifier)?;
        let issued = insert_grant(
            conn,
            key,
            client.id,
            found.user_id,
            found.user_name.as_deref(),
            &found.scope,
            pair,
            lifetimes,
            now,
        )?;
        diesel::update(oauth2_codes::table.find(found.id))
            .set(oauth2_codes::grant_id.eq(issued.grant_id))
            .execute(conn)?;
        Ok(Ok(issued))
    });
    settle(result)
}

/// Before a request that lost the race for a code revokes the grant the code started, it
/// takes the code's row lock (PostgreSQL; SQLite has one writer at a time anyway). Losers that
/// waited for the winner's commit already hold that lock (PostgreSQL locks the row to re-check
/// the `UPDATE`'s condition, and keeps the lock though the row no longer matches), while a
/// loser that came later holds nothing; without this, such a late loser could lock the grant
/// first, and the two deletes of the grant, each needing the other's row for the cascade,
/// would deadlock. With it, every loser locks the code's row, then the grant.
fn queue_on_code(conn: &mut DbConnection, code_id: i64) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        oauth2_codes::table
            .find(code_id)
            .select(oauth2_codes::id)
            .for_update()
            .load::<i64>(c)?;
    }
    Ok(())
}

/// [`queue_on_code`] for a reused refresh token: its row, then the grant.
fn queue_on_token(conn: &mut DbConnection, token_id: i64) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        oauth2_tokens::table
            .find(token_id)
            .select(oauth2_tokens::id)
            .for_update()
            .load::<i64>(c)?;
    }
    Ok(())
}

/// RFC 6749 4.1.3: the same `redirect_uri` as the authorization request when it had one; when
/// it left it out (the application's only registered URI was used), none, or a registered one.
fn check_redirect(code: &Code, client: &ClientApp, sent: Option<&str>) -> Result<(), TxError> {
    let matches = match (&code.redirect_uri, sent) {
        (Some(asked), Some(sent)) => asked == sent,
        (Some(_), None) => false,
        (None, None) => true,
        (None, Some(sent)) => client.registered_redirect_urls().iter().any(|u| u == sent),
    };
    match matches {
        true => Ok(()),
        false => Err(TxError::Refused(Refusal::RedirectMismatch)),
    }
}

/// RFC 7636 4.6, and OAuth 2.1: a verifier exactly when the request had a challenge.
fn check_pkce(code: &Code, verifier: Option<&str>) -> Result<(), TxError> {
    let passes = match (&code.code_challenge, verifier) {
        (Some(challenge), Some(verifier)) => crate::oauth2::pkce::verifies(verifier, challenge),
        (None, None) => true,
        _ => false,
    };
    match passes {
        true => Ok(()),
        false => Err(TxError::Refused(Refusal::PkceFailed)),
    }
}

/// The `refresh_token` grant: rotates `token` for `client_app_id` and issues a new pair of the
/// same grant, with `scope` (a subset of the grant's) or the token's own. A rotated token
/// presented again issues a fresh pair within the grace, and past it revokes the grant
/// (committed).
#[expect(clippy::too_many_arguments, reason = "one refresh's facts")]
pub fn refresh(
    conn: &mut DbConnection,
    key: &HashKey,
    token: &str,
    client_app_id: i64,
    scope: Option<&str>,
    pair: TokenPair,
    lifetimes: Lifetimes,
    now: NaiveDateTime,
) -> QueryResult<Result<Issued, Refusal>> {
    let token_hash = key.hash(token);
    let result = conn.transaction(|conn| {
        let rotated = diesel::update(
            oauth2_tokens::table
                .filter(oauth2_tokens::token_hash.eq(&token_hash))
                .filter(oauth2_tokens::kind.eq(REFRESH))
                .filter(oauth2_tokens::client_app_id.eq(client_app_id))
                .filter(oauth2_tokens::rotated_at.is_null())
                .filter(oauth2_tokens::expires_at.gt(now)),
        )
        .set(oauth2_tokens::rotated_at.eq(now))
        .execute(conn)?;
        let found: Option<Token> = oauth2_tokens::table
            .filter(oauth2_tokens::token_hash.eq(&token_hash))
            .filter(oauth2_tokens::kind.eq(REFRESH))
            .select(Token::as_select())
            .get_result(conn)
            .optional()?;
        let Some(found) = found else {
            return Ok(Err(Refusal::Invalid));
        };
        if found.client_app_id != client_app_id || found.expires_at <= now {
            return Ok(Err(Refusal::Invalid));
        }
        if rotated == 0 {
            let within_grace = found.rotated_at.is_some_and(|at| {
                lifetimes.grace > TimeDelta::zero() && now - at <= lifetimes.grace
            });
            if !within_grace {
                queue_on_token(conn, found.id)?;
                diesel::delete(oauth2_grants::table.find(found.grant_id)).execute(conn)?;
                log::warn!(
                    "a rotated refresh token of grant {} (client application {client_app_id}) \
                     was presented again: the grant is revoked",
                    found.grant_id
                );
                return Ok(Err(Refusal::RefreshReused));
            }
            log::info!(
                "a just-rotated refresh token of grant {} was presented again within the grace",
                found.grant_id
            );
        }
        let grant: Grant = oauth2_grants::table
            .find(found.grant_id)
            .select(Grant::as_select())
            .get_result(conn)?;
        let access_scope = match scope {
            None => found.scope.clone(),
            Some(asked) if scope::is_subset(asked, &grant.scope) => asked.to_owned(),
            Some(_) => return Err(TxError::Refused(Refusal::ScopeExceeded)),
        };
        db::owners::guard_owner(conn, grant.user_id)?;
        let issued = insert_pair(conn, key, &grant, &access_scope, pair, lifetimes, now)?;
        Ok(Ok(issued))
    });
    settle(result)
}

/// What revoking a token did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// No such token (or already gone): nothing to do.
    Unknown,
    /// The token belongs to another client: left alone.
    Foreign,
    /// An access token, alone.
    Access,
    /// A refresh token, and with it its grant and every token of the grant.
    Grant,
}

/// RFC 7009: revokes `token` if it is `client_app_id`'s. A second revocation does nothing.
pub fn revoke(
    conn: &mut DbConnection,
    key: &HashKey,
    token: &str,
    client_app_id: i64,
) -> QueryResult<Revoked> {
    let found: Option<Token> = oauth2_tokens::table
        .filter(oauth2_tokens::token_hash.eq(key.hash(token)))
        .select(Token::as_select())
        .get_result(conn)
        .optional()?;
    let Some(found) = found else {
        return Ok(Revoked::Unknown);
    };
    if found.client_app_id != client_app_id {
        return Ok(Revoked::Foreign);
    }
    if found.is_refresh() {
        // The token's row, then the grant, like a refresh of the token does.
        conn.transaction(|conn| {
            queue_on_token(conn, found.id)?;
            diesel::delete(oauth2_grants::table.find(found.grant_id)).execute(conn)
        })?;
        Ok(Revoked::Grant)
    } else {
        diesel::delete(oauth2_tokens::table.find(found.id)).execute(conn)?;
        Ok(Revoked::Access)
    }
}

/// A token with its grant's user name and its application's client id, for introspection.
pub fn find_token(
    conn: &mut DbConnection,
    key: &HashKey,
    token: &str,
) -> QueryResult<Option<(Token, Option<String>, String)>> {
    oauth2_tokens::table
        .inner_join(oauth2_grants::table.on(oauth2_grants::id.eq(oauth2_tokens::grant_id)))
        .inner_join(client_apps::table.on(client_apps::id.eq(oauth2_tokens::client_app_id)))
        .filter(oauth2_tokens::token_hash.eq(key.hash(token)))
        .select((
            Token::as_select(),
            oauth2_grants::user_name,
            client_apps::client_id,
        ))
        .get_result(conn)
        .optional()
}

/// The access token `token` if it is active at `now`.
pub fn active_access_token(
    conn: &mut DbConnection,
    key: &HashKey,
    token: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Token>> {
    let hash = key.hash(token);
    db::with_backend!(conn, |c| oauth2_tokens::table
        .filter(oauth2_tokens::token_hash.eq(&hash))
        .filter(oauth2_tokens::kind.eq(ACCESS))
        .filter(oauth2_tokens::expires_at.gt(now))
        .select(Token::as_select())
        .get_result(c)
        .optional())
}

/// An application `user_id` has granted: its row, the scopes consented to or held by a live
/// grant, and since when.
pub struct Allowed {
    pub app: ClientApp,
    pub scopes: Vec<String>,
    pub granted_at: NaiveDateTime,
}

/// The applications `user_id` has a remembered consent or a grant for, by application id.
pub fn allowed_applications(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<Allowed>> {
    let consents: Vec<(i64, String, NaiveDateTime)> = oauth2_consents::table
        .filter(oauth2_consents::user_id.eq(user_id))
        .select((
            oauth2_consents::client_app_id,
            oauth2_consents::scope,
            oauth2_consents::created_at,
        ))
        .load(conn)?;
    let grants: Vec<(i64, String, NaiveDateTime)> = oauth2_grants::table
        .filter(oauth2_grants::user_id.eq(user_id))
        .select((
            oauth2_grants::client_app_id,
            oauth2_grants::scope,
            oauth2_grants::created_at,
        ))
        .load(conn)?;
    let mut by_app: BTreeMap<i64, (Vec<String>, NaiveDateTime)> = BTreeMap::new();
    for (app_id, scopes, at) in consents.into_iter().chain(grants) {
        let entry = by_app.entry(app_id).or_insert_with(|| (Vec::new(), at));
        entry.0.extend(scope::split(&scopes).map(str::to_owned));
        entry.1 = entry.1.min(at);
    }
    let ids: Vec<i64> = by_app.keys().copied().collect();
    let apps: Vec<ClientApp> = client_apps::table
        .filter(client_apps::id.eq_any(&ids))
        .order(client_apps::id)
        .select(ClientApp::as_select())
        .load(conn)?;
    Ok(apps
        .into_iter()
        .filter_map(|app| {
            let (scopes, granted_at) = by_app.remove(&app.id)?;
            Some(Allowed {
                app,
                scopes: scope::ordered(scopes.iter().map(String::as_str)),
                granted_at,
            })
        })
        .collect())
}

/// Revokes everything `user_id` granted `client_app_id`: the remembered consent, every grant
/// (and so every token) and every code, in one transaction; whether there was a consent or a
/// grant.
pub fn revoke_allowed(
    conn: &mut DbConnection,
    user_id: i64,
    client_app_id: i64,
) -> QueryResult<bool> {
    conn.transaction(|conn| {
        let consents = diesel::delete(
            oauth2_consents::table
                .filter(oauth2_consents::user_id.eq(user_id))
                .filter(oauth2_consents::client_app_id.eq(client_app_id)),
        )
        .execute(conn)?;
        // Tokens before their grants, in the order a refresh locks them (see `queue_on_code`).
        diesel::delete(
            oauth2_tokens::table
                .filter(oauth2_tokens::user_id.eq(user_id))
                .filter(oauth2_tokens::client_app_id.eq(client_app_id)),
        )
        .execute(conn)?;
        let grants = diesel::delete(
            oauth2_grants::table
                .filter(oauth2_grants::user_id.eq(user_id))
                .filter(oauth2_grants::client_app_id.eq(client_app_id)),
        )
        .execute(conn)?;
        diesel::delete(
            oauth2_codes::table
                .filter(oauth2_codes::user_id.eq(user_id))
                .filter(oauth2_codes::client_app_id.eq(client_app_id)),
        )
        .execute(conn)?;
        Ok(consents + grants > 0)
    })
}

/// Revokes every grant (and so token) and code of the application `client_app_id`, keeping
/// its remembered consents: a secret reset. Inside the reset's transaction.
pub fn revoke_application(conn: &mut DbConnection, client_app_id: i64) -> QueryResult<()> {
    // Tokens before their grants, in the order a refresh locks them (see `queue_on_code`).
    diesel::delete(oauth2_tokens::table.filter(oauth2_tokens::client_app_id.eq(client_app_id)))
        .execute(conn)?;
    diesel::delete(oauth2_grants::table.filter(oauth2_grants::client_app_id.eq(client_app_id)))
        .execute(conn)?;
    diesel::delete(oauth2_codes::table.filter(oauth2_codes::client_app_id.eq(client_app_id)))
        .execute(conn)?;
    Ok(())
}

/// Deletes every grant, token, code and consent of `user_id` as resource owner: the user's
/// purge. Inside the purge's transaction.
pub fn delete_resource_owner(conn: &mut DbConnection, user_id: i64) -> QueryResult<()> {
    diesel::delete(oauth2_tokens::table.filter(oauth2_tokens::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(oauth2_grants::table.filter(oauth2_grants::user_id.eq(user_id)))
        .execute(conn)?;
    diesel::delete(oauth2_codes::table.filter(oauth2_codes::user_id.eq(user_id))).execute(conn)?;
    diesel::delete(oauth2_consents::table.filter(oauth2_consents::user_id.eq(user_id)))
        .execute(conn)?;
    Ok(())
}

/// One pass of the sweeper: deletes at most `batch` each of the codes expired (spent ones an
/// hour after), the tokens expired, and the grants left without tokens (expired or revoked
/// piecemeal). How many rows went.
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime, batch: i64) -> QueryResult<usize> {
    let codes: Vec<i64> = oauth2_codes::table
        .filter(oauth2_codes::expires_at.lt(now - SPENT_CODES_KEPT))
        .select(oauth2_codes::id)
        .limit(batch)
        .load(conn)?;
    let mut deleted = diesel::delete(oauth2_codes::table.filter(oauth2_codes::id.eq_any(&codes)))
        .execute(conn)?;
    let tokens: Vec<i64> = oauth2_tokens::table
        .filter(oauth2_tokens::expires_at.le(now))
        .select(oauth2_tokens::id)
        .limit(batch)
        .load(conn)?;
    deleted += diesel::delete(oauth2_tokens::table.filter(oauth2_tokens::id.eq_any(&tokens)))
        .execute(conn)?;
    let grants: Vec<i64> = oauth2_grants::table
        .filter(oauth2_grants::created_at.lt(now - EMPTY_GRANT_AGE))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            oauth2_tokens::table.filter(oauth2_tokens::grant_id.eq(oauth2_grants::id)),
        )))
        .select(oauth2_grants::id)
        .limit(batch)
        .load(conn)?;
    deleted += diesel::delete(oauth2_grants::table.filter(oauth2_grants::id.eq_any(&grants)))
        .execute(conn)?;
    Ok(deleted)
}

/// A new pair of tokens in clear, from the operating system's generator.
pub fn new_pair() -> Result<TokenPair, rand::Error> {
    Ok(TokenPair {
        access: crate::oauth2::tokens::generate(ACCESS_TOKEN_PREFIX)?,
        refresh: crate::oauth2::tokens::generate(REFRESH_TOKEN_PREFIX)?,
    })
}
