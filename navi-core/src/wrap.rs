//! Stackable wrapper sources: [`Bounded`] (the one owner of a poll's and an action's time), and
//! [`Latent`] / [`Flaky`] that simulate a slow or vanishing remote for `--demo` and tests.
//!
//! Every wrapper denies `clippy::missing_trait_methods` (`Latent` and `Flaky` through
//! the crate's one forwarding macro): a method added to [`SessionSource`] cannot be
//! silently dropped (`retry_now` reaches the wrapped source, for instance).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::source::{forward_source, poll_inner, PollReport, SessionSource};
use crate::{limits, Action, ActionOutput, Deadline, SourceError};

/// Polls `source` by `deadline`: the one place a poll's time is bounded. The source
/// receives the deadline ([`SessionSource::poll_within`]); when it passes, the poll is
/// dropped (sources are cancel-safe) and the answer is a `timeout` error. A `Duration`
/// is a deadline that far from now.
pub async fn bounded_poll<S: SessionSource + ?Sized>(
    source: &S,
    deadline: impl Into<Deadline>,
) -> Result<PollReport, SourceError> {
    let deadline = deadline.into();
    deadline
        .bound(
            source.poll_within(deadline),
            "waiting for the poll to finish",
        )
        .await
}

/// Runs `action` on `session` of `source` by `deadline`: the one place an action's time
/// is bounded, for every source (the local one's tmux commands included).
pub async fn bounded_act<S: SessionSource + ?Sized>(
    source: &S,
    session: &str,
    action: &Action,
    deadline: impl Into<Deadline>,
) -> Result<ActionOutput, SourceError> {
    let deadline = deadline.into();
    let waiting_for = format!("waiting for {} of {session} to finish", action.name());
    deadline
        .bound(source.act_within(session, action, deadline), &waiting_for)
        .await
}

/// A source whose every poll is bounded by `timeout` ([`bounded_poll`]) and every action
/// by [`limits::ACTION`] ([`bounded_act`]), or by a sooner deadline it is given.
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

#[async_trait::async_trait]
#[deny(clippy::missing_trait_methods)]
impl<S: SessionSource> SessionSource for Bounded<S> {
    fn label(&self) -> Option<&str> {
        self.inner.label()
    }
    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        bounded_poll(&self.inner, Deadline::after(self.timeout)).await
    }
    async fn poll(&self) -> Result<Vec<crate::SessionInfo>, SourceError> {
        self.poll_report().await.map(PollReport::into_sessions)
    }
    async fn poll_within(&self, deadline: Deadline) -> Result<PollReport, SourceError> {
        bounded_poll(&self.inner, deadline.sooner(self.timeout)).await
    }
    fn attach(
        &self,
        session: &crate::SessionInfo,
        ctx: &crate::AttachContext,
    ) -> Result<crate::AttachCommand, SourceError> {
        self.inner.attach(session, ctx)
    }
    fn retry_now(&self) {
        self.inner.retry_now()
    }
    async fn wait_change(&self) {
        self.inner.wait_change().await
    }
    async fn wait_pane_change(&self, session: &str) -> crate::PaneChange {
        self.inner.wait_pane_change(session).await
    }
    fn supports(&self) -> crate::Capabilities {
        self.inner.supports()
    }
    async fn act(&self, session: &str, action: &Action) -> Result<ActionOutput, SourceError> {
        bounded_act(
            &self.inner,
            session,
            action,
            Deadline::after(limits::ACTION),
        )
        .await
    }
    async fn act_within(
        &self,
        session: &str,
        action: &Action,
        deadline: Deadline,
    ) -> Result<ActionOutput, SourceError> {
        bounded_act(&self.inner, session, action, deadline).await
    }
}

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

forward_source!(impl[S: SessionSource] Latent<S>, |me| me.inner, poll = |deadline| {
    tokio::time::sleep(me.latency).await;
    let mut report = poll_inner(&me.inner, deadline).await?;
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

forward_source!(impl[S: SessionSource] Flaky<S>, |me| me.inner, poll = |deadline| {
    if me.polls.fetch_add(1, Ordering::SeqCst) < me.good_polls {
        poll_inner(&me.inner, deadline).await
    } else {
        Err(me.error.clone())
    }
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{session, MockSource};
    use crate::{AttachContext, MemorySource};
    use tokio::time::Instant;

    #[tokio::test(start_paused = true)]
    async fn bounded_cancels_a_hung_poll_at_the_sooner_deadline() {
        let hung = Bounded::new(MockSource::hanging(Some("dev")), Duration::from_secs(3));
        let started = Instant::now();
        let err = hung.poll_report().await.err();
        assert_eq!(err.as_ref().map(SourceError::kind), Some("timeout"));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        let started = Instant::now();
        let err = hung
            .poll_within(Deadline::after(Duration::from_secs(1)))
            .await;
        assert_eq!(err.err().map(|e| e.kind()), Some("timeout"));
        assert_eq!(started.elapsed(), Duration::from_secs(1));
    }

    #[derive(Debug)]
    struct SeesDeadline;

    #[async_trait::async_trait]
    impl SessionSource for SeesDeadline {
        fn label(&self) -> Option<&str> {
            None
        }
        async fn poll_report(&self) -> Result<PollReport, SourceError> {
            Err(SourceError::Other("no deadline".into()))
        }
        async fn poll_within(&self, d: Deadline) -> Result<PollReport, SourceError> {
            // A source's own timer at the deadline wins over the bound's.
            tokio::time::sleep_until(d.instant()).await;
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
        let e = bounded_poll(&SeesDeadline, Deadline::after(Duration::from_secs(2)))
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
