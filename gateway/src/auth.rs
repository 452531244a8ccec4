//! Authentication of public requests: HTTP Basic checked against the users table, then an
//! internal token for the services.
//!
//! Clients send Basic credentials on every request, and argon2 is deliberately slow, so a
//! verified credential is remembered for a short while ([`CredentialCache`]): keyed by an HMAC
//! of user name and password under a key that lives only in this process, so the cache never
//! holds a password or anything from which one could be tested offline. Minted internal tokens
//! are reused per caller for most of their lifetime ([`TokenCache`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage};
use api_common::error::Challenge;
use api_common::ApiError;
use base64::Engine;
use db::{run_db, DbPool};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use internal_auth::{Identity, TokenSigner};
use rand::RngCore;
use sha2::Sha256;

use crate::{models, password};

/// Most entries either cache holds; past it, expired entries are dropped, then all.
const MAX_ENTRIES: usize = 10_000;

/// What the gateway needs to authenticate a request.
pub struct Authenticator {
    pool: DbPool,
    credentials: CredentialCache,
    tokens: TokenCache,
    signer: TokenSigner,
    /// Verified against for unknown users, so that they take as long as known ones.
    dummy_hash: String,
}

/// The caller of a public request and the internal token that carries them to a service.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub identity: Identity,
    pub token: String,
}

impl Authenticator {
    pub fn new(
        pool: DbPool,
        signer: TokenSigner,
        cache_ttl: Duration,
    ) -> Result<Self, argon2::password_hash::Error> {
        Ok(Authenticator {
            pool,
            credentials: CredentialCache::new(cache_ttl),
            tokens: TokenCache::default(),
            signer,
            dummy_hash: password::hash(&password::generate(24))?,
        })
    }

    /// The caller the `Authorization: Basic` header names, or 401.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Authenticated, ApiError> {
        let (user_name, secret) = basic_credentials(headers)?;
        let fingerprint = self.credentials.fingerprint(&user_name, &secret);
        let identity = match self.credentials.get(&fingerprint) {
            Some(identity) => identity,
            None => {
                let identity = self.verify(user_name, secret).await?;
                self.credentials.insert(fingerprint, identity.clone());
                identity
            }
        };
        let token = self.tokens.token_for(&identity, &self.signer)?;
        Ok(Authenticated { identity, token })
    }

    async fn verify(&self, user_name: String, secret: String) -> Result<Identity, ApiError> {
        let lookup_name = user_name.clone();
        let user = run_db(&self.pool, move |conn| {
            models::find_by_name(conn, &lookup_name)
        })
        .await?;
        let (hash, user) = match user {
            Some(user) => (user.password_hash.clone(), Some(user)),
            None => (self.dummy_hash.clone(), None),
        };
        let matches = web::block(move || password::verify(&secret, &hash))
            .await
            .map_err(ApiError::internal)?;
        match user {
            Some(user) if matches && user.active => Ok(user.identity()),
            _ => {
                log::info!("authentication failed for user {user_name:?}");
                Err(bad_credentials())
            }
        }
    }
}

fn bad_credentials() -> ApiError {
    ApiError::unauthenticated(Challenge::Basic, "Invalid user name or password")
}

/// The user name and password of an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Result<(String, String), ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::unauthenticated(
                Challenge::Basic,
                "Authentication required: send HTTP Basic credentials",
            )
        })?
        .to_str()
        .map_err(|_| bad_credentials())?;
    let encoded = match value.split_once(' ') {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("basic") => rest.trim(),
        _ => {
            return Err(ApiError::unauthenticated(
                Challenge::Basic,
                "Authentication required: send HTTP Basic credentials",
            ))
        }
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|_| bad_credentials())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad_credentials())?;
    let (user, secret) = decoded.split_once(':').ok_or_else(bad_credentials)?;
    if user.is_empty() {
        return Err(bad_credentials());
    }
    Ok((user.to_owned(), secret.to_owned()))
}

/// Recently verified credentials, by HMAC fingerprint.
struct CredentialCache {
    key: [u8; 64],
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (Identity, Instant)>>,
}

impl CredentialCache {
    fn new(ttl: Duration) -> Self {
        let mut key = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut key);
        CredentialCache {
            key,
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn fingerprint(&self, user_name: &str, secret: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.key.into());
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        mac.update(&(user_name.len() as u64).to_be_bytes());
        mac.update(user_name.as_bytes());
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn get(&self, fingerprint: &[u8; 32]) -> Option<Identity> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(fingerprint)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(identity, _)| identity.clone())
    }

    fn insert(&self, fingerprint: [u8; 32], identity: Identity) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(fingerprint, (identity, Instant::now()));
    }
}

/// Minted tokens by user, reused while more than a third of their lifetime is left and the
/// identity they carry is unchanged.
#[derive(Default)]
struct TokenCache {
    entries: Mutex<HashMap<i64, (Identity, String, u64)>>,
}

impl TokenCache {
    fn token_for(&self, identity: &Identity, signer: &TokenSigner) -> Result<String, ApiError> {
        let now = unix_now();
        let reuse_margin = signer.ttl().as_secs() / 3;
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((cached, token, exp)) = entries.get(&identity.user_id) {
                if cached == identity && *exp > now + reuse_margin {
                    return Ok(token.clone());
                }
            }
        }
        let (token, exp) = signer.mint(identity, None).map_err(ApiError::internal)?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (_, _, exp)| *exp > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(identity.user_id, (identity.clone(), token.clone(), exp));
        Ok(token)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Middleware for `/api`: 401 unless the request carries valid Basic credentials; otherwise
/// leaves an [`Authenticated`] in the request extensions.
pub async fn require_basic(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let authenticator = req
        .app_data::<web::Data<Authenticator>>()
        .ok_or_else(|| ApiError::internal("no Authenticator configured"))?
        .clone();
    let authenticated = authenticator.authenticate(req.headers()).await?;
    req.extensions_mut().insert(authenticated);
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn basic_credentials_are_parsed_strictly() {
        let ok = base64::engine::general_purpose::STANDARD.encode("admin:pa:ss");
        assert_eq!(
            basic_credentials(&headers(&format!("Basic {ok}"))).unwrap(),
            ("admin".into(), "pa:ss".into())
        );
        for bad in ["Bearer x", "Basic !!!", "Basic", "Basic YWRtaW4="] {
            assert!(basic_credentials(&headers(bad)).is_err(), "{bad}");
        }
        assert!(basic_credentials(&HeaderMap::new()).is_err());
    }

    #[test]
    fn fingerprints_separate_user_from_password() {
        let cache = CredentialCache::new(Duration::from_secs(30));
        assert_ne!(cache.fingerprint("ab", "c"), cache.fingerprint("a", "bc"));
        assert_eq!(cache.fingerprint("a", "b"), cache.fingerprint("a", "b"));
    }
}
