use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Aggregator, SourceOptions, SNAPSHOT_EVERY};
use crate::{MemorySource, SessionInfo, Status};

fn row(message: &str) -> SessionInfo {
    SessionInfo {
        tmux_session: "api".into(),
        message: message.into(),
        ..Default::default()
    }
}

/// A busy source (a change every 10 ms for 300 ms) gets one snapshot per
/// SNAPSHOT_EVERY, not one per change; the first change after a quiet spell goes out
/// at once and the last change is never lost.
#[tokio::test(start_paused = true)]
async fn changes_faster_than_snapshot_every_are_gathered_and_none_is_lost() {
    let source = Arc::new(MemorySource::new(Some("r"), vec![row("m0")]));
    let options = SourceOptions::new(Duration::from_secs(2), Duration::from_secs(60));
    let handle = Aggregator::new()
        .with_source(source.clone(), options)
        .spawn();
    let mut rx = handle.subscribe();
    // The first poll's snapshot, then quiet.
    tokio::time::sleep(SNAPSHOT_EVERY * 5).await;
    rx.borrow_and_update();

    let start = Instant::now();
    source.set(vec![row("m1")]);
    rx.changed().await.unwrap();
    assert!(
        start.elapsed() < SNAPSHOT_EVERY,
        "the first change after a quiet spell is published at once"
    );
    let mut published = 1;
    let counting = async {
        loop {
            rx.changed().await.unwrap();
            published += 1;
        }
    };
    let writes = async {
        for k in 2..=31 {
            tokio::time::sleep(Duration::from_millis(10)).await;
            source.set(vec![row(&format!("m{k}"))]);
        }
        tokio::time::sleep(SNAPSHOT_EVERY * 3).await;
    };
    tokio::select! {
        () = counting => unreachable!(),
        () = writes => {}
    }
    assert!(
        (3..=5).contains(&published),
        "{published} snapshots for 31 changes in 310 ms"
    );
    assert_eq!(
        handle.latest().sessions[0].message,
        "m31",
        "the last change is shown"
    );
}

/// When several sources change between two snapshots, their rows are merged into the
/// list in one pass: the list is the one a full sort of every row gives.
#[tokio::test(start_paused = true)]
async fn rows_of_many_changed_sources_land_where_a_full_sort_puts_them() {
    let rows = |k: i64, round: i64| -> Vec<SessionInfo> {
        (0..6)
            .map(|j| SessionInfo {
                tmux_session: format!("s{j}"),
                status: [Status::Working, Status::Waiting, Status::Idle]
                    [((j + k + round) % 3) as usize]
                    .clone(),
                timestamp: (j * 7 + k * 3 + round * 11) % 10,
                ..Default::default()
            })
            .collect()
    };
    let options = SourceOptions::new(Duration::from_secs(2), Duration::from_secs(60));
    let mut aggregator = Aggregator::new();
    let sources: Vec<Arc<MemorySource>> = (0..5)
        .map(|k| Arc::new(MemorySource::new(Some(&format!("r{k}")), rows(k, 0))))
        .collect();
    for s in &sources {
        aggregator.add_source(s.clone(), options);
    }
    let handle = aggregator.spawn();
    for round in 1..=4 {
        // Three of the five sources change together.
        for k in [round % 5, (round + 1) % 5, (round + 3) % 5] {
            sources[k as usize].set(rows(k, round));
        }
        tokio::time::sleep(SNAPSHOT_EVERY * 3).await;
        let shown = handle.latest().sessions.clone();
        let mut sorted = shown.clone();
        crate::sort_sessions_arc(&mut sorted);
        let names = |v: &[Arc<SessionInfo>]| -> Vec<String> {
            v.iter()
                .map(|s| format!("{}:{}", s.remote.as_deref().unwrap_or(""), s.tmux_session))
                .collect()
        };
        assert_eq!(shown.len(), 30, "round {round}");
        assert_eq!(names(&shown), names(&sorted), "round {round}");
        for k in [round % 5, (round + 1) % 5, (round + 3) % 5] {
            let remote = format!("r{k}");
            let theirs: Vec<i64> = (shown.iter())
                .filter(|s| s.remote.as_deref() == Some(&remote))
                .map(|s| s.timestamp)
                .collect();
            let mut want: Vec<i64> = rows(k, round).iter().map(|s| s.timestamp).collect();
            want.sort();
            let mut got = theirs.clone();
            got.sort();
            assert_eq!(got, want, "round {round}: {remote}'s new rows are shown");
        }
    }
}
