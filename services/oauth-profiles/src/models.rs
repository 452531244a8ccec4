//! Rows of `oauth_profiles` and the queries on them. Every query is scoped to an owner: a
//! profile is only ever reached through the user it belongs to.
//!
//! Tokens are sealed here, for their own row and column, on every write ([`insert`],
//! [`update`]), and opened here on every read ([`OauthProfile::open`]): callers hand in and
//! get back tokens in clear only.

use api_common::http::Page;
use chrono::NaiveDateTime;
use db::DbConnection;
use diesel::prelude::*;
use oauth_profiles_client::{
    OauthProfile as ProfileView, OauthProfileSummary, ProfileLink, ProfileStatus,
};
use secrets::{KeyRing, OpenError, Place, ResealReport};

use crate::domain::{Link, OauthProfileInput};
use crate::schema::{connect_states, oauth_profiles};

const ACCESS_TOKEN: &str = "access_token";
const REFRESH_TOKEN: &str = "refresh_token";

/// Where a token is sealed for: its own row and column only.
fn token_place(column: &'static str, row_id: i64) -> Place<'static> {
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
    /// Sealed: opened only by [`OauthProfile::open`].
    access_token: Option<String>,
    /// Sealed: opened only by [`OauthProfile::open`].
    refresh_token: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the access token expires; `None`: unknown.
    pub expires_at: Option<NaiveDateTime>,
    /// [`ProfileStatus`] by name.
    pub status: String,
    /// Bumped by every refresh stored: what a caller waiting for another's refresh watches.
    pub token_version: i64,
    /// Until when a refresh under way holds the profile (single flight); `None`: nobody.
    pub refresh_lease_until: Option<NaiveDateTime>,
    /// When the last refresh failed; cleared by a refresh that succeeds.
    pub refresh_failed_at: Option<NaiveDateTime>,
}

/// A new row, its refresh token empty until [`insert`] seals the tokens (which needs the
/// row's id).
#[derive(Debug, Insertable)]
#[diesel(table_name = oauth_profiles)]
struct NewOauthProfile<'a> {
    owner_id: i64,
    owner_tenant_id: i64,
    name: &'a str,
    oauth_app_id: i64,
    description: Option<&'a str>,
    refresh_token: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    state: &'static str,
    pending_since: Option<NaiveDateTime>,
    expires_at: Option<NaiveDateTime>,
}

/// A profile whose application has not been confirmed yet: seen by `usage` only.
pub const PENDING: &str = "pending";
/// A profile reads and lists show.
pub const ACTIVE: &str = "active";

/// A full replacement of the user-settable columns, tokens sealed for the row.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = oauth_profiles, treat_none_as_null = true)]
struct OauthProfileChangeset<'a> {
    name: &'a str,
    oauth_app_id: i64,
    description: Option<&'a str>,
    access_token: Option<&'a str>,
    refresh_token: &'a str,
    updated_at: NaiveDateTime,
    /// Tokens sent by a caller: expiry unknown, and usable again.
    expires_at: Option<NaiveDateTime>,
    status: &'static str,
    refresh_failed_at: Option<NaiveDateTime>,
    /// A refresh under way loses its lease, so that its compare-and-set cannot overwrite the
    /// tokens sent here with ones obtained from the old refresh token.
    refresh_lease: Option<&'a str>,
    refresh_lease_until: Option<NaiveDateTime>,
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

    /// The refresh token, opened.
    pub fn open_refresh_token(&self, ring: &KeyRing) -> Result<String, OpenError> {
        ring.open(&self.refresh_token, token_place(REFRESH_TOKEN, self.id))
    }

    /// The access token, opened.
    pub fn open_access_token(&self, ring: &KeyRing) -> Result<Option<String>, OpenError> {
        ring.open_optional(
            self.access_token.as_deref(),
            token_place(ACCESS_TOKEN, self.id),
        )
    }

    pub fn has_access_token(&self) -> bool {
        self.access_token.is_some()
    }

    pub fn status(&self) -> ProfileStatus {
        ProfileStatus::from_name(&self.status)
    }

    fn into_view(self, access_token: Option<String>, refresh_token: String) -> ProfileView {
        ProfileView {
            id: self.id,
            name: self.name,
            oauth_app_id: self.oauth_app_id,
            description: self.description,
            access_token,
            refresh_token,
            expires_at: self.expires_at.map(rfc3339),
            status: ProfileStatus::from_name(&self.status),
        }
    }
}

/// A stored time (UTC) as the API shows it: RFC 3339, whole seconds, `Z`.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The tokens of `input` sealed for row `id`: (access token, refresh token).
fn sealed_tokens(ring: &KeyRing, id: i64, input: &OauthProfileInput) -> (Option<String>, String) {
    let access = input.access_token.as_deref();
    (
        access.map(|token| ring.seal(token, token_place(ACCESS_TOKEN, id))),
        ring.seal(&input.refresh_token, token_place(REFRESH_TOKEN, id)),
    )
}

/// Step C1 of docs/consistency.md: stores a new profile of `owner`, [`PENDING`], its tokens
/// sealed for the new row, in one transaction (the seal needs the row's id); the profile as
/// create answers it once [`activate`] confirms it, tokens as sent.
pub fn insert(
    conn: &mut DbConnection,
    ring: &KeyRing,
    owner: Owner,
    input: &OauthProfileInput,
) -> QueryResult<ProfileView> {
    let now = chrono::Utc::now().naive_utc();
    let new = NewOauthProfile {
        owner_id: owner.user_id,
        owner_tenant_id: owner.tenant_id,
        name: &input.name,
        oauth_app_id: input.oauth_app_id,
        description: input.description.as_deref(),
        refresh_token: "",
        created_at: now,
        updated_at: now,
        state: PENDING,
        pending_since: Some(now),
        expires_at: input.expires_at,
    };
    conn.transaction(|conn| {
        let profile: OauthProfile = db::insert_returning!(
            conn,
            diesel::insert_into(oauth_profiles::table).values(&new),
            OauthProfile::as_returning()
        )?;
        // After the insert, which on SQLite took the write lock (db::owners).
        db::owners::guard_owner(conn, owner.user_id)?;
        let (access_token, refresh_token) = sealed_tokens(ring, profile.id, input);
        diesel::update(oauth_profiles::table.find(profile.id))
            .set((
                oauth_profiles::access_token.eq(&access_token),
                oauth_profiles::refresh_token.eq(&refresh_token),
            ))
            .execute(conn)?;
        Ok(profile.into_view(input.access_token.clone(), input.refresh_token.clone()))
    })
}

/// Step C3 of a create: pending profile `id` becomes active; `false` when it is no longer
/// pending (a sweeper took it).
pub fn activate(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::update(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::state.eq(PENDING)),
    )
    .set((
        oauth_profiles::state.eq(ACTIVE),
        oauth_profiles::pending_since.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// Deletes pending profile `id`, whose application was refused or could not be checked.
pub fn discard_pending(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::delete(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::state.eq(PENDING)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

/// Step C1 of an update that changes the application: records `app_id` as `owner`'s profile
/// `id`'s pending link (counted by `usage` from now on); whether the profile exists.
pub fn hold_link(conn: &mut DbConnection, owner: Owner, id: i64, app_id: i64) -> QueryResult<bool> {
    diesel::update(owned_active(owner, id))
        .set((
            oauth_profiles::pending_app_id.eq(Some(app_id)),
            oauth_profiles::pending_since.eq(Some(chrono::Utc::now().naive_utc())),
        ))
        .execute(conn)
        .map(|n| n > 0)
}

/// Drops profile `id`'s pending link to `app_id`, if it is still that one.
pub fn release_link(conn: &mut DbConnection, id: i64, app_id: i64) -> QueryResult<bool> {
    diesel::update(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::pending_app_id.eq(app_id)),
    )
    .set((
        oauth_profiles::pending_app_id.eq(None::<i64>),
        oauth_profiles::pending_since.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// The sweeper's statements: pending profiles and pending links older than `cutoff` go (their
/// requests were never answered 201 or 200, and a resumed request finds nothing to confirm);
/// how many.
pub fn sweep_pending(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    let profiles = diesel::delete(
        oauth_profiles::table
            .filter(oauth_profiles::state.eq(PENDING))
            .filter(oauth_profiles::pending_since.lt(cutoff)),
    )
    .execute(conn)?;
    let links = diesel::update(
        oauth_profiles::table
            .filter(oauth_profiles::pending_app_id.is_not_null())
            .filter(oauth_profiles::pending_since.lt(cutoff)),
    )
    .set((
        oauth_profiles::pending_app_id.eq(None::<i64>),
        oauth_profiles::pending_since.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(profiles + links)
}

/// The query [`owned_active`] builds.
type OwnedActive = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            diesel::dsl::Find<oauth_profiles::table, i64>,
            diesel::dsl::Eq<oauth_profiles::owner_id, i64>,
        >,
        diesel::dsl::Eq<oauth_profiles::owner_tenant_id, i64>,
    >,
    diesel::dsl::Eq<oauth_profiles::state, &'static str>,
>;

/// `owner`'s active profile `id`.
fn owned_active(owner: Owner, id: i64) -> OwnedActive {
    oauth_profiles::table
        .find(id)
        .filter(oauth_profiles::owner_id.eq(owner.user_id))
        .filter(oauth_profiles::owner_tenant_id.eq(owner.tenant_id))
        .filter(oauth_profiles::state.eq(ACTIVE))
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

/// Whether `owner` has a profile named `name`, active or pending (connect refuses a taken name
/// before sending anyone to the provider; the unique index still decides at the callback).
pub fn name_exists(conn: &mut DbConnection, owner: Owner, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        oauth_profiles::table
            .filter(oauth_profiles::owner_id.eq(owner.user_id))
            .filter(oauth_profiles::name.eq(name)),
    ))
    .get_result(conn)
}

/// `owner`'s active profile `id` (on the concrete connection: it runs on every GET by id).
pub fn find(conn: &mut DbConnection, owner: Owner, id: i64) -> QueryResult<Option<OauthProfile>> {
    db::with_backend!(conn, |c| owned_active(owner, id)
        .select(OauthProfile::as_select())
        .get_result(c)
        .optional())
}

/// One page of `owner`'s active profiles, oldest first, as list items. Only the items'
/// columns are read: decoding a whole row (its tokens and five timestamps, which SQLite keeps
/// as text) was most of a list page's cost. The rows are read on the concrete connection,
/// without the multi-backend's row and field wrappers around each value.
pub fn list(
    conn: &mut DbConnection,
    owner: Owner,
    page: Page,
) -> QueryResult<Vec<OauthProfileSummary>> {
    let query = oauth_profiles::table
        .filter(oauth_profiles::owner_id.eq(owner.user_id))
        .filter(oauth_profiles::owner_tenant_id.eq(owner.tenant_id))
        .filter(oauth_profiles::state.eq(ACTIVE))
        .filter(oauth_profiles::id.gt(page.after))
        .order(oauth_profiles::id)
        .limit(page.limit)
        .select((
            oauth_profiles::id,
            oauth_profiles::name,
            oauth_profiles::description,
            oauth_profiles::oauth_app_id,
        ));
    db::with_backend!(conn, |c| query
        .load::<(i64, String, Option<String>, i64)>(c))
    .map(|rows| {
        rows.into_iter()
            .map(
                |(id, name, description, oauth_app_id)| OauthProfileSummary {
                    id,
                    name,
                    description,
                    oauth_app_id,
                },
            )
            .collect()
    })
}

/// Replaces `owner`'s active profile `id` with `input`, its tokens sealed for the row, if its
/// link is still as the request left it: for [`Link::Kept`], linked to `input`'s application;
/// for [`Link::New`] (step C3), holding it as its pending link, which becomes the link.
/// Whether a row was written.
pub fn update(
    conn: &mut DbConnection,
    ring: &KeyRing,
    owner: Owner,
    id: i64,
    input: &OauthProfileInput,
    link: Link,
) -> QueryResult<bool> {
    let (access_token, refresh_token) = sealed_tokens(ring, id, input);
    let changes = OauthProfileChangeset {
        name: &input.name,
        oauth_app_id: input.oauth_app_id,
        description: input.description.as_deref(),
        access_token: access_token.as_deref(),
        refresh_token: &refresh_token,
        updated_at: chrono::Utc::now().naive_utc(),
        expires_at: input.expires_at,
        status: ProfileStatus::Active.name(),
        refresh_failed_at: None,
        refresh_lease: None,
        refresh_lease_until: None,
    };
    let row = owned_active(owner, id);
    let updated = match link {
        Link::Kept => diesel::update(
            row.filter(oauth_profiles::oauth_app_id.eq(input.oauth_app_id))
                .filter(oauth_profiles::pending_app_id.is_null()),
        )
        .set(&changes)
        .execute(conn)?,
        Link::New => {
            diesel::update(row.filter(oauth_profiles::pending_app_id.eq(input.oauth_app_id)))
                .set((
                    &changes,
                    oauth_profiles::pending_app_id.eq(None::<i64>),
                    oauth_profiles::pending_since.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?
        }
    };
    Ok(updated > 0)
}

/// Re-seals every token not sealed with the active key (see [`secrets::reseal_rows!`]).
pub fn reseal_tokens(
    conn: &mut DbConnection,
    ring: &KeyRing,
    batch: i64,
) -> QueryResult<ResealReport> {
    let mut report = secrets::reseal_rows!(conn, ring, batch, oauth_profiles.refresh_token)?;
    report.add(secrets::reseal_rows!(
        conn,
        ring,
        batch,
        oauth_profiles.access_token
    )?);
    Ok(report)
}

/// Deletes `owner`'s active profile `id`; whether it existed.
pub fn delete(conn: &mut DbConnection, owner: Owner, id: i64) -> QueryResult<bool> {
    diesel::delete(owned_active(owner, id))
        .execute(conn)
        .map(|n| n > 0)
}

/// How many profiles, of any owner, use the application `app_id`, and the distinct tenants of
/// their owners in ascending order: pending profiles and pending links count, so that a
/// delete or move asked after they were committed sees them (docs/consistency.md, I1).
pub fn app_usage(conn: &mut DbConnection, app_id: i64) -> QueryResult<(i64, Vec<i64>)> {
    let uses = oauth_profiles::oauth_app_id
        .eq(app_id)
        .or(oauth_profiles::pending_app_id.eq(app_id));
    let profiles = oauth_profiles::table
        .filter(uses)
        .count()
        .get_result(conn)?;
    let tenants = oauth_profiles::table
        .filter(uses)
        .select(oauth_profiles::owner_tenant_id)
        .distinct()
        .order(oauth_profiles::owner_tenant_id)
        .load(conn)?;
    Ok((profiles, tenants))
}

/// Which of an owner's profiles a purge deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// The user is deleted: every profile, under their tombstone, after which [`insert`]
    /// refuses them (db::owners).
    Deleted,
    /// The user was moved to this tenant and lives on: their profiles of every other tenant.
    MovedTo(i64),
}

/// Deletes `owner`'s profiles, and their connect flows under way, as `purge` says; how many
/// profiles went.
pub fn delete_all_owned(conn: &mut DbConnection, owner: i64, purge: Purge) -> QueryResult<usize> {
    let owned = oauth_profiles::table.filter(oauth_profiles::owner_id.eq(owner));
    let flows = connect_states::table.filter(connect_states::owner_id.eq(owner));
    match purge {
        Purge::Deleted => db::owners::purge_owner(conn, owner, |conn| {
            diesel::delete(flows).execute(conn)?;
            diesel::delete(owned).execute(conn)
        }),
        // A flow begun in the old tenant would create its profile there: it ends here too.
        Purge::MovedTo(tenant) => {
            diesel::delete(flows.filter(connect_states::owner_tenant_id.ne(tenant)))
                .execute(conn)?;
            diesel::delete(owned.filter(oauth_profiles::owner_tenant_id.ne(tenant))).execute(conn)
        }
    }
}

/// A page of every profile's owner and link, pending ones too (the consistency check).
pub fn links(conn: &mut DbConnection, page: Page) -> QueryResult<Vec<ProfileLink>> {
    let rows: Vec<(i64, i64, i64, i64, String, Option<i64>)> = oauth_profiles::table
        .filter(oauth_profiles::id.gt(page.after))
        .order(oauth_profiles::id)
        .limit(page.limit)
        .select((
            oauth_profiles::id,
            oauth_profiles::owner_id,
            oauth_profiles::owner_tenant_id,
            oauth_profiles::oauth_app_id,
            oauth_profiles::state,
            oauth_profiles::pending_app_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, owner_id, owner_tenant_id, oauth_app_id, state, pending_app_id)| ProfileLink {
                id,
                owner_id,
                owner_tenant_id,
                oauth_app_id,
                active: state == ACTIVE,
                pending_app_id,
            },
        )
        .collect())
}

/// Deletes profile `id` if it still links to `app_id`; whether it did (the repair of a link
/// whose application is gone or out of the owner's reach).
pub fn delete_unlinked(conn: &mut DbConnection, id: i64, app_id: i64) -> QueryResult<bool> {
    diesel::delete(
        oauth_profiles::table
            .find(id)
            .filter(oauth_profiles::oauth_app_id.eq(app_id)),
    )
    .execute(conn)
    .map(|n| n > 0)
}

// ---- Refresh, single flight (docs/connect.md) ----

/// Step 1 of a refresh: `owner`'s active profile `id` is leased to `lease` until `until`,
/// unless another refresh holds an unexpired lease; whether this one got it. One short
/// statement: no connection is held while the provider is called.
pub fn claim_refresh(
    conn: &mut DbConnection,
    owner: Owner,
    id: i64,
    lease: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        owned_active(owner, id).filter(
            oauth_profiles::refresh_lease_until
                .is_null()
                .or(oauth_profiles::refresh_lease_until.lt(now)),
        ),
    )
    .set((
        oauth_profiles::refresh_lease.eq(Some(lease)),
        oauth_profiles::refresh_lease_until.eq(Some(until)),
    ))
    .execute(conn)
    .map(|n| n > 0)
}

/// What a refresh obtained, tokens in clear.
#[derive(Clone)]
pub struct Refreshed {
    pub access_token: String,
    /// A rotated refresh token; `None`: the provider kept the old one.
    pub refresh_token: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
}

/// Step 3 of a refresh: stores what it obtained, the access token and a rotated refresh
/// token in the same statement, and gives the lease back, only if `lease` still holds the
/// profile (compare and set); whether it was stored.
pub fn store_refreshed(
    conn: &mut DbConnection,
    ring: &KeyRing,
    id: i64,
    lease: &str,
    refreshed: &Refreshed,
) -> QueryResult<bool> {
    let access = ring.seal(&refreshed.access_token, token_place(ACCESS_TOKEN, id));
    let row = oauth_profiles::table
        .find(id)
        .filter(oauth_profiles::refresh_lease.eq(lease));
    let common = (
        oauth_profiles::access_token.eq(Some(access)),
        oauth_profiles::expires_at.eq(refreshed.expires_at),
        oauth_profiles::token_version.eq(oauth_profiles::token_version + 1),
        oauth_profiles::status.eq(ProfileStatus::Active.name()),
        oauth_profiles::refresh_lease.eq(None::<String>),
        oauth_profiles::refresh_lease_until.eq(None::<NaiveDateTime>),
        oauth_profiles::refresh_failed_at.eq(None::<NaiveDateTime>),
        oauth_profiles::updated_at.eq(chrono::Utc::now().naive_utc()),
    );
    let updated = match &refreshed.refresh_token {
        Some(rotated) => {
            let sealed = ring.seal(rotated, token_place(REFRESH_TOKEN, id));
            diesel::update(row)
                .set((common, oauth_profiles::refresh_token.eq(sealed)))
                .execute(conn)?
        }
        None => diesel::update(row).set(common).execute(conn)?,
    };
    Ok(updated > 0)
}

/// How a refresh that stored nothing ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The provider failed, or could not be reached: `/token` backs off.
    Provider,
    /// The provider refused the refresh token: the profile needs a new connection.
    InvalidGrant,
    /// Nothing the provider did (oauth-apps did not answer): no back-off.
    Other,
}

/// Gives back `lease` after a refresh that stored nothing; the tokens are not touched.
pub fn release_refresh(
    conn: &mut DbConnection,
    id: i64,
    lease: &str,
    failure: Failure,
) -> QueryResult<bool> {
    let row = oauth_profiles::table
        .find(id)
        .filter(oauth_profiles::refresh_lease.eq(lease));
    let free = (
        oauth_profiles::refresh_lease.eq(None::<String>),
        oauth_profiles::refresh_lease_until.eq(None::<NaiveDateTime>),
    );
    let now = chrono::Utc::now().naive_utc();
    let updated = match failure {
        Failure::Other => diesel::update(row).set(free).execute(conn)?,
        Failure::Provider => diesel::update(row)
            .set((free, oauth_profiles::refresh_failed_at.eq(Some(now))))
            .execute(conn)?,
        Failure::InvalidGrant => diesel::update(row)
            .set((
                free,
                oauth_profiles::refresh_failed_at.eq(Some(now)),
                oauth_profiles::status.eq(ProfileStatus::ReauthorizationRequired.name()),
            ))
            .execute(conn)?,
    };
    Ok(updated > 0)
}

// ---- Connect states (docs/connect.md) ----

/// A connect flow under way, as stored: the state's hash, never the state.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = connect_states)]
pub struct ConnectState {
    pub state_hash: String,
    pub owner_id: i64,
    pub owner_tenant_id: i64,
    pub oauth_app_id: i64,
    pub name: String,
    pub description: Option<String>,
    pub redirect_uri: String,
    pub expires_at: NaiveDateTime,
}

pub fn insert_state(conn: &mut DbConnection, state: &ConnectState) -> QueryResult<()> {
    diesel::insert_into(connect_states::table)
        .values(state)
        .execute(conn)
        .map(|_| ())
}

/// Takes the connect state whose hash is `state_hash`, if it has not expired: one `DELETE
/// ... RETURNING`, so of two callbacks with one state only one gets it, and an expired state
/// goes too.
pub fn take_state(
    conn: &mut DbConnection,
    state_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<ConnectState>> {
    let taken: Option<ConnectState> = db::with_backend!(conn, |c| diesel::delete(
        connect_states::table.find(state_hash)
    )
    .returning(ConnectState::as_returning())
    .get_result(c)
    .optional())?;
    Ok(taken.filter(|state| state.expires_at > now))
}

/// The sweeper's statement: expired connect states go; how many.
pub fn sweep_states(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(connect_states::table.filter(connect_states::expires_at.le(now))).execute(conn)
}
