#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use proptest::prelude::*;

use super::*;
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

fn snap(rows: Vec<Arc<SessionInfo>>) -> Snapshot {
    Snapshot {
        sessions: rows,
        sources: Vec::new(),
        generation: 0,
    }
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
    assert_eq!(
        w.observe(&a, t),
        None,
        "already needing you at start: no event"
    );
    let b = snap(vec![
        row("api", None, "permission", false),
        row("web", Some("dev"), "working", false),
    ]);
    assert_eq!(w.observe(&b, t), None);
    let c = snap(vec![
        row("api", None, "permission", false),
        row("web", Some("dev"), "waiting", false),
    ]);
    let n = w.observe(&c, t + Duration::from_secs(1));
    assert_eq!(names(&n), ["web [dev]"]);
    assert_eq!(
        n.unwrap().summary(),
        "web [dev] is waiting for you: web says hi"
    );
    assert_eq!(w.observe(&c, t + Duration::from_secs(2)), None, "no repeat");
}

#[test]
fn stale_rows_make_no_event_and_coming_back_unchanged_is_quiet() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    w.observe(&snap(vec![row("web", Some("dev"), "waiting", false)]), t);
    assert_eq!(
        w.observe(&snap(vec![row("web", Some("dev"), "waiting", true)]), t),
        None
    );
    assert_eq!(
        w.observe(&snap(vec![row("web", Some("dev"), "waiting", false)]), t),
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
    w.observe(&snap(working.clone()), t);
    let waiting: Vec<_> = (0..10)
        .map(|i| row(&format!("s{i}"), None, "waiting", false))
        .collect();
    let n = w.observe(&snap(waiting.clone()), t).unwrap();
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
    done.observe(&snap(working.clone()), t);
    let finished: Vec<_> = (0..10)
        .map(|i| row(&format!("s{i}"), None, "done", false))
        .collect();
    let n = done.observe(&snap(finished), t).unwrap();
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
    done.observe(&snap(working.clone()), t + Duration::from_secs(60));
    let n = done
        .observe(&snap(mixed), t + Duration::from_secs(60))
        .unwrap();
    assert_eq!(n.summary(), "2 sessions changed: s0, s9");
    // s0 flaps back and forth within the rate limit: quiet.
    w.observe(&snap(working.clone()), t + Duration::from_secs(1));
    assert_eq!(
        w.observe(&snap(waiting.clone()), t + Duration::from_secs(2)),
        None
    );
    w.observe(&snap(working), t + Duration::from_secs(20));
    assert_eq!(
        w.observe(&snap(waiting), t + Duration::from_secs(21))
            .map(|n| n.events.len()),
        Some(10),
        "after the interval it is news again"
    );
}

#[test]
fn team_status_counts_and_remote_events_are_optional() {
    let mut w = Watcher::new(Triggers {
        remotes: true,
        ..Triggers::default()
    });
    let t = Instant::now();
    let health = |state| SourceHealth {
        state,
        reason: (state == SourceState::Unavailable)
            .then(|| SourceError::Refused("dev:22: connection refused".into())),
        ..SourceHealth::connecting(Some("dev".into()))
    };
    let mut s = snap(vec![]);
    s.sources = vec![health(SourceState::Connected)];
    w.observe(&s, t);
    s.sources = vec![health(SourceState::Unavailable)];
    let n = w.observe(&s, t).unwrap();
    assert!(
        n.summary()
            .starts_with("dev is unavailable: connection refused"),
        "{}",
        n.summary()
    );
    s.sources = vec![health(SourceState::Connected)];
    assert_eq!(w.observe(&s, t).unwrap().summary(), "dev is back");
}

#[test]
fn hostile_text_is_cleaned_and_bounded() {
    let mut w = Watcher::new(Triggers::default());
    let t = Instant::now();
    w.observe(&snap(vec![row("x", None, "working", false)]), t);
    let mut evil = SessionInfo::clone(&row("x\u{1b}]0;pwn\u{7}", None, "permission", false));
    evil.message = format!("\u{1b}[2J{}", "m".repeat(1000));
    w.observe(&snap(vec![]), t);
    let n = w.observe(&snap(vec![Arc::new(evil)]), t).unwrap();
    let text = n.summary();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.chars().count() <= 200);
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

proptest! {
    /// Over any sequence of snapshots: no event for the first, none for stale rows, an
    /// event only when a session's status changed into a trigger, never two for one
    /// session in one notice.
    #[test]
    fn events_are_exactly_the_transitions(
        steps in prop::collection::vec(
            prop::collection::vec((0..4usize, status_strategy(), any::<bool>()), 0..6),
            1..8,
        )
    ) {
        let triggers = Triggers {
            per_session: Duration::ZERO,
            ..Triggers::default()
        };
        let mut w = Watcher::new(triggers.clone());
        let t = Instant::now();
        let mut known: HashMap<String, Status> = HashMap::new();
        for (i, rows) in steps.iter().enumerate() {
            let mut seen = BTreeSet::new();
            let rows: Vec<_> = rows
                .iter()
                .filter(|(n, _, _)| seen.insert(*n))
                .map(|(n, s, stale)| row(&format!("s{n}"), None, s, *stale))
                .collect();
            let notice = w.observe(&snap(rows.clone()), t);
            let mut expected = Vec::new();
            let mut next = HashMap::new();
            for r in &rows {
                let prev = known.get(&r.tmux_session);
                if r.stale {
                    if let Some(p) = prev {
                        next.insert(r.tmux_session.clone(), p.clone());
                    }
                    continue;
                }
                if i > 0 && prev != Some(&r.status) && triggers.statuses.contains(r.status.as_str()) {
                    expected.push(r.tmux_session.clone());
                }
                next.insert(r.tmux_session.clone(), r.status.clone());
            }
            known = next;
            prop_assert_eq!(names(&notice), expected);
        }
    }
}
