//! Control mode against real tmux servers on private sockets (`-S` in temp dirs, never the
//! user's server): session events, the live preview, the fallback without control mode,
//! and no client left behind.

use super::*;
use crate::test_tmux::Server;
use navi_core::PaneChange;
use std::sync::Arc;
use std::time::Duration;

/// Long enough for a loaded machine; a test fails only when nothing happens in it.
const PATIENCE: Duration = Duration::from_secs(20);

/// A `tmux` that logs each command's first word, then runs the real tmux; with `no_control`
/// it fails `-C` as a tmux before 3.2 fails `attach-session -f`.
fn logging_tmux(dir: &Path, no_control: bool) -> (String, std::path::PathBuf) {
    let log = dir.join("log");
    let stub = dir.join("tmux");
    // It says 3.8 (navi starts control clients only from 3.8 on; the real one here may be
    // older), or with `no_control` fails `-C` as a tmux before 3.2 would.
    let refuse = match no_control {
        true => "case \" $* \" in *' -C '*) echo 'usage: attach-session [-dErx] [-c working-directory] [-t target-session]' >&2; exit 1;; esac\n",
        false => "for a in \"$@\"; do [ \"$a\" = -V ] && { echo 'tmux 3.8'; exit 0; }; done\n",
    };
    let real = String::from_utf8(
        std::process::Command::new("sh")
            .args(["-c", "command -v tmux"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\n{refuse}for a in \"$@\"; do case $a in -*|/*) ;; *) echo \"$a\" >> '{}'; break;; esac; done\nexec {} \"$@\"\n",
            log.display(),
            real.trim()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    (stub.display().to_string(), log)
}

fn listings(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == "list-sessions")
        .count()
}

fn tmux_installed() -> bool {
    std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn gone(pid: u32) -> bool {
    // Reaped: no /proc entry at all (not even a zombie).
    !Path::new(&format!("/proc/{pid}")).exists()
}

/// Waits for the next session event (the watch of an unchanged directory stays quiet).
async fn next_event(src: &LocalSource) {
    tokio::time::timeout(PATIENCE, src.wait_change())
        .await
        .expect("a session event wakes wait_change");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_events_replace_the_listing_per_poll() {
    if !tmux_installed() {
        eprintln!("tmux not installed: skipped");
        return;
    }
    let status = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let work = Server::start(&["api", "web"]);
    work.hook_file(status.path(), "api", "working");
    work.hook_file(status.path(), "web", "working");
    let (stub, log) = logging_tmux(bin.path(), false);
    let src = LocalSource::new(status.path())
        .with_tmux(vec![stub])
        .with_tmux_check();
    // Armed (as the aggregator's wait does), then a poll starts the server's client.
    let _ = tokio::time::timeout(Duration::from_millis(10), src.wait_change()).await;
    src.poll_report().await.unwrap();
    let attached = (0..400).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        src.events.clients().iter().any(|c| c.2)
    });
    assert!(
        attached,
        "a control client attached: {:?}",
        src.events.clients()
    );
    assert!(work.clients().contains(" 1"), "{}", work.clients());
    // The poll after the attach lists once more; then polls keep the listing.
    src.poll_report().await.unwrap();
    let before = listings(&log);
    for _ in 0..5 {
        src.poll_report().await.unwrap();
    }
    assert_eq!(listings(&log), before, "no listing without an event");

    work.tmux(&["new-session", "-d", "-s", "db", "cat"]);
    next_event(&src).await;
    src.poll_report().await.unwrap();
    assert_eq!(listings(&log), before + 1, "an event, one listing");

    work.tmux(&["rename-session", "-t", "=web", "front"]);
    next_event(&src).await;
    let report = src.poll_report().await.unwrap();
    let names: Vec<_> = report
        .sessions
        .iter()
        .map(|s| s.tmux_session.as_str())
        .collect();
    assert!(names.contains(&"front"), "the rename followed: {names:?}");

    // Killing the client's own session: it exits, the next listing attaches another.
    let (_, first_pid, _) = src.events.clients()[0].clone();
    work.tmux(&["kill-session", "-t", "=api"]);
    next_event(&src).await;
    let report = src.poll_report().await.unwrap();
    let api = report
        .sessions
        .iter()
        .find(|s| s.tmux_session == "api")
        .unwrap();
    assert_eq!(api.liveness, navi_core::Liveness::Ended);
    let reattached = (0..400).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        src.events.clients().iter().any(|c| c.2 && c.1 != first_pid)
    });
    assert!(reattached, "{:?}", src.events.clients());
    assert!(gone(first_pid), "the ended client was reaped");

    // Dropped with its source: no client process left.
    let pids: Vec<u32> = src.events.clients().iter().map(|c| c.1).collect();
    drop(src);
    assert!(pids.iter().all(|p| gone(*p)), "{pids:?}");
    let left = (0..200).all(|_| {
        let c = work.clients();
        if !c.trim().is_empty() {
            std::thread::sleep(Duration::from_millis(25));
        }
        !c.trim().is_empty()
    });
    assert!(!left, "tmux still lists a client: {}", work.clients());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_previewed_pane_output_is_a_change_another_pane_is_not() {
    if !tmux_installed() {
        eprintln!("tmux not installed: skipped");
        return;
    }
    let status = tempfile::tempdir().unwrap();
    let work = Server::start(&["api"]);
    work.hook_file(status.path(), "api", "working");
    // A second pane, then the first one made active again: the preview shows `%0`'s.
    work.tmux(&["split-window", "-d", "-t", "=api:", "cat"]);
    let panes = work.tmux(&[
        "list-panes",
        "-t",
        "=api:",
        "-F",
        "#{pane_id} #{pane_active}",
    ]);
    let other = panes
        .lines()
        .find(|l| l.ends_with(" 0"))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .to_string();
    let bin = tempfile::tempdir().unwrap();
    let (stub, _log) = logging_tmux(bin.path(), false);
    let src = LocalSource::new(status.path()).with_tmux(vec![stub]);

    let first = tokio::time::timeout(PATIENCE, src.wait_pane_change("api")).await;
    assert_eq!(first, Ok(PaneChange::Changed), "the attach itself");
    // Let the client learn the active pane (its answer follows the attach at once).
    tokio::time::sleep(Duration::from_millis(300)).await;

    work.tmux(&["send-keys", "-t", &other, "elsewhere", "Enter"]);
    let quiet = tokio::time::timeout(Duration::from_secs(1), src.wait_pane_change("api")).await;
    assert!(quiet.is_err(), "another pane's output is no change");

    work.tmux(&["send-keys", "-t", "=api:", "here", "Enter"]);
    let change = tokio::time::timeout(PATIENCE, src.wait_pane_change("api")).await;
    assert_eq!(change, Ok(PaneChange::Changed));

    let pids = src.panes.clients();
    assert_eq!(pids.len(), 1);
    // No wait for a while: the client goes by itself.
    tokio::time::sleep(navi_core::limits::PANE_WATCH_LINGER + Duration::from_millis(500)).await;
    assert!(src.panes.clients().is_empty());
    assert!(gone(pids[0]), "the preview client was reaped");

    // A session that does not exist: no client, the timer instead.
    let none = tokio::time::timeout(PATIENCE, src.wait_pane_change("nope")).await;
    assert_eq!(none, Ok(PaneChange::Unsupported));
    drop(work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_control_mode_polls_list_and_the_preview_uses_its_timer() {
    if !tmux_installed() {
        eprintln!("tmux not installed: skipped");
        return;
    }
    let status = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let work = Server::start(&["api"]);
    work.hook_file(status.path(), "api", "working");
    let (stub, log) = logging_tmux(bin.path(), true);
    let src = LocalSource::new(status.path())
        .with_tmux(vec![stub])
        .with_tmux_check();
    let _ = tokio::time::timeout(Duration::from_millis(10), src.wait_change()).await;
    let change = tokio::time::timeout(PATIENCE, src.wait_pane_change("api")).await;
    assert_eq!(change, Ok(PaneChange::Unsupported));
    for _ in 0..3 {
        src.poll_report().await.unwrap();
        // The failed client is noticed when it has ended.
        std::thread::sleep(Duration::from_millis(200));
    }
    let before = listings(&log);
    for _ in 0..3 {
        let report = src.poll_report().await.unwrap();
        assert_eq!(report.sessions[0].liveness, navi_core::Liveness::Live);
    }
    assert_eq!(listings(&log), before + 3, "every poll lists, as before");
    assert!(src.events.clients().is_empty());
    assert!(work.clients().trim().is_empty(), "{}", work.clients());
}

/// CPU time (ms) of this process, its reaped children and the tmux server `pid`.
fn cpu_ms(server_pid: &str) -> u64 {
    let ticks = |path: &str, fields: &[usize]| -> u64 {
        let stat = std::fs::read_to_string(path).unwrap_or_default();
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        // After the `)`: field 3 of stat is f[0]; utime is field 14.
        fields
            .iter()
            .map(|i| {
                f.get(i - 3)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            })
            .sum()
    };
    let own = ticks("/proc/self/stat", &[14, 15, 16, 17]);
    let server = ticks(&format!("/proc/{server_pid}/stat"), &[14, 15]);
    (own + server) * 10
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Local pane change -> preview refreshed (old: the app's 1 s timer; new:
/// wait_pane_change), and the CPU of the local source's tmux check (polls vs events),
/// idle and with a status file rewritten 10 times a second. Numbers for
/// docs/benchmarks.md: `cargo test -p navi-source-local --release bench_local_control_mode
/// -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: prints numbers, takes about 3 minutes"]
async fn bench_local_control_mode() {
    // A tmux that says 3.8 (control clients only from 3.8 on) and runs this machine's.
    let stub_dir = tempfile::tempdir().unwrap();
    let (stub, _log) = logging_tmux(stub_dir.path(), false);
    let status = tempfile::tempdir().unwrap();
    let names = ["api", "web", "db", "docs", "ops"];
    let work = Server::start(&names);
    for n in names {
        work.hook_file(status.path(), n, "working");
    }
    let server_pid = work
        .tmux(&["display-message", "-p", "#{pid}"])
        .trim()
        .to_string();
    let src = Arc::new(
        LocalSource::new(status.path())
            .with_tmux(vec![stub.clone()])
            .with_tmux_check(),
    );
    let samples = 20u64;

    for mode in ["timer", "events"] {
        let mut took = Vec::new();
        for i in 0..samples {
            let marker = format!("mark-{mode}-{i}");
            let (src2, m2) = (Arc::clone(&src), marker.clone());
            let seen = tokio::spawn(async move {
                // Changes come at any phase of the timer.
                let phase = Duration::from_millis(137 * i % 1000);
                let mut next = tokio::time::Instant::now() + phase;
                loop {
                    if mode == "timer" {
                        tokio::time::sleep_until(next).await;
                        next += navi_core::limits::PREVIEW_EVERY;
                    } else {
                        src2.wait_pane_change("api").await;
                    }
                    let shown = src2.act("api", &Action::Preview).await;
                    if matches!(&shown, Ok(ActionOutput::Text(t)) if t.contains(&m2)) {
                        return std::time::Instant::now();
                    }
                }
            });
            // The follower is running (attached, first capture done) before the change.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let start = std::time::Instant::now();
            work.tmux(&["send-keys", "-t", "=api:", &marker, "Enter"]);
            let at = tokio::time::timeout(PATIENCE, seen).await.unwrap().unwrap();
            took.push(at - start);
        }
        println!("preview {mode}: median {:?} (n={samples})", median(took));
    }

    for busy in [false, true] {
        for mode in ["polls", "events"] {
            let src = Arc::new(
                LocalSource::new(status.path())
                    .with_tmux(vec![stub.clone()])
                    .with_tmux_check(),
            );
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            let writer = {
                let (stop, dir) = (Arc::clone(&stop), status.path().to_path_buf());
                let json = std::fs::read(dir.join("api.json")).unwrap();
                std::thread::spawn(move || {
                    while busy && !stop.load(std::sync::atomic::Ordering::SeqCst) {
                        std::fs::write(dir.join(".tmp.bench"), &json).unwrap();
                        std::fs::rename(dir.join(".tmp.bench"), dir.join("api.json")).unwrap();
                        std::thread::sleep(Duration::from_millis(100));
                    }
                })
            };
            let before = cpu_ms(&server_pid);
            let started = std::time::Instant::now();
            let mut polls = 0;
            while started.elapsed() < Duration::from_secs(30) {
                let wait = async {
                    match mode {
                        "events" => src.wait_change().await,
                        _ => src.watch.wait().await,
                    }
                };
                tokio::select! {
                    () = wait => {}
                    () = tokio::time::sleep(navi_core::limits::WATCHED_POLL) => {}
                }
                src.poll_report().await.unwrap();
                polls += 1;
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            writer.join().unwrap();
            // Its control client is reaped with it, so its CPU counts too.
            drop(src);
            let cpu = cpu_ms(&server_pid) - before;
            let what = if busy { "busy (10 writes/s)" } else { "idle" };
            println!("tmux check {mode}, {what}: {cpu} ms CPU in 30 s ({polls} polls)");
        }
    }
}

/// This machine's own tmux, when it is older than 3.8 (3.3a on Debian 12): no control
/// client is started (such a tmux can crash when one connects while sessions change), the
/// preview stays on its timer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tmux_before_3_8_gets_no_control_client() {
    if !tmux_installed() {
        eprintln!("tmux not installed: skipped");
        return;
    }
    let version = std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    if crate::control::safe_version(&version) {
        eprintln!("{version} is safe for control clients: nothing to check here");
        return;
    }
    let status = tempfile::tempdir().unwrap();
    let work = Server::start(&["api"]);
    work.hook_file(status.path(), "api", "working");
    let src = LocalSource::new(status.path()).with_tmux_check();
    let _ = src.poll_report().await;
    let change = tokio::time::timeout(PATIENCE, src.wait_pane_change("api")).await;
    assert_eq!(change, Ok(PaneChange::Unsupported), "{version}");
    assert_eq!(work.clients().trim(), "", "{version}: no control client");
}
