//! The sweeper: expired codes (spent ones an hour after, so that a replay still revokes),
//! expired access and refresh tokens, and grants left without tokens (expired, or revoked
//! piecemeal) go, on every replica, every [`INTERVAL`], at most [`BATCH`] rows of each a
//! statement and [`ROUNDS`] statements a pass, so that a backlog never holds the database
//! for long. An expired code or token is refused by every query whether or not it has been
//! swept: the sweeper only keeps the tables small.

use std::time::Duration;

use db::{run_db, DbPool};

use crate::models::oauth2;

/// How often each replica sweeps.
pub const INTERVAL: Duration = Duration::from_secs(60);
/// Rows of each table deleted at most per statement.
pub const BATCH: i64 = 500;
/// Passes at most per sweep while there is more to delete.
pub const ROUNDS: usize = 10;

/// Sweeps now and every [`INTERVAL`], forever (the server drops it when it stops).
pub async fn run(pool: DbPool) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        sweep_once(&pool).await;
    }
}

/// One sweep: passes until one deletes less than a batch of each, or [`ROUNDS`].
pub async fn sweep_once(pool: &DbPool) -> usize {
    let mut total = 0;
    for _ in 0..ROUNDS {
        let now = chrono::Utc::now().naive_utc();
        match run_db(pool, move |conn| oauth2::sweep(conn, now, BATCH)).await {
            Ok(deleted) => {
                total += deleted;
                if deleted < BATCH as usize {
                    break;
                }
            }
            Err(err) => {
                log::warn!("sweeping expired OAuth codes and tokens failed: {err}");
                break;
            }
        }
    }
    if total > 0 {
        log::info!("removed {total} expired OAuth code(s), token(s) or grant(s)");
    }
    total
}
