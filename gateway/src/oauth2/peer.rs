//! client-registration's internal routes for the authorization server, as the gateway calls
//! them (System-scope token): the client a request names, a user's remembered consent, code
//! issuance and the check of an access token (the wire contract of issue 15).

use api_common::peer::{Peer, PeerError};
use reqwest::Method;
use serde::{Deserialize, Serialize};

/// A client application as the authorize endpoint needs it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OauthClient {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub owner_id: i64,
    pub redirect_urls: Vec<String>,
}

/// The scopes a user consented to for an application, remembered.
#[derive(Debug, Clone, Deserialize)]
pub struct Consent {
    pub scopes: Vec<String>,
}

/// What a code is issued for.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeRequest<'a> {
    pub user_id: i64,
    pub client_app_id: i64,
    /// `None` when the request left it out (one registered redirect URI).
    pub redirect_uri: Option<&'a str>,
    pub scope: &'a str,
    pub code_challenge: Option<&'a str>,
    pub code_challenge_method: Option<&'a str>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IssuedCode {
    pub code: String,
}

/// What an access token stands for, as client-registration knows it now.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenCheck {
    pub active: bool,
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub client_app_id: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
    /// Unix seconds.
    #[serde(default)]
    pub expires_at: Option<u64>,
}

#[derive(Serialize)]
struct CheckRequest<'a> {
    token: &'a str,
}

/// The typed calls; cheap to clone.
#[derive(Debug, Clone)]
pub struct AuthorizationPeer(Peer);

impl AuthorizationPeer {
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        AuthorizationPeer(Peer::new("client-registration", http, base_url))
    }

    /// The client with `client_id`, or `None` when there is none.
    pub async fn client(
        &self,
        token: &str,
        client_id: &str,
    ) -> Result<Option<OauthClient>, PeerError> {
        let path = format!(
            "/internal/oauth2/clients/{}",
            url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect::<String>()
        );
        match self.0.call(self.0.request(Method::GET, &path), token).await {
            Ok(client) => Ok(Some(client)),
            Err(PeerError::Api(err))
                if actix_web::ResponseError::status_code(&err).as_u16() == 404 =>
            {
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    /// The scopes user `user_id` consented to for application `client_app_id`.
    pub async fn consent(
        &self,
        token: &str,
        user_id: i64,
        client_app_id: i64,
    ) -> Result<Consent, PeerError> {
        let request = self
            .0
            .request(Method::GET, "/internal/oauth2/consents")
            .query(&[("userId", user_id), ("clientAppId", client_app_id)]);
        self.0.call(request, token).await
    }

    /// A new authorization code (and the consent remembered).
    pub async fn issue_code(
        &self,
        token: &str,
        code: &CodeRequest<'_>,
    ) -> Result<IssuedCode, PeerError> {
        let request = self
            .0
            .request(Method::POST, "/internal/oauth2/codes")
            .json(code);
        self.0.call(request, token).await
    }

    /// What the access token `access_token` stands for now.
    pub async fn check_token(
        &self,
        token: &str,
        access_token: &str,
    ) -> Result<TokenCheck, PeerError> {
        let request = self
            .0
            .request(Method::POST, "/internal/oauth2/tokens/check")
            .json(&CheckRequest {
                token: access_token,
            });
        self.0.call(request, token).await
    }
}
