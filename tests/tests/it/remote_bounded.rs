//! Nothing navi starts on a remote outlives it, against a real sshd with a throwaway
//! remote user (so its processes can be counted):
//!
//! * a `*.json` symlink to `/proc/self/pagemap` (a file that reads as endless) and a FIFO
//!   in the status directory cost nothing: the poll answers, the real file is listed;
//! * with a `tmux` on the remote `PATH` that never answers, polls and actions fail (an
//!   action with the remote's own words about its time limit), and once the source is
//!   dropped no process of the remote user is left;
//! * with BSD csh as login shell and no tmux server yet, `new` succeeds (the server it
//!   starts holds no descriptor of the channel, so the command ends) and the session
//!   exists.
//!
//! Needs root (`useradd`); skipped otherwise unless `NAVI_REQUIRE_SSHD=1` /
//! `NAVI_REQUIRE_SHELLS=1`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use navi_core::statusdir::liveness::TmuxServer;
use navi_core::{Action, SessionSource, SourceError};
use navi_source_ssh::test_support::RemoteBuilder;
use navi_source_ssh::SshSource;
use navi_tests::sshd::{self, Sshd};
use navi_tests::users::{can_run, find, TestUser};

/// A throwaway remote user with `shell` as login shell, a scratch home with a status
/// directory, `bin` first on its `PATH`, its own `TMUX_TMPDIR`, and a real sshd.
/// Fields drop in order: sshd, the user, the files.
struct World {
    server: Sshd,
    user: TestUser,
    home: PathBuf,
    bin: PathBuf,
    tmux_dir: PathBuf,
    keys: PathBuf,
    /// Processes of the user's uid before anything ran (a uid reused after a deleted
    /// user whose processes live on): not this test's.
    strangers: Vec<String>,
    _scratch: tempfile::TempDir,
}

impl World {
    fn start(tag: &str, shell: &Path) -> World {
        let scratch = tempfile::tempdir().unwrap();
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = scratch.path().join("home");
        let bin = scratch.path().join("bin");
        let tmux_dir = home.join("tmux");
        for d in [
            home.join(".claude-sessions"),
            home.join("work"),
            tmux_dir.clone(),
        ] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let user = TestUser::create(tag, shell, &home);
        let strangers = processes_of(uid_of(&user.name));
        let keys = scratch.path().join("keys");
        std::fs::create_dir(&keys).unwrap();
        let public = sshd::keygen(&keys.join("id_ed25519"), "");
        let server = Sshd::start_with(
            &[&public],
            &format!(
                "SetEnv TMUX_TMPDIR={} PATH={}:/usr/bin:/bin",
                tmux_dir.display(),
                bin.display()
            ),
        );
        // sshd reads authorized_keys as the user.
        for (p, mode) in [
            (server.dir().to_path_buf(), 0o755),
            (server.dir().join("authorized_keys"), 0o644),
        ] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        std::fs::write(keys.join("known_hosts"), server.known_hosts_line() + "\n").unwrap();
        World {
            server,
            user,
            home,
            bin,
            tmux_dir,
            keys,
            strangers,
            _scratch: scratch,
        }
    }

    /// A source on this remote (`polling`: the poll loop, else the push loop).
    fn source(&self, timeout: Duration, polling: bool) -> SshSource {
        let mut remote = RemoteBuilder::new("b", "127.0.0.1")
            .port(self.server.port())
            .user(self.user.name.clone())
            .keys([self.keys.join("id_ed25519")])
            .known_hosts(self.keys.join("known_hosts"))
            .sessions_dir("~/.claude-sessions")
            .timeout(timeout);
        if polling {
            remote = remote.polling();
        }
        SshSource::new(remote.build())
    }

    /// `tmux ARGS` as the remote user on its default server.
    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("runuser")
            .args(["-u", &self.user.name, "--", "tmux"])
            .args(args)
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env("SHELL", "/bin/sh")
            .env_remove("TMUX")
            .current_dir(&self.home)
            .output()
            .unwrap()
    }

    /// Waits (bounded) until no process of the remote user is left; the ones left then.
    fn processes_left(&self) -> Vec<String> {
        let uid = uid_of(&self.user.name);
        let ours = || {
            let mut left = processes_of(uid);
            left.retain(|p| !self.strangers.contains(p));
            left
        };
        let mut left = ours();
        for _ in 0..300 {
            if left.is_empty() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
            left = ours();
        }
        left
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// The numeric uid of `user`.
fn uid_of(user: &str) -> u32 {
    let out = Command::new("id").arg("-u").arg(user).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// `pid command line` of every process whose real uid is `uid`, from /proc.
fn processes_of(uid: u32) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Ok(status) = std::fs::read_to_string(entry.path().join("status")) else {
            continue;
        };
        let owner = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u32>().ok());
        if owner == Some(uid) {
            let cmd = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            found.push(format!(
                "{pid} {}",
                cmd.chars().take(120).collect::<String>()
            ));
        }
    }
    found
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Puts a `tmux` on the remote `PATH` that never answers.
fn hang_tmux(bin: &Path) {
    let stub = bin.join("tmux");
    std::fs::write(&stub, "#!/bin/sh\nexec sleep 2147483647\n").unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn endless_and_fifo_files(home: &Path, user: &str) {
    let dir = home.join(".claude-sessions");
    std::fs::write(
        dir.join("ok.json"),
        r#"{"tmux_session":"ok","status":"waiting"}"#,
    )
    .unwrap();
    std::os::unix::fs::symlink("/proc/self/pagemap", dir.join("endless.json")).unwrap();
    let fifo = dir.join("fifo.json");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let chown = Command::new("chown")
        .arg("-R")
        .arg(user)
        .arg(&dir)
        .status()
        .unwrap();
    assert!(chown.success());
}

fn bounded(polling: bool) {
    let shell = find(&["bash"]);
    if !can_run("bounded-remote test", &[("bash", shell.as_deref())]) {
        return;
    }
    let Some(shell) = shell else { return };
    let w = World::start(if polling { "bp" } else { "bq" }, &shell);
    endless_and_fifo_files(&w.home, &w.user.name);
    let timeout = Duration::from_secs(4);
    let mode = if polling { "poll" } else { "push" };
    {
        let rt = runtime();
        let source = w.source(timeout, polling);
        // The endless file and the FIFO cost nothing: the poll answers with the real file.
        let report = rt
            .block_on(async {
                tokio::time::timeout(Duration::from_secs(60), source.poll_report()).await
            })
            .expect("the poll ends")
            .unwrap_or_else(|e| panic!("{mode}: poll with an endless file and a FIFO: {e}"));
        let names: Vec<&str> = report
            .sessions
            .iter()
            .map(|s| s.tmux_session.as_str())
            .collect();
        assert!(names.contains(&"ok"), "{mode}: {names:?}");

        // A tmux that never answers: polls fail within their timeout, an action fails
        // with the remote's own words about its time limit.
        hang_tmux(&w.bin);
        for i in 0..3 {
            let r = rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(60), source.poll_report()).await
            });
            let r = r.expect("a poll ends");
            if polling {
                assert!(r.is_err(), "{mode}: poll {i} with a hung tmux: {r:?}");
            }
        }
        let act = rt
            .block_on(async {
                tokio::time::timeout(
                    Duration::from_secs(60),
                    source.act_on(&TmuxServer::Default, "ok", &Action::Kill),
                )
                .await
            })
            .expect("the action ends");
        match act {
            Err(SourceError::Remote(m)) => {
                let m = m.to_string();
                assert!(m.contains("time limit"), "{mode}: {m}");
            }
            other => panic!("{mode}: kill with a hung tmux: {other:?}"),
        }
        assert!(w.home.join(".claude-sessions/ok.json").exists(), "{mode}");
        drop(source);
    }
    // The source and its runtime are gone: so is every process navi started there.
    let left = w.processes_left();
    assert!(
        left.is_empty(),
        "{mode}: processes left on the remote: {left:#?}"
    );
}

#[test]
fn an_endless_file_and_a_hung_tmux_leave_nothing_running_poll() {
    bounded(true);
}

#[test]
fn an_endless_file_and_a_hung_tmux_leave_nothing_running_push() {
    bounded(false);
}

#[test]
fn csh_new_without_a_tmux_server_ends_and_the_session_exists() {
    let shell = find(&["bsd-csh", "csh"]);
    if !can_run("bounded-remote test", &[("csh", shell.as_deref())]) {
        return;
    }
    let Some(shell) = shell else { return };
    let w = World::start("bc", &shell);
    assert!(
        !w.tmux(&["has-session"]).status.success(),
        "no tmux server runs yet"
    );
    {
        let rt = runtime();
        // A generous timeout: `new` must end because the command ended, not because
        // navi gave up (a timeout is an error, and the session would then be unconfirmed).
        let source = w.source(Duration::from_secs(60), true);
        let out = rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(120),
                source.act_on(
                    &TmuxServer::Default,
                    "first",
                    &Action::New {
                        dir: "~/work".into(),
                        command: vec!["cat".into()],
                        create_dir: false,
                    },
                ),
            )
            .await
        });
        let out = out.expect("new ends");
        assert!(out.is_ok(), "csh: new without a server: {out:?}");
        let has = w.tmux(&["has-session", "-t", "=first"]);
        assert!(has.status.success(), "csh: the session exists: {has:?}");
        drop(source);
    }
    w.tmux(&["kill-server"]);
    let left = w.processes_left();
    assert!(
        left.is_empty(),
        "csh: processes left on the remote: {left:#?}"
    );
}
