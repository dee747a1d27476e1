use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::{Aggregator, SourceOptions, SNAPSHOT_EVERY};
use crate::{MemorySource, SessionInfo};

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
