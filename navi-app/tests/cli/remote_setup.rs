//! `navi remotes setup` against a real sshd whose remote HOME is hostile: full, read-only,
//! with another program called `navi` on its PATH, with a settings.json navi cannot
//! parse, and a copy killed at several points. Each fails at once with the remote's
//! words, or never leaves a file at the final path.
//!
//! The full and read-only HOMEs are small tmpfs mounts (root only; without the right to
//! mount, those two tests say so and pass).

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use navi_tests::sshd::{self, Sshd};

/// A client HOME with a key and a remotes file for one sshd whose remote user has HOME
/// `rhome` and PATH `path`.
struct World {
    client: tempfile::TempDir,
    remotes: PathBuf,
    _server: Sshd,
}

impl World {
    fn start(rhome: &Path, path: &str) -> World {
        let client = tempfile::tempdir().unwrap();
        let home = client.path();
        std::fs::create_dir_all(home.join(".ssh")).unwrap();
        let public = sshd::keygen(&home.join(".ssh/id_ed25519"), "");
        let server = Sshd::start_with(
            &[&public],
            &format!("SetEnv HOME={} PATH={path}", rhome.display()),
        );
        std::fs::write(
            home.join(".ssh/known_hosts"),
            server.known_hosts_line() + "\n",
        )
        .unwrap();
        let remotes = home.join("remotes.yaml");
        std::fs::write(
            &remotes,
            format!(
                "remotes:\n  - name: dev\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    \
                 key: ~/.ssh/id_ed25519\n",
                server.port(),
                sshd::current_user()
            ),
        )
        .unwrap();
        World {
            client,
            remotes,
            _server: server,
        }
    }

    fn setup_command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_navi"));
        cmd.args(["remotes", "setup", "dev"])
            .env("HOME", self.client.path())
            .env("NAVI_REMOTES", &self.remotes)
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("NAVI_SESSIONS_DIR")
            .env_remove("NAVI_LOG_FILE")
            .env_remove("XDG_STATE_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("NAVI_CONFIG")
            .env_remove("CLAUDE_CONFIG_DIR")
            .env_remove("TMUX")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs setup; its output and how long it took (printed, never asserted).
    fn setup(&self) -> Output {
        let start = Instant::now();
        let out = self.setup_command().output().unwrap();
        eprintln!(
            "setup took {:?}\nstdout:\n{}\nstderr:\n{}",
            start.elapsed(),
            text(&out.stdout),
            text(&out.stderr)
        );
        out
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The hidden temp files of copies in `bin`.
fn temps(bin: &Path) -> Vec<String> {
    std::fs::read_dir(bin)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".navi.tmp."))
                .collect()
        })
        .unwrap_or_default()
}

/// A tmpfs mounted at a fresh directory (with `options`), unmounted on drop; `None`
/// when this process may not mount.
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    fn tmpfs(options: &str) -> Option<Mount> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            eprintln!("skipping: cannot mount a tmpfs here (needs root)");
            return None;
        }
        Some(Mount { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .output();
    }
}

/// Asserts a setup failed with `words` (the remote's), never a timeout.
fn failed_with(out: &Output, words: &str) {
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(
        !err.contains("timed out"),
        "a wait, not the remote's error: {err}"
    );
    assert!(
        err.contains(words),
        "should show the remote's {words:?}: {err}"
    );
}

#[test]
fn setup_onto_a_full_home_fails_at_once_with_the_remote_error() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let Some(home) = Mount::tmpfs("size=2m,mode=0755") else {
        return;
    };
    let w = World::start(home.path(), "/usr/bin:/bin");
    let out = w.setup();
    failed_with(&out, "No space left on device");
    assert!(!home.path().join(".local/bin/navi").exists());
    assert_eq!(temps(&home.path().join(".local/bin")), Vec::<String>::new());
}

#[test]
fn setup_onto_a_read_only_home_fails_at_once_with_the_remote_error() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let Some(home) = Mount::tmpfs("ro,size=1m,mode=0755") else {
        return;
    };
    let w = World::start(home.path(), "/usr/bin:/bin");
    let out = w.setup();
    failed_with(&out, "Read-only file system");
    assert!(!home.path().join(".local").exists());
}

/// A program called `navi` that is not this project's: the cheat-sheet tool's words,
/// and a log of every run.
fn impostor(dir: &Path, log: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\ncase $1 in\n  --version) echo 'navi 2.24.0';;\n  \
         *) echo 'An interactive cheatsheet tool for the command-line';;\nesac\nexit 0\n",
        log.display()
    );
    let path = dir.join("navi");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn an_impostor_navi_on_the_path_is_left_alone_and_navi_installs_its_own() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let rhome = scratch.path().join("home");
    std::fs::create_dir_all(&rhome).unwrap();
    let other = scratch.path().join("other");
    let log = scratch.path().join("impostor.log");
    impostor(&other, &log);
    let w = World::start(&rhome, &format!("{}:/usr/bin:/bin", other.display()));
    let out = w.setup();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("another program called navi"), "{said}");
    assert!(!said.contains("using the navi already there"), "{said}");
    let own = rhome.join(".local/bin/navi");
    assert_eq!(
        std::fs::read(&own).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_navi")).unwrap()
    );
    let settings = std::fs::read_to_string(rhome.join(".claude/settings.json")).unwrap();
    assert!(
        settings.contains(&format!("{} hook", own.display())),
        "{settings}"
    );
    // The impostor was only asked who it is, never run with navi's arguments.
    let runs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        runs.lines().all(|l| l == "--help"),
        "the impostor ran with: {runs}"
    );
    // navi's own place holding another build of navi (an older setup's, or one cut
    // short before copies were verified): replaced by a verified copy of this one.
    std::fs::write(
        &own,
        // What this project's `navi --help` says (setup's identity check).
        "#!/bin/sh\necho 'navi: a dashboard for Claude Code sessions in tmux'\n",
    )
    .unwrap();
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = w.setup();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.contains("another build of navi"), "{said}");
    assert_eq!(
        std::fs::read(&own).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_navi")).unwrap()
    );
    // The same build again: kept.
    let out = w.setup();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("using the navi already there"),
        "{}",
        text(&out.stdout)
    );
    // An impostor AT ~/.local/bin/navi is never overwritten.
    std::fs::remove_file(&own).unwrap();
    impostor(&rhome.join(".local/bin"), &log);
    let out = w.setup();
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("does not overwrite it"),
        "{}",
        text(&out.stderr)
    );
    assert!(std::fs::read_to_string(&own)
        .unwrap()
        .contains("cheatsheet"));
}

#[test]
fn a_settings_file_navi_cannot_parse_is_reported_with_the_reason() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let rhome = scratch.path().join("home");
    std::fs::create_dir_all(rhome.join(".claude")).unwrap();
    std::fs::write(rhome.join(".claude/settings.json"), "{\"hooks\": [broken").unwrap();
    let w = World::start(&rhome, "/usr/bin:/bin");
    let out = w.setup();
    failed_with(&out, "is not valid JSON (line 1");
    assert_eq!(
        std::fs::read_to_string(rhome.join(".claude/settings.json")).unwrap(),
        "{\"hooks\": [broken"
    );
}

/// Remote tools for the killed-copy test: `cat` and `sha256sum` stubs that announce
/// themselves in `gates` and wait there until `go-cat` / `go-sha` exists (30 s at most);
/// `cat` first lets 1 MB through, so the temp file is part of the binary.
fn gated_tools(bin: &Path, gates: &Path) {
    std::fs::create_dir_all(bin).unwrap();
    std::fs::create_dir_all(gates).unwrap();
    let g = gates.display();
    let wait = |name: &str| {
        format!(
            "i=0; while [ ! -e '{g}/go-{name}' ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done\n"
        )
    };
    let cat = format!(
        "#!/bin/sh\nif [ $# -gt 0 ] || [ -e '{g}/go-cat' ]; then exec /bin/cat \"$@\"; fi\n\
         head -c 1000000\necho $$ > '{g}/cat'\n{}exec /bin/cat\n",
        wait("cat")
    );
    let sha = format!(
        "#!/bin/sh\necho $$ > '{g}/sha'\n{}exec /usr/bin/sha256sum \"$@\"\n",
        wait("sha")
    );
    for (name, body) in [("cat", cat), ("sha256sum", sha)] {
        let p = bin.join(name);
        std::fs::write(&p, body).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for tool in [
        "sh", "uname", "mkdir", "wc", "chmod", "mv", "rm", "head", "sleep",
    ] {
        for d in ["/usr/bin", "/bin"] {
            let p = Path::new(d).join(tool);
            if p.exists() {
                std::os::unix::fs::symlink(&p, bin.join(tool)).unwrap();
                break;
            }
        }
    }
}

/// Waits (20 s at most) until `f` holds.
fn until(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn kill(signal: &str, pid: &str) {
    let _ = Command::new("kill")
        .args([signal, "--", pid.trim()])
        .output();
}

/// The process group of `pid` (`/proc/PID/stat`: the field after the state and the ppid).
fn process_group(pid: &str) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 1..];
    after.split_whitespace().nth(2).unwrap().to_string()
}

#[test]
fn a_copy_killed_at_any_point_never_leaves_a_file_at_the_final_path() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let rhome = scratch.path().join("home");
    std::fs::create_dir_all(&rhome).unwrap();
    let (bin, gates) = (scratch.path().join("bin"), scratch.path().join("gates"));
    gated_tools(&bin, &gates);
    let w = World::start(&rhome, bin.to_str().unwrap());
    let local_bin = rhome.join(".local/bin");
    let fin = local_bin.join("navi");

    // 1. navi killed mid-stream: the remote `cat` then sees an early end of its input.
    let mut child = w.setup_command().stdout(Stdio::null()).spawn().unwrap();
    until("the copy starts", || gates.join("cat").exists());
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::write(gates.join("go-cat"), "").unwrap();
    until("the cut-short copy is removed", || {
        temps(&local_bin).is_empty()
    });
    assert!(!fin.exists(), "a partial file at the final path");

    // 2. The remote script killed outright (SIGKILL: no trap runs) while it checks the
    //    copy, and navi with it: a leftover temp, still nothing at the final path.
    std::fs::remove_file(gates.join("cat")).unwrap();
    let mut child = w.setup_command().stdout(Stdio::null()).spawn().unwrap();
    until("the check starts", || gates.join("sha").exists());
    let left = temps(&local_bin);
    assert_eq!(left.len(), 1, "{left:?}");
    // Everything the remote command runs is killed at once (its whole process group: the
    // script runs in a subshell of the bounded wrapper, so the pid in the temp's name is
    // the wrapper's, and killing that alone would let the script exit through its trap).
    let sha = std::fs::read_to_string(gates.join("sha")).unwrap();
    let group = process_group(sha.trim());
    kill("-KILL", &format!("-{group}"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !fin.exists(),
        "a file at the final path before it was checked"
    );
    assert_eq!(temps(&local_bin), left, "the killed writer's temp stays");

    // 3. The next setup cleans the leftover and installs a verified copy.
    std::fs::write(gates.join("go-sha"), "").unwrap();
    let out = w.setup();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("verified (sha256sum)"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read(&fin).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_navi")).unwrap()
    );
    assert_eq!(temps(&local_bin), Vec::<String>::new());
}
