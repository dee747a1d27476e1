#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The push loop's tmux events (`tmux_events.sh`) against a real tmux server, under
//! every POSIX `sh` here: sessions made, renamed and killed reach navi without a `t`,
//! and no control client is left once the loop ends.

use std::path::Path;
use std::time::Duration;

use navi_core::statusdir::liveness::{ServerAnswer, TmuxServer};

use super::decode_tests::status_on;
use super::push_decode::{Batch, Record};
use super::push_tests::Loop;
use super::script_tests::{posix_shells, TmuxServerAt};

/// The session names of server `socket` in a batch's tmux records, if it has one.
fn names_in(b: &Batch, socket: &str) -> Option<Vec<String>> {
    let (Batch::Delta(records) | Batch::Full(records)) = b else {
        return None;
    };
    records.iter().find_map(|r| match r {
        Record::Tmux(TmuxServer::Socket(s), ServerAnswer::Sessions { sessions, .. })
            if s == socket =>
        {
            Some(sessions.iter().map(|s| s.name.clone()).collect())
        }
        _ => None,
    })
}

/// Waits for a batch whose tmux records list exactly `want` on `socket`.
fn wait_names(l: &mut Loop, socket: &str, want: &[&str]) {
    l.wait_for(|b| {
        names_in(b, socket).is_some_and(|mut n| {
            n.sort();
            n == want
        })
    });
}

/// The control clients attached to the server at `socket`.
fn clients(server: &TmuxServerAt) -> String {
    server.tmux(&["list-clients", "-F", "#{client_pid} #{client_control_mode}"])
}

fn events_under(argv: &[String]) {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    let socket = home.path().join("tmux sock");
    let socket_s = socket.to_str().unwrap().to_string();
    let server = TmuxServerAt::start(&socket, &["a"]);
    std::fs::write(dir.join("a.json"), status_on("a", Some(&socket_s))).unwrap();
    // The ticker never ticks: only events (or navi's `t`) check tmux. The loop follows
    // events only on tmux 3.8 or later (older ones can crash when a control client
    // connects while sessions change): this tmux says 3.8 and runs the real one.
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let path = tmux_saying(&bin, "3.8");
    let mut l = Loop::start(argv, &dir, "0", Some(Path::new(&path)));
    l.wait_for(|b| *b == Batch::Events("tmux".into()));
    // Its client attaches after the first check: wait until tmux lists it.
    wait_until(
        || !clients(&server).trim().is_empty(),
        &format!("{argv:?}: no client"),
    );
    server.tmux(&["new-session", "-d", "-s", "b", "cat"]);
    wait_names(&mut l, &socket_s, &["a", "b"]);
    server.tmux(&["rename-session", "-t", "=b", "c"]);
    wait_names(&mut l, &socket_s, &["a", "c"]);
    // The client's own session ends: it attaches to the one left.
    server.tmux(&["kill-session", "-t", "=a"]);
    wait_names(&mut l, &socket_s, &["c"]);
    wait_until(
        || !clients(&server).trim().is_empty(),
        &format!("{argv:?}: no client after a's end"),
    );
    server.tmux(&["new-session", "-d", "-s", "d", "cat"]);
    wait_names(&mut l, &socket_s, &["c", "d"]);
    let st = l.stop();
    assert!(st.success(), "{argv:?}: {st:?}");
    wait_until(
        || clients(&server).trim().is_empty(),
        &format!("{argv:?}: a client was left"),
    );
}

fn wait_until(ok: impl Fn() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !ok() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn session_events_reach_navi_without_a_tmux_check_under_every_sh() {
    for argv in posix_shells() {
        events_under(&argv);
    }
}

/// A tmux without control mode's client flags (a stub that says 2.9, earlier on PATH):
/// no `EVENTS` batch, so navi keeps asking for the check.
#[test]
fn a_tmux_without_control_mode_leaves_the_check_to_navi() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    stub_old_tmux(&bin);
    assert_follows_no_events(&dir, &first_on_path(&bin), "2.9");
}

/// A loop over `dir` with `path` answers a heartbeat and never says it follows tmux
/// events (`what` names the case in a failure).
fn assert_follows_no_events(dir: &Path, path: &std::ffi::OsStr, what: &str) {
    let mut l = Loop::start(&["sh".to_string()], dir, "0", Some(Path::new(path)));
    l.send("h1");
    l.wait_for(|b| *b == Batch::Heartbeat("1".into()));
    assert!(
        !l.seen.iter().any(|b| matches!(b, Batch::Events(_))),
        "{what}: {:?}",
        String::from_utf8_lossy(&l.raw)
    );
    assert!(l.stop().success());
}

/// A `tmux` first on a `PATH` (returned) that says it is `version` and otherwise runs
/// the real tmux.
pub(super) fn tmux_saying(bin: &Path, version: &str) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt as _;
    let real = super::script_tests::which("tmux");
    let stub = bin.join("tmux");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\ncase $1 in -V) echo 'tmux {version}'; exit 0;; esac\nexec '{}' \"$@\"\n",
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    first_on_path(bin)
}

/// `PATH` with `bin` first.
fn first_on_path(bin: &Path) -> std::ffi::OsString {
    std::env::join_paths(
        std::iter::once(bin.to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap()
}

/// tmux 3.3a, as this machine's: released versions before 3.8 can crash their server when
/// a control client connects while a session is made, so the loop follows no events.
#[test]
fn a_tmux_before_3_8_gets_no_control_client() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("st");
    std::fs::create_dir(&dir).unwrap();
    let bin = home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for version in ["3.3a", "3.7c", "master", "next-3.4"] {
        assert_follows_no_events(&dir, &tmux_saying(&bin, version), version);
    }
}

/// A `tmux` that says it is 2.9 and lists no sessions.
pub(super) fn stub_old_tmux(bin: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let stub = bin.join("tmux");
    std::fs::write(
        &stub,
        "#!/bin/sh\ncase $1 in -V) echo 'tmux 2.9';; *) echo 'no server running' >&2; exit 1;; esac\n",
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
}
