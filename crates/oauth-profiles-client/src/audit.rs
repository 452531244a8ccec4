//! What the gateway's consistency check reads and repairs in oauth-profiles
//! (docs/consistency.md, I3): every profile's link and owner, a page at a time, and the removal
//! of a profile whose application is gone. Internal routes, for the gateway's system token only.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::{OauthProfilesClient, PeerError};

/// A profile as the check sees it: whose it is and what it links to; no name, no token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileLink {
    pub id: i64,
    pub owner_id: i64,
    pub owner_tenant_id: i64,
    pub oauth_app_id: i64,
    /// Shown by reads and lists (not pending its first link check).
    pub active: bool,
    /// The application an update is linking it to, while it is checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_app_id: Option<i64>,
}

/// `GET /internal/profiles?after=ID&limit=N`: a page of [`ProfileLink`]s in id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileLinks {
    pub profiles: Vec<ProfileLink>,
}

/// The query of `DELETE /internal/profiles/{id}`: the profile goes only while it still links to
/// this application.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnlinkedQuery {
    pub oauth_app_id: i64,
}

impl OauthProfilesClient {
    /// A page of every profile's link: ids after `after`, at most `limit`.
    pub async fn links(
        &self,
        system_token: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ProfileLink>, PeerError> {
        let path = format!("/internal/profiles?after={after}&limit={limit}");
        let page: ProfileLinks = self
            .0
            .call(self.0.request(Method::GET, &path), system_token)
            .await?;
        Ok(page.profiles)
    }

    /// Deletes profile `id` if it still links to `app_id` (whose application is gone or out of
    /// its owner's reach); how many went (0 or 1).
    pub async fn delete_unlinked(
        &self,
        system_token: &str,
        id: i64,
        app_id: i64,
    ) -> Result<u64, PeerError> {
        self.0
            .purge(
                system_token,
                &format!("/internal/profiles/{id}?oauthAppId={app_id}"),
            )
            .await
    }
}
