//! User deletions and tenant purges carried out as durable work (docs/consistency.md, I2 and
//! tenant deletion).
//!
//! `DELETE /api/admin/users/{id}` records the deletion with the user's deactivation
//! (`identity::deletions::request`) and tries [`Deletions::carry_out`] at once;
//! `DELETE /api/admin/tenants/{id}` records the purge of the tenant's OAuth applications with
//! the tenant's deletion and tries [`Deletions::purge_tenant`] at once. Whatever they could not
//! finish, the [`worker`] of every replica finishes: every [`TICK`] it takes the due work under
//! a lease, asks the services to purge, records each confirmation, and deletes the user once
//! both purges are in (the tenant's record once oauth-apps confirms). A replica is named by its
//! host and port, so that after a restart it takes back at once what its earlier run held
//! instead of waiting for the lease to expire.

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use api_common::ApiError;
use db::DbPool;
use identity::deletions::{self, Purge};
use identity::tenant_purges;
use tokio::time::Instant;

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

    /// Carries out the purge of deleted tenant `id`'s OAuth applications, which this replica
    /// holds: oauth-apps purges them under a tombstone, then the record goes. `Err` when
    /// oauth-apps could not be reached.
    pub async fn purge_tenant(&self, id: i64) -> Result<bool, ApiError> {
        let rows = self
            .with_retries(
                |token| async move { self.purge.oauth_apps.purge_tenant(&token, id).await },
            )
            .await?;
        identity::run(&self.pool, move |conn| {
            tenant_purges::done(conn, id).map_err(identity::IdentityError::from)
        })
        .await?;
        log::info!("deleted tenant {id}: {rows} OAuth application(s) purged");
        Ok(true)
    }

    /// Gives the deletion of user `id` back, to be taken again after `retry_in`.
    pub async fn release(&self, id: i64, retry_in: Duration) -> Result<(), ApiError> {
        self.give_back(Work::UserDeletion, id, retry_in).await
    }

    /// Gives `work` on `id` back, to be taken again after `retry_in`.
    pub async fn give_back(&self, work: Work, id: i64, retry_in: Duration) -> Result<(), ApiError> {
        let holder = self.holder.clone();
        identity::run(&self.pool, move |conn| {
            match work {
                Work::UserDeletion => deletions::release(conn, id, &holder, retry_in),
                Work::TenantPurge => tenant_purges::release(conn, id, &holder, retry_in),
            }
            .map_err(identity::IdentityError::from)
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

    /// One pass: takes the due work of both kinds (on the first pass, also what this replica's
    /// name held before a restart) and carries each out. `failures` remembers the work this
    /// replica failed, for the backoff and so that it leaves the work to the others first.
    async fn pass(
        &self,
        first: bool,
        failures: &mut HashMap<(Work, i64), Failed>,
    ) -> Result<(), ApiError> {
        for work in [Work::UserDeletion, Work::TenantPurge] {
            let reclaim = first.then(|| self.holder.clone());
            let due = identity::run(&self.pool, move |conn| {
                match work {
                    Work::UserDeletion => deletions::due(conn, BATCH, reclaim.as_deref()),
                    Work::TenantPurge => tenant_purges::due(conn, BATCH, reclaim.as_deref()),
                }
                .map_err(identity::IdentityError::from)
            })
            .await?;
            for id in due {
                // Work this replica failed is left to the others for one tick after it is due
                // again (this replica may be the one that cannot reach the service); taken
                // here only if none of them did.
                if failures
                    .get(&(work, id))
                    .is_some_and(|failed| Instant::now() < failed.others_first_until)
                {
                    continue;
                }
                let holder = self.holder.clone();
                let taken = identity::run(&self.pool, move |conn| {
                    match work {
                        Work::UserDeletion => deletions::take(conn, id, &holder, LEASE, first),
                        Work::TenantPurge => tenant_purges::take(conn, id, &holder, LEASE, first),
                    }
                    .map_err(identity::IdentityError::from)
                })
                .await?;
                if !taken {
                    continue;
                }
                let outcome = match work {
                    Work::UserDeletion => self.carry_out(id).await,
                    Work::TenantPurge => self.purge_tenant(id).await,
                };
                if let Ok(true) = outcome {
                    failures.remove(&(work, id));
                    continue;
                }
                let failed = failures.entry((work, id)).or_insert(Failed {
                    times: 0,
                    others_first_until: Instant::now(),
                });
                failed.times += 1;
                let retry_in = backoff(failed.times);
                failed.others_first_until = Instant::now() + retry_in + TICK;
                if let Err(err) = outcome {
                    log::warn!("{work} {id} failed ({err}); trying again in {retry_in:?}");
                }
                self.give_back(work, id, retry_in).await?;
            }
        }
        Ok(())
    }
}

/// Work this replica failed: how many passes in a row, and until when it leaves the work to
/// the other replicas.
#[derive(Debug, Clone, Copy)]
struct Failed {
    times: u32,
    others_first_until: Instant,
}

/// The kinds of durable work the worker carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Work {
    /// `identity::deletions`: a user's rows in both services, then the user.
    UserDeletion,
    /// `identity::tenant_purges`: a deleted tenant's OAuth applications.
    TenantPurge,
}

impl std::fmt::Display for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Work::UserDeletion => "deleting user",
            Work::TenantPurge => "purging the applications of tenant",
        })
    }
}

/// The pause before a deletion that failed `failures` times in a row is taken again: 1 s,
/// doubled each time, at most 16 s.
pub fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1 << failures.saturating_sub(1).min(4))
}

/// How many ticks apart the worker purges expired sign-in sessions (about once a minute).
const SESSION_PURGE_TICKS: u32 = 30;

/// Runs deletions every [`TICK`] for as long as `alive` (something the server holds) lives:
/// the worker stops with the server. Now and then it also purges expired sign-in sessions
/// ([`crate::oauth2::sessions`]); every replica may, and a purge is one `DELETE`.
pub async fn worker<T: Send + Sync>(deletions: Deletions, alive: Weak<T>) {
    let mut failures = HashMap::new();
    let mut first = true;
    let mut ticks_since_purge = 0;
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
        ticks_since_purge += 1;
        if ticks_since_purge >= SESSION_PURGE_TICKS {
            ticks_since_purge = 0;
            match crate::oauth2::sessions::purge_expired(&deletions.pool).await {
                Ok(0) => {}
                Ok(purged) => log::info!("{purged} expired sign-in session(s) purged"),
                Err(err) => log::warn!("expired sign-in sessions could not be purged: {err}"),
            }
        }
    }
}
