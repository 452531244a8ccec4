//! What a valid OAuth application is, and who may see or change one.

use api_common::fields::{
    http_url, object_name, optional_id, optional_text, required_id, required_nonblank,
    DESCRIPTION_MAX, NAME_MAX,
};
use api_common::{ApiError, ErrorCode};
use internal_auth::{permissions, Identity, SYSTEM_TENANT_ID};
use serde::Deserialize;
use serde_json::Value;

/// Longest client id, client secret or scope list accepted, in characters.
pub const CREDENTIAL_MAX: usize = 1024;

/// The body of create and update, as sent. Every field is parsed by [`OauthAppInput::parse`],
/// which names the field on failure.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthAppBody {
    name: Option<Value>,
    data_store: Option<Value>,
    tenant_id: Option<Value>,
    description: Option<Value>,
    client_id: Option<Value>,
    client_secret: Option<Value>,
    #[serde(rename = "authorizeURI")]
    authorize_uri: Option<Value>,
    #[serde(rename = "tokenURI")]
    token_uri: Option<Value>,
    scope: Option<Value>,
}

/// A known-good application, ready to store.
#[derive(Debug)]
pub struct OauthAppInput {
    pub name: String,
    pub data_store: i64,
    /// `None`: the caller's own tenant.
    pub tenant_id: Option<i64>,
    pub description: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub authorize_uri: String,
    pub token_uri: String,
    pub scope: String,
}

impl OauthAppInput {
    pub fn parse(body: OauthAppBody) -> Result<Self, ApiError> {
        Ok(OauthAppInput {
            name: object_name("name", body.name, NAME_MAX)?,
            data_store: required_id("dataStore", body.data_store)?,
            tenant_id: optional_id("tenantId", body.tenant_id)?,
            description: optional_text("description", body.description, DESCRIPTION_MAX)?,
            client_id: required_nonblank("clientId", body.client_id, CREDENTIAL_MAX)?,
            client_secret: required_nonblank("clientSecret", body.client_secret, CREDENTIAL_MAX)?,
            authorize_uri: http_url("authorizeURI", body.authorize_uri)?,
            token_uri: http_url("tokenURI", body.token_uri)?,
            scope: required_nonblank("scope", body.scope, CREDENTIAL_MAX)?,
        })
    }
}

/// The tenants whose applications `caller` may read: every tenant for an administrator (`None`),
/// otherwise their own and the system tenant's.
pub fn readable_tenants(caller: &Identity) -> Option<Vec<i64>> {
    if caller.is_admin() {
        return None;
    }
    let mut tenants = vec![caller.tenant_id];
    if caller.tenant_id != SYSTEM_TENANT_ID {
        tenants.push(SYSTEM_TENANT_ID);
    }
    Some(tenants)
}

pub fn can_read(caller: &Identity, tenant_id: i64) -> bool {
    readable_tenants(caller).is_none_or(|tenants| tenants.contains(&tenant_id))
}

/// Whether `caller` may create, change or delete applications of `tenant_id`; 403 otherwise.
pub fn authorize_manage(caller: &Identity, tenant_id: i64) -> Result<(), ApiError> {
    if caller.is_admin() {
        return Ok(());
    }
    if !caller.has_all(&[permissions::MGMT_API, permissions::OAUTH]) {
        return Err(ApiError::forbidden(
            "Managing OAuth applications requires the MgmtAPI (11) and OAuth (28) permissions",
        ));
    }
    if tenant_id != caller.tenant_id {
        return Err(ApiError::forbidden(format!(
            "You may not manage OAuth applications of tenant {tenant_id}"
        )));
    }
    Ok(())
}

/// The answer for an id that does not exist or is not visible: the same, so as not to reveal
/// which.
pub fn not_found(id: i64) -> ApiError {
    ApiError::new(
        ErrorCode::OauthAppNotFound,
        format!("Invalid OAuthAppId: {id}"),
    )
}

/// The answer when the name is taken in the tenant.
pub fn name_taken(name: &str, tenant_id: i64) -> ApiError {
    ApiError::conflict(format!(
        "An OAuth application named '{name}' already exists in tenant {tenant_id}"
    ))
}
