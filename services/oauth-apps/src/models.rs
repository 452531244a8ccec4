//! Rows of `oauth_apps` and the queries on them.

use api_common::http::Page;
use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use oauth_apps_client::{OauthApp as OauthAppView, OauthAppSummary};

use secrets::{KeyRing, Place, ResealReport};

use crate::schema::oauth_apps;

/// Where a client secret is sealed for: its own row and column only.
pub fn secret_place(row_id: i64) -> Place<'static> {
    Place {
        table: "oauth_apps",
        column: "client_secret",
        row_id,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_apps)]
pub struct OauthApp {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub data_store: i64,
    pub description: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub authorize_uri: String,
    pub token_uri: String,
    pub scope: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_apps)]
pub struct NewOauthApp<'a> {
    pub tenant_id: i64,
    pub name: &'a str,
    pub data_store: i64,
    pub description: Option<&'a str>,
    pub client_id: &'a str,
    /// Sealed by [`insert`] once the row has an id; leave empty.
    pub client_secret: &'a str,
    pub authorize_uri: &'a str,
    pub token_uri: &'a str,
    pub scope: &'a str,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A full replacement of the user-settable columns.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = oauth_apps, treat_none_as_null = true)]
pub struct OauthAppChangeset<'a> {
    pub tenant_id: i64,
    pub name: &'a str,
    pub data_store: i64,
    pub description: Option<&'a str>,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub authorize_uri: &'a str,
    pub token_uri: &'a str,
    pub scope: &'a str,
    pub updated_at: NaiveDateTime,
}

impl OauthApp {
    /// The public view; `echo_secret` only for the answer to the request that sent it (the
    /// stored value is sealed and never read back for the API).
    pub fn into_view(self, echo_secret: Option<String>) -> OauthAppView {
        OauthAppView {
            id: self.id,
            name: self.name,
            data_store: self.data_store,
            tenant_id: self.tenant_id,
            description: self.description,
            client_id: self.client_id,
            client_secret: echo_secret,
            authorize_uri: self.authorize_uri,
            token_uri: self.token_uri,
            scope: self.scope,
        }
    }

    pub fn into_summary(self) -> OauthAppSummary {
        OauthAppSummary {
            id: self.id,
            name: self.name,
            data_store: self.data_store,
            tenant_id: self.tenant_id,
            description: self.description,
            authorize_uri: self.authorize_uri,
            token_uri: self.token_uri,
            scope: self.scope,
        }
    }
}

/// Inserts `new` with `client_secret` sealed for the new row, in one transaction (the seal
/// needs the row's id).
pub fn insert(
    conn: &mut DbConnection,
    new: &NewOauthApp<'_>,
    client_secret: &str,
    ring: &KeyRing,
) -> QueryResult<OauthApp> {
    conn.transaction(|conn| {
        let mut app: OauthApp = db::insert_returning!(
            conn,
            diesel::insert_into(oauth_apps::table).values(new),
            OauthApp::as_returning()
        )?;
        app.client_secret = ring.seal(client_secret, secret_place(app.id));
        diesel::update(oauth_apps::table.find(app.id))
            .set(oauth_apps::client_secret.eq(&app.client_secret))
            .execute(conn)?;
        Ok(app)
    })
}

/// Application `id` (on the concrete connection: it runs on every GET by id and every link
/// check of oauth-profiles).
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OauthApp>> {
    db::with_backend!(conn, |c| oauth_apps::table
        .find(id)
        .select(OauthApp::as_select())
        .get_result(c)
        .optional())
}

/// A page of the applications of `tenants`, oldest first.
pub fn list_in_tenants(
    conn: &mut DbConnection,
    tenants: &[i64],
    page: Page,
) -> QueryResult<Vec<OauthApp>> {
    oauth_apps::table
        .filter(oauth_apps::tenant_id.eq_any(tenants))
        .filter(oauth_apps::id.gt(page.after))
        .order(oauth_apps::id)
        .limit(page.limit)
        .select(OauthApp::as_select())
        .load(conn)
}

/// A page of every application, oldest first.
pub fn list_all(conn: &mut DbConnection, page: Page) -> QueryResult<Vec<OauthApp>> {
    oauth_apps::table
        .filter(oauth_apps::id.gt(page.after))
        .order(oauth_apps::id)
        .limit(page.limit)
        .select(OauthApp::as_select())
        .load(conn)
}

/// Replaces `id`'s columns; `None` when it no longer exists.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &OauthAppChangeset<'_>,
) -> QueryResult<Option<OauthApp>> {
    conn.transaction(|conn| {
        let updated = diesel::update(oauth_apps::table.find(id))
            .set(changes)
            .execute(conn)?;
        if updated == 0 {
            return Ok(None);
        }
        find(conn, id)
    })
}

/// Re-seals every client secret not sealed with the active key (see
/// [`secrets::reseal_column`]).
pub fn reseal_client_secrets(
    conn: &mut DbConnection,
    ring: &KeyRing,
    batch: i64,
) -> QueryResult<ResealReport> {
    let pattern = ring.active_like_pattern();
    let conn = std::cell::RefCell::new(conn);
    secrets::reseal_column(
        ring,
        "oauth_apps",
        "client_secret",
        batch,
        |after, limit| {
            oauth_apps::table
                .select((oauth_apps::id, oauth_apps::client_secret))
                .filter(oauth_apps::id.gt(after))
                .filter(oauth_apps::client_secret.not_like(&pattern))
                .order(oauth_apps::id)
                .limit(limit)
                .load(*conn.borrow_mut())
        },
        |id, old, new| {
            diesel::update(
                oauth_apps::table
                    .find(id)
                    .filter(oauth_apps::client_secret.eq(old)),
            )
            .set(oauth_apps::client_secret.eq(new))
            .execute(*conn.borrow_mut())
            .map(|n| n == 1)
        },
    )
}

/// Deletes `id`; whether a row went.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::delete(oauth_apps::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}
