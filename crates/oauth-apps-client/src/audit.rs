//! What the gateway's consistency check reads in oauth-apps (docs/consistency.md, I3): every
//! application's tenant and state, a page at a time. An internal route, for the gateway's
//! system token only; the repair of a deleted tenant's applications is the tenant purge.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::{OauthAppsClient, PeerError};

/// An application as the check sees it: its tenant and whether it is live (not held by a
/// delete or move); no name and no credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppPlacement {
    pub id: i64,
    pub tenant_id: i64,
    pub live: bool,
}

/// `GET /internal/applications?after=ID&limit=N`: a page of [`AppPlacement`]s in id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPlacements {
    pub applications: Vec<AppPlacement>,
}

impl OauthAppsClient {
    /// A page of every application's placement: ids after `after`, at most `limit`.
    pub async fn placements(
        &self,
        system_token: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<AppPlacement>, PeerError> {
        let path = format!("/internal/applications?after={after}&limit={limit}");
        let page: AppPlacements = self
            .0
            .call(self.0.request(Method::GET, &path), system_token)
            .await?;
        Ok(page.applications)
    }
}
