//! Rows of `client_apps` and the queries on them.
//!
//! A client secret is kept only as its keyed hash, made here on every write ([`insert`],
//! [`reset_secret`]): callers hand in the secret itself.
//!
//! Every query the management API uses takes the owner, so an application of another user is
//! simply not found: the handlers cannot forget the check. The one exception,
//! [`find_by_client_id`], serves the credential check, where the client itself, not its owner,
//! is asking.

pub mod oauth2;

use std::fmt;

use api_common::http::Page;
use api_common::ApiError;
use chrono::NaiveDateTime;
use client_registration_client::{ApplicationOwner, ClientApplication, ClientSecretText};
use db::DbConnection;
use diesel::prelude::*;
use secrets::HashKey;

use crate::domain::{ClientAppInput, ClientSecret};
use crate::schema::client_apps;

#[derive(Clone, Queryable, Selectable)]
#[diesel(table_name = client_apps)]
pub struct ClientApp {
    pub id: i64,
    pub owner_id: i64,
    pub owner_tenant_id: i64,
    pub name: String,
    pub description: Option<String>,
    /// A JSON array of strings.
    pub redirect_urls: String,
    pub client_id: String,
    /// The client secret's keyed hash ([`secrets::HashKey::hash`]); the secret itself is never
    /// stored.
    pub client_secret_hash: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

// By hand, so that the secret's hash cannot reach a log through `{:?}`.
impl fmt::Debug for ClientApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientApp")
            .field("id", &self.id)
            .field("owner_id", &self.owner_id)
            .field("owner_tenant_id", &self.owner_tenant_id)
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Insertable)]
#[diesel(table_name = client_apps)]
struct NewClientApp<'a> {
    owner_id: i64,
    owner_tenant_id: i64,
    name: &'a str,
    description: Option<&'a str>,
    redirect_urls: &'a str,
    client_id: &'a str,
    client_secret_hash: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl fmt::Debug for NewClientApp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewClientApp")
            .field("owner_id", &self.owner_id)
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// A full replacement of the user-settable columns; the credentials change only by a reset.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = client_apps, treat_none_as_null = true)]
struct ClientAppChangeset<'a> {
    name: &'a str,
    description: Option<&'a str>,
    redirect_urls: &'a str,
    updated_at: NaiveDateTime,
}

impl ClientApp {
    /// The registered redirect URLs; none if the stored list is unreadable (logged).
    pub fn registered_redirect_urls(&self) -> Vec<String> {
        serde_json::from_str(&self.redirect_urls).unwrap_or_else(|e| {
            log::error!(
                "client application {} has unreadable redirect URLs: {e}",
                self.id
            );
            Vec::new()
        })
    }

    /// The public view; `secret` only for the answer to create or reset, which generated it.
    pub fn into_view(self, secret: Option<ClientSecret>) -> Result<ClientApplication, ApiError> {
        let redirect_urls = serde_json::from_str(&self.redirect_urls).map_err(|e| {
            ApiError::internal(format!(
                "client application {} has unreadable redirect URLs: {e}",
                self.id
            ))
        })?;
        Ok(ClientApplication {
            id: self.id,
            name: self.name,
            description: self.description,
            redirect_urls,
            client_id: self.client_id,
            client_secret: secret.map(|secret| ClientSecretText(secret.reveal())),
        })
    }
}

/// Stores a new application of `owner_id` (a user of `owner_tenant_id`) with its generated
/// credentials, the secret as its keyed hash under `key`.
pub fn insert(
    conn: &mut DbConnection,
    key: &HashKey,
    owner_id: i64,
    owner_tenant_id: i64,
    input: &ClientAppInput,
    client_id: &str,
    secret: &ClientSecret,
) -> QueryResult<ClientApp> {
    let now = chrono::Utc::now().naive_utc();
    let new = NewClientApp {
        owner_id,
        owner_tenant_id,
        name: &input.name,
        description: input.description.as_deref(),
        redirect_urls: &input.redirect_urls.to_stored(),
        client_id,
        client_secret_hash: &secret.hash(key),
        created_at: now,
        updated_at: now,
    };
    conn.transaction(|conn| {
        let app = db::insert_returning!(
            conn,
            diesel::insert_into(client_apps::table).values(&new),
            ClientApp::as_returning()
        )?;
        // After the insert, which on SQLite took the write lock (db::owners).
        db::owners::guard_owner(conn, owner_id)?;
        Ok(app)
    })
}

/// `id` if `owner_id` owns it.
pub fn find_owned(
    conn: &mut DbConnection,
    id: i64,
    owner_id: i64,
) -> QueryResult<Option<ClientApp>> {
    client_apps::table
        .find(id)
        .filter(client_apps::owner_id.eq(owner_id))
        .select(ClientApp::as_select())
        .get_result(conn)
        .optional()
}

/// The application `id`, whoever owns it: only for the authorization server, which acts for
/// the user authorizing it, not for its owner.
pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<ClientApp>> {
    client_apps::table
        .find(id)
        .select(ClientApp::as_select())
        .get_result(conn)
        .optional()
}

/// The application with `client_id`, whoever owns it: only for checking its credentials.
pub fn find_by_client_id(
    conn: &mut DbConnection,
    client_id: &str,
) -> QueryResult<Option<ClientApp>> {
    client_apps::table
        .filter(client_apps::client_id.eq(client_id))
        .select(ClientApp::as_select())
        .get_result(conn)
        .optional()
}

/// `owner_id`'s applications, oldest first.
pub fn list_owned(
    conn: &mut DbConnection,
    owner_id: i64,
    page: Page,
) -> QueryResult<Vec<ClientApp>> {
    client_apps::table
        .filter(client_apps::owner_id.eq(owner_id))
        .filter(client_apps::id.gt(page.after))
        .order(client_apps::id)
        .limit(page.limit)
        .select(ClientApp::as_select())
        .load(conn)
}

/// Replaces the columns of `id` with `input` if `owner_id` owns it; `None` otherwise.
pub fn update_owned(
    conn: &mut DbConnection,
    id: i64,
    owner_id: i64,
    input: &ClientAppInput,
) -> QueryResult<Option<ClientApp>> {
    let changes = ClientAppChangeset {
        name: &input.name,
        description: input.description.as_deref(),
        redirect_urls: &input.redirect_urls.to_stored(),
        updated_at: chrono::Utc::now().naive_utc(),
    };
    conn.transaction(|conn| {
        let updated = diesel::update(
            client_apps::table
                .find(id)
                .filter(client_apps::owner_id.eq(owner_id)),
        )
        .set(&changes)
        .execute(conn)?;
        if updated == 0 {
            return Ok(None);
        }
        find_owned(conn, id, owner_id)
    })
}

/// Replaces the secret of `id` (its keyed hash under `key`) if `owner_id` owns it, so the old
/// secret stops working at once, and revokes every grant, token and code of the application
/// in the same transaction (its users' remembered consents stay); `None` otherwise.
pub fn reset_secret(
    conn: &mut DbConnection,
    key: &HashKey,
    id: i64,
    owner_id: i64,
    secret: &ClientSecret,
) -> QueryResult<Option<ClientApp>> {
    let client_secret_hash = secret.hash(key);
    let now = chrono::Utc::now().naive_utc();
    conn.transaction(|conn| {
        let updated = diesel::update(
            client_apps::table
                .find(id)
                .filter(client_apps::owner_id.eq(owner_id)),
        )
        .set((
            client_apps::client_secret_hash.eq(&client_secret_hash),
            client_apps::updated_at.eq(now),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Ok(None);
        }
        oauth2::revoke_application(conn, id)?;
        find_owned(conn, id, owner_id)
    })
}

/// Deletes `id` if `owner_id` owns it; whether a row went. Its grants, tokens, codes and
/// remembered consents go with it in the same statement (foreign keys, `ON DELETE CASCADE`).
pub fn delete_owned(conn: &mut DbConnection, id: i64, owner_id: i64) -> QueryResult<bool> {
    diesel::delete(
        client_apps::table
            .find(id)
            .filter(client_apps::owner_id.eq(owner_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes every application of `owner_id` (a user being deleted), and every grant, token,
/// code and consent of theirs as resource owner, and records their tombstone, after which
/// [`insert`] and the authorization server's inserts refuse them; how many applications went.
pub fn delete_all_owned(conn: &mut DbConnection, owner_id: i64) -> QueryResult<usize> {
    db::owners::purge_owner(conn, owner_id, |conn| {
        oauth2::delete_resource_owner(conn, owner_id)?;
        diesel::delete(client_apps::table.filter(client_apps::owner_id.eq(owner_id))).execute(conn)
    })
}

/// A page of the owners of applications and how many each has (the consistency check).
pub fn owners(conn: &mut DbConnection, page: Page) -> QueryResult<Vec<ApplicationOwner>> {
    let rows: Vec<(i64, i64)> = client_apps::table
        .filter(client_apps::owner_id.gt(page.after))
        .group_by(client_apps::owner_id)
        .order(client_apps::owner_id)
        .limit(page.limit)
        .select((client_apps::owner_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(owner_id, applications)| ApplicationOwner {
            owner_id,
            applications: u64::try_from(applications).unwrap_or_default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use db::{DatabaseUrl, PoolOptions};
    use serde_json::json;

    use super::*;
    use crate::domain::RedirectUrls;
    use crate::MIGRATIONS;

    /// A fresh SQLite file, removed (with its WAL files) when dropped.
    struct TempDb(PathBuf);

    impl Drop for TempDb {
        fn drop(&mut self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut path = self.0.clone().into_os_string();
                path.push(suffix);
                let _ = std::fs::remove_file(path);
            }
        }
    }

    fn input(name: &str, description: Option<&str>, urls: &str) -> ClientAppInput {
        ClientAppInput {
            name: name.to_owned(),
            description: description.map(str::to_owned),
            redirect_urls: RedirectUrls::parse(Some(json!(urls))).unwrap(),
        }
    }

    #[test]
    fn queries_see_only_the_owners_applications_on_sqlite() {
        let file = TempDb(
            std::env::temp_dir().join(format!("client-registration-{}.db", uuid::Uuid::new_v4())),
        );
        let url = DatabaseUrl::sqlite(&file.0);
        let pool = db::connect("TEST_DB", &url, MIGRATIONS, PoolOptions::default()).unwrap();
        let mut conn = pool.get().unwrap();
        let key = HashKey::parse(&secrets::generate_key()).unwrap();

        // Migrations go down and up again cleanly.
        db::revert_all_migrations(&mut conn, MIGRATIONS).unwrap();
        db::run_migrations(&mut conn, MIGRATIONS).unwrap();

        let mut add = |owner_id: i64, name: &str, client_id: &str| {
            let app = input(name, Some("about"), "https://a.example.com/cb");
            let secret = ClientSecret::generate().unwrap();
            insert(&mut conn, &key, owner_id, 1, &app, client_id, &secret)
        };
        let first = add(7, "App", "id-1").unwrap();
        let second = add(7, "Other", "id-2").unwrap();
        let theirs = add(8, "App", "id-3").unwrap();
        let taken = add(7, "App", "id-4").unwrap_err();
        assert!(db::DbError::from(taken).is_unique_violation());
        let same_client_id = add(9, "X", "id-1").unwrap_err();
        assert!(db::DbError::from(same_client_id).is_unique_violation());

        let ids: Vec<i64> = list_owned(&mut conn, 7, Page::parse(None, None).unwrap())
            .unwrap()
            .into_iter()
            .map(|app| app.id)
            .collect();
        assert_eq!(ids, [first.id, second.id]);
        assert!(find_owned(&mut conn, theirs.id, 7).unwrap().is_none());

        let renamed = input("Renamed", None, "com.example.app:/cb");
        assert!(update_owned(&mut conn, theirs.id, 7, &renamed)
            .unwrap()
            .is_none());
        let updated = update_owned(&mut conn, first.id, 7, &renamed)
            .unwrap()
            .unwrap();
        assert_eq!(updated.name, "Renamed");
        assert_eq!(updated.description, None);
        assert_eq!(updated.client_secret_hash, first.client_secret_hash);
        let view = updated.into_view(None).unwrap();
        assert_eq!(view.redirect_urls, ["com.example.app:/cb"]);
        assert_eq!(view.client_secret, None);

        let secret = ClientSecret::generate().unwrap();
        assert!(reset_secret(&mut conn, &key, theirs.id, 7, &secret)
            .unwrap()
            .is_none());
        let reset = reset_secret(&mut conn, &key, second.id, 7, &secret)
            .unwrap()
            .unwrap();
        assert_ne!(reset.client_secret_hash, second.client_secret_hash);
        assert!(key.verify(&secret.reveal(), &reset.client_secret_hash));
        assert_eq!(reset.client_id, "id-2");
        let found = find_by_client_id(&mut conn, "id-2").unwrap().unwrap();
        assert_eq!(
            (found.id, found.client_secret_hash),
            (second.id, reset.client_secret_hash)
        );
        assert!(find_by_client_id(&mut conn, "id-9").unwrap().is_none());

        assert!(!delete_owned(&mut conn, theirs.id, 7).unwrap());
        assert!(delete_owned(&mut conn, first.id, 7).unwrap());
        assert!(find_owned(&mut conn, first.id, 7).unwrap().is_none());
        assert!(find_owned(&mut conn, theirs.id, 8).unwrap().is_some());

        assert_eq!(delete_all_owned(&mut conn, 7).unwrap(), 1);
        assert_eq!(delete_all_owned(&mut conn, 7).unwrap(), 0);
        assert!(find_owned(&mut conn, theirs.id, 8).unwrap().is_some());

        // A purged owner's rows can no longer be written.
        let app = input("Late", None, "https://a.example.com/cb");
        let secret = ClientSecret::generate().unwrap();
        let late = insert(&mut conn, &key, 7, 1, &app, "id-5", &secret).unwrap_err();
        assert_eq!(db::owners::OwnerDeleted::find(&late), Some(7));
        let page = Page::parse(None, None).unwrap();
        assert!(list_owned(&mut conn, 7, page).unwrap().is_empty());
        assert!(insert(&mut conn, &key, 8, 1, &app, "id-6", &secret).is_ok());
    }
}
