//! What changed between two snapshots that the user should hear about: a session that
//! now needs you (or finished, or failed), a remote that went away or came back.
//!
//! [`Watcher::observe`] is a pure function of the snapshots it is shown (and the time it
//! is told), so the rules are testable without a terminal: no event for the first
//! snapshot, none for rows that are only stale because their remote is unreachable,
//! none twice for the same transition, one [`Notice`] per snapshot however many
//! sessions changed at once, and at most one event per session per
//! [`Triggers::per_session`] interval.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use crate::{SessionInfo, Snapshot, SourceState, Status};

/// Which transitions make an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Triggers {
    /// Statuses whose arrival is an event (default: permission, waiting).
    pub statuses: BTreeSet<&'static str>,
    /// A remote becoming unavailable or coming back.
    pub remotes: bool,
    /// The shortest time between two events of one session.
    pub per_session: Duration,
}

impl Default for Triggers {
    fn default() -> Self {
        Triggers {
            statuses: ["permission", "waiting"].into_iter().collect(),
            remotes: false,
            per_session: Duration::from_secs(10),
        }
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
    },
    /// A remote became unavailable (`reason`) or came back (`None`).
    Remote {
        /// The remote.
        remote: String,
        /// Why it is unavailable; `None` when it came back.
        reason: Option<String>,
    },
}

/// The events of one snapshot, coalesced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Every event, in snapshot order.
    pub events: Vec<Event>,
}

impl Notice {
    /// One line for a notification: the event itself when there is one, else a count
    /// ("3 sessions need you: api, web [dev], db", "10 sessions are done: ...").
    pub fn summary(&self) -> String {
        match self.events.as_slice() {
            [one] => one.describe(),
            many => {
                let names: Vec<String> = many.iter().map(Event::label).collect();
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

    /// A sentence: "api [dev-server] needs permission: Bash", "dev-server is unreachable".
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
                match clean(message).trim() {
                    "" => format!("{} {what}", self.label()),
                    m => format!("{} {what}: {m}", self.label()),
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

/// Remembers the last snapshot's statuses and turns the next into events.
#[derive(Debug, Default)]
pub struct Watcher {
    triggers: Triggers,
    /// `None` until the first snapshot was seen.
    last: Option<HashMap<Key, Status>>,
    sources: HashMap<String, SourceState>,
    last_event: HashMap<Key, Instant>,
}

impl Watcher {
    /// A watcher for `triggers`.
    pub fn new(triggers: Triggers) -> Watcher {
        Watcher {
            triggers,
            ..Watcher::default()
        }
    }

    /// The events between the previous snapshot and `snapshot`, seen at `now`; `None`
    /// when there are none.
    pub fn observe(&mut self, snapshot: &Snapshot, now: Instant) -> Option<Notice> {
        let first = self.last.is_none();
        let last = self.last.take().unwrap_or_default();
        let mut current: HashMap<Key, Status> = HashMap::new();
        let mut events = Vec::new();
        for s in &snapshot.sessions {
            let key = (s.remote.clone(), s.tmux_session.clone());
            if s.stale {
                // Unreachable, not changed: keep what we knew.
                if let Some(prev) = last.get(&key) {
                    current.insert(key, prev.clone());
                }
                continue;
            }
            let status = s.combined_status().0;
            let changed = last.get(&key) != Some(&status);
            let triggered = changed && self.triggers.statuses.contains(status.as_str());
            if !first && triggered && self.allowed(&key, now) {
                events.push(status_event(s, status.clone()));
            }
            current.insert(key, status);
        }
        self.last = Some(current);
        events.extend(self.remote_events(snapshot, first));
        (!events.is_empty()).then_some(Notice { events })
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
        for h in &snapshot.sources {
            let Some(name) = &h.name else {
                continue;
            };
            let before = self.sources.insert(name.clone(), h.state);
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
        events
    }
}

fn status_event(s: &SessionInfo, status: Status) -> Event {
    Event::Status {
        session: s.tmux_session.clone(),
        remote: s.remote.clone(),
        status,
        message: s.message.clone(),
    }
}

#[cfg(test)]
mod tests;
