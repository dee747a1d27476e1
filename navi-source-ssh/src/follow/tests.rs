#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The follow's swap run through a local `sh` as the remote runs it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use super::*;

fn name(s: &str) -> SessionName {
    SessionName::existing(s).unwrap()
}

/// Runs [`SWAP`] on `dir` for `from` → `to` with the `cksum` of `read` and `new` on
/// stdin (`None`: marks only); its exit status.
fn swap(dir: &Path, from: &str, to: &str, read: Option<&[u8]>, new: &[u8]) -> Option<i32> {
    let (from, to) = (name(from), name(to));
    let sum = read.map_or(String::new(), |r| format!("{} {}", cksum(r), r.len()));
    let cmd = RemoteCommand::new(&script(SWAP))
        .arg(dir.to_str().unwrap())
        .arg(layout::status_rel(&from))
        .arg(layout::status_rel(&to))
        .arg(layout::lock_rel(&from))
        .arg(layout::lock_rel(&to))
        .arg(sum)
        .arg(layout::marks_rel(&from))
        .arg(layout::marks_rel(&to))
        .arg(if read.is_some() { "1" } else { "0" });
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd.to_command_line().unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(new).unwrap();
    child.wait().unwrap().code()
}

fn read(p: &Path) -> Option<Vec<u8>> {
    std::fs::read(p).ok()
}

#[test]
fn the_file_and_its_marks_follow_and_nothing_is_ever_overwritten() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let marks = dir.join(".navi/marks");
    std::fs::create_dir_all(&marks).unwrap();
    let old = br#"{"tmux_session":"a b","status":"waiting","x":1}"#.to_vec();
    let new = rewrite(&old, &name("c 'd'"));
    std::fs::write(dir.join("a b.json"), &old).unwrap();
    std::fs::write(marks.join("a b.json"), b"marks of a").unwrap();

    // The file changed since it was read: nothing moves.
    assert_eq!(swap(dir, "a b", "c 'd'", Some(b"{}"), &new), Some(4));
    assert_eq!(read(&dir.join("a b.json")), Some(old.clone()));
    assert!(!dir.join("c 'd'.json").exists());

    // The new name has a file (the hook wrote it): never overwritten.
    std::fs::write(dir.join("taken.json"), b"the hook's").unwrap();
    assert_eq!(swap(dir, "a b", "taken", Some(&old), &new), Some(5));
    assert_eq!(read(&dir.join("taken.json")), Some(b"the hook's".to_vec()));
    assert_eq!(read(&dir.join("a b.json")), Some(old.clone()));
    assert_eq!(read(&marks.join("a b.json")), Some(b"marks of a".to_vec()));

    // As read: moved, `tmux_session` rewritten, every other field kept, marks along.
    assert_eq!(swap(dir, "a b", "c 'd'", Some(&old), &new), Some(0));
    assert!(!dir.join("a b.json").exists());
    let moved: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("c 'd'.json")).unwrap()).unwrap();
    assert_eq!(moved["tmux_session"], "c 'd'");
    assert_eq!(
        (moved["status"].as_str(), moved["x"].as_i64()),
        (Some("waiting"), Some(1))
    );
    assert!(!marks.join("a b.json").exists());
    assert_eq!(
        read(&marks.join("c 'd'.json")),
        Some(b"marks of a".to_vec())
    );

    // Gone meanwhile: nothing to follow.
    assert_eq!(swap(dir, "a b", "e", Some(&old), &new), Some(6));
    assert!(!dir.join("e.json").exists());

    // Marks only (the new name's file exists): they move when the new name has none...
    std::fs::write(marks.join("m1.json"), b"m1").unwrap();
    assert_eq!(swap(dir, "m1", "m2", None, b""), Some(0));
    assert_eq!(read(&marks.join("m2.json")), Some(b"m1".to_vec()));
    assert!(!marks.join("m1.json").exists());
    // ...and stay where they are when it has some.
    std::fs::write(marks.join("m3.json"), b"m3").unwrap();
    assert_eq!(swap(dir, "m3", "m2", None, b""), Some(0));
    assert_eq!(read(&marks.join("m2.json")), Some(b"m1".to_vec()));
    assert_eq!(read(&marks.join("m3.json")), Some(b"m3".to_vec()));

    let temps: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "no temp file left: {temps:?}");
}

#[test]
fn the_rewrite_changes_only_the_name_and_keeps_a_broken_file() {
    let old = br#"{"tmux_session":"a","tmux":{"socket":"/s","session_id":"$1"},"z":[1,2]}"#;
    let v: serde_json::Value = serde_json::from_slice(&rewrite(old, &name("b"))).unwrap();
    assert_eq!(v["tmux_session"], "b");
    assert_eq!(v["tmux"]["socket"], "/s");
    assert_eq!(v["z"], serde_json::json!([1, 2]));
    assert_eq!(rewrite(b"{broken", &name("b")), b"{broken");
}
