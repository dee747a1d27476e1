//! Stackable wrapper sources: [`Bounded`] (the one owner of a poll's time), and
//! [`Latent`] / [`Flaky`] that simulate a slow or vanishing remote for `--demo` and tests.
//!
//! Every wrapper is implemented through the crate's one forwarding macro, which denies
//! `clippy::missing_trait_methods`: a method added to [`SessionSource`] cannot be
//! silently dropped (`retry_now` reaches the wrapped source, for instance).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::source::{forward_source, PollReport, SessionSource};
use crate::{Detail, SourceError};

tokio::task_local! {
    static DEADLINE: Instant;
}

/// The deadline of the poll running in this task, set by [`Bounded`] (and so by the
/// aggregator). A source may use it to give up a step early with a precise error
/// ("waiting for the poll's answer from dev"): its own timer at this instant fires
/// before the bound's, which only cancels what is still running. `None` outside a bounded
/// poll.
pub fn poll_deadline() -> Option<Instant> {
    DEADLINE.try_with(|d| *d).ok()
}

/// Polls `source` under `timeout`: the one place a poll's time is bounded. The poll's
/// deadline is visible to the source through [`poll_deadline`]; when it passes, the poll
/// is dropped (sources are cancel-safe) and the answer is a `timeout` error.
pub async fn bounded_poll<S: SessionSource + ?Sized>(
    source: &S,
    timeout: Duration,
) -> Result<PollReport, SourceError> {
    let deadline = Instant::now() + timeout;
    let poll = DEADLINE.scope(deadline, source.poll_report());
    match tokio::time::timeout_at(deadline, poll).await {
        Ok(r) => r,
        Err(_) => Err(SourceError::timeout_while(
            timeout,
            Detail::new("waiting for the poll to finish"),
        )),
    }
}

/// A source whose every poll is bounded by `timeout` ([`bounded_poll`]).
#[derive(Debug)]
pub struct Bounded<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Bounded<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, timeout: Duration) -> Self {
        Bounded { inner, timeout }
    }
}

forward_source!(impl[S: SessionSource] Bounded<S>, |me| me.inner, poll_report = {
    bounded_poll(&me.inner, me.timeout).await
});

/// A source that answers like the wrapped one, `latency` later, and reports that latency.
#[derive(Debug)]
pub struct Latent<S> {
    inner: S,
    latency: Duration,
}

impl<S> Latent<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, latency: Duration) -> Self {
        Latent { inner, latency }
    }
}

forward_source!(impl[S: SessionSource] Latent<S>, |me| me.inner, poll_report = {
    tokio::time::sleep(me.latency).await;
    let mut report = me.inner.poll_report().await?;
    report.latency = Some(me.latency);
    Ok(report)
});

/// A source that answers like the wrapped one for its first `good_polls` polls and fails
/// with `error` after that: a remote that went away.
#[derive(Debug)]
pub struct Flaky<S> {
    inner: S,
    good_polls: usize,
    error: SourceError,
    polls: AtomicUsize,
}

impl<S> Flaky<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, good_polls: usize, error: SourceError) -> Self {
        Flaky {
            inner,
            good_polls,
            error,
            polls: AtomicUsize::new(0),
        }
    }
}

forward_source!(impl[S: SessionSource] Flaky<S>, |me| me.inner, poll_report = {
    if me.polls.fetch_add(1, Ordering::SeqCst) < me.good_polls {
        me.inner.poll_report().await
    } else {
        Err(me.error.clone())
    }
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{session, MockSource};
    use crate::{AttachContext, MemorySource};

    #[tokio::test(start_paused = true)]
    async fn bounded_cancels_a_hung_poll_and_exposes_its_deadline() {
        let hung = Bounded::new(MockSource::hanging(Some("dev")), Duration::from_secs(3));
        let started = Instant::now();
        let err = hung.poll_report().await.err();
        assert_eq!(err.as_ref().map(SourceError::kind), Some("timeout"));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        assert_eq!(poll_deadline(), None);
    }

    #[derive(Debug)]
    struct SeesDeadline;

    #[async_trait::async_trait]
    impl SessionSource for SeesDeadline {
        fn label(&self) -> Option<&str> {
            None
        }
        async fn poll_report(&self) -> Result<PollReport, SourceError> {
            let d = poll_deadline().ok_or_else(|| SourceError::Other("no deadline".into()))?;
            // A source's own timer at the deadline wins over the bound's.
            tokio::time::sleep_until(d).await;
            Err(SourceError::Remote("precise".into()))
        }
        fn attach(
            &self,
            s: &crate::SessionInfo,
            ctx: &AttachContext,
        ) -> Result<crate::AttachCommand, SourceError> {
            Ok(crate::AttachCommand::local_tmux(&s.tmux_session, ctx))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_source_timer_at_the_deadline_reports_its_own_error() {
        let e = bounded_poll(&SeesDeadline, Duration::from_secs(2))
            .await
            .err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some("remote error: precise".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn wrappers_stack_and_forward_every_method() {
        let mock = std::sync::Arc::new(MockSource::ok(
            Some("dev"),
            vec![session("a", "working", 1)],
            Duration::ZERO,
        ));
        let stacked = Bounded::new(
            Flaky::new(
                Latent::new(mock.clone(), Duration::from_millis(120)),
                1,
                SourceError::Refused("gone".into()),
            ),
            Duration::from_secs(1),
        );
        assert_eq!(stacked.label(), Some("dev"));
        let first = stacked.poll_report().await.ok();
        assert_eq!(first.as_ref().map(|r| r.sessions.len()), Some(1));
        assert_eq!(
            first.and_then(|r| r.latency),
            Some(Duration::from_millis(120))
        );
        assert_eq!(
            stacked.poll().await.err().map(|e| e.kind()),
            Some("refused")
        );
        stacked.retry_now();
        assert_eq!(mock.retries(), 1);
        let mem = MemorySource::new(None, vec![]);
        let cmd = Latent::new(mem, Duration::ZERO)
            .attach(&session("x", "done", 1), &AttachContext::default())
            .ok();
        assert_eq!(
            cmd.and_then(|c| c.check),
            Some(vec![
                "tmux".into(),
                "has-session".into(),
                "-t".into(),
                "=x".into()
            ])
        );
    }
}
