//! Liveness of a remote's rows against a real sshd and real tmux servers: each row is
//! decided from the tmux server its status file records (or, without one, the server the
//! remote's non-interactive environment reaches); a server that cannot be asked makes the
//! row unknown with the reason, never ended, and nothing is removed on it; a session
//! renamed in tmux takes its file and marks along; a ghost row is ended and dismissed.
//!
//! Every tmux server runs on a socket in the test's scratch directory (the remote's own
//! `TMUX_TMPDIR` is set by sshd's `SetEnv`), and each test kills the servers it started.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use navi_core::{Action, Liveness, MarkOp, Marks, PollReport, SessionSource};
use navi_source_ssh::test_support::RemoteBuilder;
use navi_source_ssh::SshSource;
use navi_tests::sshd::{self, Sshd};

/// A real sshd whose remote user has a scratch HOME and the non-interactive
/// `TMUX_TMPDIR` `remote_tmpdir` (plus `extra` `SetEnv` entries), and an SSH source on it.
struct World {
    scratch: tempfile::TempDir,
    sessions: PathBuf,
    remote_tmpdir: PathBuf,
    /// The sockets of the tmux servers this test started.
    sockets: std::cell::RefCell<Vec<PathBuf>>,
    server: Sshd,
    source: SshSource,
}

impl World {
    fn start(extra: &str, push: bool) -> World {
        let scratch = tempfile::tempdir().unwrap();
        let home = scratch.path().join("home");
        let sessions = home.join(".claude-sessions");
        std::fs::create_dir_all(sessions.join(".navi/marks")).unwrap();
        let remote_tmpdir = scratch.path().join("remote-tmux");
        std::fs::create_dir_all(&remote_tmpdir).unwrap();
        let keys = scratch.path().join("keys");
        let server = Sshd::start_scratch(&keys, &home, &remote_tmpdir, extra);
        let known_hosts = keys.join("known_hosts");
        let mut remote = RemoteBuilder::new("dev", "127.0.0.1")
            .port(server.port())
            .user(sshd::current_user())
            .keys([keys.join("id_ed25519")])
            .known_hosts(&known_hosts)
            .sessions_dir("~/.claude-sessions")
            .timeout(Duration::from_secs(20));
        if !push {
            remote = remote.polling();
        }
        World {
            sessions,
            remote_tmpdir,
            sockets: std::cell::RefCell::new(Vec::new()),
            source: SshSource::new(remote.build()),
            server,
            scratch,
        }
    }

    /// `tmux -u -S socket ARGS` (the socket remembered, its server killed on drop).
    fn tmux(&self, socket: &Path, args: &[&str]) -> String {
        if !self.sockets.borrow().iter().any(|s| s == socket) {
            self.sockets.borrow_mut().push(socket.to_path_buf());
        }
        let out = Command::new("tmux")
            .arg("-u")
            .arg("-S")
            .arg(socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A tmux server at `socket` holding `sessions`.
    fn tmux_server(&self, socket: &Path, sessions: &[&str]) {
        for s in sessions {
            self.tmux(socket, &["new-session", "-d", "-s", s, "cat"]);
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.sessions.join(format!("{name}.json"))
    }

    fn marks(&self, name: &str) -> PathBuf {
        self.sessions.join(format!(".navi/marks/{name}.json"))
    }

    /// A status file without a `tmux` block (the Go hooks write none).
    fn plain_status(&self, name: &str) {
        let v = serde_json::json!({"tmux_session": name, "status": "permission", "timestamp": 1});
        std::fs::write(self.file(name), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }

    /// A status file as `navi hook` writes it inside `name` on the server at `socket`:
    /// the server's socket and pid and the session's id, asked from tmux.
    fn hook_status(&self, name: &str, socket: &Path) {
        let place = self.tmux(
            socket,
            &[
                "display-message",
                "-p",
                "-t",
                &format!("={name}:"),
                "#{socket_path}\t#{pid}\t#{session_id}",
            ],
        );
        let mut f = place.trim_end().split('\t');
        let (path, pid, id) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let v = serde_json::json!({
            "tmux_session": name,
            "status": "permission",
            "timestamp": 1,
            "tmux": {"socket": path, "server_pid": pid.parse::<i64>().unwrap(), "session_id": id},
        });
        std::fs::write(self.file(name), serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }

    /// Gives `name` a marks file (a tag).
    fn mark(&self, name: &str) {
        let mut m = Marks::default();
        m.apply(&MarkOp::AddTag("keep".into()), 1, "test");
        std::fs::write(self.marks(name), m.to_bytes()).unwrap();
    }

    /// Polls until `want` holds for the report (20 s at most); the last report.
    async fn until(&self, what: &str, want: impl Fn(&PollReport) -> bool) -> PollReport {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let report = self.source.poll_report().await.unwrap();
            if want(&report) {
                return report;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{what}: not within 20 s; last report {:?}\nsshd log:\n{}",
                report.sessions,
                self.server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What the dashboard's clean-up does once the grace has passed: `Tidy`, through
    /// the source, every row whose liveness allows a removal. The rows it removed.
    async fn tidy(&self) -> Vec<String> {
        let report = self.source.poll_report().await.unwrap();
        let mut done = Vec::new();
        for s in &report.sessions {
            if s.row_liveness().allows_removal().is_ok()
                && self
                    .source
                    .act(&s.tmux_session, &Action::Tidy)
                    .await
                    .is_ok()
            {
                done.push(s.tmux_session.clone());
            }
        }
        done
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for socket in self.sockets.borrow().iter() {
            let _ = Command::new("tmux")
                .arg("-S")
                .arg(socket)
                .arg("kill-server")
                .env_remove("TMUX")
                .output();
        }
    }
}

/// A directory of links to the tools the remote scripts use, without tmux.
fn tools_without_tmux(bin: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    for tool in [
        "sh",
        "awk",
        "sed",
        "wc",
        "cat",
        "head",
        "dd",
        "mkdir",
        "rm",
        "cksum",
        "sleep",
        "tr",
        "printf",
        "flock",
        "ln",
        "mv",
        "inotifywait",
        "env",
        "id",
    ] {
        if let Some(p) = navi_tests::users::find(&[tool]) {
            std::os::unix::fs::symlink(p, bin.join(tool)).unwrap();
        }
    }
}

fn row<'a>(r: &'a PollReport, name: &str) -> Option<&'a navi_core::SessionInfo> {
    r.sessions
        .iter()
        .find(|s| s.tmux_session == name)
        .map(|s| &**s)
}

fn liveness(r: &PollReport, name: &str) -> Liveness {
    row(r, name)
        .map(|s| s.row_liveness().clone())
        .unwrap_or_else(|| panic!("no row {name} in {:?}", r.sessions))
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Checks that `name`'s row is unknown with a reason containing `why`, survives polls
/// and the dashboard's clean-up, and that a dismiss is refused with the reason: file and
/// marks still there.
async fn unknown_and_kept(w: &World, name: &str, why: &str) {
    let report = w
        .until("the row is unknown", |r| {
            row(r, name).is_some_and(|s| s.liveness.reason().is_some())
        })
        .await;
    let l = liveness(&report, name);
    let reason = l.reason().unwrap();
    assert!(reason.contains(why), "{reason:?} should say {why:?}");
    assert!(l.allows_removal().is_err());
    for _ in 0..3 {
        assert_eq!(
            w.tidy().await,
            Vec::<String>::new(),
            "the clean-up never acts"
        );
    }
    let e = w.source.act(name, &Action::Dismiss).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("cannot dismiss") && msg.contains(why),
        "the refusal says why: {msg}"
    );
    assert!(w.file(name).exists(), "the status file is kept");
    assert!(w.marks(name).exists(), "the marks are kept");
}

/// sshd's `SetEnv TMUX_TMPDIR=` points the non-interactive environment at an empty
/// directory while the session lives in the user's default server: the row is unknown,
/// naming the server that was asked, and kept; with the socket the hook records, the
/// right server is asked and the row is live. Through the push loop and by polling.
#[test]
fn another_default_server_is_unknown_and_the_recorded_socket_makes_it_live() {
    if !sshd::sshd_or_skip() {
        return;
    }
    for push in [true, false] {
        let w = World::start("", push);
        // The user's default server, where an interactive login would find it.
        let real = w.scratch.path().join("real-tmux");
        std::fs::create_dir_all(&real).unwrap();
        let socket = real.join("default");
        w.tmux_server(&socket, &["api"]);
        w.plain_status("api");
        w.mark("api");
        runtime().block_on(async {
            unknown_and_kept(&w, "api", &w.remote_tmpdir.display().to_string()).await;
            w.hook_status("api", &socket);
            let report = w
                .until("the recorded server answers", |r| {
                    row(r, "api").is_some_and(|s| s.liveness == Liveness::Live)
                })
                .await;
            assert_eq!(report.sessions.len(), 1, "push {push}");
        });
        assert!(w.file("api").exists() && w.marks("api").exists());
    }
}

/// A remote user whose non-interactive `PATH` has no tmux (Homebrew's tmux on macOS):
/// unknown, saying so; the dashboard's clean-up and `dismiss` remove nothing.
#[test]
fn no_tmux_on_the_remote_path_is_unknown_and_dismiss_is_refused() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let bin = tempfile::tempdir().unwrap();
    tools_without_tmux(bin.path());
    let w = World::start(&format!("PATH={}", bin.path().display()), true);
    w.plain_status("api");
    w.mark("api");
    runtime().block_on(unknown_and_kept(&w, "api", "tmux: not found"));
}

/// A tmux that fails every command (an upgrade left client and server apart): unknown
/// with its words; nothing is removed.
#[test]
fn a_tmux_that_fails_every_command_is_unknown_and_nothing_is_deleted() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let stub = tempfile::tempdir().unwrap();
    let tmux = stub.path().join("tmux");
    std::fs::write(
        &tmux,
        "#!/bin/sh\necho 'protocol version mismatch (client 8, server 7)' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&tmux, std::fs::Permissions::from_mode(0o755)).unwrap();
    let w = World::start(
        &format!("PATH={}:/usr/bin:/bin", stub.path().display()),
        true,
    );
    let socket = w.scratch.path().join("sock");
    w.tmux_server(&socket, &["api"]);
    w.hook_status("api", &socket);
    w.plain_status("web");
    w.mark("api");
    w.mark("web");
    let why = "protocol version mismatch (client 8, server 7)";
    runtime().block_on(async {
        unknown_and_kept(&w, "api", why).await;
        unknown_and_kept(&w, "web", why).await;
    });
}

/// Sessions on a `tmux -L` server, recorded in their files: live while they run there,
/// ended once killed on that server (which still answers), and then the clean-up
/// removes the file (and the user's dismiss the marks).
#[test]
fn sessions_on_a_named_server_are_live_then_ended() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let w = World::start("", true);
    let name = format!("navi-liveness-{}", std::process::id());
    let tmpdir = w.scratch.path().join("l-tmux");
    std::fs::create_dir_all(&tmpdir).unwrap();
    let l = |args: &[&str]| {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&name)
            .args(args)
            .env("TMUX_TMPDIR", &tmpdir)
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux -L {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    l(&["new-session", "-d", "-s", "api", "cat"]);
    l(&["new-session", "-d", "-s", "keep", "cat"]);
    let socket = PathBuf::from(l(&["display-message", "-p", "#{socket_path}"]).trim());
    w.sockets.borrow_mut().push(socket.clone());
    w.hook_status("api", &socket);
    w.hook_status("keep", &socket);
    w.mark("api");
    runtime().block_on(async {
        w.until("live on its -L server", |r| {
            row(r, "api").is_some_and(|s| s.liveness == Liveness::Live)
        })
        .await;
        l(&["kill-session", "-t", "=api"]);
        w.until("ended on its -L server", |r| {
            row(r, "api").is_some_and(|s| s.liveness == Liveness::Ended)
        })
        .await;
        assert_eq!(w.tidy().await, ["api"]);
        assert!(!w.file("api").exists(), "the clean-up removed the file");
        assert!(w.marks("api").exists(), "the clean-up keeps the marks");
        // The server's last session ends: tmux exits and its socket goes. The server
        // the file names is gone (its pid no longer runs): positive evidence.
        l(&["kill-server"]);
        w.until("ended with its server", |r| {
            row(r, "keep").is_some_and(|s| s.liveness == Liveness::Ended)
        })
        .await;
        assert_eq!(w.tidy().await, ["keep"]);
    });
    assert!(!w.file("keep").exists(), "the clean-up removed the file");
}

/// A session renamed in tmux itself: its file (rewritten) and marks follow it to the new
/// name. When the hook already wrote the new name's file, that file is kept as it is,
/// only the marks move, and the old file is an ended row the clean-up removes.
#[test]
fn a_rename_in_tmux_is_followed_by_the_file_and_the_marks() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let w = World::start("", true);
    let socket = w.scratch.path().join("sock");
    w.tmux_server(&socket, &["old", "x", "keep"]);
    w.hook_status("old", &socket);
    w.mark("old");
    w.hook_status("x", &socket);
    w.mark("x");
    runtime().block_on(async {
        w.until("live", |r| {
            row(r, "old").is_some_and(|s| s.liveness == Liveness::Live)
        })
        .await;
        w.tmux(&socket, &["rename-session", "-t", "=old", "new ☃"]);
        w.tmux(&socket, &["rename-session", "-t", "=x", "y"]);
        // The hook wrote y's file already (its next event came first).
        w.hook_status("y", &socket);
        let before_y = std::fs::read(w.file("y")).unwrap();
        let report = w
            .until("followed", |r| {
                row(r, "new ☃").is_some() && !w.file("old").exists()
            })
            .await;
        assert_eq!(liveness(&report, "new ☃"), Liveness::Live);
        let moved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(w.file("new ☃")).unwrap()).unwrap();
        assert_eq!(moved["tmux_session"], "new ☃");
        assert_eq!(moved["status"], "permission");
        assert!(moved["tmux"]["session_id"].is_string(), "{moved}");
        assert!(!w.marks("old").exists() && w.marks("new ☃").exists());
        let report = w
            .until("x's marks followed", |_| w.marks("y").exists())
            .await;
        assert_eq!(
            std::fs::read(w.file("y")).unwrap(),
            before_y,
            "never overwritten"
        );
        assert!(!w.marks("x").exists());
        assert_eq!(
            liveness(&report, "x"),
            Liveness::Ended,
            "x.json is left over"
        );
        assert_eq!(w.tidy().await, ["x"]);
    });
    assert!(!w.file("x").exists());
    assert!(w.file("y").exists() && w.marks("y").exists());
    assert!(w.file("new ☃").exists() && w.marks("new ☃").exists());
}

/// A ghost row (a file whose session never existed on a server that answers) is ended
/// and `dismiss` removes it and its marks; a dismiss of a name without a file is an
/// error.
#[test]
fn a_ghost_row_is_ended_and_dismissed() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let w = World::start("", false);
    // The remote's default server answers (it holds another session).
    let socket = w
        .remote_tmpdir
        .join(format!("tmux-{}", uid()))
        .join("default");
    std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
    std::fs::set_permissions(
        socket.parent().unwrap(),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    w.tmux_server(&socket, &["keep"]);
    w.plain_status("ghost");
    w.mark("ghost");
    runtime().block_on(async {
        let report = w.source.poll_report().await.unwrap();
        assert_eq!(liveness(&report, "ghost"), Liveness::Ended);
        w.source.act("ghost", &Action::Dismiss).await.unwrap();
        let e = w.source.act("nothere", &Action::Dismiss).await.unwrap_err();
        assert!(
            e.to_string().contains("no session named nothere on dev"),
            "{e}"
        );
    });
    assert!(!w.file("ghost").exists() && !w.marks("ghost").exists());
}

fn uid() -> String {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A remote user whose `PATH` has no `head` (awk is there): every poll, push or not, is
/// an error naming it, never "connected" with every file empty.
#[test]
fn no_head_on_the_remote_path_is_a_named_error() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let bin = tempfile::tempdir().unwrap();
    tools_without_tmux(bin.path());
    std::fs::remove_file(bin.path().join("head")).unwrap();
    for push in [true, false] {
        let w = World::start(&format!("PATH={}", bin.path().display()), push);
        w.plain_status("api");
        w.mark("api");
        runtime().block_on(async {
            for _ in 0..3 {
                let e = w.source.poll_report().await.unwrap_err().to_string();
                assert!(
                    e.contains("the remote has no `head` on PATH"),
                    "push {push}: {e}"
                );
            }
        });
    }
}
