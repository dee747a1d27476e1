//! Marks files shared by several sources watching one directory.

use super::*;
use crate::LocalSource;
use navi_core::{Action, SessionSource};
use proptest::prelude::*;

fn status(dir: &Path, name: &str) {
    let body = format!(r#"{{"tmux_session":"{name}","status":"working"}}"#);
    std::fs::write(dir.join(format!("{name}.json")), body).unwrap();
}

fn tag(t: &str) -> MarkOp {
    MarkOp::AddTag(t.into())
}

async fn marks_of(source: &LocalSource, name: &str) -> Marks {
    let report = source.poll_report().await.unwrap();
    let s = report.sessions.iter().find(|s| s.tmux_session == name);
    s.unwrap().marks.clone()
}

#[tokio::test]
async fn a_tag_set_through_one_source_appears_in_the_other() {
    let dir = tempfile::tempdir().unwrap();
    status(dir.path(), "api");
    let (a, b) = (LocalSource::new(dir.path()), LocalSource::new(dir.path()));
    let ops = vec![
        tag("wip"),
        MarkOp::Bookmark(true),
        MarkOp::Note(Some("hi".into())),
    ];
    a.act("api", &Action::Mark { ops }).await.unwrap();
    let m = marks_of(&b, "api").await;
    assert_eq!(
        (m.bookmarked, m.tags.as_slice()),
        (true, &["wip".to_string()][..])
    );
    assert_eq!(m.note.as_deref(), Some("hi"));
    assert_eq!(m.changed_by, navi_core::this_host());
    let ops = vec![MarkOp::RemoveTag("wip".into()), MarkOp::Bookmark(false)];
    b.act("api", &Action::Mark { ops }).await.unwrap();
    let m = marks_of(&a, "api").await;
    assert!(!m.bookmarked && m.tags.is_empty());
    let e = a
        .act(
            "api",
            &Action::Mark {
                ops: vec![tag("a b")],
            },
        )
        .await;
    assert!(e.unwrap_err().to_string().contains("spaces"));
}

#[tokio::test]
async fn a_corrupt_marks_file_costs_only_the_marks() {
    let dir = tempfile::tempdir().unwrap();
    status(dir.path(), "api");
    status(dir.path(), "web");
    apply(dir.path(), "web", &[tag("x")]).unwrap();
    std::fs::write(marks_dir(dir.path()).join("api.json"), "{broken").unwrap();
    let report = LocalSource::new(dir.path()).poll_report().await.unwrap();
    assert_eq!(report.sessions.len(), 2);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0].name.ends_with("api.json"));
    let web = report.sessions.iter().find(|s| s.tmux_session == "web");
    assert_eq!(web.unwrap().marks.tags, ["x"]);
    // Too big is the same; and a write replaces the broken file.
    std::fs::write(marks_dir(dir.path()).join("web.json"), vec![b' '; 10_000]).unwrap();
    let report = LocalSource::new(dir.path()).poll_report().await.unwrap();
    assert_eq!((report.sessions.len(), report.skipped.len()), (2, 2));
    assert_eq!(apply(dir.path(), "api", &[tag("y")]).unwrap().tags, ["y"]);
}

#[test]
fn the_hooks_glob_sees_no_new_file() {
    let dir = tempfile::tempdir().unwrap();
    status(dir.path(), "api");
    apply(dir.path(), "api", &[tag("x"), MarkOp::Bookmark(true)]).unwrap();
    let json: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
        .collect();
    assert_eq!(json, ["api.json"]);
}

/// Two writers (threads), each adding and removing its own tags in some order at the
/// same time: every operation lands, so each tag ends as its writer's last op left it.
fn run_two_writers(a: Vec<(u8, bool)>, b: Vec<(u8, bool)>) {
    let dir = tempfile::tempdir().unwrap();
    let ops = |who: &str, seq: &[(u8, bool)]| -> Vec<MarkOp> {
        seq.iter()
            .map(|&(t, add)| match add {
                true => MarkOp::AddTag(format!("{who}{t}")),
                false => MarkOp::RemoveTag(format!("{who}{t}")),
            })
            .collect()
    };
    let (ops_a, ops_b) = (ops("a", &a), ops("b", &b));
    std::thread::scope(|s| {
        for ops in [&ops_a, &ops_b] {
            let d = dir.path();
            s.spawn(move || {
                for op in ops {
                    apply(d, "api", std::slice::from_ref(op)).unwrap();
                }
            });
        }
    });
    let mut expected = Marks::default();
    for op in ops_a.iter().chain(&ops_b) {
        expected.apply(op, 0, "");
    }
    let got = read_all(dir.path()).0.remove("api").unwrap_or_default();
    assert_eq!(got.tags, expected.tags);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn concurrent_writers_lose_no_operation(
        a in proptest::collection::vec((0u8..4, any::<bool>()), 1..20),
        b in proptest::collection::vec((0u8..4, any::<bool>()), 1..20),
    ) {
        run_two_writers(a, b);
    }
}

#[test]
fn many_threads_adding_tags_at_once_lose_none() {
    let dir = tempfile::tempdir().unwrap();
    std::thread::scope(|s| {
        for w in 0..8 {
            let d = dir.path();
            s.spawn(move || {
                for i in 0..3 {
                    apply(d, "api", &[tag(&format!("w{w}t{i}"))]).unwrap();
                }
            });
        }
    });
    let got = read_all(dir.path()).0.remove("api").unwrap();
    assert_eq!(got.tags.len(), 24);
}

/// Marks hold the user's notes: the marks directory and files are user-only.
#[cfg(unix)]
#[test]
fn marks_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    crate::marks::apply(
        dir.path(),
        "api",
        &[navi_core::MarkOp::Note(Some("secret".into()))],
    )
    .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir.path().join(".navi/marks")) & 0o077, 0);
    assert_eq!(mode(&dir.path().join(".navi/marks/api.json")), 0o600);
}
