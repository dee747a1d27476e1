//! The [`Model`] the UI reads: sorted, filtered rows, a selection that follows its session
//! across refreshes, and counts. It knows sources only by name, never by transport.

use std::sync::Arc;

use crate::{SessionInfo, SessionKey, Snapshot, SourceHealth, Status};

/// Which sessions the list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Filter {
    /// Every session.
    #[default]
    All,
    /// Sessions of this machine only.
    Local,
    /// Sessions of every remote.
    Remote,
    /// Sessions of one remote, by name.
    Named(String),
}

impl Filter {
    /// Whether `s` passes this filter.
    pub fn matches(&self, s: &SessionInfo) -> bool {
        match self {
            Filter::All => true,
            Filter::Local => s.remote.is_none(),
            Filter::Remote => s.remote.is_some(),
            Filter::Named(n) => s.remote.as_deref() == Some(n.as_str()),
        }
    }

    /// `all`, `local`, `remote` or the remote's name.
    pub fn label(&self) -> &str {
        match self {
            Filter::All => "all",
            Filter::Local => "local",
            Filter::Remote => "remote",
            Filter::Named(n) => n,
        }
    }
}

/// Session counts over the whole snapshot (not just the filtered rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every session.
    pub total: usize,
    /// Sessions on this machine.
    pub local: usize,
    /// Sessions on remotes.
    pub remote: usize,
    /// Sessions that need the user (permission, waiting, or an agent waiting).
    pub attention: usize,
    /// Sessions working.
    pub working: usize,
    /// Last-known sessions of unavailable sources.
    pub stale: usize,
    /// Sessions whose status is `offline`.
    pub offline: usize,
    /// Rows currently shown.
    pub shown: usize,
}

/// What the UI draws from.
#[derive(Debug, Clone, Default)]
pub struct Model {
    snapshot: Arc<Snapshot>,
    filter: Filter,
    hide_offline: bool,
    rows: Vec<usize>,
    selected: Option<SessionKey>,
    cursor: usize,
}

impl Model {
    /// An empty model showing everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the data, keeping the selection on the same session (same machine and
    /// name) when it is still shown, or on the same row index otherwise.
    pub fn update(&mut self, snapshot: Arc<Snapshot>) {
        self.snapshot = snapshot;
        self.rebuild();
    }

    fn visible(&self, s: &SessionInfo) -> bool {
        self.filter.matches(s) && !(self.hide_offline && (s.stale || s.status == Status::Offline))
    }

    fn rebuild(&mut self) {
        let rows: Vec<usize> = self
            .snapshot
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| self.visible(s))
            .map(|(i, _)| i)
            .collect();
        self.rows = rows;
        let found = self.selected.as_ref().and_then(|key| {
            self.rows.iter().position(|&i| {
                let s = &self.snapshot.sessions[i];
                s.tmux_session == key.name && s.remote == key.remote
            })
        });
        self.cursor = match found {
            Some(pos) => pos,
            None => self.cursor.min(self.rows.len().saturating_sub(1)),
        };
        self.selected = self.selected_session().map(SessionInfo::key);
    }

    /// The snapshot behind the model.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    /// The rows shown, in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = &SessionInfo> + '_ {
        self.rows.iter().map(|&i| &*self.snapshot.sessions[i])
    }

    /// Number of rows shown.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// No rows shown.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row at `index`.
    pub fn row(&self, index: usize) -> Option<&SessionInfo> {
        self.rows.get(index).map(|&i| &*self.snapshot.sessions[i])
    }

    /// Index of the selected row, if any row is shown.
    pub fn selected_index(&self) -> Option<usize> {
        (!self.rows.is_empty()).then_some(self.cursor)
    }

    /// The selected session.
    pub fn selected_session(&self) -> Option<&SessionInfo> {
        self.selected_index().and_then(|i| self.row(i))
    }

    fn set_cursor(&mut self, cursor: usize) {
        self.cursor = cursor.min(self.rows.len().saturating_sub(1));
        self.selected = self.selected_session().map(SessionInfo::key);
    }

    /// Moves the selection down one row (stops at the last).
    pub fn select_next(&mut self) {
        self.set_cursor(self.cursor.saturating_add(1));
    }

    /// Moves the selection up one row (stops at the first).
    pub fn select_prev(&mut self) {
        self.set_cursor(self.cursor.saturating_sub(1));
    }

    /// Selects the first row.
    pub fn select_first(&mut self) {
        self.set_cursor(0);
    }

    /// Selects the last row.
    pub fn select_last(&mut self) {
        self.set_cursor(usize::MAX);
    }

    /// The current filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Sets the filter.
    pub fn set_filter(&mut self, filter: Filter) {
        self.filter = filter;
        self.rebuild();
    }

    /// The filters `f` cycles through: all, local, remote, then each remote by name in
    /// configuration order.
    pub fn filter_cycle(&self) -> Vec<Filter> {
        let mut cycle = vec![Filter::All, Filter::Local, Filter::Remote];
        cycle.extend(self.remote_names().map(|n| Filter::Named(n.to_string())));
        cycle
    }

    /// Moves to the next filter of [`filter_cycle`](Model::filter_cycle).
    pub fn cycle_filter(&mut self) {
        let cycle = self.filter_cycle();
        let next = cycle
            .iter()
            .position(|f| *f == self.filter)
            .map(|i| (i + 1) % cycle.len())
            .unwrap_or(0);
        self.set_filter(cycle[next].clone());
    }

    /// Whether offline and stale rows are hidden.
    pub fn hides_offline(&self) -> bool {
        self.hide_offline
    }

    /// Shows or hides offline rows (status `offline`) and stale rows of unavailable sources.
    pub fn set_hide_offline(&mut self, hide: bool) {
        self.hide_offline = hide;
        self.rebuild();
    }

    /// Toggles [`hides_offline`](Model::hides_offline).
    pub fn toggle_offline(&mut self) {
        self.set_hide_offline(!self.hide_offline);
    }

    /// Per-source health, in configuration order.
    pub fn sources(&self) -> &[SourceHealth] {
        &self.snapshot.sources
    }

    /// Names of the remote sources, in configuration order.
    pub fn remote_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.snapshot
            .sources
            .iter()
            .filter_map(|h| h.name.as_deref())
    }

    /// Counts over the whole snapshot.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            shown: self.rows.len(),
            ..Counts::default()
        };
        for s in &self.snapshot.sessions {
            c.total += 1;
            if s.remote.is_some() {
                c.remote += 1;
            } else {
                c.local += 1;
            }
            if s.attention() {
                c.attention += 1;
            } else if s.status == Status::Working {
                c.working += 1;
            }
            if s.stale {
                c.stale += 1;
            }
            if s.status == Status::Offline {
                c.offline += 1;
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(name: &str, remote: Option<&str>, status: &str, ts: i64) -> Arc<SessionInfo> {
        Arc::new(SessionInfo {
            tmux_session: name.into(),
            remote: remote.map(Into::into),
            status: Status::from_hook(status),
            timestamp: ts,
            ..Default::default()
        })
    }

    fn snap(sessions: Vec<Arc<SessionInfo>>) -> Arc<Snapshot> {
        let mut sessions = sessions;
        crate::sort_sessions_arc(&mut sessions);
        Arc::new(Snapshot {
            sessions,
            sources: vec![
                SourceHealth::connecting(None),
                SourceHealth::connecting(Some("dev".into())),
                SourceHealth::connecting(Some("staging".into())),
            ],
            generation: 1,
        })
    }

    #[test]
    fn selection_follows_session_across_refresh() {
        let mut m = Model::new();
        m.update(snap(vec![
            s("a", None, "working", 10),
            s("b", Some("dev"), "working", 5),
        ]));
        m.select_next();
        assert_eq!(m.selected_session().unwrap().tmux_session, "b");
        // A new session sorts above; the selection stays on b.
        m.update(snap(vec![
            s("a", None, "working", 10),
            s("b", Some("dev"), "working", 5),
            s("c", None, "waiting", 1),
        ]));
        assert_eq!(m.selected_session().unwrap().tmux_session, "b");
        assert_eq!(m.selected_index(), Some(2));
        // b disappears: the cursor stays in range.
        m.update(snap(vec![s("a", None, "working", 10)]));
        assert_eq!(m.selected_session().unwrap().tmux_session, "a");
        m.update(snap(vec![]));
        assert!(m.selected_session().is_none());
    }

    #[test]
    fn filter_cycle_and_offline() {
        let mut m = Model::new();
        let mut stale = SessionInfo::clone(&s("old", Some("staging"), "done", 1));
        stale.stale = true;
        m.update(snap(vec![
            s("a", None, "working", 10),
            s("b", Some("dev"), "working", 5),
            s("gone", None, "offline", 3),
            Arc::new(stale),
        ]));
        assert_eq!(m.len(), 4);
        let mut seen = vec![m.filter().label().to_string()];
        for _ in 0..5 {
            m.cycle_filter();
            seen.push(format!("{}={}", m.filter().label(), m.len()));
        }
        assert_eq!(
            seen,
            ["all", "local=2", "remote=2", "dev=1", "staging=1", "all=4"]
        );
        m.toggle_offline();
        assert_eq!(
            m.rows()
                .map(|r| r.tmux_session.as_str())
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
        let c = m.counts();
        assert_eq!(
            (c.total, c.local, c.remote, c.stale, c.offline, c.shown),
            (4, 2, 2, 1, 1, 2)
        );
    }
}
