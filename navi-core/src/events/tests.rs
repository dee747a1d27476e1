#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::statusdir::liveness::Liveness;
use crate::{SourceError, SourceHealth};

fn row(name: &str, remote: Option<&str>, status: &str, stale: bool) -> Arc<SessionInfo> {
    Arc::new(SessionInfo {
        tmux_session: name.into(),
        remote: remote.map(Into::into),
        status: Status::from_hook(status),
        message: format!("{name} says hi"),
        stale,
        ..SessionInfo::default()
    })
}

fn with_liveness(r: Arc<SessionInfo>, liveness: Liveness) -> Arc<SessionInfo> {
    let mut s = SessionInfo::clone(&r);
    s.liveness = liveness;
    Arc::new(s)
}

fn snap(rows: Vec<Arc<SessionInfo>>) -> Snapshot {
    Snapshot {
        sessions: rows,
        sources: Vec::new(),
        generation: 0,
    }
}

fn health(name: Option<&str>, state: SourceState) -> SourceHealth {
    SourceHealth {
        state,
        reason: (state == SourceState::Unavailable)
            .then(|| SourceError::Refused("dev:22: connection refused".into())),
        ..SourceHealth::connecting(name.map(Into::into))
    }
}

fn snap_of(rows: Vec<Arc<SessionInfo>>, sources: Vec<SourceHealth>) -> Snapshot {
    Snapshot {
        sessions: rows,
        sources,
        generation: 0,
    }
}

/// Shows `snapshot` at `t` and returns the notice due once the window has passed.
fn step(w: &mut Watcher, snapshot: &Snapshot, t: Instant) -> Option<Notice> {
    w.observe(snapshot, t);
    w.take_due(t + COALESCE)
}

fn names(n: &Option<Notice>) -> Vec<String> {
    n.iter()
        .flat_map(|n| n.events.iter().map(Event::label))
        .collect()
}

#[test]
fn the_first_snapshot_is_quiet_and_a_change_is_one_event() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    let a = snap(vec![row("api", None, "permission", false)]);
    assert_eq!(step(&mut w, &a, t), None, "already needing you at start");
    let b = snap(vec![
        row("api", None, "permission", false),
        row("web", Some("dev"), "working", false),
    ]);
    assert_eq!(step(&mut w, &b, t), None);
    let c = snap(vec![
        row("api", None, "permission", false),
        row("web", Some("dev"), "waiting", false),
    ]);
    let n = step(&mut w, &c, t + Duration::from_secs(1));
    assert_eq!(names(&n), ["web [dev]"]);
    assert_eq!(
        n.unwrap().summary(),
        "web [dev] is waiting for you: web says hi"
    );
    assert_eq!(
        step(&mut w, &c, t + Duration::from_secs(2)),
        None,
        "no repeat"
    );
}

#[test]
fn starting_with_three_sessions_already_waiting_is_silent() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    let rows = vec![
        row("api", None, "waiting", false),
        row("web", Some("dev"), "permission", false),
        row("db", Some("gpu"), "waiting", false),
    ];
    let sources = vec![
        health(None, SourceState::Connected),
        health(Some("dev"), SourceState::Connected),
        health(Some("gpu"), SourceState::Connected),
    ];
    let s = snap_of(rows, sources);
    assert_eq!(step(&mut w, &s, t), None);
    assert_eq!(step(&mut w, &s, t + Duration::from_secs(1)), None);
    assert_eq!(w.deadline(), None, "nothing is being gathered");
}

#[test]
fn a_source_that_connects_later_or_reconnects_starts_with_a_baseline() {
    let mut w = Watcher::new(Triggers {
        per_session: Duration::ZERO,
        ..Triggers::default()
    });
    let t = Instant::now();
    let local = || health(None, SourceState::Connected);
    // navi starts: the local directory answered, dev is still connecting.
    let start = snap_of(
        vec![row("api", None, "working", false)],
        vec![local(), health(Some("dev"), SourceState::Connecting)],
    );
    assert_eq!(step(&mut w, &start, t), None);
    // dev answers 3 s later with two sessions that were waiting all along: old news.
    let dev_rows = || {
        vec![
            row("api", None, "working", false),
            row("web", Some("dev"), "waiting", false),
            row("train", Some("dev"), "permission", false),
        ]
    };
    let connected = snap_of(
        dev_rows(),
        vec![local(), health(Some("dev"), SourceState::Connected)],
    );
    assert_eq!(step(&mut w, &connected, t + Duration::from_secs(3)), None);
    // dev goes away: its rows are stale; it comes back with `web` changed meanwhile and
    // a new session: the reconnect is a baseline too.
    let stale: Vec<_> = dev_rows()
        .into_iter()
        .map(|r| {
            let mut s = SessionInfo::clone(&r);
            s.stale = s.remote.is_some();
            Arc::new(s)
        })
        .collect();
    let down = snap_of(
        stale,
        vec![local(), health(Some("dev"), SourceState::Unavailable)],
    );
    assert_eq!(step(&mut w, &down, t + Duration::from_secs(5)), None);
    let back = snap_of(
        vec![
            row("api", None, "working", false),
            row("web", Some("dev"), "permission", false),
            row("new", Some("dev"), "waiting", false),
        ],
        vec![local(), health(Some("dev"), SourceState::Connected)],
    );
    assert_eq!(step(&mut w, &back, t + Duration::from_secs(9)), None);
    // From then on, dev's changes are news again.
    let later = snap_of(
        vec![
            row("api", None, "working", false),
            row("web", Some("dev"), "working", false),
            row("new", Some("dev"), "working", false),
        ],
        vec![local(), health(Some("dev"), SourceState::Connected)],
    );
    assert_eq!(step(&mut w, &later, t + Duration::from_secs(10)), None);
    let asks = snap_of(
        vec![
            row("api", None, "working", false),
            row("web", Some("dev"), "permission", false),
            row("new", Some("dev"), "working", false),
        ],
        vec![local(), health(Some("dev"), SourceState::Connected)],
    );
    let n = step(&mut w, &asks, t + Duration::from_secs(11));
    assert_eq!(names(&n), ["web [dev]"]);
}

#[test]
fn ended_unknown_and_stale_rows_never_notify() {
    let mut w = Watcher::new(Triggers {
        per_session: Duration::ZERO,
        ..Triggers::default()
    });
    let t = Instant::now();
    let rows = |status: &str| {
        vec![
            with_liveness(row("ghost", None, status, false), Liveness::Ended),
            with_liveness(
                row("far", Some("dev"), status, false),
                Liveness::Unknown("tmux: not found".into()),
            ),
            row("old", Some("gpu"), status, true),
        ]
    };
    step(&mut w, &snap(rows("working")), t);
    // The ghost "needs permission", the others too: none of them runs for sure.
    assert_eq!(step(&mut w, &snap(rows("permission")), t), None);
    assert_eq!(step(&mut w, &snap(rows("waiting")), t), None);
    // Turning live with the status it had: not news either.
    let live: Vec<_> = rows("waiting")
        .into_iter()
        .map(|r| {
            let mut s = SessionInfo::clone(&r);
            s.liveness = Liveness::Live;
            s.stale = false;
            Arc::new(s)
        })
        .collect();
    assert_eq!(step(&mut w, &snap(live), t), None);
}

#[test]
fn an_ended_ghost_row_at_start_and_after_is_silent() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    let ghost = |status: &str| {
        snap(vec![with_liveness(
            row("ghost", None, status, false),
            Liveness::Ended,
        )])
    };
    assert_eq!(step(&mut w, &ghost("permission"), t), None);
    assert_eq!(step(&mut w, &ghost("working"), t), None);
    assert_eq!(
        step(&mut w, &ghost("permission"), t + Duration::from_secs(60)),
        None
    );
}

#[test]
fn two_machines_200_ms_apart_are_one_notice() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    let sources = || {
        vec![
            health(Some("dev"), SourceState::Connected),
            health(Some("gpu"), SourceState::Connected),
        ]
    };
    let rows = |web: &str, train: &str| {
        snap_of(
            vec![
                row("web", Some("dev"), web, false),
                row("train", Some("gpu"), train, false),
            ],
            sources(),
        )
    };
    w.observe(&rows("working", "working"), t);
    assert_eq!(w.take_due(t + COALESCE), None);
    let t1 = t + Duration::from_secs(1);
    w.observe(&rows("permission", "working"), t1);
    assert_eq!(w.deadline(), Some(t1 + COALESCE));
    assert_eq!(w.take_due(t1 + Duration::from_millis(100)), None, "not yet");
    let t2 = t1 + Duration::from_millis(200);
    w.observe(&rows("permission", "permission"), t2);
    assert_eq!(
        w.deadline(),
        Some(t1 + COALESCE),
        "the window runs from the first event"
    );
    let n = w.take_due(t1 + COALESCE).unwrap();
    assert_eq!(
        n.summary(),
        "2 sessions need you: web [dev], train [gpu]",
        "{n:?}"
    );
    assert_eq!(w.deadline(), None);
    assert_eq!(w.take_due(t1 + COALESCE * 4), None, "once");
}

#[test]
fn a_change_after_the_window_is_a_notice_of_its_own() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    let rows = |a: &str, b: &str| {
        snap(vec![
            row("a", None, a, false),
            row("b", Some("dev"), b, false),
        ])
    };
    w.observe(&rows("working", "working"), t);
    w.observe(&rows("waiting", "working"), t + Duration::from_secs(1));
    let late = t + Duration::from_secs(1) + COALESCE;
    // The first notice is due; the task takes it before it looks at the next snapshot.
    assert_eq!(names(&w.take_due(late)), ["a"]);
    w.observe(&rows("waiting", "waiting"), late);
    assert_eq!(names(&w.take_due(late + COALESCE)), ["b [dev]"]);
}

#[test]
fn a_session_changing_twice_in_one_window_is_named_once_with_its_latest_state() {
    let mut w = Watcher::new(Triggers {
        per_session: Duration::ZERO,
        ..Triggers::default()
    });
    let t = Instant::now();
    w.observe(&snap(vec![row("a", None, "working", false)]), t);
    w.observe(&snap(vec![row("a", None, "waiting", false)]), t);
    w.observe(&snap(vec![row("a", None, "working", false)]), t);
    w.observe(&snap(vec![row("a", None, "permission", false)]), t);
    let n = w.take_due(t + COALESCE).unwrap();
    assert_eq!(n.summary(), "a needs permission: a says hi");
}

#[test]
fn stale_rows_make_no_event_and_coming_back_unchanged_is_quiet() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    step(
        &mut w,
        &snap(vec![row("web", Some("dev"), "waiting", false)]),
        t,
    );
    assert_eq!(
        step(
            &mut w,
            &snap(vec![row("web", Some("dev"), "waiting", true)]),
            t
        ),
        None
    );
    assert_eq!(
        step(
            &mut w,
            &snap(vec![row("web", Some("dev"), "waiting", false)]),
            t
        ),
        None,
        "the remote came back with the same status"
    );
}

#[test]
fn bursts_are_one_notice_and_sessions_are_rate_limited() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    let working: Vec<_> = (0..10)
        .map(|i| row(&format!("s{i}"), None, "working", false))
        .collect();
    step(&mut w, &snap(working.clone()), t);
    let waiting: Vec<_> = (0..10)
        .map(|i| row(&format!("s{i}"), None, "waiting", false))
        .collect();
    let n = step(&mut w, &snap(waiting.clone()), t).unwrap();
    assert_eq!(n.events.len(), 10);
    assert!(
        n.summary().starts_with("10 sessions need you: s0, s1"),
        "{}",
        n.summary()
    );
    let mut done = Watcher::new(Triggers {
        statuses: ["done", "error"].into_iter().collect(),
        ..Triggers::default()
    });
    step(&mut done, &snap(working.clone()), t);
    let finished: Vec<_> = (0..10)
        .map(|i| row(&format!("s{i}"), None, "done", false))
        .collect();
    let n = step(&mut done, &snap(finished), t).unwrap();
    assert!(
        n.summary().starts_with("10 sessions are done: s0"),
        "{}",
        n.summary()
    );
    let mut mixed: Vec<_> = (0..9)
        .map(|i| row(&format!("s{i}"), None, "working", false))
        .collect();
    mixed.push(row("s9", None, "error", false));
    mixed[0] = row("s0", None, "done", false);
    step(
        &mut done,
        &snap(working.clone()),
        t + Duration::from_secs(60),
    );
    let n = step(&mut done, &snap(mixed), t + Duration::from_secs(60)).unwrap();
    assert_eq!(n.summary(), "2 sessions changed: s0, s9");
    // s0 flaps back and forth within the rate limit: quiet.
    step(&mut w, &snap(working.clone()), t + Duration::from_secs(1));
    assert_eq!(
        step(&mut w, &snap(waiting.clone()), t + Duration::from_secs(2)),
        None
    );
    step(&mut w, &snap(working), t + Duration::from_secs(20));
    assert_eq!(
        step(&mut w, &snap(waiting), t + Duration::from_secs(21)).map(|n| n.events.len()),
        Some(10),
        "after the interval it is news again"
    );
}

#[test]
fn sessions_that_are_gone_are_forgotten() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    let many: Vec<_> = (0..50)
        .map(|i| row(&format!("s{i}"), None, "working", false))
        .collect();
    step(&mut w, &snap(many), t);
    let asking: Vec<_> = (0..50)
        .map(|i| row(&format!("s{i}"), None, "waiting", false))
        .collect();
    assert!(step(&mut w, &snap(asking), t).is_some());
    assert_eq!(w.last_event.len(), 50);
    assert_eq!(w.rows_held(), 50);
    step(&mut w, &snap(vec![row("s0", None, "waiting", false)]), t);
    assert_eq!(w.last_event.len(), 1, "rate limits of rows that are gone");
    assert_eq!(w.rows_held(), 1);
    step(&mut w, &snap(vec![]), t);
    assert!(w.last_event.is_empty() && w.rows_held() == 0 && w.last.is_empty());
}

#[test]
fn team_status_counts_and_remote_events_are_optional() {
    let mut w = Watcher::new(Triggers {
        remotes: true,
        ..Triggers::default()
    });
    let t = Instant::now();
    let mut s = snap(vec![]);
    s.sources = vec![health(Some("dev"), SourceState::Connected)];
    step(&mut w, &s, t);
    s.sources = vec![health(Some("dev"), SourceState::Unavailable)];
    let n = step(&mut w, &s, t).unwrap();
    assert!(
        n.summary()
            .starts_with("dev is unavailable: connection refused"),
        "{}",
        n.summary()
    );
    s.sources = vec![health(Some("dev"), SourceState::Connected)];
    assert_eq!(step(&mut w, &s, t).unwrap().summary(), "dev is back");
    s.sources = vec![];
    step(&mut w, &s, t);
    assert!(
        w.sources.is_empty(),
        "a remote no longer listed is forgotten"
    );
}

#[test]
fn hostile_text_is_cleaned_and_bounded() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    step(&mut w, &snap(vec![row("x", None, "working", false)]), t);
    let mut evil = SessionInfo::clone(&row("x\u{1b}]0;pwn\u{7}", None, "permission", false));
    evil.message = format!("\u{1b}[2J{}", "m".repeat(1000));
    step(&mut w, &snap(vec![]), t);
    let n = step(&mut w, &snap(vec![Arc::new(evil)]), t).unwrap();
    let text = n.summary();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.chars().count() <= 200);
}

// The proptest: a world of three sources whose rows and states change step by step, seen
// by a watcher the way the notifier's task sees it (a due notice is taken before the next
// snapshot), against a reference written from the rules.

/// The sources of the generated world: local and two remotes.
const SOURCES: [Option<&str>; 3] = [None, Some("a"), Some("b")];

/// One source at one step.
#[derive(Debug, Clone)]
enum SourceStep {
    /// Not answered yet (only before its first answer).
    Connecting,
    /// Answered with these rows: (name index, status, liveness index).
    Connected(Vec<(usize, &'static str, u8)>),
    /// Failed: its last rows, stale.
    Unavailable,
}

fn status_strategy() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("working"),
        Just("waiting"),
        Just("permission"),
        Just("done"),
        Just("idle")
    ]
}

fn source_step() -> impl Strategy<Value = SourceStep> {
    prop_oneof![
        1 => Just(SourceStep::Connecting),
        6 => prop::collection::vec((0..3usize, status_strategy(), 0..4u8), 0..4)
            .prop_map(SourceStep::Connected),
        2 => Just(SourceStep::Unavailable),
    ]
}

fn liveness_of(i: u8) -> Liveness {
    match i {
        0 => Liveness::Ended,
        1 => Liveness::Unknown("no server".into()),
        // Live twice as often.
        _ => Liveness::Live,
    }
}

/// The snapshots of the steps, as the aggregator would publish them: a source connects
/// once, stays connected or unavailable after, and an unavailable one keeps its last
/// rows, stale.
fn world(steps: &[[SourceStep; 3]]) -> Vec<Snapshot> {
    let mut answered = [false; 3];
    let mut rows: [Vec<Arc<SessionInfo>>; 3] = Default::default();
    let mut out = Vec::new();
    for step in steps {
        let mut sources = Vec::new();
        for (i, s) in step.iter().enumerate() {
            let name = SOURCES[i];
            let state = match s {
                SourceStep::Connecting if !answered[i] => SourceState::Connecting,
                SourceStep::Connected(list) => {
                    answered[i] = true;
                    let mut seen = BTreeSet::new();
                    rows[i] = list
                        .iter()
                        .filter(|(n, _, _)| seen.insert(*n))
                        .map(|(n, st, l)| {
                            with_liveness(row(&format!("s{n}"), name, st, false), liveness_of(*l))
                        })
                        .collect();
                    SourceState::Connected
                }
                // Unavailable, or "connecting" again: a failed poll.
                _ if !answered[i] => SourceState::Connecting,
                _ => {
                    rows[i] = rows[i]
                        .iter()
                        .map(|r| {
                            let mut s = SessionInfo::clone(r);
                            s.stale = true;
                            Arc::new(s)
                        })
                        .collect();
                    SourceState::Unavailable
                }
            };
            sources.push(health(name, state));
        }
        out.push(snap_of(rows.iter().flatten().cloned().collect(), sources));
    }
    out
}

/// One announced transition: who, and into what.
type Said = (String, String);

proptest! {
    /// Over any sequence of snapshots: no event for a source's baseline (its first
    /// snapshot after start or after a reconnect) nor for a row that is not live; every
    /// live row that newly turns to permission or waiting is announced exactly once, in
    /// the notice of the window it happened in; never two events for one session in one
    /// notice.
    #[test]
    fn notices_are_exactly_the_live_transitions_outside_baselines(
        steps in prop::collection::vec(
            [source_step(), source_step(), source_step()],
            1..10,
        ),
        gaps in prop::collection::vec(
            prop::sample::select(vec![0u64, 100, 200, 400, 800, 1600]),
            10,
        ),
    ) {
        let snapshots = world(&steps);
        let triggers = Triggers {
            per_session: Duration::ZERO,
            ..Triggers::default()
        };
        let start = Instant::now();
        let mut t = start;
        let times: Vec<Instant> = gaps
            .iter()
            .take(snapshots.len())
            .map(|g| {
                t += Duration::from_millis(*g);
                t
            })
            .collect();

        // What the watcher says: each notice, taken when due, before the next snapshot.
        let mut w = Watcher::new(triggers.clone());
        let mut said: Vec<Vec<Said>> = Vec::new();
        let take = |n: Notice| -> Vec<Said> {
            n.events
                .iter()
                .map(|e| match e {
                    Event::Status { status, .. } => (e.label(), status.as_str().to_string()),
                    Event::Remote { .. } => (e.label(), "remote".into()),
                })
                .collect()
        };
        for (s, at) in snapshots.iter().zip(&times) {
            if let Some(due) = w.deadline().filter(|d| d <= at) {
                said.extend(w.take_due(due).map(take));
            }
            w.observe(s, *at);
        }
        if let Some(due) = w.deadline() {
            said.extend(w.take_due(due).map(take));
        }
        prop_assert_eq!(w.deadline(), None);

        // The reference: the transitions, from the rules.
        let mut transitions: Vec<(Instant, Said)> = Vec::new();
        let mut before: HashMap<String, String> = HashMap::new();
        let mut was_connected: HashSet<Option<String>> = HashSet::new();
        for (i, (s, at)) in snapshots.iter().zip(&times).enumerate() {
            let connected: HashSet<Option<String>> = s
                .sources
                .iter()
                .filter(|h| h.state == SourceState::Connected)
                .map(|h| h.name.clone())
                .collect();
            let mut now = HashMap::new();
            for r in &s.sessions {
                let label = match &r.remote {
                    Some(rm) => format!("{} [{rm}]", r.tmux_session),
                    None => r.tmux_session.clone(),
                };
                let status = r.status.as_str().to_string();
                let baseline = i == 0
                    || (connected.contains(&r.remote) && !was_connected.contains(&r.remote));
                let live = !r.stale && r.liveness == Liveness::Live;
                let changed = before.get(&label) != Some(&status);
                if live && !baseline && changed && r.status.needs_attention() {
                    transitions.push((*at, (label.clone(), status.clone())));
                }
                now.insert(label, status);
            }
            before = now;
            was_connected = connected;
        }
        // Grouped into windows: each opens with the first transition no window holds.
        let mut expected: Vec<Vec<Said>> = Vec::new();
        let mut open: Option<Instant> = None;
        for (at, (label, status)) in transitions {
            if open.is_none_or(|o| at >= o + COALESCE) {
                open = Some(at);
                expected.push(Vec::new());
            }
            let notice = expected.last_mut().unwrap();
            match notice.iter_mut().find(|(l, _)| *l == label) {
                Some(e) => e.1 = status,
                None => notice.push((label, status)),
            }
        }
        for n in &said {
            let mut labels: Vec<&String> = n.iter().map(|(l, _)| l).collect();
            labels.sort();
            labels.dedup();
            prop_assert_eq!(labels.len(), n.len(), "one event per session: {:?}", n);
        }
        prop_assert_eq!(said, expected);
    }
}

/// Triggers hold statuses, not words: the words of a config file or the hooks are read
/// as [`Status::from_hook`] reads them, once each.
#[test]
fn triggers_hold_typed_statuses() {
    let set: StatusSet = ["Permission", " waiting", "thinking", "permission"]
        .into_iter()
        .collect();
    let held: Vec<&Status> = set.iter().collect();
    assert_eq!(
        held,
        [
            &Status::Permission,
            &Status::Waiting,
            &Status::Unknown("thinking".into())
        ]
    );
    assert!(!set.contains(&Status::Done));
    let defaults = Triggers::default().statuses;
    assert!(defaults.contains(&Status::Permission) && defaults.contains(&Status::Waiting));
    assert_eq!(defaults.iter().count(), 2);
}
