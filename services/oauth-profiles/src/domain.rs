//! What a valid OAuth profile is, who may act on one, and the check of its application.

use api_common::fields::{
    object_name, optional_nonblank, optional_text, required_id, required_nonblank, DESCRIPTION_MAX,
    NAME_MAX,
};
use api_common::{ApiError, ErrorCode};
use internal_auth::{permissions, Caller, Identity, SYSTEM_TENANT_ID};
use oauth_apps_client::OauthAppsClient;
use oauth_profiles_client::TOKEN_MAX;
use serde::Deserialize;
use serde_json::Value;

/// The body of create and update, as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthProfileBody {
    name: Option<Value>,
    oauth_app_id: Option<Value>,
    description: Option<Value>,
    access_token: Option<Value>,
    refresh_token: Option<Value>,
}

/// A known-good profile, ready to store once its application is checked.
#[derive(Debug)]
pub struct OauthProfileInput {
    pub name: String,
    pub oauth_app_id: i64,
    pub description: Option<String>,
    pub access_token: Option<String>,
    pub refresh_token: String,
    /// When `access_token` expires: known only for tokens this service obtained itself (the
    /// connect callback); tokens sent by a caller are of unknown expiry.
    pub expires_at: Option<chrono::NaiveDateTime>,
}

impl OauthProfileInput {
    pub fn parse(body: OauthProfileBody) -> Result<Self, ApiError> {
        Ok(OauthProfileInput {
            name: object_name("name", body.name, NAME_MAX)?,
            oauth_app_id: required_id("oauthAppId", body.oauth_app_id)?,
            description: optional_text("description", body.description, DESCRIPTION_MAX)?,
            access_token: optional_nonblank("accessToken", body.access_token, TOKEN_MAX)?,
            refresh_token: required_nonblank("refreshToken", body.refresh_token, TOKEN_MAX)?,
            expires_at: None,
        })
    }
}

/// What a caller wants to do with profiles, and the permission it takes besides MgmtAPI (11).
#[derive(Debug, Clone, Copy)]
pub enum Action {
    Create,
    Read,
    Update,
    Delete,
}

impl Action {
    fn permission(self) -> (u32, &'static str) {
        match self {
            Action::Create => (permissions::CREATE_DATA_SOURCE, "CreateDataSource (1)"),
            Action::Read => (permissions::VIEW_DATA_SOURCE, "ViewDataSource (2)"),
            Action::Update => (permissions::MODIFY_DATA_SOURCE, "ModifyDataSource (3)"),
            Action::Delete => (permissions::DELETE_DATA_SOURCE, "DeleteDataSource (4)"),
        }
    }
}

/// 403 unless the user who really called (the actor, an administrator when acting on behalf of
/// the subject with `?user=`) may perform `action` on profiles.
pub fn authorize(caller: &Caller, action: Action) -> Result<(), ApiError> {
    let (permission, label) = action.permission();
    let actor = caller.actor();
    if actor.is_admin() || actor.has_all(&[permissions::MGMT_API, permission]) {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "This operation requires the MgmtAPI (11) and {label} permissions"
    )))
}

/// Whether the profile owner `owner` may use an application of `app_tenant_id`: one of their own
/// tenant or of the system tenant. (What oauth-apps lets a caller read is wider: an
/// administrator reads every tenant's applications, a user those of the tenants they
/// administer; neither makes such an application usable by the owner.)
pub fn usable_by(owner: &Identity, app_tenant_id: i64) -> bool {
    usable_in(owner.tenant_id, app_tenant_id)
}

/// [`usable_by`] for an owner known by their tenant only (the connect callback, which has no
/// user token).
pub fn usable_in(owner_tenant_id: i64, app_tenant_id: i64) -> bool {
    app_tenant_id == owner_tenant_id || app_tenant_id == SYSTEM_TENANT_ID
}

/// The answer for an application a profile may not use (or that is being deleted or moved).
pub fn invalid_app(app_id: i64) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidOauthAppId,
        format!("Invalid OAuthAppId: {app_id}"),
    )
}

/// The application `app_id` with its client credentials, if it is live and usable by an owner
/// of `owner_tenant_id` (asked with `token`, the caller's, or the open route's); otherwise 400
/// `Invalid OAuthAppId`, 503/504 when oauth-apps cannot answer.
pub async fn provider_app(
    apps: &OauthAppsClient,
    token: &str,
    owner_tenant_id: i64,
    app_id: i64,
) -> Result<oauth_apps_client::ProviderApp, ApiError> {
    match apps.get_provider(token, app_id).await? {
        Some(app) if app.live && usable_in(owner_tenant_id, app.tenant_id) => Ok(app),
        _ => Err(invalid_app(app_id)),
    }
}

/// How a request links a profile to its application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// A new link (create, or an update that changes `oauthAppId`), already committed pending:
    /// only a live application counts (docs/consistency.md, I1).
    New,
    /// The link the profile has: it already counts in the application's usage, so a delete or
    /// move of the application meanwhile is refused anyway.
    Kept,
}

/// Checks with oauth-apps, with the caller's own token, that `app_id` exists and is usable by
/// the profile's owner (the subject): 400 `Invalid OAuthAppId: N` when not, 503/504 when
/// oauth-apps cannot answer.
pub async fn check_oauth_app(
    apps: &OauthAppsClient,
    caller: &Caller,
    app_id: i64,
    link: Link,
) -> Result<(), ApiError> {
    let app = match link {
        Link::New => apps.get_live(caller.token(), app_id).await?,
        Link::Kept => apps.get(caller.token(), app_id).await?,
    };
    match app {
        Some(app) if usable_by(caller, app.tenant_id) => Ok(()),
        _ => Err(invalid_app(app_id)),
    }
}

/// The answer for an id that does not exist or belongs to someone else.
pub fn not_found(id: i64) -> ApiError {
    ApiError::new(
        ErrorCode::OauthProfileNotFound,
        format!("Invalid OAuthProfileId: {id}"),
    )
}

/// 503 when a profile's pending write was taken back by the sweeper before it could be
/// confirmed, or changed by another request meanwhile: the same request may succeed again.
pub fn busy() -> ApiError {
    ApiError::overloaded(
        "The OAuth profile changed while its application was checked; try again",
        std::time::Duration::from_secs(1),
    )
}

pub fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("An OAuth profile named '{name}' already exists"))
}
