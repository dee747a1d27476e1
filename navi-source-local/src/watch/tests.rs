//! The watch on a real directory, with real time. Bounds are generous (a wake-up must come
//! within seconds, a non-event is checked for a few hundred ms): nothing here measures
//! speed.

use super::*;
use crate::LocalSource;
use navi_core::{MarkOp, SessionSource};
use std::time::Duration;

/// Long enough for any wake-up on a loaded machine.
const WAKES: Duration = Duration::from_secs(5);
/// How long "nothing happened" is checked for.
const QUIET: Duration = Duration::from_millis(300);

/// Writes `<name>.json` as the hooks do: a hidden temp file renamed into place.
fn write_status(dir: &Path, name: &str) {
    let tmp = dir.join(format!(".tmp.{name}"));
    let body = format!(r#"{{"tmux_session":"{name}","status":"working"}}"#);
    std::fs::write(&tmp, body).unwrap();
    std::fs::rename(&tmp, dir.join(format!("{name}.json"))).unwrap();
}

async fn wakes(source: &LocalSource) -> bool {
    tokio::time::timeout(WAKES, source.wait_change())
        .await
        .is_ok()
}

async fn stays_quiet(source: &LocalSource) -> bool {
    tokio::time::timeout(QUIET, source.wait_change())
        .await
        .is_err()
}

async fn names(source: &LocalSource) -> Vec<String> {
    let mut names: Vec<_> = source
        .poll()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.tmux_session)
        .collect();
    names.sort();
    names
}

/// A source over `dir` whose first poll (which sets up the watch) is done.
async fn watched(dir: &Path) -> LocalSource {
    let source = LocalSource::new(dir);
    let report = source.poll_report().await.unwrap();
    assert_eq!(report.mode, Some(navi_core::PollMode::Watch));
    source
}

#[tokio::test]
async fn a_status_file_renamed_into_place_wakes_the_source_once() {
    let dir = tempfile::tempdir().unwrap();
    let source = watched(dir.path()).await;
    write_status(dir.path(), "api");
    // Every event of the burst has arrived before the wait (a scheduler stalling the
    // watcher's thread mid-burst must not make the test flaky).
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(wakes(&source).await, "the rename was not seen");
    assert_eq!(names(&source).await, ["api"]);
    // The temp file, its write and its rename were one burst: nothing is left pending.
    assert!(
        stays_quiet(&source).await,
        "one write woke the source twice"
    );
}

#[tokio::test]
async fn removing_a_status_file_wakes_the_source() {
    let dir = tempfile::tempdir().unwrap();
    write_status(dir.path(), "api");
    write_status(dir.path(), "web");
    let source = watched(dir.path()).await;
    assert_eq!(names(&source).await, ["api", "web"]);
    std::fs::remove_file(dir.path().join("api.json")).unwrap();
    assert!(wakes(&source).await, "the removal was not seen");
    assert_eq!(names(&source).await, ["web"]);
}

#[tokio::test]
async fn hidden_and_other_files_do_not_wake_the_source() {
    let dir = tempfile::tempdir().unwrap();
    write_status(dir.path(), "api");
    let source = watched(dir.path()).await;
    std::fs::write(dir.path().join(".tmp.XXXXXX"), b"{}").unwrap();
    std::fs::write(dir.path().join(".api.lock"), b"").unwrap();
    std::fs::write(dir.path().join("notes.txt"), b"hello").unwrap();
    std::fs::remove_file(dir.path().join(".tmp.XXXXXX")).unwrap();
    assert!(
        stays_quiet(&source).await,
        "a hidden or non-json file woke it"
    );
    // Neither do the source's own reads.
    assert_eq!(names(&source).await, ["api"]);
    assert!(stays_quiet(&source).await, "the poll's own reads woke it");
}

#[tokio::test]
async fn a_marks_change_wakes_the_source() {
    let dir = tempfile::tempdir().unwrap();
    write_status(dir.path(), "api");
    let source = watched(dir.path()).await;
    // The first mark creates `.navi/marks/`.
    crate::marks::apply(dir.path(), "api", &[MarkOp::Bookmark(true)]).unwrap();
    assert!(wakes(&source).await, "the first mark was not seen");
    let report = source.poll_report().await.unwrap();
    assert!(report.sessions[0].marks.bookmarked);
    // Later marks are seen through the watch on `.navi/marks/` itself.
    crate::marks::apply(dir.path(), "api", &[MarkOp::AddTag("wip".into())]).unwrap();
    assert!(wakes(&source).await, "a later mark was not seen");
    let report = source.poll_report().await.unwrap();
    assert_eq!(report.sessions[0].marks.tags, ["wip"]);
}

#[tokio::test]
async fn a_change_made_while_nobody_waits_is_not_lost() {
    let dir = tempfile::tempdir().unwrap();
    let source = watched(dir.path()).await;
    // A wait dropped before anything happened (the interval won) ...
    assert!(stays_quiet(&source).await);
    // ... then a change with nobody waiting, given time to arrive.
    write_status(dir.path(), "api");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(wakes(&source).await, "the change made meanwhile was lost");
    assert_eq!(names(&source).await, ["api"]);
}

#[tokio::test]
async fn a_status_directory_created_later_is_watched() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("home").join(".claude-sessions");
    let source = watched(&dir).await;
    assert!(names(&source).await.is_empty());
    std::fs::create_dir_all(&dir).unwrap();
    write_status(&dir, "api");
    // Each level created wakes the source; its poll then watches the level below.
    let deadline = Instant::now() + WAKES;
    while names(&source).await.is_empty() {
        assert!(Instant::now() < deadline, "the new directory was not seen");
        assert!(
            wakes(&source).await,
            "the new directory did not wake the source"
        );
    }
    // Now the directory itself is watched.
    write_status(&dir, "web");
    assert!(
        wakes(&source).await,
        "a write into the new directory was not seen"
    );
    assert_eq!(names(&source).await, ["api", "web"]);
}

#[tokio::test]
async fn a_status_directory_removed_and_created_again_is_watched_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("sessions");
    std::fs::create_dir(&dir).unwrap();
    write_status(&dir, "api");
    let source = watched(&dir).await;
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(wakes(&source).await, "the removal was not seen");
    assert!(names(&source).await.is_empty());
    std::fs::create_dir(&dir).unwrap();
    write_status(&dir, "web");
    let deadline = Instant::now() + WAKES;
    while names(&source).await.is_empty() {
        assert!(Instant::now() < deadline, "the new directory was not seen");
        assert!(
            wakes(&source).await,
            "the new directory did not wake the source"
        );
    }
    write_status(&dir, "db");
    assert!(
        wakes(&source).await,
        "a write into the new directory was not seen"
    );
    assert_eq!(names(&source).await, ["db", "web"]);
}

#[tokio::test]
async fn without_a_watch_the_source_polls_every_500_ms() {
    let dir = tempfile::tempdir().unwrap();
    let source = LocalSource::polling(dir.path());
    // A wait before the first poll sets nothing up and still resolves.
    assert!(wakes(&source).await);
    let report = source.poll_report().await.unwrap();
    assert_eq!(report.mode, Some(navi_core::PollMode::Poll));
    // It resolves with nothing changed: the timer stands in for the events.
    assert!(wakes(&source).await, "the fallback timer never fired");
    write_status(dir.path(), "api");
    assert!(wakes(&source).await);
    assert_eq!(names(&source).await, ["api"]);
}

#[tokio::test]
async fn a_wait_before_the_first_poll_sets_up_the_watch() {
    let dir = tempfile::tempdir().unwrap();
    let source = LocalSource::new(dir.path());
    let wait = source.wait_change();
    tokio::pin!(wait);
    // Polled once: the watch is set up, nothing has changed yet.
    assert!(tokio::time::timeout(QUIET, wait.as_mut()).await.is_err());
    write_status(dir.path(), "api");
    assert!(tokio::time::timeout(WAKES, wait).await.is_ok());
    assert_eq!(names(&source).await, ["api"]);
}

#[test]
fn which_paths_are_relevant() {
    let dir = Path::new("/h/.claude-sessions");
    let yes = [
        "/h/.claude-sessions/api.json",
        "/h/.claude-sessions/.navi/marks/api.json",
        "/h/.claude-sessions/.navi/marks",
        "/h/.claude-sessions/.navi",
        "/h/.claude-sessions",
        "/h",
    ];
    let no = [
        "/h/.claude-sessions/.tmp.XyZ123",
        "/h/.claude-sessions/.api.lock",
        "/h/.claude-sessions/.navi/marks/.api.lock",
        "/h/.claude-sessions/.navi/marks/.tmp.api.42",
        "/h/.claude-sessions/notes.txt",
        "/h/.bash_history",
        "/h/.claude-sessions/sub/api.json",
    ];
    for p in yes {
        assert!(relevant_path(dir, Path::new(p)), "{p}");
    }
    for p in no {
        assert!(!relevant_path(dir, Path::new(p)), "{p}");
    }
    let access = Event::new(EventKind::Access(notify::event::AccessKind::Any))
        .add_path(dir.join("api.json"));
    assert!(!relevant(dir, &Ok(access)), "reads never count");
    let overflow = Event::new(EventKind::Other);
    assert!(
        relevant(dir, &Ok(overflow)),
        "an event without a path counts"
    );
    assert!(relevant(dir, &Err(notify::Error::generic("lost"))));
}
