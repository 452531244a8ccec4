//! Rows of `oauth_profiles` and the queries on them. Every query is scoped to an owner: a
//! profile is only ever reached through the user it belongs to.

use api_common::http::Page;
use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use serde::Serialize;

use secrets::{KeyRing, OpenError, Place, ResealReport};

use crate::schema::oauth_profiles;

pub const ACCESS_TOKEN: &str = "access_token";
pub const REFRESH_TOKEN: &str = "refresh_token";

/// Where a token is sealed for: its own row and column only.
pub fn token_place(column: &'static str, row_id: i64) -> Place<'static> {
    Place {
        table: "oauth_profiles",
        column,
        row_id,
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = oauth_profiles)]
pub struct OauthProfile {
    pub id: i64,
    pub owner_id: i64,
    pub owner_tenant_id: i64,
    pub name: String,
    pub oauth_app_id: i64,
    pub description: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_profiles)]
pub struct NewOauthProfile<'a> {
    pub owner_id: i64,
    pub owner_tenant_id: i64,
    pub name: &'a str,
    pub oauth_app_id: i64,
    pub description: Option<&'a str>,
    /// Sealed by [`insert`] once the row has an id; leave `None` and empty.
    pub access_token: Option<&'a str>,
    pub refresh_token: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A full replacement of the user-settable columns; tokens sealed for the row
/// ([`token_place`]).
#[derive(Debug, AsChangeset)]
#[diesel(table_name = oauth_profiles, treat_none_as_null = true)]
pub struct OauthProfileChangeset<'a> {
    pub name: &'a str,
    pub oauth_app_id: i64,
    pub description: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub refresh_token: &'a str,
    pub updated_at: NaiveDateTime,
}

/// A profile as create and `GET /{id}` return it (seeds 000, 001).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    pub id: i64,
    pub name: String,
    pub oauth_app_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    pub refresh_token: String,
}

/// A list item: no tokens.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileSummary {
    pub id: i64,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub oauth_app_id: i64,
}

#[derive(Debug, Serialize)]
pub struct ProfileList {
    pub profiles: Vec<ProfileSummary>,
}

impl OauthProfile {
    /// The full view, with the tokens opened.
    pub fn open(self, ring: &KeyRing) -> Result<ProfileView, OpenError> {
        let access_token = ring.open_optional(
            self.access_token.as_deref(),
            token_place(ACCESS_TOKEN, self.id),
        )?;
        let refresh_token = ring.open(&self.refresh_token, token_place(REFRESH_TOKEN, self.id))?;
        Ok(self.into_view(access_token, refresh_token))
    }

    /// The full view with tokens known in clear (the request that sent them).
    pub fn into_view(self, access_token: Option<String>, refresh_token: String) -> ProfileView {
        ProfileView {
            id: self.id,
            name: self.name,
            oauth_app_id: self.oauth_app_id,
            description: self.description,
            access_token,
            refresh_token,
        }
    }

    pub fn into_summary(self) -> ProfileSummary {
        ProfileSummary {
            id: self.id,
            name: self.name,
            description: self.description,
            oauth_app_id: self.oauth_app_id,
        }
    }
}

/// Inserts `new` with the tokens sealed for the new row, in one transaction (the seal needs
/// the row's id).
pub fn insert(
    conn: &mut DbConnection,
    new: &NewOauthProfile<'_>,
    access_token: Option<&str>,
    refresh_token: &str,
    ring: &KeyRing,
) -> QueryResult<OauthProfile> {
    conn.transaction(|conn| {
        let mut profile: OauthProfile = db::insert_returning!(
            conn,
            diesel::insert_into(oauth_profiles::table).values(new),
            OauthProfile::as_returning()
        )?;
        let id = profile.id;
        profile.access_token = access_token.map(|t| ring.seal(t, token_place(ACCESS_TOKEN, id)));
        profile.refresh_token = ring.seal(refresh_token, token_place(REFRESH_TOKEN, id));
        diesel::update(oauth_profiles::table.find(id))
            .set((
                oauth_profiles::access_token.eq(&profile.access_token),
                oauth_profiles::refresh_token.eq(&profile.refresh_token),
            ))
            .execute(conn)?;
        Ok(profile)
    })
}

/// Whose profiles a request reaches: the user's, made while they belonged to the tenant they
/// belong to now. A user moved to another tenant no longer reaches the profiles of the old one
/// (their tokens were granted for its applications); the gateway then purges them (docs/api.md).
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    pub user_id: i64,
    pub tenant_id: i64,
}

impl Owner {
    /// The owner a request acts for: its subject.
    pub fn of(subject: &internal_auth::Identity) -> Self {
        Owner {
            user_id: subject.user_id,
            tenant_id: subject.tenant_id,
        }
    }
}

/// `owner`'s profile `id` (on the concrete connection: it runs on every GET by id).
pub fn find(conn: &mut DbConnection, owner: Owner, id: i64) -> QueryResult<Option<OauthProfile>> {
    db::with_backend!(conn, |c| oauth_profiles::table
        .find(id)
        .filter(oauth_profiles::owner_id.eq(owner.user_id))
        .filter(oauth_profiles::owner_tenant_id.eq(owner.tenant_id))
        .select(OauthProfile::as_select())
        .get_result(c)
        .optional())
}

/// One page of `owner`'s profiles, oldest first.
pub fn list(conn: &mut DbConnection, owner: Owner, page: Page) -> QueryResult<Vec<OauthProfile>> {
    oauth_profiles::table
        .filter(oauth_profiles::owner_id.eq(owner.user_id))
        .filter(oauth_profiles::owner_tenant_id.eq(owner.tenant_id))
        .filter(oauth_profiles::id.gt(page.after))
        .order(oauth_profiles::id)
        .limit(page.limit)
        .select(OauthProfile::as_select())
        .load(conn)
}

/// Replaces `owner`'s profile `id`; whether it existed.
pub fn update(
    conn: &mut DbConnection,
    owner: Owner,
    id: i64,
    changes: &OauthProfileChangeset<'_>,
) -> QueryResult<bool> {
    diesel::update(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::owner_id.eq(owner.user_id))
            .filter(oauth_profiles::owner_tenant_id.eq(owner.tenant_id)),
    )
    .set(changes)
    .execute(conn)
    .map(|n| n > 0)
}

/// Re-seals every token not sealed with the active key (see [`secrets::reseal_column`]).
pub fn reseal_tokens(
    conn: &mut DbConnection,
    ring: &KeyRing,
    batch: i64,
) -> QueryResult<ResealReport> {
    let pattern = ring.active_like_pattern();
    let conn = std::cell::RefCell::new(conn);
    let mut report = secrets::reseal_column(
        ring,
        "oauth_profiles",
        REFRESH_TOKEN,
        batch,
        |after, limit| {
            oauth_profiles::table
                .select((oauth_profiles::id, oauth_profiles::refresh_token))
                .filter(oauth_profiles::id.gt(after))
                .filter(oauth_profiles::refresh_token.not_like(&pattern))
                .order(oauth_profiles::id)
                .limit(limit)
                .load(*conn.borrow_mut())
        },
        |id, old, new| {
            diesel::update(
                oauth_profiles::table
                    .find(id)
                    .filter(oauth_profiles::refresh_token.eq(old)),
            )
            .set(oauth_profiles::refresh_token.eq(new))
            .execute(*conn.borrow_mut())
            .map(|n| n == 1)
        },
    )?;
    report.add(secrets::reseal_column(
        ring,
        "oauth_profiles",
        ACCESS_TOKEN,
        batch,
        |after, limit| {
            oauth_profiles::table
                .select((
                    oauth_profiles::id,
                    oauth_profiles::access_token.assume_not_null(),
                ))
                .filter(oauth_profiles::id.gt(after))
                .filter(oauth_profiles::access_token.is_not_null())
                .filter(oauth_profiles::access_token.not_like(&pattern))
                .order(oauth_profiles::id)
                .limit(limit)
                .load(*conn.borrow_mut())
        },
        |id, old, new| {
            diesel::update(
                oauth_profiles::table
                    .find(id)
                    .filter(oauth_profiles::access_token.eq(old)),
            )
            .set(oauth_profiles::access_token.eq(new))
            .execute(*conn.borrow_mut())
            .map(|n| n == 1)
        },
    )?);
    Ok(report)
}

/// Deletes `owner`'s profile `id`; whether it existed.
pub fn delete(conn: &mut DbConnection, owner: Owner, id: i64) -> QueryResult<bool> {
    diesel::delete(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::owner_id.eq(owner.user_id))
            .filter(oauth_profiles::owner_tenant_id.eq(owner.tenant_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// How many profiles, of any owner, use the application `app_id`, and the distinct tenants of
/// their owners in ascending order.
pub fn app_usage(conn: &mut DbConnection, app_id: i64) -> QueryResult<(i64, Vec<i64>)> {
    let profiles = oauth_profiles::table
        .filter(oauth_profiles::oauth_app_id.eq(app_id))
        .count()
        .get_result(conn)?;
    let tenants = oauth_profiles::table
        .filter(oauth_profiles::oauth_app_id.eq(app_id))
        .select(oauth_profiles::owner_tenant_id)
        .distinct()
        .order(oauth_profiles::owner_tenant_id)
        .load(conn)?;
    Ok((profiles, tenants))
}

/// Deletes every profile of `owner` (a user being deleted); how many went.
pub fn delete_all_owned(conn: &mut DbConnection, owner: i64) -> QueryResult<usize> {
    diesel::delete(oauth_profiles::table.filter(oauth_profiles::owner_id.eq(owner))).execute(conn)
}
