//! Rows of `oauth_profiles` and the queries on them. Every query is scoped to an owner: a
//! profile is only ever reached through the user it belongs to.

use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use serde::Serialize;

use crate::schema::oauth_profiles;

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
    pub access_token: Option<&'a str>,
    pub refresh_token: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A full replacement of the user-settable columns.
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
    pub fn into_view(self) -> ProfileView {
        ProfileView {
            id: self.id,
            name: self.name,
            oauth_app_id: self.oauth_app_id,
            description: self.description,
            access_token: self.access_token,
            refresh_token: self.refresh_token,
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

pub fn insert(conn: &mut DbConnection, new: &NewOauthProfile<'_>) -> QueryResult<OauthProfile> {
    db::insert_returning!(
        conn,
        diesel::insert_into(oauth_profiles::table).values(new),
        OauthProfile::as_returning()
    )
}

/// `owner`'s profile `id`.
pub fn find(conn: &mut DbConnection, owner: i64, id: i64) -> QueryResult<Option<OauthProfile>> {
    oauth_profiles::table
        .find(id)
        .filter(oauth_profiles::owner_id.eq(owner))
        .select(OauthProfile::as_select())
        .first(conn)
        .optional()
}

/// `owner`'s profiles, oldest first.
pub fn list(conn: &mut DbConnection, owner: i64) -> QueryResult<Vec<OauthProfile>> {
    oauth_profiles::table
        .filter(oauth_profiles::owner_id.eq(owner))
        .order(oauth_profiles::id)
        .select(OauthProfile::as_select())
        .load(conn)
}

/// Replaces `owner`'s profile `id`; whether it existed.
pub fn update(
    conn: &mut DbConnection,
    owner: i64,
    id: i64,
    changes: &OauthProfileChangeset<'_>,
) -> QueryResult<bool> {
    diesel::update(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::owner_id.eq(owner)),
    )
    .set(changes)
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes `owner`'s profile `id`; whether it existed.
pub fn delete(conn: &mut DbConnection, owner: i64, id: i64) -> QueryResult<bool> {
    diesel::delete(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::owner_id.eq(owner)),
    )
    .execute(conn)
    .map(|n| n > 0)
}
