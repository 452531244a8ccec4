//! The sweeper: applications left `deleting` or `moving` by a delete or move that never
//! finished (its replica died, or it lost its database between two steps) go back to live
//! once their hold is older than [`HOLD_LIMIT`] (docs/consistency.md, I1).

use std::time::Duration;

use db::{run_db, DbPool};

use crate::models;

/// How often each replica sweeps.
pub const INTERVAL: Duration = Duration::from_secs(10);

/// How old a hold must be before it is taken back: well beyond what a delete or move may take
/// between its first and last step (a peer call of at most the 10 s peer timeout, sent at most
/// twice, and three short statements).
pub const HOLD_LIMIT: Duration = Duration::from_secs(60);

/// Sweeps now and every [`INTERVAL`], forever (the server drops it when it stops).
pub async fn run(pool: DbPool) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let cutoff = chrono::Utc::now().naive_utc() - HOLD_LIMIT;
        match run_db(&pool, move |conn| models::release_stale(conn, cutoff)).await {
            Ok(0) => {}
            Ok(n) => log::warn!("took back {n} OAuth application(s) left deleting or moving"),
            Err(err) => log::warn!("sweeping OAuth applications failed: {err}"),
        }
    }
}
