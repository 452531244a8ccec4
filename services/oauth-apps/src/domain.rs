//! What a valid OAuth application is, and who may see or change one.

use api_common::fields::{
    object_name, optional_id, optional_string, optional_text, provider_url, required_id,
    required_nonblank, PrivateUris, DESCRIPTION_MAX, NAME_MAX,
};
use api_common::{ApiError, ErrorCode};
use internal_auth::{permissions, Caller, Identity, SYSTEM_TENANT_ID};
use oauth_apps_client::{TokenAuthMethod, PROVIDER_CREDENTIAL_MAX};
use oauth_profiles_client::AppUsage;
use serde::Deserialize;
use serde_json::Value;

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
    token_auth_method: Option<Value>,
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
    /// `None`: `client_secret_post`, the default.
    pub token_auth_method: Option<TokenAuthMethod>,
}

impl OauthAppInput {
    /// `private` says whether `authorizeURI` and `tokenURI` may point at loopback, private or
    /// link-local addresses (`OAUTH_ALLOW_PRIVATE_URIS`).
    pub fn parse(body: OauthAppBody, private: PrivateUris) -> Result<Self, ApiError> {
        Ok(OauthAppInput {
            name: object_name("name", body.name, NAME_MAX)?,
            data_store: required_id("dataStore", body.data_store)?,
            tenant_id: optional_id("tenantId", body.tenant_id)?,
            description: optional_text("description", body.description, DESCRIPTION_MAX)?,
            client_id: required_nonblank("clientId", body.client_id, PROVIDER_CREDENTIAL_MAX)?,
            client_secret: required_nonblank(
                "clientSecret",
                body.client_secret,
                PROVIDER_CREDENTIAL_MAX,
            )?,
            authorize_uri: provider_url("authorizeURI", body.authorize_uri, private)?,
            token_uri: provider_url("tokenURI", body.token_uri, private)?,
            scope: required_nonblank("scope", body.scope, PROVIDER_CREDENTIAL_MAX)?,
            token_auth_method: token_auth_method(body.token_auth_method)?,
        })
    }
}

/// The optional `tokenAuthMethod`: one of [`TokenAuthMethod`]'s names, exactly.
fn token_auth_method(value: Option<Value>) -> Result<Option<TokenAuthMethod>, ApiError> {
    const FIELD: &str = "tokenAuthMethod";
    let Some(text) = optional_string(FIELD, value)? else {
        return Ok(None);
    };
    TokenAuthMethod::from_name(&text).map(Some).ok_or_else(|| {
        ApiError::invalid_field(
            FIELD,
            format!(
                "expected 'client_secret_post' or 'client_secret_basic', found '{}'",
                text.escape_debug()
            ),
        )
    })
}

/// The tenants whose applications the user who really called may read: every tenant for an
/// administrator (`None`), otherwise their own, the system tenant's and those they administer.
pub fn readable_tenants(caller: &Caller) -> Option<Vec<i64>> {
    tenants_readable_by(caller.actor())
}

fn tenants_readable_by(actor: &Identity) -> Option<Vec<i64>> {
    if actor.is_admin() {
        return None;
    }
    let mut tenants = vec![actor.tenant_id, SYSTEM_TENANT_ID];
    tenants.extend_from_slice(&actor.administered_tenants);
    tenants.sort_unstable();
    tenants.dedup();
    Some(tenants)
}

/// Whether the user who really called may read the applications of `tenant_id`.
pub fn can_read(caller: &Caller, tenant_id: i64) -> bool {
    readable_by(caller.actor(), tenant_id)
}

fn readable_by(actor: &Identity, tenant_id: i64) -> bool {
    tenants_readable_by(actor).is_none_or(|tenants| tenants.contains(&tenant_id))
}

/// Whether the user who really called may create, change or delete applications of
/// `tenant_id`; 403 otherwise.
pub fn authorize_manage(caller: &Caller, tenant_id: i64) -> Result<(), ApiError> {
    authorize_manage_as(caller.actor(), tenant_id)
}

/// An administrator anywhere; with MgmtAPI (11) and OAuth (28), a user in their own tenant and,
/// for a user of the system tenant, in the tenants they administer. (A child tenant's user who
/// administers another tenant may read its applications but not manage them.)
fn authorize_manage_as(actor: &Identity, tenant_id: i64) -> Result<(), ApiError> {
    if actor.is_admin() {
        return Ok(());
    }
    if !actor.has_all(&[permissions::MGMT_API, permissions::OAUTH]) {
        return Err(ApiError::forbidden(
            "Managing OAuth applications requires the MgmtAPI (11) and OAuth (28) permissions",
        ));
    }
    let own = tenant_id == actor.tenant_id;
    let administered = actor.tenant_id == SYSTEM_TENANT_ID && actor.administers(tenant_id);
    if !(own || administered) {
        return Err(ApiError::forbidden(format!(
            "You may not manage OAuth applications of tenant {tenant_id}"
        )));
    }
    Ok(())
}

/// 409 while any OAuth profile uses application `id`: deleting it would leave them pointing at
/// nothing.
pub fn ensure_unused(id: i64, usage: &AppUsage) -> Result<(), ApiError> {
    if usage.profiles > 0 {
        return Err(ApiError::conflict(format!(
            "OAuth application {id} is used by {} OAuth profile(s); delete or move them first",
            usage.profiles
        )));
    }
    Ok(())
}

/// 409 when moving application `id` to `tenant_id` would take it away from profile owners of
/// other tenants, who may use only their own tenant's and the system tenant's applications.
/// Every tenant may use an application of the system tenant.
pub fn ensure_movable(id: i64, tenant_id: i64, usage: &AppUsage) -> Result<(), ApiError> {
    if tenant_id == SYSTEM_TENANT_ID || usage.tenants.iter().all(|t| *t == tenant_id) {
        return Ok(());
    }
    Err(ApiError::conflict(format!(
        "OAuth application {id} is used by OAuth profiles of users outside tenant {tenant_id}; \
         it cannot move there while they use it"
    )))
}

/// The answer for an id that does not exist or is not visible: the same, so as not to reveal
/// which.
pub fn not_found(id: i64) -> ApiError {
    ApiError::new(
        ErrorCode::OauthAppNotFound,
        format!("Invalid OAuthAppId: {id}"),
    )
}

/// 503 when another delete or move holds application `id`, or when a sweeper took back a
/// hold this request had (docs/consistency.md, I1): the same request may succeed once that
/// one has finished.
pub fn busy(id: i64) -> ApiError {
    ApiError::overloaded(
        format!("OAuth application {id} is being deleted or moved; try again"),
        std::time::Duration::from_secs(1),
    )
}

/// The answer when the name is taken in the tenant.
pub fn name_taken(name: &str, tenant_id: i64) -> ApiError {
    ApiError::conflict(format!(
        "An OAuth application named '{name}' already exists in tenant {tenant_id}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(tenant_id: i64, permissions: &[u32], administered: &[i64]) -> Identity {
        Identity {
            user_id: 7,
            user_name: "alice".to_owned(),
            tenant_id,
            permissions: permissions.to_vec(),
            administered_tenants: administered.to_vec(),
        }
    }

    #[test]
    fn who_may_manage_applications_of_a_tenant() {
        let manage = |actor: &Identity, tenant| authorize_manage_as(actor, tenant).is_ok();
        let admin = user(3, &[12], &[]);
        assert!(manage(&admin, 1) && manage(&admin, 3) && manage(&admin, 9));

        let own = user(5, &[11, 28], &[]);
        assert!(manage(&own, 5));
        assert!(!manage(&own, 6) && !manage(&own, 1));

        let system = user(1, &[11, 28], &[5]);
        assert!(manage(&system, 1) && manage(&system, 5));
        assert!(!manage(&system, 6));

        let child = user(3, &[11, 28], &[5]);
        assert!(manage(&child, 3));
        assert!(!manage(&child, 5));

        for lacking in [&[11][..], &[28], &[11, 1, 2, 3, 4]] {
            assert!(!manage(&user(5, lacking, &[]), 5), "{lacking:?}");
        }
    }

    #[test]
    fn who_may_read_applications_of_a_tenant() {
        assert_eq!(tenants_readable_by(&user(3, &[12], &[])), None);
        assert_eq!(tenants_readable_by(&user(5, &[], &[])), Some(vec![1, 5]));
        assert_eq!(tenants_readable_by(&user(1, &[], &[])), Some(vec![1]));
        assert_eq!(
            tenants_readable_by(&user(3, &[11, 28], &[5, 1, 3])),
            Some(vec![1, 3, 5])
        );
        assert!(readable_by(&user(5, &[], &[]), 1));
        assert!(!readable_by(&user(5, &[], &[]), 6));
    }

    #[test]
    fn an_application_in_use_stays_where_its_users_are() {
        let unused = AppUsage::default();
        let used = AppUsage {
            profiles: 2,
            tenants: vec![5],
        };
        assert!(ensure_unused(4, &unused).is_ok());
        let err = ensure_unused(4, &used).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Conflict);
        assert!(err.message().contains("used by 2 OAuth profile(s)"));

        assert!(ensure_movable(4, 6, &unused).is_ok());
        assert!(ensure_movable(4, 5, &used).is_ok());
        assert!(ensure_movable(4, 1, &used).is_ok());
        assert_eq!(
            ensure_movable(4, 6, &used).unwrap_err().code(),
            ErrorCode::Conflict
        );
        let shared = AppUsage {
            profiles: 2,
            tenants: vec![3, 5],
        };
        assert!(ensure_movable(4, 5, &shared).is_err());
    }
}
