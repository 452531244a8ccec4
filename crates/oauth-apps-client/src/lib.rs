//! The oauth-apps service as its peers see it: wire types and [`OauthAppsClient`].
//!
//! oauth-profiles uses the client to check that a profile's `oauthAppId` names an application
//! its owner may use. The service itself serializes its answers with these same types, so the
//! two cannot drift apart.

use api_common::peer::json_body;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An OAuth application as `GET /api/mgmt/oauthapps/{id}` returns it, and as create and update
/// return it with `clientSecret` (which is never read back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthApp {
    pub id: i64,
    pub name: String,
    pub data_store: i64,
    pub tenant_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_length = 256)]
    pub description: Option<String>,
    pub client_id: String,
    /// Only in the answers to create and update: it is never read back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub client_secret: Option<String>,
    #[serde(rename = "authorizeURI")]
    pub authorize_uri: String,
    #[serde(rename = "tokenURI")]
    pub token_uri: String,
    pub scope: String,
}

/// A list item: no client credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthAppSummary {
    pub id: i64,
    pub name: String,
    pub data_store: i64,
    pub tenant_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, max_length = 256)]
    pub description: Option<String>,
    #[serde(rename = "authorizeURI")]
    pub authorize_uri: String,
    #[serde(rename = "tokenURI")]
    pub token_uri: String,
    pub scope: String,
}

/// `GET /api/mgmt/oauthapps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OauthAppList {
    pub applications: Vec<OauthAppSummary>,
}

pub use api_common::peer::PeerError;

/// The name this crate's error went by before every peer client shared [`PeerError`].
pub type ClientError = PeerError;

/// How oauth-apps is named in logs and messages.
const SERVICE: &str = "oauth-apps";

/// A typed client for oauth-apps; cheap to clone.
#[derive(Debug, Clone)]
pub struct OauthAppsClient {
    http: reqwest::Client,
    base_url: String,
}

impl OauthAppsClient {
    /// `http` should be the process's shared client (it carries the timeouts); `base_url` is
    /// the service's root, e.g. `http://127.0.0.1:8081`.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        OauthAppsClient { http, base_url }
    }

    /// The application `id` as the holder of `token` sees it, or `None` when it does not exist
    /// or is not visible to them.
    pub async fn get(&self, token: &str, id: i64) -> Result<Option<OauthApp>, PeerError> {
        let response = self
            .http
            .get(format!("{}/api/mgmt/oauthapps/{id}", self.base_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|err| PeerError::transport(SERVICE, err))?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        json_body(SERVICE, response).await.map(Some)
    }
}
