//! Rows whose tmux session has ended: after a grace period the dashboard removes their
//! status file through their source, as the Go navi removes such files, unless
//! config.yaml says `keep_ended_rows: true`.
//!
//! Only positive evidence counts: a row is due when its liveness allows removal
//! ([`navi_core::Liveness::allows_removal`]: its own tmux server answered without it, or
//! the server it ran in is gone), never when tmux could not be asked (unknown) or the
//! machine cannot be reached (stale). The source decides liveness from the server the
//! hook recorded, not from the terminal this dashboard runs in, and checks it again on
//! that server before it removes anything ([`Action::Tidy`]). The marks stay: only the
//! user removes marks.

use navi_core::Action;
use tokio::time::Instant;

use super::act::ActRequest;
use super::{App, Effect};
pub use navi_core::limits::ENDED_GRACE;

type RowKey = (Option<String>, String);

/// Rows whose tmux session ended: since when, and which are being dismissed.
#[derive(Debug, Default)]
pub struct EndedRows {
    /// Keep them (config.yaml `keep_ended_rows`).
    pub keep: bool,
    since: std::collections::HashMap<RowKey, Instant>,
    asked: std::collections::HashSet<RowKey>,
}

impl EndedRows {
    /// Notes which rows are ended now (stale rows of unavailable remotes do not count).
    pub fn observe(&mut self, snapshot: &navi_core::Snapshot, now: Instant) {
        let ended: std::collections::HashSet<RowKey> = snapshot
            .sessions
            .iter()
            .filter(|s| s.row_liveness().allows_removal().is_ok())
            .map(|s| (s.remote.clone(), s.tmux_session.clone()))
            .collect();
        self.since.retain(|k, _| ended.contains(k));
        self.asked.retain(|k| ended.contains(k));
        for k in ended {
            self.since.entry(k).or_insert(now);
        }
    }

    /// A row ended for longer than the grace and not yet dismissed.
    fn due(&mut self, now: Instant) -> Option<RowKey> {
        if self.keep {
            return None;
        }
        let key = self
            .since
            .iter()
            .find(|(k, t)| {
                now.saturating_duration_since(**t) >= ENDED_GRACE && !self.asked.contains(*k)
            })
            .map(|(k, _)| k.clone())?;
        self.asked.insert(key.clone());
        Some(key)
    }
}

impl App {
    /// Removes (through its source, which checks the liveness again) the status file of
    /// one row whose tmux session has been gone for [`ENDED_GRACE`], unless
    /// `keep_ended_rows` is set.
    pub fn tidy_ended(&mut self) -> Effect {
        if self.dry_run {
            return Effect::None;
        }
        let Some((remote, name)) = self.ended.due(Instant::now()) else {
            return Effect::None;
        };
        match self.source_of(remote.as_deref()) {
            Some((_, source)) if source.supports().dismiss => {
                let label = match &remote {
                    Some(r) => format!("{name} [{r}]"),
                    None => name.clone(),
                };
                Effect::Act(ActRequest {
                    source,
                    session: name,
                    action: Action::Tidy,
                    label,
                })
            }
            _ => Effect::None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn snapshot(ended: &[&str]) -> navi_core::Snapshot {
        let sessions = ended
            .iter()
            .map(|name| {
                let mut s = navi_core::testing::session(name, "done", 1);
                s.liveness = navi_core::Liveness::Ended;
                Arc::new(s)
            })
            .collect();
        navi_core::Snapshot {
            sessions,
            sources: Vec::new(),
            generation: 1,
        }
    }

    /// Rows that are gone (removed, or live again) are forgotten: the maps hold only the
    /// rows ended now, however many came and went.
    #[test]
    fn rows_that_are_gone_are_forgotten() {
        let names: Vec<String> = (0..50).map(|i| format!("s{i}")).collect();
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut rows = EndedRows::default();
        let t = Instant::now();
        rows.observe(&snapshot(&all), t);
        assert!(rows.due(t + ENDED_GRACE).is_some());
        assert_eq!((rows.since.len(), rows.asked.len()), (50, 1));
        rows.observe(&snapshot(&["s7"]), t + ENDED_GRACE);
        assert!(rows.since.len() == 1 && rows.asked.len() <= 1);
        rows.observe(&snapshot(&[]), t + ENDED_GRACE);
        assert!(rows.since.is_empty() && rows.asked.is_empty());
    }
}
