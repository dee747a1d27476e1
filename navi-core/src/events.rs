//! What changed between two snapshots that the user should hear about: a session that
//! now needs you (or finished, or failed), a remote that went away or came back.
//!
//! [`Watcher`] is a pure function of the snapshots it is shown and the times it is told,
//! so the rules are testable without a terminal or a clock:
//!
//! * **only what happened**: each source's first snapshot after navi starts, and its first
//!   after a reconnect (unavailable, then connected again), is its *baseline*: what it
//!   holds then is old news, never an event;
//! * **only live rows**: a row whose [`row_liveness`](SessionInfo::row_liveness) is not
//!   [`Liveness::Live`](crate::statusdir::liveness::Liveness) (ended, unknown, stale)
//!   never makes an event; its status is still followed, so it does not turn into news
//!   later either;
//! * **once**: an event only when a row's status changed into a trigger, at most one per
//!   session per [`Triggers::per_session`];
//! * **together**: events within [`COALESCE`] of the first, on any machine, are one
//!   [`Notice`] ([`Watcher::deadline`], [`Watcher::take_due`]).

use std::collections::{HashMap, HashSet};
// The tests (`use super::*`) gather events in one.
#[cfg(test)]
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::{SessionInfo, Snapshot, SourceState, Status};

/// Which transitions make an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triggers {
    /// Statuses whose arrival is an event (default: permission, waiting).
    pub statuses: StatusSet,
    /// A remote becoming unavailable or coming back.
    pub remotes: bool,
    /// The shortest time between two events of one session.
    pub per_session: Duration,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            statuses: [Status::Permission, Status::Waiting].into_iter().collect(),
            remotes: false,
            per_session: crate::limits::NOTIFY_PER_SESSION,
        }
    }
}

/// A set of [`Status`]es (which ones make an event). Built from statuses, or from the
/// words the hooks and config files use ([`Status::from_hook`]), so a status crosses into
/// the watcher typed, never as a string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusSet(Vec<Status>);

impl StatusSet {
    /// Whether `status` is in the set.
    pub fn contains(&self, status: &Status) -> bool {
        self.0.contains(status)
    }

    /// The statuses, in the order first added.
    pub fn iter(&self) -> impl Iterator<Item = &Status> {
        self.0.iter()
    }
}

impl FromIterator<Status> for StatusSet {
    fn from_iter<I: IntoIterator<Item = Status>>(iter: I) -> Self {
        let mut set = StatusSet::default();
        for s in iter {
            if !set.contains(&s) {
                set.0.push(s);
            }
        }
        set
    }
}

impl<'a> FromIterator<&'a str> for StatusSet {
    fn from_iter<I: IntoIterator<Item = &'a str>>(iter: I) -> Self {
        iter.into_iter().map(Status::from_hook).collect()
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A session entered a status the triggers name.
    Status {
        /// The tmux session.
        session: String,
        /// Its machine (`None`: local).
        remote: Option<String>,
        /// The status it entered (a team's combined status).
        status: Status,
        /// Its message.
        message: String,
        /// The coding agent whose status it is (`claude`, `codex`, `gemini`, `opencode`,
        /// or a helper's kind from the Go navi's `agents` map):
        /// [`SessionInfo::status_agent`].
        agent: String,
    },
    /// A remote became unavailable (`reason`) or came back (`None`).
    Remote {
        /// The remote.
        remote: String,
        /// Why it is unavailable; `None` when it came back.
        reason: Option<String>,
    },
}

/// The events of one [`COALESCE`] window, on every machine: one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Every event, in the order they were seen (snapshot order within a snapshot); one
    /// per session or remote.
    pub events: Vec<Event>,
}

impl Notice {
    /// One line for a notification: the event itself when there is one, else a count
    /// ("3 sessions need you: api, web [dev], db", "10 sessions are done: ...").
    pub fn summary(&self) -> String {
        match self.events.as_slice() {
            [one] => one.describe(),
            many => {
                let names: Vec<String> = many.iter().map(Event::who).collect();
                let mut text = format!("{}: {}", head(many), names.join(", "));
                if text.chars().count() > 200 {
                    text = text.chars().take(199).collect::<String>() + "…";
                }
                text
            }
        }
    }
}

/// "10 sessions need you", "10 sessions are done", "3 sessions changed", "4 changes".
fn head(many: &[Event]) -> String {
    let n = many.len();
    let statuses: Option<Vec<&Status>> = many
        .iter()
        .map(|e| match e {
            Event::Status { status, .. } => Some(status),
            Event::Remote { .. } => None,
        })
        .collect();
    let Some(statuses) = statuses else {
        return format!("{n} changes");
    };
    let all = |s: Status| statuses.iter().all(|x| **x == s);
    if statuses.iter().all(|s| s.needs_attention()) {
        format!("{n} sessions need you")
    } else if all(Status::Done) {
        format!("{n} sessions are done")
    } else if all(Status::Error) {
        format!("{n} sessions failed")
    } else {
        format!("{n} sessions changed")
    }
}

impl Event {
    /// Whether `other` is about the same session (or the same remote).
    fn same_subject(&self, other: &Event) -> bool {
        match (self, other) {
            (
                Event::Status {
                    session, remote, ..
                },
                Event::Status {
                    session: s,
                    remote: r,
                    ..
                },
            ) => session == s && remote == r,
            (Event::Remote { remote, .. }, Event::Remote { remote: r, .. }) => remote == r,
            _ => false,
        }
    }

    /// `api [dev-server]`, or the remote's name.
    pub fn label(&self) -> String {
        match self {
            Event::Status {
                session, remote, ..
            } => match remote {
                Some(r) => format!("{} [{}]", clean(session), clean(r)),
                None => clean(session),
            },
            Event::Remote { remote, .. } => clean(remote),
        }
    }

    /// [`label`](Self::label) and, for a session run by another agent than Claude Code
    /// (whose sessions read as before), that agent: `web (Codex)`.
    pub fn who(&self) -> String {
        format!("{}{}", self.label(), self.agent_note())
    }

    fn agent_note(&self) -> String {
        match self {
            Event::Status { agent, .. } => match crate::statusdir::agents::Agent::parse(agent) {
                Some(crate::statusdir::agents::Agent::Claude) => String::new(),
                Some(a) => format!(" ({})", a.title()),
                None if agent.trim().is_empty() => String::new(),
                None => format!(" ({})", clean(agent)),
            },
            Event::Remote { .. } => String::new(),
        }
    }

    /// A sentence: "api [dev-server] needs permission: Bash", "web (Codex) is done",
    /// "dev-server is unreachable".
    pub fn describe(&self) -> String {
        let text = match self {
            Event::Status {
                status, message, ..
            } => {
                let what = match status {
                    Status::Permission => "needs permission".to_string(),
                    Status::Waiting => "is waiting for you".to_string(),
                    Status::Done => "is done".to_string(),
                    Status::Error => "failed".to_string(),
                    other => format!("is {}", other.as_str()),
                };
                let who = self.who();
                match clean(message).trim() {
                    "" => format!("{who} {what}"),
                    m => format!("{who} {what}: {m}"),
                }
            }
            Event::Remote {
                reason: Some(r), ..
            } => format!("{} is unavailable: {}", self.label(), clean(r)),
            Event::Remote { reason: None, .. } => format!("{} is back", self.label()),
        };
        match text.chars().count() > 200 {
            true => text.chars().take(199).collect::<String>() + "…",
            false => text,
        }
    }
}

/// Remote text made safe for a notification: no escape sequences, no control
/// characters, one line.
fn clean(s: &str) -> String {
    crate::text::sanitize(s).into_owned()
}

type Key = (Option<String>, String);

pub use crate::limits::NOTIFY_COALESCE as COALESCE;

/// Follows the snapshots' statuses and turns changes into [`Notice`]s.
#[derive(Debug, Default)]
pub struct Watcher {
    triggers: Triggers,
    /// Whether a snapshot was seen: the first one is every source's baseline.
    started: bool,
    /// Every row's status at the last snapshot, live or not (a row that was unknown
    /// while it turned to `permission` is not news when it turns live), by source and
    /// name, with the snapshot that last listed it: looked up without copying a name,
    /// so a snapshot of unchanged rows allocates nothing.
    last: HashMap<Option<String>, HashMap<String, (Status, u64)>>,
    /// Snapshots seen.
    round: u64,
    /// Sources (`None`: local) connected at the last snapshot; one connected now and not
    /// then is at its baseline.
    connected: HashSet<Option<String>>,
    /// Each remote's state at the last snapshot, for remote events.
    sources: HashMap<String, SourceState>,
    /// When each session last made an event (rows gone are forgotten).
    last_event: HashMap<Key, Instant>,
    /// Events waiting for [`COALESCE`] to pass.
    pending: Pending,
}

/// The notice being gathered.
#[derive(Debug, Default)]
struct Pending {
    /// When its first event was seen; `None` while empty.
    since: Option<Instant>,
    events: Vec<Event>,
}

impl Watcher {
    /// A watcher for `triggers`.
    pub fn new(triggers: Triggers) -> Watcher {
        Watcher {
            triggers,
            ..Watcher::default()
        }
    }

    /// Follows `snapshot`, seen at `now`: its changes join the notice being gathered,
    /// which is due at [`Watcher::deadline`].
    pub fn observe(&mut self, snapshot: &Snapshot, now: Instant) {
        let events = self.changes(snapshot, now);
        if events.is_empty() {
            return;
        }
        self.pending.since.get_or_insert(now);
        for e in events {
            // One session (or remote) once per notice: the later state wins, in the
            // place of the first.
            match self.pending.events.iter_mut().find(|p| p.same_subject(&e)) {
                Some(p) => *p = e,
                None => self.pending.events.push(e),
            }
        }
    }

    /// When the notice being gathered is due; `None` when there is none.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.since.map(|t| t + COALESCE)
    }

    /// The gathered notice, once it is due at `now`.
    pub fn take_due(&mut self, now: Instant) -> Option<Notice> {
        if self.deadline().is_none_or(|d| now < d) {
            return None;
        }
        let pending = std::mem::take(&mut self.pending);
        Some(Notice {
            events: pending.events,
        })
    }

    /// The events of `snapshot` against the last one.
    fn changes(&mut self, snapshot: &Snapshot, now: Instant) -> Vec<Event> {
        let first = !self.started;
        self.started = true;
        let connected: HashSet<Option<String>> = snapshot
            .sources
            .iter()
            .filter(|h| h.state == SourceState::Connected)
            .map(|h| h.name.clone())
            .collect();
        let baseline = |remote: &Option<String>| {
            first || (connected.contains(remote) && !self.connected.contains(remote))
        };
        self.round += 1;
        let round = self.round;
        let mut news = Vec::new();
        for s in &snapshot.sessions {
            let status = s.combined_status().0;
            if !self.last.contains_key(&s.remote) {
                self.last.insert(s.remote.clone(), HashMap::new());
            }
            let Some(rows) = self.last.get_mut(&s.remote) else {
                continue;
            };
            let changed = match rows.get_mut(&s.tmux_session) {
                Some((was, seen)) => {
                    *seen = round;
                    let changed = *was != status;
                    if changed {
                        *was = status.clone();
                    }
                    changed
                }
                None => {
                    rows.insert(s.tmux_session.clone(), (status.clone(), round));
                    true
                }
            };
            if changed
                && s.row_liveness().is_live()
                && !baseline(&s.remote)
                && self.triggers.statuses.contains(&status)
            {
                let key = (s.remote.clone(), s.tmux_session.clone());
                news.push((key, status_event(s, status)));
            }
        }
        // Sessions that are gone are forgotten: their rate limit with them.
        for rows in self.last.values_mut() {
            rows.retain(|_, (_, seen)| *seen == round);
        }
        self.last.retain(|_, rows| !rows.is_empty());
        self.connected = connected;
        let last = &self.last;
        (self.last_event).retain(|(remote, name), _| {
            last.get(remote).is_some_and(|rows| rows.contains_key(name))
        });
        let mut events: Vec<Event> = news
            .into_iter()
            .filter(|(key, _)| self.allowed(key, now))
            .map(|(_, e)| e)
            .collect();
        events.extend(self.remote_events(snapshot, first));
        events
    }

    /// How many rows the watcher holds a status of.
    #[cfg(test)]
    fn rows_held(&self) -> usize {
        self.last.values().map(HashMap::len).sum()
    }

    /// Per-session rate limit.
    fn allowed(&mut self, key: &Key, now: Instant) -> bool {
        if let Some(at) = self.last_event.get(key) {
            if now.saturating_duration_since(*at) < self.triggers.per_session {
                return false;
            }
        }
        self.last_event.insert(key.clone(), now);
        true
    }

    fn remote_events(&mut self, snapshot: &Snapshot, first: bool) -> Vec<Event> {
        let mut events = Vec::new();
        let mut states = HashMap::with_capacity(snapshot.sources.len());
        for h in &snapshot.sources {
            let Some(name) = &h.name else {
                continue;
            };
            states.insert(name.clone(), h.state);
            let before = self.sources.get(name).copied();
            if first || !self.triggers.remotes {
                continue;
            }
            match (before, h.state) {
                (Some(SourceState::Connected), SourceState::Unavailable) => {
                    events.push(Event::Remote {
                        remote: name.clone(),
                        reason: Some(h.reason.as_ref().map(|r| r.reason()).unwrap_or_default()),
                    })
                }
                (Some(SourceState::Unavailable), SourceState::Connected) => {
                    events.push(Event::Remote {
                        remote: name.clone(),
                        reason: None,
                    })
                }
                _ => {}
            }
        }
        // Remotes no longer configured are forgotten.
        self.sources = states;
        events
    }
}

fn status_event(s: &SessionInfo, status: Status) -> Event {
    Event::Status {
        session: s.tmux_session.clone(),
        remote: s.remote.clone(),
        status,
        message: s.message.clone(),
        agent: s.status_agent(),
    }
}

#[cfg(test)]
mod tests;
