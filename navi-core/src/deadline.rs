//! The one way navi bounds an operation in time: a [`Deadline`] is handed to the
//! operation (a poll, an action, a remote step) and enforced here, as tower's `Timeout`
//! layer does for a service. Every `timeout` in navi goes through [`Deadline::run`] or
//! [`Deadline::bound`]; the durations themselves live in [`crate::limits`].
//!
//! A deadline is an instant plus the budget it was made from, so an operation that runs
//! out can say "timed out after 10s" even when it started a few microseconds late, and a
//! step inside the operation can take [`Deadline::sooner`] for a shorter wait of its own
//! without outliving the whole.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::{Detail, SourceError};

/// Until when an operation may run, and the budget that deadline was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    at: Instant,
    budget: Duration,
}

/// The operation did not finish before its deadline (it was dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed;

impl Deadline {
    /// `budget` from now.
    pub fn after(budget: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + budget,
            budget,
        }
    }

    /// At `at`, reporting `budget` as the time allowed.
    pub fn at(at: Instant, budget: Duration) -> Deadline {
        Deadline { at, budget }
    }

    /// The instant it passes.
    pub fn instant(&self) -> Instant {
        self.at
    }

    /// The time the operation was given (for "timed out after ..." messages).
    pub fn budget(&self) -> Duration {
        self.budget
    }

    /// The time left (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.at
    }

    /// A deadline `limit` from now, or this one if it comes first: a step's own shorter
    /// wait that never outlives the operation it belongs to.
    pub fn sooner(self, limit: Duration) -> Deadline {
        let own = Instant::now() + limit;
        if own < self.at {
            Deadline {
                at: own,
                budget: limit,
            }
        } else {
            self
        }
    }

    /// Halfway between now and the deadline (the budget reported stays the whole one's):
    /// a first try that leaves time for a fallback.
    pub fn halfway(self) -> Deadline {
        let now = Instant::now();
        Deadline {
            at: now + self.at.saturating_duration_since(now) / 2,
            budget: self.budget,
        }
    }

    /// Runs `work` until the instant `at` (a step's wait inside an operation whose
    /// deadline is already an instant); past it `work` is dropped.
    pub async fn until<F: Future>(at: Instant, work: F) -> Result<F::Output, Elapsed> {
        tokio::time::timeout_at(at, work).await.map_err(|_| Elapsed)
    }

    /// Runs `work` for at most `limit` from now; past it `work` is dropped.
    pub async fn within<F: Future>(limit: Duration, work: F) -> Result<F::Output, Elapsed> {
        Deadline::after(limit).run(work).await
    }

    /// Runs `work` until the deadline; past it `work` is dropped (it must be cancel-safe).
    pub async fn run<F: Future>(self, work: F) -> Result<F::Output, Elapsed> {
        Deadline::until(self.at, work).await
    }

    /// Runs `work` until the deadline; past it, a [`SourceError::Timeout`] after the
    /// budget, saying what was being waited for.
    pub async fn bound<T, F>(self, work: F, waiting_for: &str) -> Result<T, SourceError>
    where
        F: Future<Output = Result<T, SourceError>>,
    {
        match self.run(work).await {
            Ok(r) => r,
            Err(Elapsed) => Err(self.timed_out(waiting_for)),
        }
    }

    /// The error of an operation that ran out of this deadline while `waiting_for`.
    pub fn timed_out(&self, waiting_for: &str) -> SourceError {
        SourceError::timeout_while(self.budget, Detail::new(waiting_for))
    }

    /// Runs a blocking `work` on the blocking pool until the deadline. `work` receives the
    /// time it has, so it can stop its own processes in time; if it overruns anyway the
    /// answer is a timeout (the thread finishes on its own).
    pub async fn run_blocking<T, W>(self, work: W, waiting_for: &str) -> Result<T, SourceError>
    where
        T: Send + 'static,
        W: FnOnce(Duration) -> Result<T, SourceError> + Send + 'static,
    {
        let left = self.remaining();
        let job = tokio::task::spawn_blocking(move || work(left));
        self.bound(
            async {
                job.await.map_err(|e| {
                    SourceError::Other(format!("{waiting_for}: the worker failed: {e}").into())
                })?
            },
            waiting_for,
        )
        .await
    }
}

impl From<Duration> for Deadline {
    /// `budget` from now ([`Deadline::after`]).
    fn from(budget: Duration) -> Deadline {
        Deadline::after(budget)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_bound_drops_work_at_the_deadline_and_says_what_it_waited_for() {
        let d = Deadline::after(Duration::from_secs(3));
        let started = Instant::now();
        let e = d
            .bound(
                std::future::pending::<Result<(), SourceError>>(),
                "waiting for tmux",
            )
            .await
            .err();
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("timed out after 3s waiting for tmux".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sooner_never_outlives_the_whole_and_halfway_keeps_the_budget() {
        let d = Deadline::after(Duration::from_secs(10));
        assert_eq!(
            d.sooner(Duration::from_secs(3)).budget(),
            Duration::from_secs(3)
        );
        assert_eq!(d.sooner(Duration::from_secs(30)), d);
        let half = d.halfway();
        assert_eq!(half.remaining(), Duration::from_secs(5));
        assert_eq!(half.budget(), Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(11)).await;
        assert!(d.passed());
        assert_eq!(d.remaining(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn work_that_finishes_in_time_keeps_its_answer() {
        let d = Deadline::after(Duration::from_secs(1));
        assert_eq!(d.run(async { 7 }).await, Ok(7));
        let r = d
            .run_blocking(|left| Ok(left <= Duration::from_secs(1)), "x")
            .await;
        assert_eq!(r.ok(), Some(true));
    }
}
