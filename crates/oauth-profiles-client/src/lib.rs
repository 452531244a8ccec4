//! The oauth-profiles service as its peers see it: the wire types of its internal endpoints and
//! [`OauthProfilesClient`].
//!
//! oauth-apps asks it how many profiles use an application before deleting or moving that
//! application; the gateway asks it to purge a deleted user's profiles. The service serializes
//! its answers with these same types, so the two cannot drift apart.

use api_common::peer::json_body;
pub use api_common::peer::PeerError;
use serde::{Deserialize, Serialize};

/// How oauth-profiles is named in logs and messages.
const SERVICE: &str = "oauth-profiles";

/// `GET /internal/oauth-apps/{id}/usage`: the profiles, of any owner, that use an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUsage {
    /// How many profiles name the application.
    pub profiles: u64,
    /// The distinct tenants of those profiles' owners, in ascending order.
    pub tenants: Vec<i64>,
}

/// `DELETE /internal/owners/{id}`: how many rows went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purged {
    pub deleted: u64,
}

/// A typed client for oauth-profiles' internal endpoints; cheap to clone.
#[derive(Debug, Clone)]
pub struct OauthProfilesClient {
    http: reqwest::Client,
    base_url: String,
}

impl OauthProfilesClient {
    /// `http` should be the process's shared client (it carries the timeouts); `base_url` is
    /// the service's root, e.g. `http://127.0.0.1:8082`.
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        OauthProfilesClient { http, base_url }
    }

    /// How many profiles, across all owners, use the OAuth application `app_id`, and the
    /// tenants of their owners. Any user token may ask.
    pub async fn app_usage(&self, token: &str, app_id: i64) -> Result<AppUsage, PeerError> {
        let response = self
            .http
            .get(format!(
                "{}/internal/oauth-apps/{app_id}/usage",
                self.base_url
            ))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|err| PeerError::transport(SERVICE, err))?;
        json_body(SERVICE, response).await
    }

    /// Deletes every profile of the user `user_id` and says how many there were (0 when none,
    /// so a retry is harmless). Needs the gateway's system token.
    pub async fn purge_owner(&self, system_token: &str, user_id: i64) -> Result<u64, PeerError> {
        let response = self
            .http
            .delete(format!("{}/internal/owners/{user_id}", self.base_url))
            .bearer_auth(system_token)
            .send()
            .await
            .map_err(|err| PeerError::transport(SERVICE, err))?;
        json_body::<Purged>(SERVICE, response)
            .await
            .map(|purged| purged.deleted)
    }
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
        assert_eq!(
            serde_json::to_value(Purged { deleted: 2 }).unwrap(),
            json!({"deleted": 2})
        );
    }

    #[test]
    fn base_urls_lose_their_trailing_slash() {
        let client = OauthProfilesClient::new(reqwest::Client::new(), "http://127.0.0.1:8082/");
        assert_eq!(client.base_url, "http://127.0.0.1:8082");
    }
}
