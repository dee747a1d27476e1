//! Memory per session on a remote, against a real sshd and a real tmux: the push loop
//! samples each session's pane process tree on the remote and navi shows it on the right
//! row; a remote that is polled (no push loop) has no memory (unknown, not zero).
//!
//! The tmux server runs on a socket in the test's scratch directory and is killed by the
//! test, with the grandchild it started.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use navi_core::{PollReport, SessionSource};
use navi_source_ssh::test_support::RemoteBuilder;
use navi_source_ssh::SshSource;
use navi_tests::sshd::{self, Sshd};

const MIB: u64 = 1024 * 1024;

/// 64 MiB of `a` in a shell variable (written, so resident), a `sleep` grandchild, then
/// its pid and the variable's length in `$1`.
const ALLOC: &str = "x=$(head -c 67108864 /dev/zero | tr '\\000' a)\n\
                     sleep 600 &\n\
                     echo \"$! ${#x}\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n\
                     wait\n";

struct World {
    scratch: tempfile::TempDir,
    sessions: PathBuf,
    socket: PathBuf,
    server: Sshd,
    source: SshSource,
}

impl World {
    fn start(push: bool) -> World {
        let scratch = tempfile::tempdir().unwrap();
        let home = scratch.path().join("home");
        let sessions = home.join(".claude-sessions");
        std::fs::create_dir_all(&sessions).unwrap();
        let tmux_dir = scratch.path().join("remote-tmux");
        std::fs::create_dir_all(&tmux_dir).unwrap();
        let keys = scratch.path().join("keys");
        let server = Sshd::start_scratch(&keys, &home, &tmux_dir, "");
        let mut remote = RemoteBuilder::new("dev", "127.0.0.1")
            .port(server.port())
            .user(sshd::current_user())
            .keys([keys.join("id_ed25519")])
            .known_hosts(keys.join("known_hosts"))
            .sessions_dir("~/.claude-sessions")
            .timeout(Duration::from_secs(20));
        if !push {
            remote = remote.polling();
        }
        World {
            socket: scratch.path().join("work"),
            sessions,
            source: SshSource::new(remote.build()),
            server,
            scratch,
        }
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-u")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap();
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn ready(&self) -> PathBuf {
        self.scratch.path().join("ready")
    }

    /// Session `big job`, whose pane's child holds 64 MiB and has a grandchild, and
    /// session `small` running `cat`; their status files as `navi hook` writes them.
    fn sessions(&self) {
        let script = self.scratch.path().join("alloc.sh");
        std::fs::write(&script, ALLOC).unwrap();
        self.tmux(&["new-session", "-d", "-s", "small", "cat"]);
        // `; :` keeps the pane's shell as the allocating shell's parent.
        let big = format!("sh {} {}; :", script.display(), self.ready().display());
        self.tmux(&["new-session", "-d", "-s", "big job", "sh", "-c", &big]);
        for _ in 0..600 {
            if self.ready().exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            self.ready().exists(),
            "the allocating child never got ready"
        );
        for name in ["big job", "small"] {
            self.hook_status(name);
        }
    }

    fn hook_status(&self, name: &str) {
        let place = self.tmux(&[
            "display-message",
            "-p",
            "-t",
            &format!("={name}:"),
            "#{socket_path}\t#{pid}\t#{session_id}",
        ]);
        let mut f = place.trim_end().split('\t');
        let (path, pid, id) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let v = serde_json::json!({
            "tmux_session": name, "status": "working", "timestamp": 1,
            "metrics": {"resource": {"rss_bytes": 1}},
            "tmux": {"socket": path, "server_pid": pid.parse::<i64>().unwrap(), "session_id": id},
        });
        let file = self.sessions.join(format!("{name}.json"));
        std::fs::write(file, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
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
}

impl Drop for World {
    fn drop(&mut self) {
        if let Ok(text) = std::fs::read_to_string(self.ready()) {
            if let Some(pid) = text.split(' ').next() {
                let _ = Command::new("kill").arg(pid).status();
            }
        }
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .env_remove("TMUX")
            .output();
    }
}

fn memory(report: &PollReport, name: &str) -> Option<u64> {
    let row = report.sessions.iter().find(|s| s.tmux_session == name)?;
    row.memory.map(|m| m.rss_bytes)
}

fn has_tmux() -> bool {
    let have = Command::new("tmux").arg("-V").output().is_ok();
    if !have {
        eprintln!("skipping: tmux is not installed");
    }
    have
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_push_loop_reports_each_sessions_memory_on_its_row() {
    if !sshd::sshd_or_skip() || !has_tmux() {
        return;
    }
    let w = World::start(true);
    w.sessions();
    let report = w
        .until("both sessions sampled", |r| {
            memory(r, "big job").is_some() && memory(r, "small").is_some()
        })
        .await;
    let big = memory(&report, "big job").unwrap_or(0);
    let small = memory(&report, "small").unwrap_or(0);
    assert!(big >= 64 * MIB, "big job: {big}");
    assert!(
        small < 32 * MIB,
        "small: {small} (the 64 MiB are big job's)"
    );
    let row = report
        .sessions
        .iter()
        .find(|s| s.tmux_session == "big job")
        .unwrap();
    assert_eq!(
        row.rss_bytes(),
        Some(big),
        "the sample overrides the file's rss_bytes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polled_remote_has_no_memory() {
    if !sshd::sshd_or_skip() || !has_tmux() {
        return;
    }
    let w = World::start(false);
    w.sessions();
    let report = w.until("both rows", |r| r.sessions.len() == 2).await;
    for s in &report.sessions {
        assert_eq!(s.memory, None, "{}", s.tmux_session);
        assert_eq!(s.rss_bytes(), Some(1), "the file's value stays");
    }
}

/// The push loop driven over the real sshd with the system `ssh` (its exec string as navi
/// sends it): the first sample sends one `R` record, a second one with nothing changed
/// noticeably sends none. Counted between heartbeats (the loop answers in order).
#[test]
fn a_sample_with_no_noticeable_change_is_not_pushed() {
    use std::io::{Read as _, Write as _};
    if !sshd::sshd_or_skip() || !has_tmux() {
        return;
    }
    let w = World::start(true);
    w.sessions();
    let keys = w.scratch.path().join("keys");
    let (command, script) =
        navi_source_ssh::test_support::push_loop_command("~/.claude-sessions").unwrap();
    let mut child = Command::new("ssh")
        .arg("-T")
        .arg("-i")
        .arg(keys.join("id_ed25519"))
        .arg("-p")
        .arg(w.server.port().to_string())
        .arg("-o")
        .arg(format!(
            "UserKnownHostsFile={}",
            keys.join("known_hosts").display()
        ))
        .args([
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-F",
            "/dev/null",
        ])
        .arg(format!("{}@127.0.0.1", sshd::current_user()))
        .arg(command)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // The loop's script first, as navi sends it, then the requests.
    stdin.write_all(&script).unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 65536];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let n = "0123456789abcdef0123456789abcdef";
    let mut got = String::new();
    let until = |marker: &str, got: &mut String| {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !got.contains(marker) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => got.push_str(&String::from_utf8_lossy(&chunk)),
                Err(_) => panic!("no {marker:?} within 20 s; got {got:?}"),
            }
        }
        let at = got.find(marker).unwrap() + marker.len();
        let before = got[..at].to_string();
        got.replace_range(..at, "");
        before
    };
    writeln!(stdin, "{n}\n{n}:s").unwrap();
    until(&format!("\nNAVI-{n} BEGIN\n"), &mut got);
    writeln!(stdin, "{n}:r\n{n}:h1").unwrap();
    let first = until(&format!("\nNAVI-{n} H 1\n"), &mut got);
    let record = format!("\nNAVI-{n} R\n");
    assert_eq!(first.matches(&record).count(), 1, "{first}");
    assert!(
        first.contains("\tbig job\n") && first.contains("\tsmall\n"),
        "{first}"
    );
    writeln!(stdin, "{n}:r\n{n}:h2").unwrap();
    let second = until(&format!("\nNAVI-{n} H 2\n"), &mut got);
    assert_eq!(
        second.matches(&record).count(),
        0,
        "nothing changed: {second}"
    );
    drop(stdin);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("ssh did not end after its stdin closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
