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
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web;
use api_common::ApiError;
use prometheus::{IntCounter, IntGauge};
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
    /// Requests answered 503 because every place was taken.
    refused: AtomicU64,
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
            refused: AtomicU64::new(0),
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
            self.refused.fetch_add(1, Ordering::Relaxed);
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

    /// argon2 runs (or their stand-ins for unknown users) going on now.
    pub fn in_flight(&self) -> usize {
        self.concurrency - self.permits.available_permits()
    }

    /// Requests waiting for a turn now.
    pub fn queued(&self) -> usize {
        self.admitted
            .load(Ordering::Acquire)
            .saturating_sub(self.in_flight())
    }

    /// Adds the checks' state to `metrics`, read at each scrape: nothing is counted twice on
    /// the path of a sign-in.
    #[expect(clippy::expect_used, reason = "constant, valid metric definitions")]
    pub fn register_metrics(self: &Arc<Self>, metrics: &telemetry::Metrics) {
        let gauge = |name: &str, help: &str| {
            let gauge = IntGauge::new(name, help).expect("a valid gauge");
            metrics.register(gauge.clone());
            gauge
        };
        let counter = |name: &str, help: &str| {
            let counter = IntCounter::new(name, help).expect("a valid counter");
            metrics.register(counter.clone());
            counter
        };
        let in_flight = gauge(
            "hdp_gateway_password_checks_in_flight",
            "argon2 runs (sign-in checks, new passwords) going on now.",
        );
        let queued = gauge(
            "hdp_gateway_password_checks_queued",
            "Requests waiting for an argon2 run now.",
        );
        let runs = counter(
            "hdp_gateway_password_checks_total",
            "argon2 runs made (a cached credential or an unknown user makes none).",
        );
        let refused = counter(
            "hdp_gateway_password_checks_refused_total",
            "Requests answered 503 because every place in the password checks' queue was taken.",
        );
        let checks = Arc::downgrade(self);
        metrics.on_scrape(move || {
            let Some(checks) = checks.upgrade() else {
                return;
            };
            in_flight.set(i64::try_from(checks.in_flight()).unwrap_or(i64::MAX));
            queued.set(i64::try_from(checks.queued()).unwrap_or(i64::MAX));
            // Scrapes run one at a time: the counters catch up with the checks' own.
            runs.inc_by(checks.runs().saturating_sub(runs.get()));
            refused.inc_by(
                checks
                    .refused
                    .load(Ordering::Relaxed)
                    .saturating_sub(refused.get()),
            );
        });
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
