//! The oauth-apps service as its peers see it: wire types and [`OauthAppsClient`].
//!
//! oauth-profiles uses the client to check that a profile's `oauthAppId` names an application
//! its owner may use. The service itself serializes its answers with these same types, so the
//! two cannot drift apart.

mod audit;

pub use audit::{AppPlacement, AppPlacements};

use api_common::fields::schema::{self, HttpUrl, IdInput};
use api_common::peer::{json_body, Peer};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::ToSchema;

/// Longest client id, client secret or scope list of an OAuth application, in characters: the
/// credentials an external data store issued, which this system stores and sends on. (Not the
/// limit of a registered client's credential check: `client_registration_client`'s
/// `VERIFY_CREDENTIAL_MAX`.)
pub const PROVIDER_CREDENTIAL_MAX: usize = 1024;

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
    #[schema(schema_with = schema::description_answer)]
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
    /// How this system authenticates at `tokenURI`; absent: `client_secret_post`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token_auth_method: Option<TokenAuthMethod>,
}

/// How this system authenticates as the application's client at its `tokenURI` (RFC 6749
/// 2.3.1; the names are OAuth's, from RFC 7591).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuthMethod {
    /// `client_id` and `client_secret` in the form body: the default.
    ClientSecretPost,
    /// HTTP Basic with the form-encoded `client_id` and `client_secret`.
    ClientSecretBasic,
}

impl TokenAuthMethod {
    /// As stored and sent.
    pub fn name(self) -> &'static str {
        match self {
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
        }
    }

    /// The method named exactly `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            TokenAuthMethod::ClientSecretPost,
            TokenAuthMethod::ClientSecretBasic,
        ]
        .into_iter()
        .find(|method| method.name() == name)
    }
}

/// `GET /internal/oauth-apps/{id}/provider`: what oauth-profiles needs to talk to the
/// application's provider, client secret included. Internal only: never forwarded by the
/// gateway, never shown to a user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderApp {
    pub id: i64,
    pub tenant_id: i64,
    /// Not being deleted or moved (docs/consistency.md, I1).
    pub live: bool,
    pub client_id: String,
    pub client_secret: String,
    #[serde(rename = "authorizeURI")]
    pub authorize_uri: String,
    #[serde(rename = "tokenURI")]
    pub token_uri: String,
    pub scope: String,
    pub token_auth_method: TokenAuthMethod,
}

impl std::fmt::Debug for ProviderApp {
    // Never the client secret, whatever logs it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderApp")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("live", &self.live)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
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
    #[schema(schema_with = schema::description_answer)]
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

/// The body of `POST` and `PUT /api/mgmt/oauthapps[/{id}]`. `PUT` replaces the whole
/// application: an optional field left out is cleared. Unknown keys are ignored; `null` counts
/// as absent.
// The document's description of what the service parses (its own body type reads every field
// as a JSON value, so that a mistake names its field), under the same rules and limits.
#[derive(ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OauthAppRequest {
    #[schema(schema_with = schema::object_name)]
    pub name: String,
    pub data_store: IdInput,
    /// Defaults to the caller's tenant.
    pub tenant_id: Option<IdInput>,
    #[schema(schema_with = schema::description)]
    pub description: Option<String>,
    #[schema(schema_with = credential)]
    pub client_id: String,
    #[schema(schema_with = client_secret)]
    pub client_secret: String,
    /// An absolute `http` or `https` URL with a host.
    #[serde(rename = "authorizeURI")]
    pub authorize_uri: HttpUrl,
    /// An absolute `http` or `https` URL with a host.
    #[serde(rename = "tokenURI")]
    pub token_uri: HttpUrl,
    #[schema(schema_with = scope)]
    pub scope: String,
    /// How this system authenticates at `tokenURI`: `client_secret_post` when absent.
    pub token_auth_method: Option<TokenAuthMethod>,
}

fn credential() -> ObjectBuilder {
    schema::nonblank(PROVIDER_CREDENTIAL_MAX)
}

fn client_secret() -> ObjectBuilder {
    credential().description(Some("Echoed by create and update only; never read back."))
}

fn scope() -> ObjectBuilder {
    credential().description(Some("Kept as sent."))
}

pub use api_common::peer::PeerError;

/// The name this crate's error went by before every peer client shared [`PeerError`].
pub type ClientError = PeerError;

/// How oauth-apps is named in logs and messages.
const SERVICE: &str = "oauth-apps";

/// A typed client for oauth-apps; cheap to clone.
#[derive(Debug, Clone)]
pub struct OauthAppsClient(Peer);

impl OauthAppsClient {
    /// `http` should be the process's shared client (it carries the timeouts); `base_url` is
    /// the service's root, e.g. `http://127.0.0.1:8081`.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        OauthAppsClient(Peer::new(SERVICE, http, base_url))
    }

    /// The application `id` as the holder of `token` sees it, or `None` when it does not exist
    /// or is not visible to them.
    pub async fn get(&self, token: &str, id: i64) -> Result<Option<OauthApp>, PeerError> {
        self.read(token, &format!("/api/mgmt/oauthapps/{id}")).await
    }

    /// [`OauthAppsClient::get`] for a profile about to link to the application: `None` also
    /// while it is being deleted or moved (`?live=true`), so that no profile links to it then
    /// (docs/consistency.md, I1).
    pub async fn get_live(&self, token: &str, id: i64) -> Result<Option<OauthApp>, PeerError> {
        self.read(token, &format!("/api/mgmt/oauthapps/{id}?live=true"))
            .await
    }

    /// Deletes every application of the deleted tenant `tenant_id` and refuses new ones
    /// there from then on (`DELETE /internal/tenants/{id}`); how many went. Needs the
    /// gateway's system token; safe to repeat.
    pub async fn purge_tenant(&self, system_token: &str, tenant_id: i64) -> Result<u64, PeerError> {
        self.0
            .purge(system_token, &format!("/internal/tenants/{tenant_id}"))
            .await
    }

    /// The application `id` with its client credentials, for a call to its provider, or `None`
    /// when it does not exist or the holder of `token` may not read it. `token` is a user's
    /// (a refresh) or the gateway's system token (the connect callback, which has no user).
    pub async fn get_provider(
        &self,
        token: &str,
        id: i64,
    ) -> Result<Option<ProviderApp>, PeerError> {
        let path = format!("/internal/oauth-apps/{id}/provider");
        let request = self.0.request(Method::GET, &path);
        let response = self.0.send(request, token).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        json_body(SERVICE, response).await.map(Some)
    }

    async fn read(&self, token: &str, path: &str) -> Result<Option<OauthApp>, PeerError> {
        let request = self.0.request(Method::GET, path);
        let response = self.0.send(request, token).await?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        json_body(SERVICE, response).await.map(Some)
    }
}
