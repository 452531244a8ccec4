//! The oauth-profiles service as its peers see it: its wire types, their limits, and
//! [`OauthProfilesClient`] for its internal endpoints.
//!
//! oauth-apps asks it how many profiles use an application before deleting or moving that
//! application; the gateway asks it to purge a deleted user's profiles. The service serializes
//! its answers with these same types, and the OpenAPI document (`api-doc`) is built from them,
//! so the three cannot drift apart.

mod audit;

pub use audit::{ProfileLink, ProfileLinks, UnlinkedQuery};

use api_common::fields::schema::{self, IdInput};
use api_common::peer::Peer;
pub use api_common::peer::PeerError;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::ToSchema;

/// How oauth-profiles is named in logs and messages.
const SERVICE: &str = "oauth-profiles";

/// The header in which the gateway tells oauth-profiles its public URL (`PUBLIC_URL`), the
/// base of the connect callback's address. Only the gateway sets it: it forwards no client
/// header but `Content-Type` and `Accept`.
pub const PUBLIC_URL_HEADER: &str = "x-hdp-public-url";

/// Longest access or refresh token accepted, in characters (JWT access tokens run long).
pub const TOKEN_MAX: usize = 8192;

/// An OAuth profile as create and `GET /{id}` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthProfile {
    pub id: i64,
    pub name: String,
    pub oauth_app_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub access_token: Option<String>,
    pub refresh_token: String,
    /// When the access token expires (RFC 3339, UTC), or `null` when unknown.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
    pub status: ProfileStatus,
}

/// Whether the provider still honours a profile's refresh token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileStatus {
    /// The tokens are usable, or renewable.
    #[default]
    Active,
    /// The provider refused the refresh token (`invalid_grant`): connect the profile again.
    ReauthorizationRequired,
}

impl ProfileStatus {
    /// As stored.
    pub fn name(self) -> &'static str {
        match self {
            ProfileStatus::Active => "active",
            ProfileStatus::ReauthorizationRequired => "reauthorization_required",
        }
    }

    /// The status stored as `name`; anything unknown (the column's check forbids it) reads as
    /// needing a new connection, the safe side.
    pub fn from_name(name: &str) -> Self {
        match name {
            "active" => ProfileStatus::Active,
            _ => ProfileStatus::ReauthorizationRequired,
        }
    }
}

/// `GET /api/mgmt/oauthprofiles/{id}/token`: an access token valid for at least 60 more seconds
/// (or whose expiry the provider did not say).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileToken {
    pub access_token: String,
    /// RFC 3339, UTC; `null` when the provider did not say.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<String>,
}

/// A list item: no tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthProfileSummary {
    pub id: i64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub description: Option<String>,
    pub oauth_app_id: i64,
}

/// `GET /api/mgmt/oauthprofiles`: one page, ordered by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OauthProfileList {
    pub profiles: Vec<OauthProfileSummary>,
}

/// The body of `POST` and `PUT /api/mgmt/oauthprofiles[/{id}]`. `PUT` replaces the whole
/// profile. Unknown keys are ignored; `null` counts as absent.
// The document's description of what the service parses (its own body type reads every field
// as a JSON value, so that a mistake names its field), under the same rules and limits.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthProfileRequest {
    #[schema(schema_with = schema::object_name)]
    pub name: String,
    /// An OAuth application of the owner's tenant or of the system tenant (else 400
    /// `222207702`).
    pub oauth_app_id: IdInput,
    #[schema(schema_with = schema::description)]
    pub description: Option<String>,
    #[schema(schema_with = access_token)]
    pub access_token: Option<String>,
    #[schema(schema_with = refresh_token)]
    pub refresh_token: String,
}

fn access_token() -> ObjectBuilder {
    schema::or_null(schema::text(TOKEN_MAX)).description(Some("An empty one counts as absent."))
}

fn refresh_token() -> ObjectBuilder {
    schema::nonblank(TOKEN_MAX)
}

/// `GET /internal/oauth-apps/{id}/usage`: the profiles, of any owner, that use an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUsage {
    /// How many profiles name the application.
    pub profiles: u64,
    /// The distinct tenants of those profiles' owners, in ascending order.
    pub tenants: Vec<i64>,
}

/// A typed client for oauth-profiles' internal endpoints; cheap to clone.
#[derive(Debug, Clone)]
pub struct OauthProfilesClient(Peer);

impl OauthProfilesClient {
    /// `http` should be the process's shared client (it carries the timeouts); `base_url` is
    /// the service's root, e.g. `http://127.0.0.1:8082`.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        OauthProfilesClient(Peer::new(SERVICE, http, base_url))
    }

    /// How many profiles, across all owners, use the OAuth application `app_id`, and the
    /// tenants of their owners. Any user token may ask.
    pub async fn app_usage(&self, token: &str, app_id: i64) -> Result<AppUsage, PeerError> {
        let path = format!("/internal/oauth-apps/{app_id}/usage");
        self.0.call(self.0.request(Method::GET, &path), token).await
    }

    /// Deletes every profile of the user `user_id` ([`Peer::purge_owner`]).
    pub async fn purge_owner(&self, system_token: &str, user_id: i64) -> Result<u64, PeerError> {
        self.0.purge_owner(system_token, user_id).await
    }

    /// Deletes the profiles of the user `user_id`, who was moved to another tenant and lives
    /// on, made in any tenant but `tenant_id`, the one they belong to now: unlike
    /// [`Self::purge_owner`], no tombstone refuses their later profiles, and those of their
    /// current tenant stay.
    pub async fn purge_moved_owner(
        &self,
        system_token: &str,
        user_id: i64,
        tenant_id: i64,
    ) -> Result<u64, PeerError> {
        let path = format!("/internal/owners/{user_id}?moved=true&tenant={tenant_id}");
        self.0.purge(system_token, &path).await
    }
}

/// The query of `DELETE /internal/owners/{id}` in oauth-profiles.
#[derive(Debug, Default, serde::Deserialize)]
pub struct PurgeQuery {
    /// The user was moved to another tenant and is not deleted: no tombstone.
    #[serde(default)]
    pub moved: bool,
    /// With `moved`: the tenant the user belongs to now, whose profiles stay.
    #[serde(default)]
    pub tenant: Option<i64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_wire_forms_are_plain_json_objects() {
        let usage = AppUsage {
            profiles: 3,
            tenants: vec![1, 5],
        };
        let wire = serde_json::to_value(&usage).unwrap();
        assert_eq!(wire, json!({"profiles": 3, "tenants": [1, 5]}));
        assert_eq!(serde_json::from_value::<AppUsage>(wire).unwrap(), usage);
    }

    #[test]
    fn absent_optional_fields_are_omitted() {
        let profile = OauthProfile {
            id: 4,
            name: "p".to_owned(),
            oauth_app_id: 2,
            description: None,
            access_token: None,
            refresh_token: "r".to_owned(),
            expires_at: None,
            status: ProfileStatus::Active,
        };
        let wire = serde_json::to_value(&profile).unwrap();
        assert_eq!(
            wire,
            json!({"id": 4, "name": "p", "oauthAppId": 2, "refreshToken": "r",
                   "expiresAt": null, "status": "active"})
        );
        assert_eq!(
            serde_json::from_value::<OauthProfile>(wire).unwrap(),
            profile
        );
    }
}
