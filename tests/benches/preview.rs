//! A remote session's preview (its tmux pane), three ways, in one run against one
//! loopback OpenSSH sshd: navi's preview action (the long-lived preview channel of the
//! pooled connection), a fresh `ssh host tmux capture-pane`, and `tmux capture-pane` run
//! locally (the floor).
//!
//! Run: `cargo bench -p navi-tests --bench preview` (needs root, openssh-server, tmux).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use navi_core::{Action, SessionSource};
use navi_source_ssh::{load_remotes_from_str, Env, SshSource};
use navi_tests::sshd::{current_user, keygen, sshd_or_skip, Sshd};

const ROUNDS: usize = 40;

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    if !sshd_or_skip() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let tmux_dir = scratch.path().join("tmux");
    std::fs::create_dir(&tmux_dir).unwrap();
    let home = scratch.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let key = scratch.path().join("id_ed25519");
    let public = keygen(&key, "");
    let server = Sshd::start_with(
        &[&public],
        &format!(
            "SetEnv HOME={} TMUX_TMPDIR={}",
            home.display(),
            tmux_dir.display()
        ),
    );
    let known_hosts = scratch.path().join("known_hosts");
    std::fs::write(&known_hosts, server.known_hosts_line() + "\n").unwrap();
    // The bench's tmux server ends with the bench, also when an assertion stops it, and
    // so do its panes' programs (`top -b` outlives the server's hangup).
    struct KillServer(std::path::PathBuf);
    impl Drop for KillServer {
        fn drop(&mut self) {
            let run = |args: &[&str]| {
                Command::new("tmux")
                    .args(args)
                    .env("TMUX_TMPDIR", &self.0)
                    .env_remove("TMUX")
                    .stdin(Stdio::null())
                    .output()
                    .ok()
            };
            let pids = run(&["list-panes", "-a", "-F", "#{pane_pid}"]).map_or(String::new(), |o| {
                String::from_utf8_lossy(&o.stdout).into_owned()
            });
            let _ = run(&["kill-server"]);
            for pid in pids.split_whitespace() {
                let _ = Command::new("kill").arg(pid).output();
            }
        }
    }
    let _server = KillServer(tmux_dir.clone());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", &tmux_dir)
            .env_remove("TMUX")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    assert!(tmux(&[
        "new-session",
        "-d",
        "-s",
        "bench",
        "-x",
        "120",
        "-y",
        "40",
        "top -b -d 1"
    ])
    .status
    .success());
    std::thread::sleep(Duration::from_millis(500));
    let yaml = format!(
        "remotes:\n  - name: dev\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    key: {}\n    known_hosts: {}\n",
        server.port(),
        current_user(),
        key.display(),
        known_hosts.display()
    );
    let env = Env {
        home: Some(scratch.path().to_path_buf()),
        ssh_config: None,
        user: Some(current_user()),
    };
    let remote = load_remotes_from_str(Path::new("r.yaml"), &yaml, &env)
        .remotes
        .remove(0);
    let source = SshSource::new(remote);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(source.act("bench", &Action::Preview)).unwrap();
    let navi: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            let out = rt.block_on(source.act("bench", &Action::Preview)).unwrap();
            let elapsed = t.elapsed();
            let navi_core::ActionOutput::Text(text) = out else {
                panic!("a preview is text")
            };
            assert!(text.lines().count() > 5, "the pane of top: {text:?}");
            elapsed
        })
        .collect();
    // The same capture as one exec channel on the same pooled connection.
    let exec_cmd = navi_source_ssh::RemoteCommand::new("exec tmux capture-pane -p -J -t \"$1\"")
        .arg("=bench:");
    let exec: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            let out = rt
                .block_on(source.run(&exec_cmd, b"", Duration::from_secs(20), 1 << 20))
                .unwrap();
            assert!(out.success() && !out.stdout.is_empty());
            t.elapsed()
        })
        .collect();
    let fresh: Vec<Duration> = (0..ROUNDS / 2)
        .map(|_| {
            let t = Instant::now();
            let out = Command::new("ssh")
                .arg("-i")
                .arg(&key)
                .args(["-p", &server.port().to_string(), "-o", "BatchMode=yes"])
                .arg("-o")
                .arg(format!("UserKnownHostsFile={}", known_hosts.display()))
                .arg(format!("{}@127.0.0.1", current_user()))
                .arg("tmux capture-pane -p -t =bench:")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            t.elapsed()
        })
        .collect();
    let local: Vec<Duration> = (0..ROUNDS)
        .map(|_| {
            let t = Instant::now();
            assert!(tmux(&["capture-pane", "-p", "-t", "=bench:"])
                .status
                .success());
            t.elapsed()
        })
        .collect();
    let (followed, timer) = change_to_preview(&rt, &source, &tmux);
    let (n, e, f, l) = (median(navi), median(exec), median(fresh), median(local));
    println!("| preview of a remote pane | median | vs navi |");
    println!("| --- | --- | --- |");
    println!("| navi preview action (long-lived preview channel on the pooled connection) | {n:.2} ms | 1.00× |");
    println!(
        "| an exec channel on the same pooled connection | {e:.2} ms | {:.2}× |",
        e / n
    );
    println!(
        "| fresh `ssh host tmux capture-pane` | {f:.2} ms | {:.2}× |",
        f / n
    );
    println!(
        "| local `tmux capture-pane` (floor) | {l:.2} ms | {:.2}× |",
        l / n
    );
    let ti = median(timer.clone());
    println!();
    println!("| remote pane change -> preview text shows it | median | max | vs timer |");
    println!("| --- | --- | --- | --- |");
    match followed.is_empty() {
        true => println!(
            "| followed (`wait_pane_change`, then the preview action) | not measured: the remote's tmux is older than 3.8 | | |"
        ),
        false => {
            let fo = median(followed.clone());
            println!(
                "| followed (`wait_pane_change`, then the preview action) | {fo:.2} ms | {:.2} ms | {:.2}× |",
                max_ms(&followed),
                fo / ti
            );
        }
    }
    println!(
        "| timer (a preview every `PREVIEW_EVERY`, the fallback and the old way) | {ti:.2} ms | {:.2} ms | 1.00× |",
        max_ms(&timer)
    );
    println!(
        "logins on the sshd during navi's {ROUNDS} previews: {}",
        server.accepted_publickey() - ROUNDS / 2
    );
}

fn max_ms(v: &[Duration]) -> f64 {
    v.iter().max().map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

/// A pane running `cat` gets a new line typed into it; measured from the keys to the
/// first preview whose text shows that line: followed (wait for `wait_pane_change`, then
/// capture) and on the timer (a capture every `PREVIEW_EVERY`, the phase of the timer
/// spread over the rounds as a user's keys fall anywhere in it).
fn change_to_preview(
    rt: &tokio::runtime::Runtime,
    source: &SshSource,
    tmux: &(dyn Fn(&[&str]) -> std::process::Output + Sync),
) -> (Vec<Duration>, Vec<Duration>) {
    use navi_core::{limits::PREVIEW_EVERY, PaneChange};
    assert!(tmux(&[
        "new-session",
        "-d",
        "-s",
        "echo",
        "-x",
        "80",
        "-y",
        "20",
        "cat"
    ])
    .status
    .success());
    let shows = |marker: &str| {
        let out = rt.block_on(source.act("echo", &Action::Preview)).unwrap();
        matches!(out, navi_core::ActionOutput::Text(t) if t.contains(marker))
    };
    // The follow starts (a remote says nothing until the pane prints; a local source
    // says `Changed` once attached).
    let _ = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(2), source.wait_pane_change("echo")).await
    });
    let mut followed = Vec::new();
    let follows = rt.block_on(async {
        tokio::time::timeout(Duration::from_millis(500), source.wait_pane_change("echo")).await
    });
    if follows == Ok(PaneChange::Unsupported) {
        // tmux before 3.8 gets no control client (it can crash when one connects while
        // sessions change): only the timer is measured.
        println!("the remote's tmux is older than 3.8: no followed preview to measure");
    }
    let rounds = if follows == Ok(PaneChange::Unsupported) {
        0
    } else {
        ROUNDS
    };
    for i in 0..rounds {
        let marker = format!("followed{i}x");
        let (tx, rx) = std::sync::mpsc::channel();
        let keys = std::thread::scope(|s| {
            let m = marker.clone();
            s.spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                let at = Instant::now();
                assert!(tmux(&["send-keys", "-t", "=echo:", &m, "Enter"])
                    .status
                    .success());
                tx.send(at).unwrap();
            });
            loop {
                let change = rt.block_on(async {
                    tokio::time::timeout(Duration::from_secs(10), source.wait_pane_change("echo"))
                        .await
                });
                assert_eq!(change.ok(), Some(PaneChange::Changed), "round {i}");
                if shows(&marker) {
                    break Instant::now();
                }
            }
        });
        let at = rx.recv().unwrap();
        followed.push(keys.saturating_duration_since(at));
    }
    let mut timer = Vec::new();
    for i in 0..ROUNDS {
        let marker = format!("timer{i}x");
        let phase = PREVIEW_EVERY.mul_f64((i * 37 % ROUNDS) as f64 / ROUNDS as f64);
        let at = Instant::now();
        assert!(tmux(&["send-keys", "-t", "=echo:", &marker, "Enter"])
            .status
            .success());
        std::thread::sleep(phase);
        while !shows(&marker) {
            std::thread::sleep(PREVIEW_EVERY);
        }
        timer.push(at.elapsed());
    }
    (followed, timer)
}
