//! User deletions carried out as durable work (docs/consistency.md, I2).
//!
//! `DELETE /api/admin/users/{id}` records the deletion with the user's deactivation
//! (`identity::deletions::request`) and tries [`Deletions::carry_out`] at once. Whatever it
//! could not finish, the [`worker`] of every replica finishes: every [`TICK`] it takes the due
//! deletions under a lease, asks both services to purge the user, records each confirmation,
//! and deletes the user once both are in. A replica is named by its host and port, so that
//! after a restart it takes back at once what its earlier run held instead of waiting for the
//! lease to expire.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use api_common::ApiError;
use db::DbPool;
use identity::deletions::{self, Purge};

use crate::admin::OwnerPurge;
use crate::auth::Authenticator;

/// How often a replica looks for due deletions.
pub const TICK: Duration = Duration::from_secs(2);
/// How long a taken deletion is left to its holder: longer than both purges take at their
/// timeouts in the usual case. A holder that outlives it does no harm (the purges are
/// idempotent, and the user is deleted only once both are confirmed), it only works twice.
pub const LEASE: Duration = Duration::from_secs(30);
/// Deletions taken per tick, at most.
const BATCH: i64 = 16;

/// What carries deletions out: the gateway's database and the two services.
#[derive(Clone)]
pub struct Deletions {
    pool: DbPool,
    authenticator: Arc<Authenticator>,
    purge: OwnerPurge,
    holder: Arc<str>,
}

impl Deletions {
    /// `holder` names this replica in the leases it takes.
    pub fn new(
        pool: DbPool,
        authenticator: Arc<Authenticator>,
        purge: OwnerPurge,
        holder: String,
    ) -> Self {
        Deletions {
            pool,
            authenticator,
            purge,
            holder: holder.into(),
        }
    }

    /// The name of this replica in leases.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Carries out the deletion of user `id`, which this replica holds: the purges not yet
    /// confirmed, then the user. `Ok(true)` when the deletion is complete (or was already),
    /// `Ok(false)` when it cannot be completed now; `Err` when a service could not be reached.
    pub async fn carry_out(&self, id: i64) -> Result<bool, ApiError> {
        let Some(deletion) = identity::run(&self.pool, move |conn| {
            deletions::find(conn, id).map_err(identity::IdentityError::from)
        })
        .await?
        else {
            return Ok(true);
        };
        if !deletion.profiles_purged {
            let rows = self
                .with_retries(|token| async move {
                    self.purge.oauth_profiles.purge_owner(&token, id).await
                })
                .await?;
            self.confirm(id, Purge::Profiles).await?;
            log::info!("user {id}: {rows} OAuth profile(s) purged");
        }
        if !deletion.registrations_purged {
            let rows = self
                .with_retries(|token| async move {
                    self.purge.client_registration.purge_owner(&token, id).await
                })
                .await?;
            self.confirm(id, Purge::Registrations).await?;
            log::info!("user {id}: {rows} client application(s) purged");
        }
        let done = identity::run(&self.pool, move |conn| deletions::finish(conn, id)).await?;
        if done {
            self.authenticator.users_changed();
            log::info!("user {id} deleted");
        }
        Ok(done)
    }

    /// Gives the deletion of user `id` back, to be taken again after `retry_in`.
    pub async fn release(&self, id: i64, retry_in: Duration) -> Result<(), ApiError> {
        let holder = self.holder.clone();
        identity::run(&self.pool, move |conn| {
            deletions::release(conn, id, &holder, retry_in).map_err(identity::IdentityError::from)
        })
        .await
        .map_err(ApiError::from)
    }

    async fn confirm(&self, id: i64, purge: Purge) -> Result<(), ApiError> {
        identity::run(&self.pool, move |conn| {
            deletions::confirm(conn, id, purge).map_err(identity::IdentityError::from)
        })
        .await
        .map_err(ApiError::from)
    }

    /// A purge, tried three times with growing pauses (a peer restarting, a connection closed
    /// under it); each with a fresh system token.
    async fn with_retries<F, Fut>(&self, purge: F) -> Result<u64, ApiError>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<u64, api_common::peer::PeerError>>,
    {
        let mut pause = Duration::from_millis(100);
        let mut attempt = 1;
        loop {
            let token = self.authenticator.system_token()?;
            match purge(token).await {
                Ok(rows) => return Ok(rows),
                Err(err) if attempt < 3 => {
                    log::debug!("a purge failed ({err}); trying again in {pause:?}");
                }
                Err(err) => return Err(err.into()),
            }
            tokio::time::sleep(pause).await;
            pause *= 3;
            attempt += 1;
        }
    }

    /// One pass: takes the due deletions (on the first pass, also those this replica's name
    /// held before a restart) and carries each out. `failures` counts the passes each has failed
    /// in a row, for the backoff.
    async fn pass(&self, first: bool, failures: &mut HashMap<i64, u32>) -> Result<(), ApiError> {
        let reclaim = first.then(|| self.holder.clone());
        let due = identity::run(&self.pool, move |conn| {
            deletions::due(conn, BATCH, reclaim.as_deref()).map_err(identity::IdentityError::from)
        })
        .await?;
        for id in due {
            let holder = self.holder.clone();
            let taken = identity::run(&self.pool, move |conn| {
                deletions::take(conn, id, &holder, LEASE, first)
                    .map_err(identity::IdentityError::from)
            })
            .await?;
            if !taken {
                continue;
            }
            match self.carry_out(id).await {
                Ok(true) => {
                    failures.remove(&id);
                }
                outcome => {
                    let failed = failures.entry(id).or_insert(0);
                    *failed += 1;
                    let retry_in = backoff(*failed);
                    if let Err(err) = outcome {
                        log::warn!(
                            "deleting user {id} failed ({err}); trying again in {retry_in:?}"
                        );
                    }
                    self.release(id, retry_in).await?;
                }
            }
        }
        Ok(())
    }
}

/// The pause before a deletion that failed `failures` times in a row is taken again: 1 s,
/// doubled each time, at most 16 s.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1 << failures.saturating_sub(1).min(4))
}

/// Runs deletions every [`TICK`] for as long as `alive` (something the server holds) lives:
/// the worker stops with the server.
pub async fn worker<T: Send + Sync>(deletions: Deletions, alive: Weak<T>) {
    let mut failures = HashMap::new();
    let mut first = true;
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if alive.strong_count() == 0 {
            log::debug!("the server stopped: so does the deletion worker");
            return;
        }
        match deletions.pass(first, &mut failures).await {
            Ok(()) => first = false,
            Err(err) => log::warn!("the deletion worker could not look for work: {err}"),
        }
    }
}
