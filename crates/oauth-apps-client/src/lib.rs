//! The oauth-apps service as its peers see it: wire types and [`OauthAppsClient`].
//!
//! oauth-profiles uses the client to check that a profile's `oauthAppId` names an application
//! its owner may use. The service itself serializes its answers with these same types, so the
//! two cannot drift apart.

use api_common::{ApiError, ErrorEnvelope};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

/// An OAuth application as `GET /api/mgmt/oauthapps/{id}` returns it, and as create and update
/// return it with `clientSecret` (which is never read back).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthApp {
    pub id: i64,
    pub name: String,
    pub data_store: i64,
    pub tenant_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(rename = "authorizeURI")]
    pub authorize_uri: String,
    #[serde(rename = "tokenURI")]
    pub token_uri: String,
    pub scope: String,
}

/// A list item: no client credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthAppSummary {
    pub id: i64,
    pub name: String,
    pub data_store: i64,
    pub tenant_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "authorizeURI")]
    pub authorize_uri: String,
    #[serde(rename = "tokenURI")]
    pub token_uri: String,
    pub scope: String,
}

/// `GET /api/mgmt/oauthapps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OauthAppList {
    pub applications: Vec<OauthAppSummary>,
}

/// Why a call to oauth-apps failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("oauth-apps cannot be reached: {0}")]
    Unavailable(reqwest::Error),
    #[error("oauth-apps did not answer in time: {0}")]
    Timeout(reqwest::Error),
    #[error("oauth-apps answered {0}")]
    Api(ApiError),
    #[error("oauth-apps answered {status} with a body that is not the expected shape: {cause}")]
    Decode { status: StatusCode, cause: String },
}

impl From<reqwest::Error> for ClientError {
    fn from(err: reqwest::Error) -> Self {
        if err.is_timeout() {
            ClientError::Timeout(err)
        } else if err.is_decode() || err.is_body() {
            ClientError::Decode {
                status: err.status().unwrap_or(StatusCode::OK),
                cause: err.to_string(),
            }
        } else {
            ClientError::Unavailable(err)
        }
    }
}

/// The central mapping from a failed peer call to what our own caller sees.
impl From<ClientError> for ApiError {
    fn from(err: ClientError) -> Self {
        match err {
            ClientError::Unavailable(cause) => ApiError::unavailable("oauth-apps service", cause),
            ClientError::Timeout(cause) => ApiError::timeout("oauth-apps service", cause),
            ClientError::Api(api) if api.code() == api_common::ErrorCode::ServiceUnavailable => {
                ApiError::unavailable("oauth-apps service", api)
            }
            ClientError::Api(api) if api.code() == api_common::ErrorCode::UpstreamTimeout => {
                ApiError::timeout("oauth-apps service", api)
            }
            other => ApiError::internal(other),
        }
    }
}

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
    pub async fn get(&self, token: &str, id: i64) -> Result<Option<OauthApp>, ClientError> {
        let response = self
            .http
            .get(format!("{}/api/mgmt/oauthapps/{id}", self.base_url))
            .bearer_auth(token)
            .send()
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if status.is_success() {
            return Ok(Some(response.json().await?));
        }
        Err(decode_error(status, response).await)
    }
}

async fn decode_error(status: StatusCode, response: reqwest::Response) -> ClientError {
    match response.json::<ErrorEnvelope>().await {
        Ok(envelope) => {
            let status = api_common::error::status_from_u16(status.as_u16());
            ClientError::Api(ApiError::from_envelope(status, envelope))
        }
        Err(err) => ClientError::Decode {
            status,
            cause: err.to_string(),
        },
    }
}
