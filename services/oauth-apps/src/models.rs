//! Rows of `oauth_apps` and the queries on them.
//!
//! Client secrets are sealed here, for their own row and column, on every write ([`insert`],
//! [`update`]); callers hand in the secret in clear, and nothing reads it back for the API.

use api_common::http::Page;
use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use oauth_apps_client::{
    AppPlacement, OauthApp as OauthAppView, OauthAppSummary, ProviderApp, TokenAuthMethod,
};
use secrets::{KeyRing, OpenError, Place, ResealReport};

use crate::domain::OauthAppInput;
use crate::schema::oauth_apps;

/// Where a client secret is sealed for: its own row and column only.
fn secret_place(row_id: i64) -> Place<'static> {
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
    // `client_secret` is not read: the API never shows a stored secret again.
    pub authorize_uri: String,
    pub token_uri: String,
    pub scope: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// [`LIVE`], or [`DELETING`] / [`MOVING`] while a delete or move asks oauth-profiles.
    pub state: String,
    /// `None`: `client_secret_post`.
    pub token_auth_method: Option<String>,
}

impl OauthApp {
    /// Whether profiles may link to it: not being deleted or moved.
    pub fn is_live(&self) -> bool {
        self.state == LIVE
    }
}

/// An application nobody is deleting or moving.
pub const LIVE: &str = "live";
/// An application a delete holds while it asks oauth-profiles whether profiles use it.
pub const DELETING: &str = "deleting";
/// An application a move to another tenant holds while it asks oauth-profiles.
pub const MOVING: &str = "moving";

/// A new row: its user-settable columns, the client secret empty until [`insert`] seals it
/// (which needs the row's id), and who made it when.
#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_apps)]
struct NewOauthApp<'a> {
    #[diesel(embed)]
    columns: OauthAppChangeset<'a>,
    created_by: i64,
    created_at: NaiveDateTime,
}

/// The user-settable columns, written whole by create and update; the client secret sealed for
/// the row.
#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = oauth_apps, treat_none_as_null = true)]
struct OauthAppChangeset<'a> {
    tenant_id: i64,
    name: &'a str,
    data_store: i64,
    description: Option<&'a str>,
    client_id: &'a str,
    client_secret: &'a str,
    authorize_uri: &'a str,
    token_uri: &'a str,
    scope: &'a str,
    token_auth_method: Option<&'static str>,
    updated_at: NaiveDateTime,
}

impl<'a> OauthAppChangeset<'a> {
    fn new(tenant_id: i64, input: &'a OauthAppInput, sealed_secret: &'a str) -> Self {
        OauthAppChangeset {
            tenant_id,
            name: &input.name,
            data_store: input.data_store,
            description: input.description.as_deref(),
            client_id: &input.client_id,
            client_secret: sealed_secret,
            authorize_uri: &input.authorize_uri,
            token_uri: &input.token_uri,
            scope: &input.scope,
            token_auth_method: input.token_auth_method.map(TokenAuthMethod::name),
            updated_at: chrono::Utc::now().naive_utc(),
        }
    }
}

impl OauthApp {
    /// The application as `GET` answers it: without its client secret, which is never read
    /// back for the API.
    pub fn into_view(self) -> OauthAppView {
        self.into_view_with(None)
    }

    /// The application as create and update answer it, echoing the secret that was sent.
    fn into_view_with(self, echo_secret: Option<String>) -> OauthAppView {
        let token_auth_method = self.token_auth_method();
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
            token_auth_method,
        }
    }

    /// The stored method; an unknown name (the column's check forbids one) reads as the
    /// default.
    fn token_auth_method(&self) -> Option<TokenAuthMethod> {
        self.token_auth_method
            .as_deref()
            .and_then(TokenAuthMethod::from_name)
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

/// Stores a new application of `tenant_id`, made by `created_by`, its client secret sealed for
/// the new row, in one transaction (the seal needs the row's id); the application as create
/// answers it, with the secret as sent. Refused ([`db::owners::TenantDeleted`]) in a tenant
/// that was deleted.
pub fn insert(
    conn: &mut DbConnection,
    ring: &KeyRing,
    tenant_id: i64,
    created_by: i64,
    input: &OauthAppInput,
) -> QueryResult<OauthAppView> {
    let columns = OauthAppChangeset::new(tenant_id, input, "");
    let new = NewOauthApp {
        created_by,
        created_at: columns.updated_at,
        columns,
    };
    conn.transaction(|conn| {
        let app: OauthApp = db::insert_returning!(
            conn,
            diesel::insert_into(oauth_apps::table).values(&new),
            OauthApp::as_returning()
        )?;
        let sealed = ring.seal(&input.client_secret, secret_place(app.id));
        diesel::update(oauth_apps::table.find(app.id))
            .set(oauth_apps::client_secret.eq(&sealed))
            .execute(conn)?;
        db::owners::guard_tenant(conn, tenant_id)?;
        Ok(app.into_view_with(Some(input.client_secret.clone())))
    })
}

/// Application `id` with its client secret opened, for oauth-profiles' calls to its provider.
pub fn find_provider(
    conn: &mut DbConnection,
    ring: &KeyRing,
    id: i64,
) -> QueryResult<Option<Result<ProviderApp, OpenError>>> {
    let row = oauth_apps::table
        .find(id)
        .select((OauthApp::as_select(), oauth_apps::client_secret))
        .get_result::<(OauthApp, String)>(conn)
        .optional()?;
    Ok(row.map(|(app, sealed)| {
        let client_secret = ring.open(&sealed, secret_place(app.id))?;
        Ok(ProviderApp {
            id: app.id,
            tenant_id: app.tenant_id,
            live: app.is_live(),
            token_auth_method: app
                .token_auth_method()
                .unwrap_or(TokenAuthMethod::ClientSecretPost),
            client_id: app.client_id,
            client_secret,
            authorize_uri: app.authorize_uri,
            token_uri: app.token_uri,
            scope: app.scope,
        })
    }))
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

/// Which row an update may write: one that is live and still in the tenant it was read in
/// (an update that does not move the application), or one its own move holds (the token
/// the move committed, [`hold`]).
#[derive(Debug, Clone, Copy)]
pub enum Fence<'a> {
    LiveIn { tenant_id: i64 },
    HeldBy { token: &'a str },
}

/// Replaces `id`'s columns with `input` in `tenant_id`, its client secret sealed for the row,
/// if `fence` still holds (a move's write also makes the application live again); the
/// application as update answers it, with the secret as sent, or `None` when no row matched.
/// Refused ([`db::owners::TenantDeleted`]) when `tenant_id` was deleted.
pub fn update(
    conn: &mut DbConnection,
    ring: &KeyRing,
    id: i64,
    tenant_id: i64,
    input: &OauthAppInput,
    fence: Fence<'_>,
) -> QueryResult<Option<OauthAppView>> {
    let sealed = ring.seal(&input.client_secret, secret_place(id));
    let changes = OauthAppChangeset::new(tenant_id, input, &sealed);
    conn.transaction(|conn| {
        let row = oauth_apps::table.find(id);
        let updated = match fence {
            Fence::LiveIn { tenant_id } => diesel::update(
                row.filter(oauth_apps::state.eq(LIVE))
                    .filter(oauth_apps::tenant_id.eq(tenant_id)),
            )
            .set(&changes)
            .execute(conn)?,
            Fence::HeldBy { token } => {
                diesel::update(row.filter(oauth_apps::state_token.eq(token)))
                    .set((&changes, released()))
                    .execute(conn)?
            }
        };
        if updated == 0 {
            return Ok(None);
        }
        db::owners::guard_tenant(conn, tenant_id)?;
        let app = find(conn, id)?;
        Ok(app.map(|app| app.into_view_with(Some(input.client_secret.clone()))))
    })
}

/// The assignments [`released`] builds.
type Released = (
    diesel::dsl::Eq<oauth_apps::state, &'static str>,
    diesel::dsl::Eq<oauth_apps::state_token, Option<String>>,
    diesel::dsl::Eq<oauth_apps::state_since, Option<NaiveDateTime>>,
);

/// The columns of a live application that nobody holds.
fn released() -> Released {
    (
        oauth_apps::state.eq(LIVE),
        oauth_apps::state_token.eq(None::<String>),
        oauth_apps::state_since.eq(None::<NaiveDateTime>),
    )
}

/// Step D1 of docs/consistency.md: commits `state` ([`DELETING`] or [`MOVING`]) with a new
/// fencing token on live application `id`; the token, or `None` when the application is gone
/// or not live (another delete or move holds it).
pub fn hold(conn: &mut DbConnection, id: i64, state: &'static str) -> QueryResult<Option<String>> {
    let token = uuid::Uuid::new_v4().to_string();
    let held = diesel::update(
        oauth_apps::table
            .find(id)
            .filter(oauth_apps::state.eq(LIVE)),
    )
    .set((
        oauth_apps::state.eq(state),
        oauth_apps::state_token.eq(Some(&token)),
        oauth_apps::state_since.eq(Some(chrono::Utc::now().naive_utc())),
    ))
    .execute(conn)?;
    Ok((held > 0).then_some(token))
}

/// Takes application `id` back to live if `token` still holds it (the delete or move backs
/// out); whether it did.
pub fn release(conn: &mut DbConnection, id: i64, token: &str) -> QueryResult<bool> {
    diesel::update(
        oauth_apps::table
            .find(id)
            .filter(oauth_apps::state_token.eq(token)),
    )
    .set(released())
    .execute(conn)
    .map(|n| n > 0)
}

/// The sweeper's statement: every application held (deleting or moving) since before
/// `cutoff` is live again; how many were. Their delete or move, if it ever resumes, finds its
/// token gone and writes nothing.
pub fn release_stale(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        oauth_apps::table
            .filter(oauth_apps::state.ne(LIVE))
            .filter(oauth_apps::state_since.lt(cutoff)),
    )
    .set(released())
    .execute(conn)
}

/// Re-seals every client secret not sealed with the active key (see
/// [`secrets::reseal_rows!`]).
pub fn reseal_client_secrets(
    conn: &mut DbConnection,
    ring: &KeyRing,
    batch: i64,
) -> QueryResult<ResealReport> {
    secrets::reseal_rows!(conn, ring, batch, oauth_apps.client_secret)
}

/// A page of every application's tenant and state (the consistency check).
pub fn placements(conn: &mut DbConnection, page: Page) -> QueryResult<Vec<AppPlacement>> {
    let rows: Vec<(i64, i64, String)> = oauth_apps::table
        .filter(oauth_apps::id.gt(page.after))
        .order(oauth_apps::id)
        .limit(page.limit)
        .select((oauth_apps::id, oauth_apps::tenant_id, oauth_apps::state))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, tenant_id, state)| AppPlacement {
            id,
            tenant_id,
            live: state == LIVE,
        })
        .collect())
}

/// Deletes every application of the deleted tenant `tenant` under its tombstone
/// ([`db::owners::purge_tenant`]); how many went.
pub fn purge_tenant(conn: &mut DbConnection, tenant: i64) -> QueryResult<usize> {
    db::owners::purge_tenant(conn, tenant, |conn| {
        diesel::delete(oauth_apps::table.filter(oauth_apps::tenant_id.eq(tenant))).execute(conn)
    })
}

/// Step D3 of a delete: deletes `id` if `token` still holds it; whether a row went.
pub fn delete(conn: &mut DbConnection, id: i64, token: &str) -> QueryResult<bool> {
    diesel::delete(
        oauth_apps::table
            .find(id)
            .filter(oauth_apps::state_token.eq(token)),
    )
    .execute(conn)
    .map(|n| n > 0)
}
