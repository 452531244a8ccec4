//! Refreshing a profile's tokens, single flight through the database (docs/connect.md).
//!
//! However many callers on however many replicas want a profile refreshed at once, one of
//! them calls the provider:
//!
//! 1. It takes the profile's refresh lease in one short statement ([`models::claim_refresh`]):
//!    only where no unexpired lease is held.
//! 2. With no database connection held, it reads the application's client credentials from
//!    oauth-apps and sends the `refresh_token` grant to the provider.
//! 3. It stores the new access token, a rotated refresh token and the expiry in one statement
//!    that also bumps `token_version` and frees the lease, only where its lease still holds
//!    (compare and set: [`models::store_refreshed`]). A failure stores no token: it frees the
//!    lease and notes the time (and, for `invalid_grant`, the status).
//!
//! The others poll the row with a growing pause (20 ms to 250 ms) until the version moves
//! (they answer the new tokens), the lease is freed without it (the refresh failed), or the
//! deadline passes (503). The refresh itself runs in a task of its own, so that a caller who
//! hangs up cannot cut it between the provider's answer and the store: a rotated refresh
//! token the provider has issued is always kept.

use std::sync::Arc;
use std::time::{Duration, Instant};

use api_common::ApiError;
use chrono::NaiveDateTime;
use db::{run_db, DbPool};
use internal_auth::Caller;
use oauth_apps_client::OauthAppsClient;
use oauth_profiles_client::ProfileStatus;
use secrets::KeyRing;

use crate::domain::{busy, not_found, provider_app};
use crate::models::{self, Failure, OauthProfile, Owner, Refreshed};
use crate::provider::{Grant, ProviderClient, ProviderError};

/// How long a caller waits for another's refresh at most: the whole answer within 30 s.
pub const WAIT_LIMIT: Duration = Duration::from_secs(30);

/// How long a lease holds: beyond the longest a refresh may take (the provider's deadline,
/// 25 s by default, plus a call to oauth-apps and two short statements), so that a live
/// refresh never loses its lease, and a crashed one frees the profile soon after.
pub const LEASE: Duration = Duration::from_secs(40);

/// An access token valid for less than this is refreshed by `/token`.
pub const MIN_VALIDITY: Duration = Duration::from_secs(60);

/// What a refresh needs besides the database; one per service.
#[derive(Clone)]
pub struct Refresher {
    pub ring: Arc<KeyRing>,
    pub apps: OauthAppsClient,
    pub provider: ProviderClient,
    /// After a failed refresh, how long `/token` answers 503 instead of calling the provider.
    pub backoff: Duration,
}

impl Refresher {
    /// The refresher on the service's pool.
    pub fn on(&self, pool: &DbPool) -> Flight {
        Flight {
            pool: pool.clone(),
            refresher: self.clone(),
        }
    }
}

/// A [`Refresher`] with the pool it works on.
#[derive(Clone)]
pub struct Flight {
    pool: DbPool,
    refresher: Refresher,
}

impl std::ops::Deref for Flight {
    type Target = Refresher;

    fn deref(&self) -> &Refresher {
        &self.refresher
    }
}

/// Why a refresh is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `POST .../refresh`: always tries (after any refresh under way).
    Always,
    /// `GET .../token`: only when the access token is missing or about to expire, and not
    /// during the back-off after a failure.
    IfNeeded,
}

impl Flight {
    /// `caller`'s profile `id` with tokens valid as `mode` asks, refreshed by this request or by
    /// another one under way.
    pub async fn refresh(
        &self,
        caller: &Caller,
        id: i64,
        mode: Mode,
    ) -> Result<OauthProfile, ApiError> {
        let owner = Owner::of(caller);
        let deadline = Instant::now() + WAIT_LIMIT;
        let mut first_version = None;
        let mut pause = Duration::from_millis(20);
        loop {
            let row = run_db(&self.pool, move |conn| models::find(conn, owner, id))
                .await?
                .ok_or_else(|| not_found(id))?;
            let now = chrono::Utc::now().naive_utc();
            let first = *first_version.get_or_insert(row.token_version);
            if row.token_version != first {
                // Another request refreshed it while this one waited.
                return Ok(row);
            }
            if mode == Mode::IfNeeded {
                if row.status() == ProfileStatus::ReauthorizationRequired {
                    return Err(ProviderError::InvalidGrant.into_api_error());
                }
                if is_fresh(&row, now) {
                    return Ok(row);
                }
                if let Some(wait) = self.backing_off(&row, now) {
                    return Err(ApiError::overloaded(
                        "The last refresh of this OAuth profile failed; the provider is not \
                         asked again before the back-off ends",
                        wait,
                    ));
                }
            }
            let leased = row.refresh_lease_until.is_some_and(|until| until > now);
            if !leased {
                let lease = uuid::Uuid::new_v4().to_string();
                let until = now + LEASE;
                let claimed = {
                    let lease = lease.clone();
                    run_db(&self.pool, move |conn| {
                        models::claim_refresh(conn, owner, id, &lease, now, until)
                    })
                    .await?
                };
                if claimed {
                    return self.spawn_refresh(caller.clone(), row, lease).await;
                }
            }
            if Instant::now() + pause > deadline {
                return Err(ApiError::overloaded(
                    "A refresh of this OAuth profile is taking long; try again",
                    Duration::from_secs(1),
                ));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(250));
        }
    }

    /// The time left of the back-off after the last failed refresh, if any.
    fn backing_off(&self, row: &OauthProfile, now: NaiveDateTime) -> Option<Duration> {
        let ends = row.refresh_failed_at? + self.backoff;
        (ends > now).then(|| (ends - now).to_std().unwrap_or(Duration::from_secs(1)))
    }

    /// Runs [`Refresher::run_refresh`] in its own task: a caller who hangs up does not cut it.
    /// The task logs with the request's id and counts its outcome in
    /// `hdp_token_refreshes_total` (docs/operations.md).
    async fn spawn_refresh(
        &self,
        caller: Caller,
        row: OauthProfile,
        lease: String,
    ) -> Result<OauthProfile, ApiError> {
        let refresher = self.clone();
        let scope = telemetry::current_scope();
        let metrics = scope.as_ref().map(|scope| scope.metrics.clone());
        let refresh = async move {
            let (outcome, result) = refresher.run_refresh(&caller, row, lease).await;
            if let Some(metrics) = metrics {
                metrics
                    .token_refreshes
                    .with_label_values(&[outcome.label()])
                    .inc();
            }
            result
        };
        let task = match scope {
            Some(scope) => tokio::spawn(telemetry::scope(scope, refresh)),
            None => tokio::spawn(refresh),
        };
        task.await.map_err(ApiError::internal)?
    }

    /// Steps 2 and 3, holding `lease` on `row`; how it ended, for the metric.
    async fn run_refresh(
        &self,
        caller: &Caller,
        row: OauthProfile,
        lease: String,
    ) -> (RefreshOutcome, Result<OauthProfile, ApiError>) {
        let (outcome, result) = match self.obtain(caller, &row).await {
            Ok(refreshed) => (RefreshOutcome::Success, Ok(refreshed)),
            Err(err) => (RefreshOutcome::of(&err), Err(err)),
        };
        let stored = self.store(caller, row.id, lease, result).await;
        let outcome = match (&stored, outcome) {
            (Err(_), RefreshOutcome::Success) => RefreshOutcome::NotStored,
            (_, outcome) => outcome,
        };
        (outcome, stored)
    }

    /// Step 3: the new tokens stored under `lease` (compare and set), or the failure recorded
    /// and the lease freed.
    async fn store(
        &self,
        caller: &Caller,
        id: i64,
        lease: String,
        obtained: Result<Refreshed, Obtain>,
    ) -> Result<OauthProfile, ApiError> {
        let refreshed = match obtained {
            Ok(refreshed) => refreshed,
            Err(err) => {
                let failure = err.failure();
                let release = run_db(&self.pool, move |conn| {
                    models::release_refresh(conn, id, &lease, failure)
                })
                .await;
                if let Err(release) = release {
                    // The lease then runs out by itself.
                    log::warn!("could not free the refresh lease of OAuth profile {id}: {release}");
                }
                if let Obtain::Provider(err) = &err {
                    log::warn!("refreshing OAuth profile {id} failed: {err:?}");
                }
                return Err(err.into_api_error());
            }
        };
        let ring = self.ring.clone();
        let stored = run_db(&self.pool, move |conn| {
            models::store_refreshed(conn, &ring, id, &lease, &refreshed)
        })
        .await?;
        if !stored {
            log::warn!(
                "the refresh lease of OAuth profile {id} ran out before its tokens were stored"
            );
            return Err(busy());
        }
        log::info!(
            "{} refreshed the tokens of OAuth profile {id}",
            caller.describe()
        );
        let owner = Owner::of(caller);
        run_db(&self.pool, move |conn| models::find(conn, owner, id))
            .await?
            .ok_or_else(|| not_found(id))
    }

    /// The new tokens from the provider, with no connection held.
    async fn obtain(&self, caller: &Caller, row: &OauthProfile) -> Result<Refreshed, Obtain> {
        let refresh_token = row
            .open_refresh_token(&self.ring)
            .map_err(|err| Obtain::Other(err.into()))?;
        let app = provider_app(
            &self.apps,
            caller.token(),
            caller.tenant_id,
            row.oauth_app_id,
        )
        .await
        .map_err(Obtain::Other)?;
        let tokens = self
            .provider
            .token(&app, Grant::RefreshToken(&refresh_token))
            .await
            .map_err(Obtain::Provider)?;
        Ok(Refreshed {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_at: tokens.expires_at,
        })
    }
}

/// How a refresh at the provider ended: the `outcome` label of `hdp_token_refreshes_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefreshOutcome {
    /// New tokens stored.
    Success,
    /// The provider refused the refresh token: the profile needs connecting again.
    InvalidGrant,
    /// No answer from the provider in time.
    Timeout,
    /// The provider failed or refused otherwise (5xx, unreachable, another OAuth error).
    ProviderError,
    /// No call to the provider: the application or the stored token was not usable.
    NotAttempted,
    /// Tokens obtained but not stored (the lease ran out, the database failed).
    NotStored,
}

impl RefreshOutcome {
    fn of(err: &Obtain) -> Self {
        match err {
            Obtain::Provider(ProviderError::InvalidGrant) => RefreshOutcome::InvalidGrant,
            Obtain::Provider(ProviderError::Timeout) => RefreshOutcome::Timeout,
            Obtain::Provider(_) => RefreshOutcome::ProviderError,
            Obtain::Other(_) => RefreshOutcome::NotAttempted,
        }
    }

    fn label(self) -> &'static str {
        match self {
            RefreshOutcome::Success => "success",
            RefreshOutcome::InvalidGrant => "invalid_grant",
            RefreshOutcome::Timeout => "timeout",
            RefreshOutcome::ProviderError => "provider_error",
            RefreshOutcome::NotAttempted => "not_attempted",
            RefreshOutcome::NotStored => "not_stored",
        }
    }
}

/// Why no tokens were obtained.
enum Obtain {
    Provider(ProviderError),
    Other(ApiError),
}

impl Obtain {
    /// What the profile's row records of it.
    fn failure(&self) -> Failure {
        match self {
            Obtain::Provider(ProviderError::InvalidGrant) => Failure::InvalidGrant,
            Obtain::Provider(_) => Failure::Provider,
            Obtain::Other(_) => Failure::Other,
        }
    }

    fn into_api_error(self) -> ApiError {
        match self {
            Obtain::Provider(err) => err.into_api_error(),
            Obtain::Other(err) => err,
        }
    }
}

/// Whether `row`'s access token may be handed out: present, and valid for at least
/// [`MIN_VALIDITY`] more, or of unknown expiry (tokens sent by a caller).
pub fn is_fresh(row: &OauthProfile, now: NaiveDateTime) -> bool {
    row.has_access_token() && row.expires_at.is_none_or(|at| at > now + MIN_VALIDITY)
}
