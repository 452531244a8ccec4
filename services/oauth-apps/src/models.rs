//! Rows of `oauth_apps` and the queries on them.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use oauth_apps_client::{OauthApp as OauthAppView, OauthAppSummary};

use crate::schema::oauth_apps;

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
    /// The public view; `with_secret` only for the answer to the request that sent it.
    pub fn into_view(self, with_secret: bool) -> OauthAppView {
        OauthAppView {
            id: self.id,
            name: self.name,
            data_store: self.data_store,
            tenant_id: self.tenant_id,
            description: self.description,
            client_id: self.client_id,
            client_secret: with_secret.then_some(self.client_secret),
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

pub fn insert(conn: &mut DbConnection, new: &NewOauthApp<'_>) -> QueryResult<OauthApp> {
    db::insert_returning!(
        conn,
        diesel::insert_into(oauth_apps::table).values(new),
        OauthApp::as_returning()
    )
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<OauthApp>> {
    oauth_apps::table
        .find(id)
        .select(OauthApp::as_select())
        .first(conn)
        .optional()
}

/// The applications of `tenants`, oldest first.
pub fn list_in_tenants(conn: &mut DbConnection, tenants: &[i64]) -> QueryResult<Vec<OauthApp>> {
    oauth_apps::table
        .filter(oauth_apps::tenant_id.eq_any(tenants))
        .order(oauth_apps::id)
        .select(OauthApp::as_select())
        .load(conn)
}

/// Every application, oldest first.
pub fn list_all(conn: &mut DbConnection) -> QueryResult<Vec<OauthApp>> {
    oauth_apps::table
        .order(oauth_apps::id)
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

/// Deletes `id`; whether a row went.
pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::delete(oauth_apps::table.find(id))
        .execute(conn)
        .map(|n| n > 0)
}
