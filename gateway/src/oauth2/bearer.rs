//! OAuth access tokens in place of Basic credentials on `/api/mgmt/...`
//! (`Authorization: Bearer hdpat_...`, where the route table says so: [`crate::routes::Area`]).
//!
//! client-registration knows what a token stands for (`POST /internal/oauth2/tokens/check`);
//! its answer is kept here for at most the user cache's bound (`GATEWAY_USER_CACHE_MS`, 1 s)
//! and never past the token's expiry, keyed by the token's SHA-256 (the token itself is not
//! kept), in a bounded map. So a revocation (by the user, the application's deletion or
//! secret reset) counts everywhere within that bound, and a cached check costs a hash and two
//! map lookups, as a cached Basic check does. An active token with scope `api.access.mgmt`
//! acts as its user, as their row is now (through the user cache: an inactive or deleted
//! user's tokens are refused), with that user's permissions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use api_common::ApiError;
use internal_auth::{unix_now, Identity};
use sha2::{Digest, Sha256};

use super::params::MGMT;
use super::AuthorizationServer;
use crate::auth::{make_room, Authenticator};

pub use client_registration_client::oauth2::ACCESS_TOKEN_PREFIX;
/// Longest access token looked up (real ones are 49 characters).
const TOKEN_MAX: usize = 128;

/// The bearer token of an `Authorization: Bearer` header, if the request carries one.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    const SCHEME: &[u8] = b"bearer ";
    let value = headers.get(header::AUTHORIZATION)?;
    // The scheme first: every Basic request asks, and needs no look at the rest.
    let scheme = value.as_bytes().get(..SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    Some(value.to_str().ok()?[SCHEME.len()..].trim())
}

/// Why a bearer token opens nothing.
#[derive(Debug)]
pub enum Refused {
    /// Unknown, expired, revoked, malformed, or its user inactive or gone (RFC 6750 3.1).
    InvalidToken,
    /// Valid, without `api.access.mgmt`.
    InsufficientScope,
    /// The check could not be made (a peer down).
    Failed(ApiError),
}

impl Refused {
    /// 401 (or 403 for a missing scope) in the envelope, with the Bearer challenge.
    pub fn response(&self) -> HttpResponse {
        let (err, challenge) = match self {
            Refused::InvalidToken => (
                ApiError::new(
                    api_common::ErrorCode::Unauthenticated,
                    "The access token is invalid, expired or revoked",
                ),
                "Bearer realm=\"hdp-oauth\", error=\"invalid_token\"".to_owned(),
            ),
            Refused::InsufficientScope => (
                ApiError::forbidden(format!(
                    "The access token does not grant the scope '{MGMT}'"
                )),
                format!(
                    "Bearer realm=\"hdp-oauth\", error=\"insufficient_scope\", scope=\"{MGMT}\""
                ),
            ),
            Refused::Failed(err) => return err.error_response(),
        };
        let mut response = err.error_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// What a check said, as kept.
#[derive(Debug, Clone, Copy)]
struct Verdict {
    /// The user, when the token is active.
    user_id: Option<i64>,
    mgmt: bool,
}

/// Recent checks by the token's SHA-256, each until its own bound.
pub struct BearerChecks {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (Verdict, Instant)>>,
    /// One check per token at a time: the requests that miss together (every client of a
    /// busy token, when its entry expires) wait for the first one's answer.
    gates: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
}

impl BearerChecks {
    /// `ttl`: the user cache's bound (zero: ask on every request).
    pub fn new(ttl: Duration) -> Self {
        BearerChecks {
            ttl,
            entries: Mutex::new(HashMap::new()),
            gates: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets every check kept.
    fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    fn cached(&self, key: &[u8; 32]) -> Option<Verdict> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(_, until)| Instant::now() < *until)
            .map(|(verdict, _)| *verdict)
    }

    fn gate(&self, key: &[u8; 32]) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        make_room(&mut gates, |gate| Arc::strong_count(gate) <= 1);
        gates.entry(*key).or_default().clone()
    }

    fn release(&self, key: &[u8; 32], gate: Arc<tokio::sync::Mutex<()>>) {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map and this request hold it: nobody is waiting.
        if Arc::strong_count(&gate) <= 2 {
            gates.remove(key);
        }
    }

    fn keep(&self, key: [u8; 32], verdict: Verdict, expires_at: Option<u64>) {
        let mut ttl = self.ttl;
        if let Some(expires_at) = expires_at {
            ttl = ttl.min(Duration::from_secs(expires_at.saturating_sub(unix_now())));
        }
        if ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        make_room(&mut entries, |(_, until)| Instant::now() >= *until);
        entries.insert(key, (verdict, Instant::now() + ttl));
    }
}

impl AuthorizationServer {
    /// Forgets the token checks kept: a write through this replica may have revoked tokens.
    pub fn tokens_revoked(&self) {
        self.bearer.clear();
    }

    /// The user `token` acts for, as their row is now.
    pub async fn bearer_user(
        &self,
        authenticator: &Authenticator,
        token: &str,
    ) -> Result<Identity, Refused> {
        if !token.starts_with(ACCESS_TOKEN_PREFIX) || token.len() > TOKEN_MAX {
            return Err(Refused::InvalidToken);
        }
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let verdict = match self.bearer.cached(&key) {
            Some(verdict) => verdict,
            // Boxed: a token not checked lately is the rare case, and the check's future (a
            // call to client-registration) would otherwise make every request's future larger.
            None => Box::pin(self.check_once(authenticator, token, key)).await?,
        };
        let user_id = verdict.user_id.ok_or(Refused::InvalidToken)?;
        if !verdict.mgmt {
            return Err(Refused::InsufficientScope);
        }
        let user = authenticator
            .find_user_by_id(user_id)
            .await
            .map_err(Refused::Failed)?;
        match user {
            Some(user) if user.active => Ok(user.identity()),
            _ => Err(Refused::InvalidToken),
        }
    }

    /// [`Self::check`], one request per token at a time: those that arrive together wait for
    /// the first one's answer.
    async fn check_once(
        &self,
        authenticator: &Authenticator,
        token: &str,
        key: [u8; 32],
    ) -> Result<Verdict, Refused> {
        let gate = self.bearer.gate(&key);
        let checked = {
            let _turn = gate.lock().await;
            match self.bearer.cached(&key) {
                // Checked by the request this one waited for.
                Some(verdict) => Ok(verdict),
                None => self.check(authenticator, token, key).await,
            }
        };
        self.bearer.release(&key, gate);
        checked
    }

    /// Asks client-registration what `token` (whose hash is `key`) is, and keeps the answer.
    async fn check(
        &self,
        authenticator: &Authenticator,
        token: &str,
        key: [u8; 32],
    ) -> Result<Verdict, Refused> {
        let system = authenticator.system_token().map_err(Refused::Failed)?;
        let check = self
            .peer
            .oauth2_check_token(&system, token)
            .await
            .map_err(|e| Refused::Failed(e.into()))?;
        let expires_at = check
            .token
            .as_ref()
            .and_then(|token| u64::try_from(token.expires_at).ok());
        let live = check
            .token
            .as_ref()
            .filter(|_| check.active && expires_at.is_some_and(|at| at > unix_now()));
        let verdict = Verdict {
            user_id: live.map(|token| token.user_id),
            mgmt: live.is_some_and(|token| token.has_scope(MGMT)),
        };
        // An inactive token stays so: kept for the same bound all the same.
        self.bearer
            .keep(key, verdict, expires_at.filter(|_| live.is_some()));
        Ok(verdict)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_are_kept_within_their_bound() {
        let checks = BearerChecks::new(Duration::from_secs(1));
        let verdict = Verdict {
            user_id: Some(7),
            mgmt: true,
        };
        checks.keep([1; 32], verdict, Some(unix_now() + 3600));
        assert_eq!(checks.cached(&[1; 32]).and_then(|v| v.user_id), Some(7));
        // Expiring now: not kept at all.
        checks.keep([2; 32], verdict, Some(unix_now()));
        assert!(checks.cached(&[2; 32]).is_none());
        let off = BearerChecks::new(Duration::ZERO);
        off.keep([1; 32], verdict, None);
        assert!(off.cached(&[1; 32]).is_none());
    }

    #[test]
    fn the_bearer_scheme_is_read_case_insensitively() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer hdpat_x"),
        );
        assert_eq!(bearer_token(&headers), Some("hdpat_x"));
        for (value, token) in [
            ("BEARER   hdpat_y ", Some("hdpat_y")),
            ("Bearer ", Some("")),
            ("Bearer", None),
            ("Bearerx hdpat_x", None),
            ("Basic abc", None),
            ("", None),
        ] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            assert_eq!(bearer_token(&headers), token, "{value:?}");
        }
        let not_text = HeaderValue::from_bytes(b"Bearer \xff").unwrap();
        headers.insert(header::AUTHORIZATION, not_text);
        assert_eq!(bearer_token(&headers), None);
    }
}
