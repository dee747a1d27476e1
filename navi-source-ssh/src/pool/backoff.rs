//! When the next connection attempt may be made: exponential backoff (1 s doubling to a
//! 60 s cap, with jitter) after attempts that hung or failed slowly; a short, fixed wait
//! after an instant "connection refused" (a rebooting host is back within seconds of
//! listening again, however long it was down, and a refusal costs the remote nothing).

use std::time::Duration;

use navi_core::SourceError;
use tokio::time::Instant;

use crate::error::with_retry_note;
use crate::remote::random_u64;
pub(crate) use navi_core::limits::{BACKOFF_CAP, BACKOFF_START, REFUSED_RETRY};

/// When the next connection attempt may be made.
///
/// An attempt counts when it ends ([`Attempt`]): failed, or cut off by the poll's
/// deadline (a hung host backs off like one that failed); forgiven when one succeeds.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// Consecutive failed attempts.
    failures: u32,
    /// No new attempt before this.
    retry_at: Option<Instant>,
    last_error: Option<SourceError>,
}

impl Backoff {
    /// `Err` (the last error, with "(retrying in Ns)") while backing off.
    pub(crate) fn check(&self, now: Instant) -> Result<(), SourceError> {
        match (self.retry_at, &self.last_error) {
            (Some(at), Some(e)) if now < at => Err(with_retry_note(e, &retry_note(at - now))),
            _ => Ok(()),
        }
    }

    /// The attempt failed at `now`: returns the error to show. The attempt's own error
    /// is shown as it is (a one-shot `navi list` never retries); polls that come while
    /// backing off get it with "(retrying in Ns)" from [`check`](Backoff::check).
    pub(crate) fn failed(&mut self, now: Instant, e: SourceError) -> SourceError {
        self.failures = self.failures.saturating_add(1);
        let delay = match e {
            // Refused at once: not a growing failure.
            SourceError::Refused(_) => {
                self.failures = 0;
                jitter(REFUSED_RETRY)
            }
            _ => backoff_delay(self.failures),
        };
        self.retry_at = Some(now + delay);
        self.last_error = Some(e.clone());
        e
    }

    pub(crate) fn succeeded(&mut self) {
        *self = Backoff::default();
    }

    /// Allow an attempt now.
    pub(crate) fn clear_wait(&mut self) {
        self.retry_at = None;
    }
}

/// One connection attempt of a poll, holding the pool's backoff until it ends. Ended
/// by [`succeeded`](Attempt::succeeded) or [`failed`](Attempt::failed); dropped
/// unfinished (the poll was cancelled mid-connect), it counts as timed out only when
/// the poll's deadline had passed. A poll its caller dropped before then (navi
/// stopping, a caller that gave up for its own reasons) says nothing about the host: the
/// backoff stays as it was, and no "timed out" is reported for a wait that never ran out.
pub(crate) struct Attempt<'a> {
    backoff: &'a mut Backoff,
    deadline: Instant,
    /// The error of an attempt cut off at `deadline`; `None` once it ended.
    timed_out: Option<SourceError>,
}

impl<'a> Attempt<'a> {
    /// An attempt that may run until `deadline`, failing with `timed_out` if it is cut
    /// off there.
    pub(crate) fn start(
        backoff: &'a mut Backoff,
        deadline: Instant,
        timed_out: SourceError,
    ) -> Attempt<'a> {
        Attempt {
            backoff,
            deadline,
            timed_out: Some(timed_out),
        }
    }

    /// It connected: the schedule starts over.
    pub(crate) fn succeeded(mut self) {
        self.timed_out = None;
        self.backoff.succeeded();
    }

    /// It failed at `now` with `e`: see [`Backoff::failed`].
    pub(crate) fn failed(mut self, now: Instant, e: SourceError) -> SourceError {
        self.timed_out = None;
        self.backoff.failed(now, e)
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let Some(e) = self.timed_out.take() else {
            return;
        };
        let now = Instant::now();
        if now >= self.deadline {
            self.backoff.failed(now, e);
        }
    }
}

/// `BACKOFF_START` doubling per failure up to `BACKOFF_CAP`, times a jitter in
/// [0.8, 1.2), never over the cap. Zero before the first failure.
pub(crate) fn backoff_delay(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let exp = failures.saturating_sub(1).min(16);
    let base = BACKOFF_START.saturating_mul(1u32 << exp).min(BACKOFF_CAP);
    jitter(base).min(BACKOFF_CAP)
}

/// `d` times a random factor in [0.8, 1.2), so many remotes do not retry in step.
fn jitter(d: Duration) -> Duration {
    let r = (random_u64() % 10_000) as f64 / 10_000.0;
    d.mul_f64(0.8 + 0.4 * r)
}

fn retry_note(d: Duration) -> String {
    let secs = ((d.as_millis() + 500) / 1000).max(1);
    format!("(retrying in {secs}s)")
}
