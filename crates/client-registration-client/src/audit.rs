//! What the gateway's consistency check reads in client-registration (docs/consistency.md, I3):
//! the owners of client applications, a page at a time. An internal route, for the gateway's
//! system token only; the repair is the owner purge.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::{ClientRegistrationClient, PeerError};

/// A user who owns client applications, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOwner {
    pub owner_id: i64,
    pub applications: u64,
}

/// `GET /internal/owners?after=ID&limit=N`: a page of [`ApplicationOwner`]s in owner id order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationOwners {
    pub owners: Vec<ApplicationOwner>,
}

impl ClientRegistrationClient {
    /// A page of the owners of client applications: owner ids after `after`, at most `limit`.
    pub async fn owners(
        &self,
        system_token: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<ApplicationOwner>, PeerError> {
        let path = format!("/internal/owners?after={after}&limit={limit}");
        let page: ApplicationOwners = self
            .0
            .call(self.0.request(Method::GET, &path), system_token)
            .await?;
        Ok(page.owners)
    }
}
