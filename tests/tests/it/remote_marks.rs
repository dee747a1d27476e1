//! Marks shared through the machine that owns the sessions: two SSH sources (separate
//! client HOMEs, separate connections) and a local source all watch one real sshd's
//! sessions directory. What one writes, the others read in their next poll; concurrent
//! writers through all three lose no operation; a broken marks file costs only marks.

use std::path::{Path, PathBuf};
use std::process::Command;

use navi_core::{Action, MarkOp, Marks, SessionSource};
use navi_source_local::LocalSource;
use navi_source_ssh::SshSource;
use navi_tests::sshd::{self, Sshd};

struct World {
    scratch: tempfile::TempDir,
    server: Sshd,
    sessions: PathBuf,
    tmux_dir: PathBuf,
}

impl World {
    fn start() -> World {
        World::start_with("")
    }

    /// A world whose sshd also sets `extra` (`SetEnv` entries, e.g. a PATH).
    fn start_with(extra: &str) -> World {
        let scratch = tempfile::tempdir().unwrap();
        let home = scratch.path().join("home");
        let sessions = home.join(".claude-sessions");
        let tmux_dir = scratch.path().join("tmux");
        std::fs::create_dir_all(&sessions).unwrap();
        std::fs::create_dir_all(&tmux_dir).unwrap();
        let keys = scratch.path().join("keys");
        let server = Sshd::start_scratch(&keys, &home, &tmux_dir, extra);
        World {
            scratch,
            server,
            sessions,
            tmux_dir,
        }
    }

    /// A new SSH source for the server, with its own client HOME.
    fn ssh(&self, client: &str) -> SshSource {
        let keys = self.scratch.path().join("keys");
        sshd::scratch_source(&keys, &self.scratch.path().join(client), self.server.port())
    }

    fn status(&self, name: &str) {
        let body = format!(r#"{{"tmux_session":{name:?},"status":"working"}}"#);
        std::fs::write(self.sessions.join(format!("{name}.json")), body).unwrap();
    }

    fn marks_file(&self, name: &str) -> PathBuf {
        self.sessions.join(format!(".navi/marks/{name}.json"))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("kill-server")
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env_remove("TMUX")
            .output();
    }
}

async fn marks_of(source: &dyn SessionSource, name: &str) -> Marks {
    let sessions = source.poll().await.unwrap();
    let s = sessions.iter().find(|s| s.tmux_session == name).unwrap();
    s.marks.clone()
}

fn mark(ops: Vec<MarkOp>) -> Action {
    Action::Mark { ops }
}

fn tag(t: &str) -> MarkOp {
    MarkOp::AddTag(t.into())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_set_through_one_navi_appears_in_the_others_next_poll() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let w = World::start();
    let name = "api 'q' \"x\" `y` !;";
    w.status(name);
    let (a, b) = (w.ssh("alice"), w.ssh("bob"));
    let local = LocalSource::new(&w.sessions);
    a.act(name, &mark(vec![tag("review"), MarkOp::Bookmark(true)]))
        .await
        .unwrap();
    let seen = marks_of(&b, name).await;
    assert!(seen.bookmarked);
    assert_eq!(seen.tags, ["review"]);
    assert_eq!(seen.changed_by, navi_core::this_host());
    assert_eq!(marks_of(&local, name).await, seen);
    local
        .act(name, &mark(vec![MarkOp::Note(Some("after lunch".into()))]))
        .await
        .unwrap();
    b.act(name, &mark(vec![MarkOp::RemoveTag("review".into())]))
        .await
        .unwrap();
    // `a`'s push loop sends the two writes a moment after they land: poll until both came.
    let mut seen = marks_of(&a, name).await;
    for _ in 0..200 {
        if seen.note.is_some() && seen.tags.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        seen = marks_of(&a, name).await;
    }
    assert_eq!(seen.note.as_deref(), Some("after lunch"));
    assert!(seen.bookmarked && seen.tags.is_empty());
    let e = a.act(name, &mark(vec![tag("a,b")])).await.unwrap_err();
    assert!(e.to_string().contains("spaces or commas"), "{e}");
    // The hooks' glob sees only the status file.
    let json: Vec<_> = std::fs::read_dir(&w.sessions)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert_eq!(json.len(), 1);
}

/// Adds `who0`..`who5`, removing each even one right after the next odd one lands.
async fn add_and_remove(s: &SshSource, who: &str) {
    for i in 0..6 {
        s.act("api", &mark(vec![tag(&format!("{who}{i}"))]))
            .await
            .unwrap();
        if i % 2 == 1 {
            let op = MarkOp::RemoveTag(format!("{who}{}", i - 1));
            s.act("api", &mark(vec![op])).await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_over_ssh_and_locally_lose_no_operation() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let w = World::start();
    w.status("api");
    let (a, b) = (w.ssh("alice"), w.ssh("bob"));
    let local = LocalSource::new(&w.sessions);
    let l = async {
        for i in 0..6 {
            local
                .act("api", &mark(vec![tag(&format!("l{i}"))]))
                .await
                .unwrap();
        }
    };
    tokio::join!(add_and_remove(&a, "a"), add_and_remove(&b, "b"), l);
    let got = marks_of(&local, "api").await.tags;
    let mut want: Vec<String> = ["a1", "a3", "a5", "b1", "b3", "b5"]
        .iter()
        .map(|s| s.to_string())
        .chain((0..6).map(|i| format!("l{i}")))
        .collect();
    want.sort();
    assert_eq!(got, want);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_marks_file_costs_only_marks_and_marks_follow_the_session() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let w = World::start();
    w.status("api");
    w.status("web");
    let a = w.ssh("alice");
    a.act("web", &mark(vec![tag("x")])).await.unwrap();
    std::fs::write(w.marks_file("api"), "{broken").unwrap();
    // The push loop sends the file a moment after the write: poll until it came.
    let mut report = a.poll_report().await.unwrap();
    for _ in 0..200 {
        if !report.skipped.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        report = a.poll_report().await.unwrap();
    }
    assert_eq!(report.sessions.len(), 2, "{report:?}");
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0].name.ends_with(".navi/marks/api.json"));
    assert_eq!(marks_of(&a, "web").await.tags, ["x"]);
    // A write replaces the broken file.
    a.act("api", &mark(vec![tag("y")])).await.unwrap();
    assert_eq!(marks_of(&a, "api").await.tags, ["y"]);
    // Dismissed (no tmux session in a server that answers): its marks go.
    let keep = Command::new("tmux")
        .args(["new-session", "-d", "-s", "keep", "cat"])
        .env("TMUX_TMPDIR", &w.tmux_dir)
        .env_remove("TMUX")
        .status()
        .unwrap();
    assert!(keep.success());
    a.act("api", &Action::Dismiss).await.unwrap();
    assert!(!w.marks_file("api").exists());
    // Renamed: they follow; killed: they go.
    let new = Action::New {
        dir: "~".into(),
        command: vec!["cat".into()],
        create_dir: false,
    };
    a.act("run", &new).await.unwrap();
    w.status("run");
    a.act("run", &mark(vec![MarkOp::Bookmark(true)]))
        .await
        .unwrap();
    a.act("run", &Action::Rename { to: "walk".into() })
        .await
        .unwrap();
    assert!(!w.marks_file("run").exists());
    assert!(marks_of(&a, "walk").await.bookmarked);
    a.act("walk", &Action::Kill).await.unwrap();
    assert!(!w.marks_file("walk").exists());
}

/// A directory of links to the tools the remote scripts use, without `flock`.
fn tools_without_flock(bin: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    for tool in [
        "sh", "awk", "sed", "wc", "cat", "head", "dd", "mkdir", "rmdir", "rm", "cksum", "sleep",
        "tr", "printf", "ln", "mv", "env", "id", "tmux", "ls", "kill",
    ] {
        if let Some(p) = navi_tests::users::find(&[tool]) {
            std::os::unix::fs::symlink(p, bin.join(tool)).unwrap();
        }
    }
    assert!(!bin.join("flock").exists());
}

/// 4 writers (own connections) add 10 tags each at once on a remote without `flock`:
/// every tag a write reported done is there, every other one was an error (the
/// 32-tag cap, which 40 tags exceed); nothing is lost silently.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers_without_flock_lose_nothing_silently() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let bin = scratch.path().join("bin");
    tools_without_flock(&bin);
    let w = World::start_with(&format!("PATH={}", bin.display()));
    w.status("api");
    let writers: Vec<SshSource> = (0..4).map(|i| w.ssh(&format!("c{i}"))).collect();
    let run = |i: usize| {
        let s = &writers[i];
        async move {
            let mut results = Vec::new();
            for j in 0..10 {
                let t = format!("w{i}t{j}");
                let r = s.act("api", &mark(vec![tag(&t)])).await;
                results.push((t, r.map_err(|e| e.to_string())));
            }
            results
        }
    };
    let (r0, r1, r2, r3) = tokio::join!(run(0), run(1), run(2), run(3));
    let results: Vec<_> = [r0, r1, r2, r3].into_iter().flatten().collect();
    let got = marks_of(&w.ssh("reader"), "api").await.tags;
    let mut done: Vec<String> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(t, _)| t.clone())
        .collect();
    done.sort();
    let failed: Vec<_> = results.iter().filter(|(_, r)| r.is_err()).collect();
    eprintln!("{} done, {} refused: {failed:?}", done.len(), failed.len());
    assert_eq!(
        got, done,
        "every write reported done landed, and only those"
    );
    for (t, r) in &failed {
        let e = r.as_ref().unwrap_err();
        assert!(
            e.contains("32 tags") || e.contains("lock") || e.contains("kept changing"),
            "{t}: {e}"
        );
    }
    assert!(done.len() <= 32, "never more than the cap: {done:?}");
    let lock_dirs: Vec<_> = std::fs::read_dir(w.sessions.join(".navi/marks"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".d") || n.ends_with(".break"))
        .collect();
    assert!(lock_dirs.is_empty(), "every lock released: {lock_dirs:?}");
}
