//! What the gateway remembers to spare a request work: user rows ([`UserCache`]), verified
//! credentials ([`CredentialCache`]) and minted internal tokens ([`TokenCache`]), each bounded
//! ([`make_room`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api_common::ApiError;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use hyper::http::HeaderValue;
use internal_auth::{unix_now, Identity, Service, TokenSigner};
use rand::RngCore;
use sha2::Sha256;

use identity::users;

/// Most entries each cache holds; past it, expired entries are dropped, then all
/// ([`make_room`]).
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// Before an insert into a cache at [`MAX_ENTRIES`]: drops the entries `expired` picks, and
/// everything when that is not enough.
pub(crate) fn make_room<K, V>(entries: &mut HashMap<K, V>, expired: impl Fn(&V) -> bool) {
    if entries.len() >= MAX_ENTRIES {
        entries.retain(|_, value| !expired(value));
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
    }
}

/// Users' rows as recently read, by name, each used for `ttl` after it was read.
///
/// Every change this gateway makes to users bumps `generation` and empties the map; a row read
/// while a change commits is not kept (its read began in an older generation), so after
/// [`UserCache::forget_all`] returns, no row from before the change is used. Only rows that
/// exist are kept: an unknown name is read every time (and answered after a dummy argon2 run).
pub(super) struct UserCache {
    pub(super) ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, CachedUser>>,
    /// User ids to names, for the users read by id (a session's, a Bearer token's); an entry
    /// counts only while the name's entry above is that user.
    names: Mutex<HashMap<i64, String>>,
}

struct CachedUser {
    user: Arc<users::User>,
    read_at: Instant,
}

impl UserCache {
    pub(super) fn new(ttl: Duration) -> Self {
        UserCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
            names: Mutex::new(HashMap::new()),
        }
    }

    /// The user with id `id`, when read recently (by name or by id).
    pub(super) fn get_by_id(&self, id: i64) -> Option<Arc<users::User>> {
        if self.ttl.is_zero() {
            return None;
        }
        let name = self
            .names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()?;
        self.get(&name).filter(|user| user.id == id)
    }

    pub(super) fn get(&self, user_name: &str) -> Option<Arc<users::User>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(user_name)
            .filter(|cached| cached.read_at.elapsed() < self.ttl)
            .map(|cached| cached.user.clone())
    }

    pub(super) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `user`, read in `generation`, unless users changed since.
    pub(super) fn insert(&self, user: Arc<users::User>, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Under the lock, which forget_all takes after bumping the generation.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        make_room(&mut entries, |cached| cached.read_at.elapsed() >= self.ttl);
        {
            let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
            make_room(&mut names, |name| !entries.contains_key(name));
            names.insert(user.id, user.user_name.clone());
        }
        entries.insert(
            user.user_name.clone(),
            CachedUser {
                user,
                read_at: Instant::now(),
            },
        );
    }

    pub(super) fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.clear();
        self.names.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// Recently verified credentials: HMAC fingerprint -> the password hash they matched.
pub(super) struct CredentialCache {
    /// HMAC-SHA256 under a random key of this process, the key already absorbed: each
    /// fingerprint starts from a copy, so it hashes the message only (two SHA-256 blocks of
    /// four).
    keyed: Hmac<Sha256>,
    pub(super) ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

impl CredentialCache {
    pub(super) fn new(ttl: Duration) -> Self {
        let mut key = [0u8; 64];
        rand::rngs::OsRng.fill_bytes(&mut key);
        CredentialCache {
            keyed: <Hmac<Sha256> as KeyInit>::new(&key.into()),
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn fingerprint(&self, user_name: &str, secret: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        mac.update(&(user_name.len() as u64).to_be_bytes());
        mac.update(user_name.as_bytes());
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Whether this credential was recently verified against `current_hash`, the user's
    /// password hash as stored now: after a password change it no longer counts.
    pub(super) fn verified(&self, fingerprint: &[u8; 32], current_hash: &str) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(fingerprint)
            .is_some_and(|(hash, at)| at.elapsed() < self.ttl && hash == current_hash)
    }

    pub(super) fn insert(&self, fingerprint: [u8; 32], hash: String) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        make_room(&mut entries, |(_, at)| at.elapsed() >= self.ttl);
        entries.insert(fingerprint, (hash, Instant::now()));
    }
}

/// A minted token and what it carries.
struct CachedToken {
    subject: Identity,
    actor: Option<Identity>,
    /// `Bearer <token>`, ready to be sent: cloning it costs a reference count.
    authorization: HeaderValue,
    exp: u64,
}

/// `value` with bytes of its own, sensitive if `value` is. Cloning a header value counts a
/// reference to its bytes; a worker that sends its own copy counts in memory no other worker
/// writes.
pub(crate) fn own_bytes(value: &HeaderValue) -> HeaderValue {
    let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
    copy.set_sensitive(value.is_sensitive());
    copy
}

/// The `Authorization` value that carries internal `token`, marked sensitive (never shown by
/// the HTTP libraries' debug output).
pub(crate) fn bearer_header(token: &str) -> Result<HeaderValue, ApiError> {
    let mut value = HeaderValue::try_from(format!("Bearer {token}")).map_err(ApiError::internal)?;
    value.set_sensitive(true);
    Ok(value)
}

/// Minted tokens by (service, subject, actor), reused while more than a third of their lifetime
/// is left and both identities they carry are unchanged.
///
/// Each thread keeps its own copies of the tokens it used ([`WORKER_TOKENS`]) in front of the
/// shared map: a request finds its token without the shared lock, and sends a header value
/// whose reference count no other worker writes. A copy is reused by the same rule.
pub(super) struct TokenCache {
    /// Which cache a thread's copies belong to.
    id: u64,
    entries: Mutex<HashMap<TokenKey, CachedToken>>,
}

impl Default for TokenCache {
    fn default() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(0);
        TokenCache {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            entries: Mutex::default(),
        }
    }
}

/// Most caches a thread keeps copies for (tests build many gateways); past it, it starts over.
const MAX_WORKER_CACHES: usize = 16;

thread_local! {
    /// This thread's copies of the tokens it used, by cache (see [`TokenCache`]).
    static WORKER_TOKENS: RefCell<Vec<(u64, HashMap<TokenKey, CachedToken>)>> =
        const { RefCell::new(Vec::new()) };
}

/// Calls `f` with this thread's copies of cache `id`'s tokens.
fn worker_tokens<T>(id: u64, f: impl FnOnce(&mut HashMap<TokenKey, CachedToken>) -> T) -> T {
    WORKER_TOKENS.with_borrow_mut(|caches| {
        let index = match caches.iter().position(|(known, _)| *known == id) {
            Some(index) => index,
            None => {
                if caches.len() >= MAX_WORKER_CACHES {
                    caches.remove(0);
                }
                caches.push((id, HashMap::new()));
                caches.len() - 1
            }
        };
        f(&mut caches[index].1)
    })
}

/// The service a token is for, its subject's id and its actor's.
type TokenKey = (Service, i64, Option<i64>);

impl TokenCache {
    pub(super) fn token_for(
        &self,
        service: Service,
        subject: &Identity,
        actor: Option<&Identity>,
        signer: &TokenSigner,
    ) -> Result<(HeaderValue, bool), ApiError> {
        let now = unix_now();
        let reuse_margin = signer.ttl().as_secs() / 3;
        let key = (service, subject.user_id, actor.map(|a| a.user_id));
        let usable = |cached: &CachedToken| {
            &cached.subject == subject
                && cached.actor.as_ref() == actor
                && cached.exp > now + reuse_margin
        };
        let local = worker_tokens(self.id, |tokens| {
            tokens
                .get(&key)
                .filter(|cached| usable(cached))
                .map(|cached| cached.authorization.clone())
        });
        if let Some(authorization) = local {
            return Ok((authorization, true));
        }
        let shared = {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            entries
                .get(&key)
                .filter(|cached| usable(cached))
                .map(CachedToken::own_copy)
        };
        let (cached, reused) = match shared {
            Some(cached) => (cached, true),
            None => {
                let (token, exp) = signer
                    .mint(service, subject, actor)
                    .map_err(ApiError::internal)?;
                let cached = CachedToken {
                    subject: subject.clone(),
                    actor: actor.cloned(),
                    authorization: bearer_header(&token)?,
                    exp,
                };
                let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
                make_room(&mut entries, |cached| cached.exp <= now);
                entries.insert(key, cached.own_copy());
                (cached, false)
            }
        };
        let authorization = cached.authorization.clone();
        worker_tokens(self.id, |tokens| {
            make_room(tokens, |cached| cached.exp <= now);
            tokens.insert(key, cached);
        });
        Ok((authorization, reused))
    }
}

impl CachedToken {
    /// A copy whose header value has bytes of its own (see [`TokenCache`]).
    fn own_copy(&self) -> CachedToken {
        CachedToken {
            subject: self.subject.clone(),
            actor: self.actor.clone(),
            authorization: own_bytes(&self.authorization),
            exp: self.exp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_separate_user_from_password() {
        let cache = CredentialCache::new(Duration::from_secs(30));
        assert_ne!(cache.fingerprint("ab", "c"), cache.fingerprint("a", "bc"));
        assert_eq!(cache.fingerprint("a", "b"), cache.fingerprint("a", "b"));
    }

    #[test]
    fn a_cached_credential_counts_only_against_the_hash_it_was_verified_with() {
        let cache = CredentialCache::new(Duration::from_secs(30));
        let print = cache.fingerprint("alice", "secret-1");
        assert!(!cache.verified(&print, "$argon2id$old"));
        cache.insert(print, "$argon2id$old".into());
        assert!(cache.verified(&print, "$argon2id$old"));
        // The password was changed (even to the same one: a new salt).
        assert!(!cache.verified(&print, "$argon2id$new"));
        assert!(!cache.verified(&cache.fingerprint("alice", "secret-2"), "$argon2id$old"));

        let off = CredentialCache::new(Duration::ZERO);
        off.insert(print, "$argon2id$old".into());
        assert!(!off.verified(&print, "$argon2id$old"));
    }

    /// A fresh key pair, and a signer of 60-second tokens with it.
    fn signing_pair() -> (internal_auth::KeyPair, TokenSigner) {
        let pair = internal_auth::generate_key_pair().unwrap();
        let signer =
            TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(60)).unwrap();
        (pair, signer)
    }

    fn alice() -> Identity {
        Identity {
            user_id: 7,
            user_name: "alice".into(),
            tenant_id: 2,
            permissions: vec![11],
            administered_tenants: vec![],
        }
    }

    #[test]
    fn a_token_minted_on_one_thread_is_reused_on_another_and_each_thread_sends_its_own_bytes() {
        let (_, signer) = signing_pair();
        let cache = TokenCache::default();
        let alice = alice();
        let (minted, reused) = cache
            .token_for(Service::OauthApps, &alice, None, &signer)
            .unwrap();
        assert!(!reused);
        let (elsewhere, reused_elsewhere) = std::thread::scope(|threads| {
            threads
                .spawn(|| {
                    cache
                        .token_for(Service::OauthApps, &alice, None, &signer)
                        .unwrap()
                })
                .join()
                .unwrap()
        });
        assert!(reused_elsewhere);
        assert_eq!(elsewhere, minted);
        assert!(elsewhere.is_sensitive());
        assert_ne!(elsewhere.as_bytes().as_ptr(), minted.as_bytes().as_ptr());
        // A changed identity is a new token on every thread.
        let moved = Identity {
            tenant_id: 3,
            ..alice.clone()
        };
        let (after, reused) = cache
            .token_for(Service::OauthApps, &moved, None, &signer)
            .unwrap();
        assert!(!reused);
        assert_ne!(after, minted);
    }

    #[test]
    fn tokens_are_reused_per_subject_and_actor_while_both_are_unchanged() {
        let (pair, signer) = signing_pair();
        let verifier =
            internal_auth::TokenVerifier::from_pem(pair.public_pem.as_bytes(), Service::OauthApps)
                .unwrap();
        let cache = TokenCache::default();
        let alice = alice();
        let admin = Identity {
            user_id: 1,
            user_name: "admin".into(),
            tenant_id: 1,
            permissions: vec![12],
            administered_tenants: vec![],
        };
        let (own, reused) = cache
            .token_for(Service::OauthApps, &alice, None, &signer)
            .unwrap();
        assert!(!reused);
        assert_eq!(
            cache
                .token_for(Service::OauthApps, &alice, None, &signer)
                .unwrap(),
            (own.clone(), true)
        );
        // Each service has tokens of its own.
        let elsewhere = cache.token_for(Service::ClientRegistration, &alice, None, &signer);
        assert_ne!(elsewhere.unwrap().0, own);
        let on_behalf = cache
            .token_for(Service::OauthApps, &alice, Some(&admin), &signer)
            .unwrap()
            .0;
        assert_ne!(on_behalf, own);
        let token = |authorization: &HeaderValue| {
            let value = authorization.to_str().unwrap();
            value.strip_prefix("Bearer ").unwrap().to_owned()
        };
        let verified = verifier.verify(&token(&on_behalf)).unwrap();
        assert_eq!(
            (verified.subject, verified.actor),
            (alice.clone(), Some(admin.clone()))
        );
        assert_eq!(verifier.verify(&token(&own)).unwrap().actor, None);

        // A changed identity on either side is a new token.
        let demoted = Identity {
            permissions: vec![],
            ..admin.clone()
        };
        let after = cache
            .token_for(Service::OauthApps, &alice, Some(&demoted), &signer)
            .unwrap()
            .0;
        assert_eq!(
            verifier.verify(&token(&after)).unwrap().actor,
            Some(demoted)
        );
        let moved = Identity {
            tenant_id: 3,
            ..alice.clone()
        };
        let after = cache
            .token_for(Service::OauthApps, &moved, None, &signer)
            .unwrap()
            .0;
        assert_eq!(verifier.verify(&token(&after)).unwrap().subject, moved);
    }
}
