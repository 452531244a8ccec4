//! Who a request comes from, and whom it acts for.

use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::HeaderMap;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use api_common::ApiError;
use db::{run_db, DbPool};
use hyper::http::HeaderValue;
use internal_auth::{Identity, Service, TokenSigner};
use prometheus::{IntCounter, IntCounterVec, Opts};

use super::basic::{bad_credentials, basic_credentials, loggable};
use super::caches::{bearer_header, CredentialCache, TokenCache, UserCache};
use crate::on_behalf;
use crate::password_checks::PasswordChecks;
use crate::password_slowing::PasswordSlowing;
use identity::users;

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
    /// API's new passwords). Shared with the metrics, which read its state at each scrape.
    password_checks: Arc<PasswordChecks>,
    /// Per-user slowing of bad passwords where people sign in to the authorization server.
    slowing: PasswordSlowing,
    lookups: CacheLookups,
}

/// Lookups in the caches above, by cache and result: `hdp_gateway_cache_lookups_total`.
/// The handles are taken once; counting is one atomic increment.
struct CacheLookups {
    family: IntCounterVec,
    users: HitOrMiss,
    credentials: HitOrMiss,
    tokens: HitOrMiss,
}

struct HitOrMiss {
    hit: IntCounter,
    miss: IntCounter,
}

impl HitOrMiss {
    fn count(&self, hit: bool) {
        match hit {
            true => self.hit.inc(),
            false => self.miss.inc(),
        }
    }
}

impl CacheLookups {
    #[expect(clippy::expect_used, reason = "a constant, valid metric definition")]
    fn new() -> Self {
        let family = IntCounterVec::new(
            Opts::new(
                "hdp_gateway_cache_lookups_total",
                "Lookups in the gateway's caches (users, credentials, tokens), by result.",
            ),
            &["cache", "result"],
        )
        .expect("a valid counter");
        let of = |cache: &str| HitOrMiss {
            hit: family.with_label_values(&[cache, "hit"]),
            miss: family.with_label_values(&[cache, "miss"]),
        };
        CacheLookups {
            users: of("users"),
            credentials: of("credentials"),
            tokens: of("tokens"),
            family,
        }
    }
}

/// Who a public request comes from, as their row is now, and the user they act for with
/// `?user=` (see [`crate::on_behalf`]). Handlers take it as an argument.
///
/// The words are the services' (`internal_auth::Caller`): the *actor* sent the credentials
/// and their permissions apply; the *subject* is the user whose resources are read and
/// written, the actor themself unless they act on behalf of another.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who sent the credentials.
    pub actor: Identity,
    /// The user the request acts for, when the actor may and asked to.
    pub on_behalf_of: Option<Identity>,
}

impl Authenticated {
    /// The user whose resources the request reads and writes.
    pub fn subject(&self) -> &Identity {
        self.on_behalf_of.as_ref().unwrap_or(&self.actor)
    }

    /// The actor when they are not the subject (what an internal token carries as `act`).
    pub fn distinct_actor(&self) -> Option<&Identity> {
        self.on_behalf_of.as_ref().map(|_| &self.actor)
    }

    /// `user 7 ("alice")`, or `user 1 ("admin") on behalf of user 7 ("alice")`, for logs: ids
    /// and names only.
    pub fn describe(&self) -> String {
        let caller = describe(&self.actor);
        match &self.on_behalf_of {
            Some(subject) => format!("{caller} on behalf of {}", describe(subject)),
            None => caller,
        }
    }
}

pub(super) fn describe(identity: &Identity) -> String {
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
            password_checks: Arc::new(password_checks),
            slowing: PasswordSlowing::default(),
            lookups: CacheLookups::new(),
        }
    }

    /// Adds the caches' lookups and the password checks' state to `metrics`.
    pub fn register_metrics(&self, metrics: &telemetry::Metrics) {
        metrics.register(self.lookups.family.clone());
        self.password_checks.register_metrics(metrics);
    }

    /// Where argon2 runs: sign-in checks, and new passwords of the admin API.
    pub fn password_checks(&self) -> &PasswordChecks {
        &self.password_checks
    }

    /// The user named `user_name`, from the [`UserCache`] or else read now.
    async fn find_user(&self, user_name: &str) -> Result<Option<Arc<users::User>>, ApiError> {
        let cached = self.users.get(user_name);
        self.lookups.users.count(cached.is_some());
        match cached {
            Some(user) => Ok(Some(user)),
            // Boxed, as every slow path of a request's credential check: a cache hit is the
            // common case, and the read's future would otherwise make every request's future
            // (moved and boxed whole) larger.
            None => Box::pin(self.read_user(user_name)).await,
        }
    }

    /// The user named `user_name`, read now and remembered.
    async fn read_user(&self, user_name: &str) -> Result<Option<Arc<users::User>>, ApiError> {
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

    /// The user with id `id` as their row is now (within the user cache's bound), if they
    /// exist: how a sign-in session or an OAuth access token, which name a user by id, finds
    /// who it acts for.
    pub async fn find_user_by_id(&self, id: i64) -> Result<Option<Arc<users::User>>, ApiError> {
        let cached = self.users.get_by_id(id);
        self.lookups.users.count(cached.is_some());
        match cached {
            Some(user) => Ok(Some(user)),
            None => Box::pin(self.read_user_by_id(id)).await,
        }
    }

    /// The user with id `id`, read now and remembered.
    async fn read_user_by_id(&self, id: i64) -> Result<Option<Arc<users::User>>, ApiError> {
        let generation = self.users.generation();
        let user = run_db(&self.pool, move |conn| users::find(conn, id))
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
        self.verify(&user_name, secret).await
    }

    /// The user and password of an `Authorization: Basic` header, unchecked (the authorize
    /// endpoint checks them with [`Authenticator::sign_in`]); `None` without such a header.
    pub fn basic_credentials(headers: &HeaderMap) -> Option<Result<(String, String), ApiError>> {
        let scheme = headers
            .get(actix_web::http::header::AUTHORIZATION)?
            .as_bytes()
            .split(|&b| b == b' ')
            .next()?
            .to_ascii_lowercase();
        (scheme == b"basic").then(|| basic_credentials(headers))
    }

    /// A person signing in to the authorization server (the sign-in page, the Basic
    /// authorize, the password grant) with `user_name` and `secret`: checked like Basic
    /// credentials, after the wait the name's recent failures call for
    /// ([`crate::password_slowing`]). 401 when they do not verify.
    pub async fn sign_in(&self, user_name: &str, secret: String) -> Result<Identity, ApiError> {
        self.slowing.wait(user_name).await;
        let checked = self.verify(user_name, secret).await;
        match &checked {
            Ok(_) => self.slowing.succeeded(user_name),
            Err(err) if err.code() == api_common::ErrorCode::Unauthenticated => {
                self.slowing.failed(user_name)
            }
            Err(_) => {}
        }
        checked
    }

    /// The user `user_name` if `secret` is their password and they are active, else 401.
    async fn verify(&self, user_name: &str, secret: String) -> Result<Identity, ApiError> {
        let user_name = user_name.to_owned();
        let user = self.find_user(&user_name).await?;
        let fingerprint = self.credentials.fingerprint(&user_name, &secret);
        if let Some(user) = &user {
            let verified =
                user.active && self.credentials.verified(&fingerprint, &user.password_hash);
            self.lookups.credentials.count(verified);
            if verified {
                return Ok(user.identity());
            }
        }
        Box::pin(self.verify_uncached(user_name, secret, user, fingerprint)).await
    }

    /// [`Authenticator::verify`] of a credential not verified lately: argon2, one run per
    /// credential at a time.
    async fn verify_uncached(
        &self,
        user_name: String,
        secret: String,
        user: Option<Arc<users::User>>,
        fingerprint: [u8; 32],
    ) -> Result<Identity, ApiError> {
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

    /// The `Authorization` value with the internal token that carries `authenticated` to
    /// `service`.
    pub fn token_for(
        &self,
        authenticated: &Authenticated,
        service: Service,
    ) -> Result<HeaderValue, ApiError> {
        let (token, reused) = self.tokens.token_for(
            service,
            authenticated.subject(),
            authenticated.distinct_actor(),
            &self.signer,
        )?;
        self.lookups.tokens.count(reused);
        Ok(token)
    }

    /// The `Authorization` value with the token of a request on an open route of `service` (no
    /// user: the connect callback).
    pub fn open_route_token(&self, service: Service) -> Result<HeaderValue, ApiError> {
        let (token, _) = self.signer.mint_open(service).map_err(ApiError::internal)?;
        bearer_header(&token)
    }

    /// A fresh system token for the gateway's own maintenance calls.
    pub fn system_token(&self) -> Result<String, ApiError> {
        self.signer
            .mint_system()
            .map(|(token, _)| token)
            .map_err(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::basic::headers;
    use base64::Engine;

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
