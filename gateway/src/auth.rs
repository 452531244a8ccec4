//! Authentication of public requests: HTTP Basic checked against the users table, then an
//! internal token for the services.
//!
//! Every request checks the caller's row as it is now: a changed password, a deactivation, a
//! deletion or a change of permissions takes effect on the very next request on the gateway
//! that made the change, and within `GATEWAY_USER_CACHE_MS` (1 s) on every other replica.
//! Rows are read on the unique user name index and kept that long ([`UserCache`]); a change
//! through this gateway's admin API forgets them at once ([`forget_users_after_writes`]), and
//! 0 reads the row on every request. argon2 is deliberately slow, so a verified
//! credential is remembered for a short while ([`CredentialCache`]): keyed by an HMAC of user
//! name and password under a key that lives only in this process (the cache never holds a
//! password or anything from which one could be tested offline), it maps to the password hash
//! the credential was verified against, and a hit counts only while the row still holds that
//! very hash and the user is active. Minted internal tokens are reused per (actor, subject)
//! for most of their lifetime ([`TokenCache`]).

use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest};
use api_common::error::Challenge;
use api_common::ApiError;
use base64::Engine;
use db::{run_db, DbPool};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use internal_auth::{Identity, Service, TokenSigner};
use rand::RngCore;
use sha2::Sha256;

use crate::forward::is_under;
use crate::methods::RouteMethods;
use crate::models::users;
use crate::on_behalf;
use crate::password_checks::PasswordChecks;

/// Most entries each cache holds; past it, expired entries are dropped, then all
/// ([`make_room`]).
const MAX_ENTRIES: usize = 10_000;

/// Before an insert into a cache at [`MAX_ENTRIES`]: drops the entries `expired` picks, and
/// everything when that is not enough.
fn make_room<K, V>(entries: &mut HashMap<K, V>, expired: impl Fn(&V) -> bool) {
    if entries.len() >= MAX_ENTRIES {
        entries.retain(|_, value| !expired(value));
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
    }
}

/// What the gateway needs to authenticate a request.
pub struct Authenticator {
    pool: DbPool,
    users: UserCache,
    credentials: CredentialCache,
    tokens: TokenCache,
    signer: TokenSigner,
    /// One verification per credential at a time: requests that arrive together with the same
    /// credential (every client, when the cache entry expires) wait for the first one's result
    /// instead of each running argon2.
    gates: Mutex<HashMap<[u8; 32], Arc<tokio::sync::Mutex<()>>>>,
    /// Where argon2 runs, within fixed bounds of concurrency and queue (also for the admin
    /// API's new passwords).
    password_checks: PasswordChecks,
}

/// The caller of a public request, as their row is now, and the user they act for with
/// `?user=` (see [`crate::on_behalf`]). Handlers take it as an argument.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who sent the credentials.
    pub caller: Identity,
    /// The user the request acts for, when the caller may and asked to.
    pub on_behalf_of: Option<Identity>,
}

impl Authenticated {
    /// The user whose resources the request reads and writes.
    pub fn subject(&self) -> &Identity {
        self.on_behalf_of.as_ref().unwrap_or(&self.caller)
    }

    /// The user who actually called, when not the subject.
    pub fn actor(&self) -> Option<&Identity> {
        self.on_behalf_of.as_ref().map(|_| &self.caller)
    }

    /// `user 7 ("alice")`, or `user 1 ("admin") on behalf of user 7 ("alice")`, for logs: ids
    /// and names only.
    pub fn describe(&self) -> String {
        let caller = describe(&self.caller);
        match &self.on_behalf_of {
            Some(subject) => format!("{caller} on behalf of {}", describe(subject)),
            None => caller,
        }
    }
}

fn describe(identity: &Identity) -> String {
    format!("user {} ({:?})", identity.user_id, identity.user_name)
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Authenticated>()
                .cloned()
                .ok_or_else(|| {
                    ApiError::internal("a route of /api was reached without authentication")
                }),
        )
    }
}

impl Authenticator {
    /// `credential_ttl`: how long a verified credential counts; `user_ttl`: how long a user's
    /// row, once read, is used without reading it again (zero: read on every request).
    pub fn new(
        pool: DbPool,
        signer: TokenSigner,
        credential_ttl: Duration,
        user_ttl: Duration,
        password_checks: PasswordChecks,
    ) -> Self {
        Authenticator {
            pool,
            users: UserCache::new(user_ttl),
            credentials: CredentialCache::new(credential_ttl),
            tokens: TokenCache::default(),
            signer,
            gates: Mutex::new(HashMap::new()),
            password_checks,
        }
    }

    /// Where argon2 runs: sign-in checks, and new passwords of the admin API.
    pub fn password_checks(&self) -> &PasswordChecks {
        &self.password_checks
    }

    /// The user named `user_name`, from the [`UserCache`] or else read now.
    async fn find_user(&self, user_name: &str) -> Result<Option<Arc<users::User>>, ApiError> {
        if let Some(user) = self.users.get(user_name) {
            return Ok(Some(user));
        }
        // Taken before the read: a change committed while it runs makes the row stale.
        let generation = self.users.generation();
        let lookup_name = user_name.to_owned();
        let user = run_db(&self.pool, move |conn| {
            users::find_by_name(conn, &lookup_name)
        })
        .await?
        .map(Arc::new);
        if let Some(user) = &user {
            self.users.insert(user.clone(), generation);
        }
        Ok(user)
    }

    /// How long a user's row is used after it was read: on another replica with the same
    /// setting, a change counts at most this long after it was committed.
    pub fn user_cache_ttl(&self) -> Duration {
        self.users.ttl
    }

    /// To be called after this gateway changed users (or what their identity is made of): the
    /// next request of every user reads their row again.
    pub fn users_changed(&self) {
        self.users.forget_all();
    }

    /// How many argon2 runs this gateway has made (a cache hit runs none).
    pub fn argon2_runs(&self) -> u64 {
        self.password_checks.runs()
    }

    fn gate(&self, fingerprint: &[u8; 32]) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates.entry(*fingerprint).or_default().clone()
    }

    fn release_gate(&self, fingerprint: &[u8; 32], gate: Arc<tokio::sync::Mutex<()>>) {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        // Only the map and this request hold it: nobody is waiting.
        if Arc::strong_count(&gate) <= 2 {
            gates.remove(fingerprint);
        }
    }

    /// The user the `Authorization: Basic` header names, from their current row, or 401.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<Identity, ApiError> {
        let (user_name, secret) = basic_credentials(headers)?;
        let user = self.find_user(&user_name).await?;
        let fingerprint = self.credentials.fingerprint(&user_name, &secret);
        if let Some(user) = &user {
            if user.active && self.credentials.verified(&fingerprint, &user.password_hash) {
                return Ok(user.identity());
            }
        }
        let gate = self.gate(&fingerprint);
        let matches = {
            let _turn = gate.lock().await;
            match &user {
                // Verified by the request this one waited for.
                Some(user)
                    if user.active
                        && self.credentials.verified(&fingerprint, &user.password_hash) =>
                {
                    true
                }
                _ => {
                    let hash = user.as_ref().map(|user| user.password_hash.clone());
                    self.password_checks.verify(secret, hash).await?
                }
            }
        };
        self.release_gate(&fingerprint, gate);
        match user {
            Some(user) if matches && user.active => {
                self.credentials
                    .insert(fingerprint, user.password_hash.clone());
                Ok(user.identity())
            }
            _ => {
                log::info!("authentication failed for user {}", loggable(&user_name));
                Err(bad_credentials())
            }
        }
    }

    /// Who `caller` acts as with `?user=name`: the rules are in [`on_behalf::authorize`].
    pub async fn on_behalf(&self, caller: &Identity, name: &str) -> Result<Identity, ApiError> {
        if !on_behalf::may_act_on_behalf(caller) {
            return Err(on_behalf::forbidden(name));
        }
        let target = self.find_user(name).await?;
        on_behalf::authorize(caller, name, target.as_deref())
    }

    /// The internal token that carries `authenticated` to `service`.
    pub fn token_for(
        &self,
        authenticated: &Authenticated,
        service: Service,
    ) -> Result<String, ApiError> {
        self.tokens.token_for(
            service,
            authenticated.subject(),
            authenticated.actor(),
            &self.signer,
        )
    }

    /// A fresh system token for the gateway's own maintenance calls.
    pub fn system_token(&self) -> Result<String, ApiError> {
        self.signer
            .mint_system()
            .map(|(token, _)| token)
            .map_err(ApiError::internal)
    }
}

/// A user name as sent, for a log line: at most 64 characters, quoted, with control and other
/// invisible characters escaped, so that a caller cannot forge or flood log lines with it.
fn loggable(user_name: &str) -> String {
    const SHOWN: usize = 64;
    let mut shown: String = user_name
        .chars()
        .take(SHOWN)
        .flat_map(char::escape_debug)
        .collect();
    if user_name.chars().nth(SHOWN).is_some() {
        shown.push_str("...");
    }
    format!("\"{shown}\"")
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

/// Users' rows as recently read, by name, each used for `ttl` after it was read.
///
/// Every change this gateway makes to users bumps `generation` and empties the map; a row read
/// while a change commits is not kept (its read began in an older generation), so after
/// [`UserCache::forget_all`] returns, no row from before the change is used. Only rows that
/// exist are kept: an unknown name is read every time (and answered after a dummy argon2 run).
struct UserCache {
    ttl: Duration,
    generation: AtomicU64,
    entries: Mutex<HashMap<String, CachedUser>>,
}

struct CachedUser {
    user: Arc<users::User>,
    read_at: Instant,
}

impl UserCache {
    fn new(ttl: Duration) -> Self {
        UserCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, user_name: &str) -> Option<Arc<users::User>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(user_name)
            .filter(|cached| cached.read_at.elapsed() < self.ttl)
            .map(|cached| cached.user.clone())
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Keeps `user`, read in `generation`, unless users changed since.
    fn insert(&self, user: Arc<users::User>, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Under the lock, which forget_all takes after bumping the generation.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        make_room(&mut entries, |cached| cached.read_at.elapsed() >= self.ttl);
        entries.insert(
            user.user_name.clone(),
            CachedUser {
                user,
                read_at: Instant::now(),
            },
        );
    }

    fn forget_all(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

/// Recently verified credentials: HMAC fingerprint -> the password hash they matched.
struct CredentialCache {
    key: [u8; 64],
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (String, Instant)>>,
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

    /// Whether this credential was recently verified against `current_hash`, the user's
    /// password hash as stored now: after a password change it no longer counts.
    fn verified(&self, fingerprint: &[u8; 32], current_hash: &str) -> bool {
        if self.ttl.is_zero() {
            return false;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(fingerprint)
            .is_some_and(|(hash, at)| at.elapsed() < self.ttl && hash == current_hash)
    }

    fn insert(&self, fingerprint: [u8; 32], hash: String) {
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
    token: String,
    exp: u64,
}

/// Minted tokens by (service, subject, actor), reused while more than a third of their lifetime
/// is left and both identities they carry are unchanged.
#[derive(Default)]
struct TokenCache {
    entries: Mutex<HashMap<TokenKey, CachedToken>>,
}

/// The service a token is for, its subject's id and its actor's.
type TokenKey = (Service, i64, Option<i64>);

impl TokenCache {
    fn token_for(
        &self,
        service: Service,
        subject: &Identity,
        actor: Option<&Identity>,
        signer: &TokenSigner,
    ) -> Result<String, ApiError> {
        let now = unix_now();
        let reuse_margin = signer.ttl().as_secs() / 3;
        let key = (service, subject.user_id, actor.map(|a| a.user_id));
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(cached) = entries.get(&key) {
                if &cached.subject == subject
                    && cached.actor.as_ref() == actor
                    && cached.exp > now + reuse_margin
                {
                    return Ok(cached.token.clone());
                }
            }
        }
        let (token, exp) = signer
            .mint(service, subject, actor)
            .map_err(ApiError::internal)?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        make_room(&mut entries, |cached| cached.exp <= now);
        entries.insert(
            key,
            CachedToken {
                subject: subject.clone(),
                actor: actor.cloned(),
                token: token.clone(),
                exp,
            },
        );
        Ok(token)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Middleware for `/api`: 401 unless the request carries valid Basic credentials; then
/// resolves `?user=` where it is honoured (403 or 400 when refused) and leaves an
/// [`Authenticated`] in the request extensions.
///
/// A refusal is answered here as a response rather than an error, so that the access log
/// records it (with the caller, once known) like any other answer.
pub async fn require_basic(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match identify(&req).await {
        Ok(authenticated) => {
            req.extensions_mut().insert(authenticated);
            Ok(next.call(req).await?.map_into_boxed_body())
        }
        Err(refused) => Ok(req.error_response(refused)),
    }
}

/// Middleware for `/api`, inside [`require_basic`]: after an authenticated request that may have
/// changed users (any method but GET and HEAD under `/api/admin`: users, and tenants, whose
/// deletion changes who administers what), the remembered user rows are forgotten, so that the
/// change counts from the next request on. Whatever the answer: a refused or failed write costs
/// only a read of each user's row, and a user deletion that ends in 503 has already
/// deactivated the user.
pub async fn forget_users_after_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let may_change_users =
        !matches!(*req.method(), Method::GET | Method::HEAD) && is_under(req.path(), "/api/admin");
    let authenticator = match may_change_users {
        true => req.app_data::<web::Data<Authenticator>>().cloned(),
        false => None,
    };
    let response = next.call(req).await;
    if let Some(authenticator) = authenticator {
        authenticator.users_changed();
    }
    response
}

/// Who the request comes from and whom it acts for.
async fn identify(req: &ServiceRequest) -> Result<Authenticated, ApiError> {
    let authenticator = req
        .app_data::<web::Data<Authenticator>>()
        .ok_or_else(|| ApiError::internal("no Authenticator configured"))?
        .clone();
    let caller = authenticator.authenticate(req.headers()).await?;
    // In the extensions before `?user=` is decided, so that the access log names the caller
    // of a refused request too.
    req.extensions_mut().insert(Authenticated {
        caller: caller.clone(),
        on_behalf_of: None,
    });
    // A method the path does not take is answered 405 next (forward, or the route's
    // fallback), whatever `?user=` says: it is not looked up for such a request.
    let wrong_method = req
        .app_data::<web::Data<RouteMethods>>()
        .is_some_and(|routes| routes.refused(req.method(), req.path()).is_some());
    let requested = match wrong_method {
        true => None,
        false => on_behalf::requested_user(req.path(), req.query_string())?,
    }
    .filter(|name| *name != caller.user_name);
    let Some(name) = requested else {
        return Ok(Authenticated {
            caller,
            on_behalf_of: None,
        });
    };
    let subject = authenticator
        .on_behalf(&caller, &name)
        .await
        .inspect_err(|err| {
            log::info!(
                "{} was refused acting on behalf of {name:?} on {} {}: {}",
                describe(&caller),
                req.method(),
                req.path(),
                err.message()
            );
        })?;
    let authenticated = Authenticated {
        caller,
        on_behalf_of: Some(subject),
    };
    log::info!(
        "{} {} {}",
        authenticated.describe(),
        req.method(),
        req.path()
    );
    Ok(authenticated)
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
    fn user_names_are_logged_bounded_and_escaped() {
        assert_eq!(loggable("alice"), "\"alice\"");
        assert_eq!(
            loggable("a\r\nINFO forged\u{202e}"),
            "\"a\\r\\nINFO forged\\u{202e}\""
        );
        let long = loggable(&"x".repeat(10_000));
        assert_eq!(long.len(), 64 + 3 + 2);
    }

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

    #[test]
    fn tokens_are_reused_per_subject_and_actor_while_both_are_unchanged() {
        let pair = internal_auth::generate_key_pair().unwrap();
        let signer =
            TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(60)).unwrap();
        let verifier =
            internal_auth::TokenVerifier::from_pem(pair.public_pem.as_bytes(), Service::OauthApps)
                .unwrap();
        let cache = TokenCache::default();
        let alice = Identity {
            user_id: 7,
            user_name: "alice".into(),
            tenant_id: 2,
            permissions: vec![11],
            administered_tenants: vec![],
        };
        let admin = Identity {
            user_id: 1,
            user_name: "admin".into(),
            tenant_id: 1,
            permissions: vec![12],
            administered_tenants: vec![],
        };
        let own = cache
            .token_for(Service::OauthApps, &alice, None, &signer)
            .unwrap();
        assert_eq!(
            cache
                .token_for(Service::OauthApps, &alice, None, &signer)
                .unwrap(),
            own
        );
        // Each service has tokens of its own.
        let elsewhere = cache.token_for(Service::ClientRegistration, &alice, None, &signer);
        assert_ne!(elsewhere.unwrap(), own);
        let on_behalf = cache
            .token_for(Service::OauthApps, &alice, Some(&admin), &signer)
            .unwrap();
        assert_ne!(on_behalf, own);
        let verified = verifier.verify(&on_behalf).unwrap();
        assert_eq!(
            (verified.subject, verified.actor),
            (alice.clone(), Some(admin.clone()))
        );
        assert_eq!(verifier.verify(&own).unwrap().actor, None);

        // A changed identity on either side is a new token.
        let demoted = Identity {
            permissions: vec![],
            ..admin.clone()
        };
        let after = cache
            .token_for(Service::OauthApps, &alice, Some(&demoted), &signer)
            .unwrap();
        assert_eq!(verifier.verify(&after).unwrap().actor, Some(demoted));
        let moved = Identity {
            tenant_id: 3,
            ..alice.clone()
        };
        let after = cache
            .token_for(Service::OauthApps, &moved, None, &signer)
            .unwrap();
        assert_eq!(verifier.verify(&after).unwrap().subject, moved);
    }

    #[actix_web::test]
    async fn simultaneous_requests_with_one_credential_run_argon2_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = db::DatabaseUrl::sqlite(dir.path().join("gateway.db"));
        let pool =
            db::connect("TEST", &url, crate::MIGRATIONS, db::PoolOptions::default()).unwrap();
        crate::bootstrap::ensure_admin(&pool, "admin", Some("correct-horse")).unwrap();
        let pair = internal_auth::generate_key_pair().unwrap();
        let signer =
            TokenSigner::from_pem(pair.private_pem.as_bytes(), Duration::from_secs(60)).unwrap();
        let auth = Arc::new(Authenticator::new(
            pool,
            signer,
            Duration::from_secs(30),
            Duration::ZERO,
            PasswordChecks::new(4, 64),
        ));
        let basic = |credential: &str| {
            headers(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credential)
            ))
        };

        let requests: Vec<_> = (0..16)
            .map(|_| {
                let (auth, headers) = (auth.clone(), basic("admin:correct-horse"));
                actix_web::rt::spawn(async move { auth.authenticate(&headers).await })
            })
            .collect();
        for request in requests {
            assert!(request.await.unwrap().is_ok());
        }
        assert_eq!(
            auth.argon2_runs(),
            1,
            "one verification, the others waited for it"
        );

        // Failures are not remembered: each wrong attempt is verified (one at a time per
        // credential), and none is admitted.
        let requests: Vec<_> = (0..4)
            .map(|_| {
                let (auth, headers) = (auth.clone(), basic("admin:wrong-horse"));
                actix_web::rt::spawn(async move { auth.authenticate(&headers).await })
            })
            .collect();
        for request in requests {
            assert!(request.await.unwrap().is_err());
        }
        assert_eq!(auth.argon2_runs(), 5);
        assert!(auth.gates.lock().unwrap().is_empty(), "gates are released");
    }
}
