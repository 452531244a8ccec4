//! Slowing of repeated bad client credentials, per client application.
//!
//! A client secret is 256 random bits: guessing one is hopeless, however fast. What this
//! bounds is the work an attacker can make the service do for one client, and it follows the
//! product's rule for every credential (the gateway slows bad passwords the same way):
//!
//! - Failures are counted per client application (only a client id that exists is counted,
//!   so nobody can fill the table with made-up ids), in a window of [`WINDOW`] (15 minutes)
//!   from the first failure.
//! - After [`FREE_FAILURES`] (5) failures in the window, every further attempt for that
//!   client, right or wrong, waits for its turn before its secret is checked: turns are spaced
//!   250 ms after the 6th failure, doubling with each further failure up to [`MAX_DELAY`]
//!   (4 s), so an attacker, however many requests they send at once, gets about one guess per
//!   spacing; and no attempt ever waits longer than [`MAX_DELAY`].
//! - A success resets the client's count. Nothing is ever locked: the rightful client, with
//!   its right secret, is at worst [`MAX_DELAY`] slower while an attack lasts.
//! - At most [`MAX_ENTRIES`] (10,000) clients are tracked; when full, the entries whose window
//!   has passed go, and then the one with the oldest failure. Memory stays bounded whatever
//!   is sent.
//!
//! Each replica counts on its own: N replicas allow N times the rate; with 256-bit secrets
//! that is of no consequence.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The window in which failures are counted.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed in the window before attempts are slowed.
pub const FREE_FAILURES: u32 = 5;
/// The first spacing, after [`FREE_FAILURES`] + 1 failures.
pub const FIRST_DELAY: Duration = Duration::from_millis(250);
/// The longest spacing and the longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(4);
/// The most clients tracked at once.
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    first_failure: Instant,
    last_failure: Instant,
    /// When the next slowed attempt may be checked.
    next_turn: Instant,
}

/// The failure counts of clients; one per process.
#[derive(Debug, Default)]
pub struct ClientLimiter {
    entries: Mutex<HashMap<i64, Entry>>,
}

impl ClientLimiter {
    pub fn new() -> Self {
        ClientLimiter::default()
    }

    /// How long an attempt for `client_app_id` must wait before its secret is checked (zero
    /// unless the client is being slowed); books the attempt's turn.
    pub fn wait(&self, client_app_id: i64) -> Duration {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = entries.get_mut(&client_app_id) else {
            return Duration::ZERO;
        };
        if now.duration_since(entry.first_failure) > WINDOW {
            entries.remove(&client_app_id);
            return Duration::ZERO;
        }
        if entry.failures <= FREE_FAILURES {
            return Duration::ZERO;
        }
        let turn = entry.next_turn.max(now).min(now + MAX_DELAY);
        entry.next_turn = turn + spacing(entry.failures);
        turn.duration_since(now)
    }

    /// Counts a failed attempt for `client_app_id`.
    pub fn failed(&self, client_app_id: i64) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if !entries.contains_key(&client_app_id) && entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| now.duration_since(e.first_failure) <= WINDOW);
            if entries.len() >= MAX_ENTRIES {
                let oldest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.last_failure)
                    .map(|(id, _)| *id);
                if let Some(oldest) = oldest {
                    entries.remove(&oldest);
                }
            }
        }
        let entry = entries.entry(client_app_id).or_insert(Entry {
            failures: 0,
            first_failure: now,
            last_failure: now,
            next_turn: now,
        });
        if now.duration_since(entry.first_failure) > WINDOW {
            *entry = Entry {
                failures: 0,
                first_failure: now,
                last_failure: now,
                next_turn: now,
            };
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        if entry.failures > FREE_FAILURES {
            log::warn!(
                "client application {client_app_id}: {} bad client secrets in {} minutes; \
                 its attempts are slowed",
                entry.failures,
                WINDOW.as_secs() / 60
            );
        }
    }

    /// A successful attempt: the client's count starts over.
    pub fn succeeded(&self, client_app_id: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.remove(&client_app_id);
    }

    /// How many clients are tracked (tests).
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The spacing of turns after `failures` failures: 250 ms after the 6th, doubling, at most
/// [`MAX_DELAY`].
fn spacing(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(FREE_FAILURES + 1).min(16);
    FIRST_DELAY.saturating_mul(1u32 << doublings).min(MAX_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_are_free_then_turns_are_spaced_and_a_success_resets() {
        let limiter = ClientLimiter::new();
        for _ in 0..FREE_FAILURES {
            assert_eq!(limiter.wait(7), Duration::ZERO);
            limiter.failed(7);
        }
        assert_eq!(limiter.wait(7), Duration::ZERO);
        limiter.failed(7);
        // Slowed now: the first attempt goes at once, the next waits a spacing.
        assert_eq!(limiter.wait(7), Duration::ZERO);
        let second = limiter.wait(7);
        assert!(
            second > Duration::from_millis(200) && second <= FIRST_DELAY,
            "{second:?}"
        );
        // Many at once never wait longer than the cap.
        for _ in 0..100 {
            assert!(limiter.wait(7) <= MAX_DELAY);
        }
        // Other clients are not affected.
        assert_eq!(limiter.wait(8), Duration::ZERO);
        limiter.succeeded(7);
        assert_eq!(limiter.wait(7), Duration::ZERO);
        assert!(limiter.is_empty());
    }

    #[test]
    fn spacing_doubles_up_to_the_cap() {
        assert_eq!(spacing(6), Duration::from_millis(250));
        assert_eq!(spacing(7), Duration::from_millis(500));
        assert_eq!(spacing(9), Duration::from_secs(2));
        assert_eq!(spacing(10), MAX_DELAY);
        assert_eq!(spacing(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn the_table_stays_bounded() {
        let limiter = ClientLimiter::new();
        for id in 0..(MAX_ENTRIES as i64 + 50) {
            limiter.failed(id);
        }
        assert_eq!(limiter.len(), MAX_ENTRIES);
    }
}
