//! Per-user slowing of bad passwords where people sign in to the authorization server: the
//! sign-in page, the Basic-credential authorize and the password grant.
//!
//! Each user name (as typed, known or not, so that the answers do not tell which names exist)
//! has a count of recent failures. The first [`FREE_FAILURES`] cost nothing; after that, an
//! attempt for that name waits, before its password is checked, until [`delay`] has passed
//! since the last failure: 0.5 s after the fourth failure, doubling with each further one, at
//! most [`MAX_DELAY`] (8 s). The count decays by one every [`DECAY`] (one minute) without a
//! failure, and a success clears it. So a guesser gets a few tries a minute per name, while the
//! real user, even during an attack on their name, never waits more than 8 s and is never
//! locked out; argon2 itself stays bounded by [`crate::password_checks`] for all names
//! together.
//!
//! Memory is bounded: at most [`crate::auth`]'s cache size of names; when full, names whose
//! count no longer slows anything go first, then all (someone who fills the map with 10 000
//! names, each through a full password check, only resets the slowing).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::auth::make_room;

/// Failures of a name that cost no wait.
pub const FREE_FAILURES: u32 = 3;
/// The wait after the first failure past the free ones; it doubles with each further one.
pub const FIRST_DELAY: Duration = Duration::from_millis(500);
/// The longest wait.
pub const MAX_DELAY: Duration = Duration::from_secs(8);
/// How long without a failure makes a name's count one smaller.
pub const DECAY: Duration = Duration::from_secs(60);
/// Longest user name kept as typed (longer ones are kept cut): bounds the memory of a key.
const NAME_KEPT: usize = 256;

/// How long an attempt waits after `failures` recent failures.
pub fn delay(failures: u32) -> Duration {
    match failures.checked_sub(FREE_FAILURES) {
        None | Some(0) => Duration::ZERO,
        Some(past) => FIRST_DELAY
            .saturating_mul(1 << (past - 1).min(16))
            .min(MAX_DELAY),
    }
}

/// Recent failures per user name.
#[derive(Default)]
pub struct PasswordSlowing {
    names: Mutex<HashMap<String, Failures>>,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// The count as it is now, after its decay.
    fn now(&self) -> u32 {
        let decayed = self.last.elapsed().as_secs() / DECAY.as_secs();
        self.count
            .saturating_sub(u32::try_from(decayed).unwrap_or(u32::MAX))
    }
}

fn key(user_name: &str) -> String {
    user_name.chars().take(NAME_KEPT).collect()
}

impl PasswordSlowing {
    /// How long an attempt for `user_name` must still wait before its password is checked.
    pub fn wait_for(&self, user_name: &str) -> Duration {
        let names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        names
            .get(&key(user_name))
            .map_or(Duration::ZERO, |failures| {
                delay(failures.now()).saturating_sub(failures.last.elapsed())
            })
    }

    /// Waits as long as [`Self::wait_for`] says.
    pub async fn wait(&self, user_name: &str) {
        let wait = self.wait_for(user_name);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// A wrong password (or an unknown or inactive user) for `user_name`.
    pub fn failed(&self, user_name: &str) {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        make_room(&mut names, |failures| failures.now() <= FREE_FAILURES);
        let entry = names.entry(key(user_name)).or_insert(Failures {
            count: 0,
            last: Instant::now(),
        });
        entry.count = entry.now().saturating_add(1);
        entry.last = Instant::now();
    }

    /// The right password for `user_name`: its failures are forgotten.
    pub fn succeeded(&self, user_name: &str) {
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key(user_name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_failures_are_free_then_the_wait_doubles_up_to_its_cap() {
        let waits: Vec<u64> = (0..12).map(|n| delay(n).as_millis() as u64).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 0, 500, 1000, 2000, 4000, 8000, 8000, 8000, 8000]
        );
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn failures_slow_one_name_only_and_a_success_clears_them() {
        let slowing = PasswordSlowing::default();
        for _ in 0..FREE_FAILURES {
            slowing.failed("alice");
        }
        assert_eq!(slowing.wait_for("alice"), Duration::ZERO);
        slowing.failed("alice");
        let wait = slowing.wait_for("alice");
        assert!(
            wait > Duration::from_millis(400) && wait <= FIRST_DELAY,
            "{wait:?}"
        );
        assert_eq!(slowing.wait_for("bob"), Duration::ZERO);
        slowing.succeeded("alice");
        assert_eq!(slowing.wait_for("alice"), Duration::ZERO);
    }

    #[test]
    fn counts_decay_with_time() {
        let failures = Failures {
            count: 6,
            last: Instant::now() - DECAY * 2 - Duration::from_secs(1),
        };
        assert_eq!(failures.now(), 4);
    }
}
