//! One source's place in the aggregator: its last good sessions and health, what a poll
//! outcome changed, and the one log line per state change.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::{Outcome, SourceHealth, SourceOptions, SourceState};
use crate::source::{DynSessionSource, PollReport};
use crate::{sort_sessions_arc, SessionInfo, SourceError};

/// What one poll outcome changed, as the dashboard sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Change {
    /// Nothing at all.
    None,
    /// Only numbers that may wait (latency, the time of the last good poll, the
    /// "retrying in Ns" of an error of the same kind): published with the next visible
    /// change, or after [`HEALTH_REFRESH`](super::HEALTH_REFRESH).
    Health,
    /// Rows or a source's state: published at once.
    Visible,
}

#[derive(Debug)]
pub(super) struct Slot {
    pub(super) source: DynSessionSource,
    pub(super) options: SourceOptions,
    pub(super) health: SourceHealth,
    /// Last good sessions, sorted, with `remote` already set; `stale` is set on failure.
    pub(super) sessions: Vec<Arc<SessionInfo>>,
}

impl Slot {
    pub(super) fn new(source: DynSessionSource, options: SourceOptions) -> Slot {
        let name = source.label().map(str::to_owned);
        Slot {
            source,
            options,
            health: SourceHealth::connecting(name),
            sessions: Vec::new(),
        }
    }

    /// Records `outcome`; says what it changed.
    pub(super) fn apply(&mut self, outcome: Outcome) -> Change {
        self.health.last_poll_at = Some(outcome.finished_at);
        let change = match outcome.result {
            Ok(report) => self.apply_report(report, outcome.elapsed, outcome.finished_at),
            Err(error) => self.apply_error(error),
        };
        self.health.sessions = self.sessions.len();
        change
    }

    fn apply_report(
        &mut self,
        report: PollReport,
        elapsed: Duration,
        finished_at: Instant,
    ) -> Change {
        let label = self.source.label();
        let mut sessions = report.sessions;
        for s in &mut sessions {
            // A source that sets them itself hands its rows over without a copy.
            if s.remote.as_deref() != label || s.stale {
                let s = Arc::make_mut(s);
                s.remote = label.map(str::to_owned);
                s.stale = false;
            }
        }
        sort_sessions_arc(&mut sessions);
        let h = &self.health;
        let same_rows = sessions.len() == self.sessions.len()
            && (sessions.iter().zip(&self.sessions)).all(|(a, b)| Arc::ptr_eq(a, b) || a == b);
        let visible = h.state != SourceState::Connected
            || !same_rows
            || h.skipped != report.skipped
            || h.note != report.note
            || h.mode != report.mode;
        if h.state != SourceState::Connected {
            let was_down = h.state == SourceState::Unavailable;
            tracing::info!(
                source = h.display_name(),
                mode = %report.mode.as_ref().unwrap_or(&crate::PollMode::Poll),
                "{}",
                if was_down {
                    "connected again"
                } else {
                    "connected"
                }
            );
        }
        // Unchanged rows keep their allocations (and the dashboard its cached layout).
        if !same_rows {
            self.sessions = sessions;
        }
        let h = &mut self.health;
        h.state = SourceState::Connected;
        h.reason = None;
        h.latency = Some(report.latency.unwrap_or(elapsed));
        h.last_ok = Some(SystemTime::now());
        h.last_ok_at = Some(finished_at);
        h.skipped = report.skipped;
        h.note = report.note;
        h.mode = report.mode;
        h.consecutive_failures = 0;
        if visible {
            Change::Visible
        } else {
            Change::Health
        }
    }

    fn apply_error(&mut self, error: SourceError) -> Change {
        let h = &self.health;
        let same_kind = h.state == SourceState::Unavailable
            && h.reason.as_ref().map(SourceError::kind) == Some(error.kind());
        if !same_kind {
            tracing::warn!(source = h.display_name(), %error, "unavailable");
        } else {
            tracing::debug!(source = h.display_name(), %error, "poll failed again");
        }
        let mut change = if same_kind {
            Change::Health
        } else {
            Change::Visible
        };
        if self.sessions.iter().any(|s| !s.stale) {
            self.sessions = self
                .sessions
                .iter()
                .map(|s| {
                    let mut s = SessionInfo::clone(s);
                    s.stale = true;
                    Arc::new(s)
                })
                .collect();
            sort_sessions_arc(&mut self.sessions);
            change = Change::Visible;
        }
        let h = &mut self.health;
        h.state = SourceState::Unavailable;
        // A failed attempt measures no round trip (a refusal or a backoff answers in
        // ~0 ms): an unavailable source shows no latency rather than a fake one.
        h.latency = None;
        h.reason = Some(error);
        h.consecutive_failures = h.consecutive_failures.saturating_add(1);
        change
    }
}
