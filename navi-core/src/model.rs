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

/// The order rows are listed in (`s` cycles through them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortMode {
    /// Needing you first, then working, then the rest; newest first in a tier (the
    /// snapshot's own order).
    #[default]
    Priority,
    /// By session name.
    Name,
    /// Most recently updated first.
    Age,
    /// By status, in the order of [`Status::rank`].
    Status,
    /// By working directory.
    Directory,
    /// By machine (local first), then name.
    Machine,
}

impl SortMode {
    /// Every mode, in the order `s` cycles through them.
    pub const ALL: [SortMode; 6] = [
        SortMode::Priority,
        SortMode::Name,
        SortMode::Age,
        SortMode::Status,
        SortMode::Directory,
        SortMode::Machine,
    ];

    /// `priority`, `name`, `age`, `status`, `directory` or `machine`.
    pub fn label(self) -> &'static str {
        match self {
            SortMode::Priority => "priority",
            SortMode::Name => "name",
            SortMode::Age => "age",
            SortMode::Status => "status",
            SortMode::Directory => "directory",
            SortMode::Machine => "machine",
        }
    }

    /// The mode named `label`.
    pub fn from_label(label: &str) -> Option<SortMode> {
        SortMode::ALL.into_iter().find(|m| m.label() == label)
    }

    /// The next mode of the cycle.
    pub fn next(self) -> SortMode {
        let i = SortMode::ALL.iter().position(|m| *m == self).unwrap_or(0);
        SortMode::ALL[(i + 1) % SortMode::ALL.len()]
    }

    fn compare(self, a: &SessionInfo, b: &SessionInfo) -> std::cmp::Ordering {
        let by_name = || {
            a.tmux_session
                .to_lowercase()
                .cmp(&b.tmux_session.to_lowercase())
                .then_with(|| a.remote.cmp(&b.remote))
        };
        match self {
            SortMode::Priority => std::cmp::Ordering::Equal,
            SortMode::Name => by_name(),
            SortMode::Age => b.timestamp.cmp(&a.timestamp).then_with(by_name),
            SortMode::Status => a
                .combined_status()
                .0
                .rank()
                .cmp(&b.combined_status().0.rank())
                .then_with(by_name),
            SortMode::Directory => a.cwd.cmp(&b.cwd).then_with(by_name),
            SortMode::Machine => a.remote.cmp(&b.remote).then_with(by_name),
        }
    }
}

/// What the UI draws from.
#[derive(Debug, Clone, Default)]
pub struct Model {
    snapshot: Arc<Snapshot>,
    filter: Filter,
    statuses: Option<Vec<Status>>,
    query: String,
    sort: SortMode,
    hide_offline: bool,
    bookmarked_only: bool,
    /// Only sessions with this coding agent, as lead or helper (`None`: every agent).
    agent: Option<String>,
    rows: Vec<usize>,
    /// The session the user chose; kept while a filter hides it, so it is selected again
    /// when it shows again.
    selected: Option<SessionKey>,
    cursor: usize,
    /// The user moved the selection: it follows its session from then on. Until then it
    /// stays on the top (most urgent) row as snapshots re-sort the rows.
    user_moved: bool,
    /// Counts over the snapshot (`shown` aside), computed when it arrives.
    totals: Counts,
    /// See [`Model::revision`].
    revision: u64,
}

impl Model {
    /// An empty model showing everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the data, keeping the selection on the same session (same machine and
    /// name) when it is still shown, or on the same row index otherwise.
    ///
    /// Until the user moves the selection, it stays on the top row instead.
    pub fn update(&mut self, snapshot: Arc<Snapshot>) {
        self.totals = Counts::of(&snapshot.sessions);
        self.snapshot = snapshot;
        self.rebuild();
    }

    fn visible(&self, s: &SessionInfo) -> bool {
        self.filter.matches(s)
            && !(self.hide_offline && (s.stale || s.is_ended() || s.status == Status::Offline))
            && self
                .statuses
                .as_ref()
                .is_none_or(|set| set.contains(&s.combined_status().0))
            && (self.query.is_empty() || matches_query(s, &self.query))
            && (!self.bookmarked_only || s.marks.bookmarked)
            && self
                .agent
                .as_ref()
                .is_none_or(|a| s.agent_names().contains(a))
    }

    /// The agent filter (`None`: every agent).
    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    /// Shows only sessions one of whose agents (lead or helper) is `agent` (a name as in
    /// status files: `codex`), or every session.
    pub fn set_agent(&mut self, agent: Option<String>) {
        self.agent = agent.map(|a| a.to_lowercase());
        self.rebuild();
    }

    /// The agents the agent filter cycles through: every agent of the snapshot's
    /// sessions, the known ones in [`Agent::ALL`](crate::statusdir::agents::Agent::ALL)
    /// order, then others by name.
    pub fn agents_present(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .snapshot
            .sessions
            .iter()
            .flat_map(|s| s.agent_names())
            .collect();
        let rank = |n: &String| {
            crate::statusdir::agents::Agent::ALL
                .iter()
                .position(|a| a.name() == n)
                .unwrap_or(usize::MAX)
        };
        names.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
        names.dedup();
        names
    }

    /// The next agent filter: every agent, then each agent present in turn.
    pub fn cycle_agent(&mut self) {
        let present = self.agents_present();
        let next = match &self.agent {
            None => present.first().cloned(),
            Some(a) => present
                .iter()
                .position(|p| p == a)
                .and_then(|i| present.get(i + 1))
                .cloned(),
        };
        self.set_agent(next);
    }

    /// Shows only bookmarked sessions (`true`) or every session.
    pub fn set_bookmarked_only(&mut self, only: bool) {
        self.bookmarked_only = only;
        self.rebuild();
    }

    /// Whether only bookmarked sessions are shown.
    pub fn bookmarked_only(&self) -> bool {
        self.bookmarked_only
    }

    fn rebuild(&mut self) {
        let sessions = &self.snapshot.sessions;
        let mut rows: Vec<usize> = sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| self.visible(s))
            .map(|(i, _)| i)
            .collect();
        if self.sort != SortMode::Priority {
            // Stable: equal rows keep the snapshot's (priority) order.
            rows.sort_by(|&a, &b| self.sort.compare(&sessions[a], &sessions[b]));
        }
        self.rows = rows;
        self.revision = next_revision();
        if !self.user_moved {
            self.cursor = 0;
            self.selected = self.selected_session().map(SessionInfo::key);
            return;
        }
        let found = self.selected.as_ref().and_then(|key| {
            self.rows.iter().position(|&i| {
                let s = &self.snapshot.sessions[i];
                s.tmux_session == key.name && s.remote == key.remote
            })
        });
        match found {
            Some(pos) => self.cursor = pos,
            // The chosen session is hidden (a filter) or gone: keep the cursor in range,
            // but remember the choice while it is only hidden.
            None => {
                self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
                let exists = self.selected.as_ref().is_some_and(|key| {
                    sessions
                        .iter()
                        .any(|s| s.tmux_session == key.name && s.remote == key.remote)
                });
                if !exists {
                    self.selected = self.selected_session().map(SessionInfo::key);
                }
            }
        }
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

    /// Moves the cursor at the user's request: from now on the selection follows its
    /// session rather than the top row.
    fn set_cursor(&mut self, cursor: usize) {
        self.user_moved = true;
        self.cursor = cursor.min(self.rows.len().saturating_sub(1));
        self.selected = self.selected_session().map(SessionInfo::key);
    }

    /// Moves the selection down one row (stops at the last).
    pub fn select_next(&mut self) {
        self.move_by(1);
    }

    /// Moves the selection up one row (stops at the first).
    pub fn select_prev(&mut self) {
        self.move_by(-1);
    }

    /// Moves the selection by `delta` rows (stops at the first and last row).
    pub fn move_by(&mut self, delta: isize) {
        let target = self.cursor.saturating_add_signed(delta);
        self.set_cursor(target);
    }

    /// Selects row `index` (clamped).
    pub fn select_index(&mut self, index: usize) {
        self.set_cursor(index);
    }

    /// Selects the next row after the selected one (wrapping) for which `pred` holds;
    /// returns whether one was found.
    pub fn select_next_where(
        &mut self,
        forward: bool,
        pred: impl Fn(&SessionInfo) -> bool,
    ) -> bool {
        let n = self.rows.len();
        if n == 0 {
            return false;
        }
        let found = (1..=n)
            .map(|step| {
                if forward {
                    (self.cursor + step) % n
                } else {
                    (self.cursor + n - step % n) % n
                }
            })
            .find(|&i| self.row(i).is_some_and(&pred));
        match found {
            Some(i) => {
                self.set_cursor(i);
                true
            }
            None => false,
        }
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

    /// The status filter (`None`: every status). A row matches by its combined status
    /// ([`SessionInfo::combined_status`]).
    pub fn statuses(&self) -> Option<&[Status]> {
        self.statuses.as_deref()
    }

    /// Shows only rows whose combined status is one of `statuses` (`None`: all).
    pub fn set_statuses(&mut self, statuses: Option<Vec<Status>>) {
        self.statuses = statuses;
        self.rebuild();
    }

    /// The search text (empty: no search).
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Shows only rows matching `query` ([`matches_query`]).
    pub fn set_query(&mut self, query: &str) {
        self.query = query.to_string();
        self.rebuild();
    }

    /// The sort order.
    pub fn sort(&self) -> SortMode {
        self.sort
    }

    /// Sets the sort order.
    pub fn set_sort(&mut self, sort: SortMode) {
        self.sort = sort;
        self.rebuild();
    }

    /// Clears the search and the status, machine, bookmark and agent filters (Esc).
    pub fn clear_filters(&mut self) {
        self.query.clear();
        self.statuses = None;
        self.filter = Filter::All;
        self.bookmarked_only = false;
        self.agent = None;
        self.rebuild();
    }

    /// Whether any filter or search narrows the rows.
    pub fn is_filtered(&self) -> bool {
        self.filter != Filter::All
            || self.statuses.is_some()
            || !self.query.is_empty()
            || self.bookmarked_only
            || self.agent.is_some()
            || (self.hide_offline && self.rows.len() < self.snapshot.sessions.len())
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

    /// Counts over the whole snapshot (computed once per snapshot, not per call).
    pub fn counts(&self) -> Counts {
        Counts {
            shown: self.rows.len(),
            ..self.totals
        }
    }

    /// Changes whenever the rows shown may have changed (a snapshot, a filter, the
    /// sort), unique across models: what the UI caches per set of rows is keyed by it.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Whether the selection follows the top row (until the user moves it).
    pub fn follows_top(&self) -> bool {
        !self.user_moved
    }
}

/// A revision no model has had ([`Model::revision`]).
fn next_revision() -> u64 {
    static REVISIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    REVISIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

mod counts;
mod search;
pub use counts::Counts;
pub use search::matches_query;

#[cfg(test)]
mod tests;
