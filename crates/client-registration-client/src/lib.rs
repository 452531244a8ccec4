//! The client-registration service as its peers see it: its wire types, their limits, and
//! [`ClientRegistrationClient`] for its internal endpoints.
//!
//! The authorization server checks a client's credentials through it
//! (`POST /internal/client-applications/verify`); the gateway purges a deleted user's client
//! applications (`DELETE /internal/owners/{id}`); the gateway's half of the OAuth 2.0
//! authorization server reaches the other half through [`oauth2`]. The service serializes its answers with these
//! same types, and the OpenAPI document (`api-doc`) is built from them, so the three cannot
//! drift apart.

mod application;
mod audit;
pub mod oauth2;

use std::fmt;

use api_common::peer::Peer;
pub use api_common::peer::PeerError;
use reqwest::Method;
use serde::{Deserialize, Serialize};

pub use audit::{ApplicationOwner, ApplicationOwners};

pub use application::{
    ClientApplication, ClientApplicationList, ClientApplicationRequest, ClientSecretText,
    RedirectUrlsInput, CLIENT_SECRET_LENGTH, REDIRECT_URLS_MAX,
};

/// How client-registration is named in logs and messages.
const SERVICE: &str = "client-registration";

/// Longest client id or client secret a credential check accepts, in characters: far above the
/// real ones (36 and [`CLIENT_SECRET_LENGTH`]), low enough that nobody has large inputs hashed.
/// (Not the limit of an OAuth application's credentials, which an external data store issued:
/// `oauth_apps_client::PROVIDER_CREDENTIAL_MAX`.)
pub const VERIFY_CREDENTIAL_MAX: usize = 256;

/// The body of `POST /internal/client-applications/verify`. Its `Debug` hides the secret.
#[derive(Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyRequest<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

impl fmt::Debug for VerifyRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyRequest")
            .field("client_id", &self.client_id)
            .field("client_secret", &"***")
            .finish()
    }
}

/// The answer to a credential check. A failed check says only that it failed, not whether the
/// client id or the secret was wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub valid: bool,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub client: Option<VerifiedClient>,
}

/// What the authorization server needs of an application whose credentials checked out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedClient {
    pub id: i64,
    pub owner_id: i64,
    pub redirect_urls: Vec<String>,
}

impl Verification {
    pub fn valid(client: VerifiedClient) -> Self {
        Verification {
            valid: true,
            client: Some(client),
        }
    }

    pub fn invalid() -> Self {
        Verification {
            valid: false,
            client: None,
        }
    }
}

/// A typed client for client-registration's internal endpoints; cheap to clone.
#[derive(Debug, Clone)]
pub struct ClientRegistrationClient(Peer);

impl ClientRegistrationClient {
    /// `http` should be the process's shared client (it carries the timeouts); `base_url` is
    /// the service's root, e.g. `http://127.0.0.1:8083`.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        ClientRegistrationClient(Peer::new(SERVICE, http, base_url))
    }

    /// Whether `client_secret` is the current secret of the application with `client_id`.
    /// Any user token may ask.
    pub async fn verify(
        &self,
        token: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Verification, PeerError> {
        let body = VerifyRequest {
            client_id,
            client_secret,
        };
        let request = self
            .0
            .request(Method::POST, "/internal/client-applications/verify")
            .json(&body);
        self.0.call(request, token).await
    }

    /// Deletes every client application of the user `user_id` ([`Peer::purge_owner`]).
    pub async fn purge_owner(&self, system_token: &str, user_id: i64) -> Result<u64, PeerError> {
        self.0.purge_owner(system_token, user_id).await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_failed_check_is_only_valid_false() {
        assert_eq!(
            serde_json::to_value(Verification::invalid()).unwrap(),
            json!({"valid": false})
        );
        let valid = Verification::valid(VerifiedClient {
            id: 3,
            owner_id: 7,
            redirect_urls: vec!["myapp:/cb".to_owned()],
        });
        let wire = serde_json::to_value(&valid).unwrap();
        assert_eq!(
            wire,
            json!({"valid": true, "id": 3, "ownerId": 7, "redirectUrls": ["myapp:/cb"]})
        );
        assert_eq!(serde_json::from_value::<Verification>(wire).unwrap(), valid);
        let invalid = serde_json::from_value::<Verification>(json!({"valid": false})).unwrap();
        assert_eq!(invalid, Verification::invalid());
    }

    #[test]
    fn the_request_is_camel_case_and_its_debug_hides_the_secret() {
        let request = VerifyRequest {
            client_id: "id-1",
            client_secret: "s3cret",
        };
        assert_eq!(
            serde_json::to_value(request).unwrap(),
            json!({"clientId": "id-1", "clientSecret": "s3cret"})
        );
        assert!(!format!("{request:?}").contains("s3cret"));
    }
}
