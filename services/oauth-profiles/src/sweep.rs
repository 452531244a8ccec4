//! The sweeper: profiles left pending, and pending links, by a create or update that never
//! finished (its replica died, or it lost its database between two steps) go once they are
//! older than [`PENDING_LIMIT`] (docs/consistency.md, I1). Expired connect states go too
//! (docs/connect.md).

use std::time::Duration;

use db::{run_db, DbPool};

use crate::models;

/// How often each replica sweeps.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// How old a pending profile or link must be before it goes: well beyond what a create or
/// update may take between its first and last step (a peer call of at most the 10 s peer
/// timeout, sent at most twice, and a few short statements).
pub const PENDING_LIMIT: Duration = Duration::from_secs(60);

/// Sweeps now and every [`INTERVAL`], forever (the server drops it when it stops).
pub async fn run(pool: DbPool) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let cutoff = chrono::Utc::now().naive_utc() - PENDING_LIMIT;
        match run_db(&pool, move |conn| models::sweep_pending(conn, cutoff)).await {
            Ok(0) => {}
            Ok(n) => log::warn!("removed {n} pending OAuth profile(s) or link(s) left behind"),
            Err(err) => log::warn!("sweeping OAuth profiles failed: {err}"),
        }
        let now = chrono::Utc::now().naive_utc();
        match run_db(&pool, move |conn| models::sweep_states(conn, now)).await {
            Ok(0) => {}
            Ok(n) => log::info!("removed {n} expired connect state(s)"),
            Err(err) => log::warn!("sweeping connect states failed: {err}"),
        }
    }
}
