//! The aggregator against mock sources: property tests under tokio's paused clock, and
//! mockall-scripted collaborators.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use navi_core::testing::{session, MockSource, MockStep};
use navi_core::{
    Aggregator, DynSessionSource, Model, PollReport, SessionInfo, SourceError, SourceOptions,
    SourceState,
};
use navi_tests::mocks::MockSource as MockallSource;
use proptest::prelude::*;
use tokio::time::Instant;

fn paused_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap()
}

/// What one mock source does in one round.
#[derive(Debug, Clone)]
enum Behaviour {
    /// Answers `n` sessions after `latency_ms`.
    Answer { latency_ms: u64, n: usize },
    /// Fails after `latency_ms`.
    Fail { latency_ms: u64 },
    /// Never answers.
    Hang,
}

// Latencies end in 50 and timeouts are multiples of 100, so no poll finishes exactly at its
// deadline (where timer order would decide).
fn behaviour() -> impl Strategy<Value = Behaviour> {
    prop_oneof![
        4 => (0u64..60, 0usize..4).prop_map(|(l, n)| Behaviour::Answer { latency_ms: l * 100 + 50, n }),
        2 => (0u64..60).prop_map(|l| Behaviour::Fail { latency_ms: l * 100 + 50 }),
        1 => Just(Behaviour::Hang),
    ]
}

#[derive(Debug, Clone)]
struct Plan {
    timeout_ms: u64,
    rounds: [Behaviour; 2],
}

fn plan() -> impl Strategy<Value = Plan> {
    (1u64..40, behaviour(), behaviour()).prop_map(|(t, a, b)| Plan {
        timeout_ms: t * 100,
        rounds: [a, b],
    })
}

fn label(i: usize) -> Option<String> {
    (i > 0).then(|| format!("remote-{i}"))
}

fn sessions_for(i: usize, round: usize, n: usize) -> Vec<SessionInfo> {
    (0..n)
        .map(|k| {
            session(
                &format!("s{i}-{k}"),
                ["working", "waiting", "done"][k % 3],
                (round * 10 + k) as i64,
            )
        })
        .collect()
}

fn step(i: usize, round: usize, b: &Behaviour) -> MockStep {
    match b {
        Behaviour::Answer { latency_ms, n } => MockStep::Ok {
            sessions: sessions_for(i, round, *n),
            latency: Duration::from_millis(*latency_ms),
        },
        Behaviour::Fail { latency_ms } => MockStep::Err {
            error: SourceError::Refused(format!("source {i} refused").into()),
            latency: Duration::from_millis(*latency_ms),
        },
        Behaviour::Hang => MockStep::Hang,
    }
}

fn answered(b: &Behaviour, timeout_ms: u64) -> Option<usize> {
    match b {
        Behaviour::Answer { latency_ms, n } if *latency_ms < timeout_ms => Some(*n),
        _ => None,
    }
}

/// (remote, name, stale) of every session of a snapshot, sorted.
type Row = (Option<String>, String, bool);
type Health = (SourceState, Option<&'static str>);

/// Runs two rounds of `poll_once` over the plans, adding sources in `order`, and returns the
/// rows of the second snapshot, per-source (state, reason kind) in plan order, and how long
/// each round took on tokio's clock.
fn run(plans: &[Plan], order: &[usize]) -> (Vec<Row>, Vec<Health>, Vec<Duration>) {
    paused_runtime().block_on(async {
        let mut agg = Aggregator::new();
        for &i in order {
            let p = &plans[i];
            let steps = vec![step(i, 0, &p.rounds[0]), step(i, 1, &p.rounds[1])];
            let source: DynSessionSource =
                Arc::new(MockSource::scripted(label(i).as_deref(), steps));
            agg.add_source(
                source,
                SourceOptions {
                    timeout: Duration::from_millis(p.timeout_ms),
                    interval: Duration::from_secs(1),
                },
            );
        }
        let mut elapsed = Vec::new();
        let mut snap = None;
        for _ in 0..2 {
            let start = Instant::now();
            snap = Some(agg.poll_once().await);
            elapsed.push(start.elapsed());
        }
        let snap = snap.unwrap();
        let mut rows: Vec<Row> = snap
            .sessions
            .iter()
            .map(|s| (s.remote.clone(), s.tmux_session.clone(), s.stale))
            .collect();
        rows.sort();
        let mut health = vec![(SourceState::Connecting, None); plans.len()];
        for (pos, &i) in order.iter().enumerate() {
            let h = &snap.sources[pos];
            assert_eq!(
                h.name,
                label(i),
                "health entries follow the order sources were added"
            );
            health[i] = (h.state, h.reason.as_ref().map(|r| r.kind()));
            // Every session carries its source's label and the source's count matches.
            let n = snap
                .sessions
                .iter()
                .filter(|s| s.remote == label(i))
                .count();
            assert_eq!(h.sessions, n);
        }
        (rows, health, elapsed)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn merge_matches_what_each_source_did(plans in prop::collection::vec(plan(), 1..6), seed in any::<u64>()) {
        let forward: Vec<usize> = (0..plans.len()).collect();
        let (rows, health, elapsed) = run(&plans, &forward);

        // Ready no later than the largest timeout (plus a small scheduling bound).
        let max_timeout = plans.iter().map(|p| p.timeout_ms).max().unwrap_or(0);
        for e in &elapsed {
            let within = *e <= Duration::from_millis(max_timeout + 5);
            prop_assert!(within, "poll_once took {:?}, max timeout {}ms", e, max_timeout);
        }

        // Exactly the sessions of sources that answered in time, plus stale last-known ones.
        let mut expected: Vec<Row> = Vec::new();
        for (i, p) in plans.iter().enumerate() {
            match (answered(&p.rounds[1], p.timeout_ms), answered(&p.rounds[0], p.timeout_ms)) {
                (Some(n), _) => expected.extend(sessions_for(i, 1, n).into_iter().map(|s| (label(i), s.tmux_session, false))),
                (None, Some(n)) => expected.extend(sessions_for(i, 0, n).into_iter().map(|s| (label(i), s.tmux_session, true))),
                (None, None) => {}
            }
        }
        expected.sort();
        prop_assert_eq!(&rows, &expected);

        // Health matches what each mock did in the last round.
        for (i, p) in plans.iter().enumerate() {
            let want = match &p.rounds[1] {
                b if answered(b, p.timeout_ms).is_some() => (SourceState::Connected, None),
                Behaviour::Fail { latency_ms } if *latency_ms < p.timeout_ms => (SourceState::Unavailable, Some("refused")),
                _ => (SourceState::Unavailable, Some("timeout")),
            };
            prop_assert_eq!(health[i], want, "source {}", i);
        }

        // The result does not depend on the order sources are added or answer.
        let mut shuffled = forward.clone();
        let mut s = seed;
        for k in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(k, (s >> 33) as usize % (k + 1));
        }
        let (rows2, health2, _) = run(&plans, &shuffled);
        prop_assert_eq!(&rows, &rows2);
        prop_assert_eq!(&health, &health2);

        // Local sessions survive any remote failure.
        if let Some(n) = answered(&plans[0].rounds[1], plans[0].timeout_ms) {
            let local = rows.iter().filter(|r| r.0.is_none() && !r.2).count();
            prop_assert_eq!(local, n);
        }
    }
}

#[test]
fn sorted_snapshot_is_the_model_order() {
    paused_runtime().block_on(async {
        let local = MockSource::ok(
            None,
            vec![session("a", "done", 5), session("b", "working", 1)],
            Duration::ZERO,
        );
        let remote = MockSource::ok(
            Some("dev"),
            vec![session("c", "permission", 0)],
            Duration::from_millis(30),
        );
        let mut agg = Aggregator::new()
            .with_source(Arc::new(local), navi_source_local::LocalSource::OPTIONS)
            .with_source(Arc::new(remote), navi_core::testing::OPTIONS);
        let mut model = Model::new();
        model.update(Arc::new(agg.poll_once().await));
        let names: Vec<_> = model
            .rows()
            .map(|r| (r.tmux_session.clone(), r.remote.clone()))
            .collect();
        assert_eq!(
            names,
            [
                ("c".to_string(), Some("dev".to_string())),
                ("b".into(), None),
                ("a".into(), None)
            ]
        );
        assert_eq!(model.sources()[1].latency, Some(Duration::from_millis(30)));
    });
}

/// In continuous mode a slow source never delays a fast one.
#[test]
fn continuous_mode_isolates_slow_sources() {
    paused_runtime().block_on(async {
        let fast = Arc::new(MockSource::ok(
            None,
            vec![session("fast", "working", 1)],
            Duration::ZERO,
        ));
        let slow = Arc::new(MockSource::ok(
            Some("slow"),
            vec![session("slow", "done", 1)],
            Duration::from_secs(20),
        ));
        let hung = Arc::new(MockSource::hanging(Some("hung")));
        let handle = Aggregator::new()
            .with_source(
                fast.clone(),
                SourceOptions {
                    timeout: Duration::from_secs(2),
                    interval: Duration::from_millis(500),
                },
            )
            .with_source(
                slow.clone(),
                SourceOptions {
                    timeout: Duration::from_secs(30),
                    interval: Duration::from_secs(5),
                },
            )
            .with_source(
                hung.clone(),
                SourceOptions {
                    timeout: Duration::from_secs(3),
                    interval: Duration::from_secs(5),
                },
            )
            .spawn();
        let mut rx = handle.subscribe();
        let start = Instant::now();
        // Watch snapshots for 4 s of (paused) time.
        while start.elapsed() < Duration::from_secs(4) {
            let _ = tokio::time::timeout(Duration::from_secs(1), rx.changed()).await;
        }
        let snap = handle.latest();
        assert_eq!(snap.sources[0].state, SourceState::Connected);
        assert_eq!(
            snap.sources[1].state,
            SourceState::Connecting,
            "slow source still in its first poll"
        );
        assert_eq!(
            snap.sources[2].state,
            SourceState::Unavailable,
            "hung source timed out at 3 s"
        );
        assert_eq!(
            snap.sources[2].reason.as_ref().map(|r| r.kind()),
            Some("timeout")
        );
        assert!(
            fast.polls() >= 7,
            "fast source kept its 500 ms rhythm: {} polls",
            fast.polls()
        );
        assert_eq!(slow.polls(), 1);
        assert_eq!(snap.sessions.len(), 1);

        // refresh() makes waiting sources poll at once.
        let before = fast.polls();
        handle.refresh();
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(fast.polls() > before, "refresh triggers a poll");
        assert_eq!(
            (fast.retries(), slow.retries(), hung.retries()),
            (1, 1, 1),
            "refresh asks every source to skip its backoff"
        );
    });
}

/// A source (scripted with mockall) that fails twice, then recovers: unavailable with the
/// reason and stale rows while it fails, fresh again after.
#[test]
fn failing_twice_then_recovering() {
    paused_runtime().block_on(async {
        let mut mock = MockallSource::new();
        mock.expect_label().return_const(Some("dev"));
        let mut seq = mockall::Sequence::new();
        mock.expect_poll_report()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|| Ok(vec![session("api", "working", 1)].into()));
        mock.expect_poll_report()
            .times(2)
            .in_sequence(&mut seq)
            .returning(|| {
                Err(SourceError::Auth(
                    "server rejected key ~/.ssh/id_ed25519".into(),
                ))
            });
        mock.expect_poll_report()
            .times(1)
            .in_sequence(&mut seq)
            .returning(|| Ok(vec![session("api", "done", 2), session("web", "idle", 2)].into()));
        let mut agg = Aggregator::new().with_source(Arc::new(mock), navi_core::testing::OPTIONS);

        let s1 = agg.poll_once().await;
        assert_eq!(s1.sources[0].state, SourceState::Connected);
        let ok_at = s1.sources[0].last_ok_at;

        for failures in 1..=2u32 {
            let s = agg.poll_once().await;
            let h = &s.sources[0];
            assert_eq!(h.state, SourceState::Unavailable);
            assert_eq!(h.reason.as_ref().map(|r| r.kind()), Some("auth"));
            assert_eq!(h.consecutive_failures, failures);
            assert_eq!(h.last_ok_at, ok_at, "last good poll time is kept");
            assert_eq!(h.latency, None, "a failed poll measures no latency");
            assert_eq!(s.sessions.len(), 1);
            assert!(s.sessions[0].stale, "last-known session kept, marked stale");
            assert_eq!(s.sessions[0].remote.as_deref(), Some("dev"));
        }

        let s4 = agg.poll_once().await;
        assert_eq!(s4.sources[0].state, SourceState::Connected);
        assert!(s4.sources[0].reason.is_none());
        let names: BTreeSet<_> = s4
            .sessions
            .iter()
            .map(|s| (s.tmux_session.clone(), s.stale))
            .collect();
        assert_eq!(
            names,
            BTreeSet::from([("api".into(), false), ("web".into(), false)])
        );
    });
}

/// Continuous mode polls once per interval: a poll at t = 0, 2, 4, 6 and 8 s.
#[test]
fn one_poll_per_interval() {
    paused_runtime().block_on(async {
        let mut mock = MockallSource::new();
        mock.expect_label().return_const(None::<&'static str>);
        mock.expect_poll_report()
            .times(5)
            .returning(|| Ok(PollReport::default()));
        let handle = Aggregator::new()
            .with_source(
                Arc::new(mock),
                SourceOptions {
                    timeout: Duration::from_secs(1),
                    interval: Duration::from_secs(2),
                },
            )
            .spawn();
        tokio::time::sleep(Duration::from_millis(8_500)).await;
        // Dropping the handle aborts the tasks; mockall checks `times(5)` when the mock drops.
        drop(handle);
        tokio::task::yield_now().await;
    });
}

/// Work only when something changed: 40 polls of unchanged sources publish no more
/// than their first answer and a health refresh every few seconds; a change is published
/// at once, merged into the sorted list exactly where a full sort would put it.
#[test]
fn unchanged_polls_publish_nothing_and_a_change_is_published_at_once() {
    paused_runtime().block_on(async {
        let a = Arc::new(navi_core::MemorySource::new(
            None,
            vec![session("a1", "working", 100), session("a2", "done", 100)],
        ));
        let b = Arc::new(navi_core::MemorySource::new(
            Some("b"),
            vec![session("b1", "waiting", 100)],
        ));
        let options = SourceOptions::new(Duration::from_secs(2), Duration::from_millis(500));
        let handle = Aggregator::new()
            .with_source(a.clone(), options)
            .with_source(b.clone(), options)
            .spawn();
        let mut rx = handle.subscribe();
        let mut published = 0;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if tokio::time::timeout(Duration::from_millis(100), rx.changed())
                .await
                .is_ok()
            {
                published += 1;
            }
        }
        // 2 sources × 40 polls: the first answers (≤ 2) plus a health refresh every
        // 5 s (≤ 4), never one per poll.
        assert!(
            published <= 6,
            "{published} snapshots for 80 unchanged polls"
        );
        assert!(published >= 1, "the first answers are published");
        let before = handle.latest().generation;

        // One session changes: published within one interval, sorted as a full sort.
        b.set(vec![
            session("b1", "permission", 100),
            session("b2", "working", 100),
        ]);
        tokio::time::timeout(Duration::from_secs(1), rx.changed())
            .await
            .expect("a change is published at once")
            .unwrap();
        let snap = handle.latest();
        assert!(snap.generation > before);
        let mut sorted = snap.sessions.clone();
        navi_core::sort_sessions_arc(&mut sorted);
        let order = |v: &[Arc<SessionInfo>]| {
            v.iter()
                .map(|s| (s.remote.clone(), s.tmux_session.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(order(&snap.sessions), order(&sorted));
        assert_eq!(snap.sessions.len(), 4);
        assert_eq!(snap.sessions[0].tmux_session, "b1", "permission first");
    });
}
