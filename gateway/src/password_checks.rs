//! The one bounded place where the gateway runs argon2: sign-in checks and the hashing of new
//! passwords share it.
//!
//! argon2 takes 19 MiB and tens of milliseconds a run by design, so memory and CPU under a flood
//! of credentials are bounded here, whatever the traffic:
//! - at most [`PasswordChecks::concurrency`] runs at once: the memory argon2 can hold is that
//!   number times its memory cost (and the binaries' allocator, jemalloc, gives a run's memory
//!   back to the system once it ends);
//! - at most `queue` requests wait for a turn; one more is answered 503 with `Retry-After`
//!   at once, without any hashing ([`ApiError::overloaded`]);
//! - a user name that does not exist costs no hashing at all: the request takes a turn like
//!   any other and holds it for as long as a real verification takes (a running average of
//!   the real ones; the very first such request after start-up, before any real run, makes one
//!   to measure it), so the answer's timing does not tell whether the user exists.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use actix_web::web;
use api_common::ApiError;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::password;

/// How long the caller of a refused request is asked to wait before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Sign-in checks and password hashing, within fixed bounds.
pub struct PasswordChecks {
    permits: Semaphore,
    concurrency: usize,
    /// Requests admitted (running or waiting for a permit), at most `concurrency + queue`.
    admitted: AtomicUsize,
    queue: usize,
    /// How long a verification takes, in microseconds: a running average of the real ones
    /// (0 until the first).
    typical_micros: AtomicU64,
    runs: AtomicU64,
}

/// A request's place among the admitted ones; leaving it frees the place.
struct Admitted<'p>(&'p PasswordChecks);

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        self.0.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl PasswordChecks {
    /// `concurrency` argon2 runs at once (at least one), `queue` requests waiting beyond them.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        PasswordChecks {
            permits: Semaphore::new(concurrency),
            concurrency,
            admitted: AtomicUsize::new(0),
            queue,
            typical_micros: AtomicU64::new(0),
            runs: AtomicU64::new(0),
        }
    }

    /// argon2 runs at once, at most.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// How many argon2 runs this gateway has made (cache hits and unknown users make none).
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    /// Whether `secret` is the password `hash` was made from; `None` for a user who does not
    /// exist: no hashing, the same wait. 503 when too many requests are waiting already.
    pub async fn verify(&self, secret: String, hash: Option<String>) -> Result<bool, ApiError> {
        let _admitted = self.admit()?;
        let _permit = self.turn().await?;
        let Some(hash) = hash else {
            match self.typical() {
                // Not measured yet (no check since start-up): one real run measures it, and
                // takes as long as a check does. Not at start-up, which it would slow down
                // and leave 19 MiB more to give back.
                unmeasured if unmeasured.is_zero() => {
                    self.runs.fetch_add(1, Ordering::Relaxed);
                    let started = Instant::now();
                    web::block(|| password::hash(&password::generate(24)))
                        .await
                        .map_err(ApiError::internal)?
                        .map_err(|e| ApiError::internal(format!("cannot hash: {e}")))?;
                    self.record(started.elapsed());
                }
                typical => tokio::time::sleep(typical).await,
            }
            return Ok(false);
        };
        self.runs.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let matches = web::block(move || password::verify(&secret, &hash))
            .await
            .map_err(ApiError::internal)?;
        self.record(started.elapsed());
        Ok(matches)
    }

    /// The PHC string of a new password, within the same bounds as sign-in checks.
    pub async fn hash(&self, secret: String) -> Result<String, ApiError> {
        let _admitted = self.admit()?;
        let _permit = self.turn().await?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        web::block(move || password::hash(&secret))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::internal(format!("cannot hash a password: {e}")))
    }

    /// A place among the admitted requests, or 503 when every place is taken.
    fn admit(&self) -> Result<Admitted<'_>, ApiError> {
        let limit = self.concurrency + self.queue;
        let previous = self.admitted.fetch_add(1, Ordering::AcqRel);
        let admitted = Admitted(self);
        if previous >= limit {
            return Err(ApiError::overloaded(
                "Too many sign-ins and password changes are being checked at this time",
                RETRY_AFTER,
            ));
        }
        Ok(admitted)
    }

    async fn turn(&self) -> Result<SemaphorePermit<'_>, ApiError> {
        self.permits.acquire().await.map_err(ApiError::internal)
    }

    fn typical(&self) -> Duration {
        Duration::from_micros(self.typical_micros.load(Ordering::Relaxed))
    }

    /// Folds one real run's duration into the average (one eighth each).
    fn record(&self, took: Duration) {
        let took = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let _ = self
            .typical_micros
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |typical| {
                Some(match typical {
                    0 => took,
                    _ => typical - typical / 8 + took / 8,
                })
            });
    }

    /// Requests admitted now, running or waiting.
    #[cfg(test)]
    fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use api_common::ErrorCode;

    use super::*;

    #[actix_web::test]
    async fn beyond_the_queue_requests_are_refused_at_once_and_unknown_users_cost_no_hashing() {
        // Before any real run, an unknown user's check makes one, to measure it.
        let fresh = PasswordChecks::new(1, 2);
        assert!(!fresh.verify("anything".into(), None).await.unwrap());
        assert_eq!(fresh.runs(), 1);
        assert!(!fresh.verify("anything".into(), None).await.unwrap());
        assert_eq!(fresh.runs(), 1, "measured once");

        let checks = Arc::new(PasswordChecks::new(1, 2));
        let hash = password::hash("right password").unwrap();
        assert!(checks
            .verify("right password".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!checks
            .verify("wrong".into(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!checks.verify("anything".into(), None).await.unwrap());
        assert_eq!(checks.runs(), 2, "an unknown user costs no argon2 run");

        // One running and two waiting fill every place: the next ones are refused at once.
        let busy: Vec<_> = (0..3)
            .map(|n| {
                let (checks, hash) = (checks.clone(), hash.clone());
                actix_web::rt::spawn(async move {
                    checks.verify(format!("wrong {n}"), Some(hash)).await
                })
            })
            .collect();
        while checks.admitted() < 3 {
            tokio::task::yield_now().await;
        }
        for _ in 0..10 {
            let refused = checks.hash("new password".into()).await.unwrap_err();
            assert_eq!(refused.code(), ErrorCode::ServiceUnavailable);
            let refused = checks.verify("x".into(), None).await.unwrap_err();
            assert_eq!(refused.code(), ErrorCode::ServiceUnavailable);
        }
        assert_eq!(
            checks.admitted(),
            3,
            "a refused request leaves no place taken"
        );
        for request in busy {
            assert!(!request.await.unwrap().unwrap());
        }
        assert_eq!(checks.admitted(), 0);
        assert!(checks.hash("new password".into()).await.is_ok());
    }
}
