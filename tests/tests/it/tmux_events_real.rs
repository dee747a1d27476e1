//! tmux events and the pane follow on a real sshd, once per login shell (bash, fish,
//! tcsh, busybox ash), against the remote user's real tmux (its `tmux` on PATH logs
//! each call, then runs tmux):
//!
//! * sessions made, renamed and killed on the remote reach navi's report through the
//!   push loop's control client (navi asks for the tmux check only every 5 minutes once
//!   the loop follows events; the bound here is 20 s);
//! * `wait_pane_change` resolves `Changed` when the session's active pane prints, not
//!   when another session's pane does;
//! * once the sources are dropped no control client and no process of the remote user
//!   is left but the tmux server and its panes;
//! * a `tmux` without control mode's client flags (a stub saying 2.9) makes
//!   `wait_pane_change` `Unsupported`.
//!
//! Needs root (`useradd`) and the shells; skipped otherwise unless `NAVI_REQUIRE_SSHD=1`
//! / `NAVI_REQUIRE_SHELLS=1`.

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;
use std::time::Duration;

use navi_core::statusdir::liveness::{ServerAnswer, TmuxServer};
use navi_core::{PaneChange, SessionSource};
use navi_source_ssh::SshSource;
use navi_tests::users::{can_run, find};

use crate::remote_action_truth::{chown, Remote};

/// How long one change may take to arrive (far under the 5-minute safety check).
const BOUND: Duration = Duration::from_secs(20);

/// The default server's session names in the source's next report.
fn listed(r: &Remote, source: &SshSource) -> Option<Vec<String>> {
    let report = r.rt.block_on(source.poll_report()).ok()?;
    let view = report.tmux?;
    match view.servers.get(&TmuxServer::Default)? {
        ServerAnswer::Sessions { sessions, .. } => {
            let mut n: Vec<String> = sessions.iter().map(|s| s.name.clone()).collect();
            n.sort();
            Some(n)
        }
        _ => None,
    }
}

fn wait_listed(r: &Remote, source: &SshSource, want: &[&str], what: &str) {
    let start = std::time::Instant::now();
    loop {
        let got = listed(r, source);
        if got.as_deref().is_some_and(|g| g == want) {
            return;
        }
        assert!(
            start.elapsed() < BOUND,
            "{what}: still {got:?}, want {want:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The remote user's processes: pid and name.
fn processes_of(user: &str) -> Vec<String> {
    let out = Command::new("ps")
        .args(["-u", user, "-o", "pid=,comm=,args="])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A `tmux` first on the remote user's PATH: `stub` answers itself (a tmux without
/// control mode), else it logs the call and runs the real one.
fn tmux_wrapper(r: &Remote, stub: bool) {
    let real = find(&["tmux"]).unwrap();
    let log = r.home.join("tmux.log");
    std::fs::write(&log, "").unwrap();
    chown(&r.user.name, &log);
    let body = if stub {
        "#!/bin/sh\ncase $1 in -V) echo 'tmux 2.9'; exit 0;; esac\n".to_string()
            + &format!("exec {} \"$@\"\n", real.display())
    } else {
        // It says 3.8: navi uses control clients only from tmux 3.8 on (older releases
        // can crash when one connects while sessions change); this machine's is older.
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase $1 in -V) echo 'tmux 3.8'; exit 0;; esac\nexec {} \"$@\"\n",
            log.display(),
            real.display()
        )
    };
    let path = r.bin.join("tmux");
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn new_session(r: &Remote, name: &str, command: &str) {
    let out = r.tmux(&["new-session", "-d", "-s", name, command]);
    assert!(out.status.success(), "tmux new {name}: {out:?}");
}

fn wait_change(
    r: &Remote,
    source: &SshSource,
    session: &str,
    within: Duration,
) -> Option<PaneChange> {
    r.rt.block_on(async {
        tokio::time::timeout(within, source.wait_pane_change(session))
            .await
            .ok()
    })
}

fn check(shell_name: &str) {
    let path = find(&[shell_name]);
    if !can_run(
        &format!("{shell_name} tmux events test"),
        &[(shell_name, path.as_deref())],
    ) {
        return;
    }
    let sh = shell_name;
    let r = Remote::start_as("e", shell_name, &path.unwrap());
    tmux_wrapper(&r, false);
    new_session(&r, "a", "cat");
    new_session(&r, "other", "cat");
    let status = r.status_file("a");
    std::fs::write(&status, r#"{"tmux_session":"a","status":"waiting"}"#).unwrap();
    chown(&r.user.name, &status);
    let source = SshSource::new(r.source.remote().clone());
    wait_listed(&r, &source, &["a", "other"], sh);
    // The events' client attached before sessions change (the real tmux here is older
    // than 3.8 and could crash if a session were made while a control client connects).
    let start = std::time::Instant::now();
    while r
        .tmux(&["list-clients", "-F", "#{client_control_mode}"])
        .stdout
        .is_empty()
    {
        assert!(start.elapsed() < BOUND, "{sh}: no control client attached");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Session events.
    new_session(&r, "b", "cat");
    wait_listed(&r, &source, &["a", "b", "other"], &format!("{sh}: new"));
    assert!(r
        .tmux(&["rename-session", "-t", "=b", "c"])
        .status
        .success());
    wait_listed(&r, &source, &["a", "c", "other"], &format!("{sh}: rename"));
    assert!(r.tmux(&["kill-session", "-t", "=c"]).status.success());
    wait_listed(&r, &source, &["a", "other"], &format!("{sh}: kill"));

    // The pane follow: another session's output is no change of `a`'s pane...
    let first = wait_change(&r, &source, "a", Duration::from_secs(2));
    assert_eq!(first, None, "{sh}: nothing printed yet");
    let other = std::thread::scope(|s| {
        let waiter = s.spawn(|| wait_change(&r, &source, "a", Duration::from_secs(3)));
        std::thread::sleep(Duration::from_millis(500));
        assert!(r
            .tmux(&["send-keys", "-t", "=other:", "noise", "Enter"])
            .status
            .success());
        waiter.join().unwrap()
    });
    assert_eq!(other, None, "{sh}: another session's pane is no change");
    // ... and its own pane's output is one.
    let own = std::thread::scope(|s| {
        let waiter = s.spawn(|| wait_change(&r, &source, "a", BOUND));
        std::thread::sleep(Duration::from_millis(500));
        assert!(r
            .tmux(&["send-keys", "-t", "=a:", "hello", "Enter"])
            .status
            .success());
        waiter.join().unwrap()
    });
    assert_eq!(own, Some(PaneChange::Changed), "{sh}: a's pane changed");
    let clients = r.tmux(&["list-clients", "-F", "#{client_control_mode}"]);
    assert!(
        !clients.stdout.is_empty(),
        "{sh}: the follow's control client: {clients:?}"
    );

    // Nothing left once the source is gone.
    drop(source);
    let start = std::time::Instant::now();
    loop {
        let clients = r.tmux(&["list-clients"]);
        let procs: Vec<String> = processes_of(&r.user.name)
            .into_iter()
            .filter(|p| !p.contains("tmux: server") && !p.ends_with(" cat"))
            .collect();
        if clients.stdout.is_empty() && procs.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < BOUND,
            "{sh}: left on the remote: clients {clients:?}, processes {procs:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // No control mode: Unsupported, and the session list still comes (navi's check).
    tmux_wrapper(&r, true);
    let source = SshSource::new(r.source.remote().clone());
    wait_listed(&r, &source, &["a", "other"], &format!("{sh}: stub"));
    assert_eq!(
        wait_change(&r, &source, "a", BOUND),
        Some(PaneChange::Unsupported),
        "{sh}: no control mode"
    );
}

#[test]
fn tmux_events_and_pane_follow_bash() {
    check("bash");
}

#[test]
fn tmux_events_and_pane_follow_fish() {
    check("fish");
}

#[test]
fn tmux_events_and_pane_follow_tcsh() {
    check("tcsh");
}

#[test]
fn tmux_events_and_pane_follow_busybox() {
    check("busybox");
}
