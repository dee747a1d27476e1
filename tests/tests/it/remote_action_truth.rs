//! Remote actions that say what is true and cannot hit the wrong thing, against a real
//! sshd, once per login shell (bash, zsh, fish, tcsh, csh, ksh, mksh, dash, busybox
//! ash): the remote user is a throwaway one with that shell, and where the shell reads
//! an rc file for `ssh host command` (`.bashrc`, `.zshenv`, `config.fish`, `.tcshrc`,
//! `.cshrc`) that file greets on stdout and stderr, as many do.
//!
//! * Names are names: `../victim`, `a/b`, `api-2.` (a tmux target) are refused before
//!   anything runs and nothing outside the status directory is touched, also when a
//!   status file says its `tmux_session` is `../victim`; `rename` to a name tmux would
//!   change (`back\x`) is refused, and a session tmux already holds as `back\\x` is
//!   reached by exactly that name.
//! * The greeting never reaches a status file, a marks file or a preview.
//! * A missing session is "no tmux session named NAME on p" for preview, send, kill and
//!   rename; `dismiss` and `mark` without a status file fail and make no file.
//! * A session on its own tmux socket is previewed, sent to and killed through it.
//! * `new` of a command that exits at once fails with its exit status and output.
//!
//! Needs root (`useradd`) and the shells; skipped otherwise unless `NAVI_REQUIRE_SSHD=1`
//! / `NAVI_REQUIRE_SHELLS=1`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use navi_core::statusdir::liveness::TmuxServer;
use navi_core::{Action, ActionOutput, MarkOp, SessionSource, SourceError};
use navi_source_ssh::{load_remotes_from_str, Env, SshSource};
use navi_tests::sshd::{self, Sshd};
use navi_tests::users::{can_run, find, TestUser};

/// What a chatty rc file prints, on stdout and on stderr.
const GREETING: &str = "Welcome-to-the-box";
const GREETING_ERR: &str = "Motd-on-stderr";

/// The rc file a login shell reads for `ssh host command`, and a greeting in its syntax.
fn chatty_rc(shell: &str) -> Option<(&'static str, String)> {
    let posix = format!("echo {GREETING}\necho {GREETING_ERR} >&2\n");
    let csh = format!("echo {GREETING}\nsh -c 'echo {GREETING_ERR} >&2'\n");
    match shell {
        "bash" => Some((".bashrc", posix)),
        "zsh" => Some((".zshenv", posix)),
        "fish" => Some((".config/fish/config.fish", posix)),
        "tcsh" => Some((".tcshrc", csh)),
        "csh" => Some((".cshrc", csh)),
        _ => None,
    }
}

/// A real sshd, a remote user `p` with `shell` as login shell, a private tmux server for
/// it, and an SSH source on it.
/// Fields drop in order: the source and its runtime, sshd, the user, the files.
pub(crate) struct Remote {
    pub(crate) source: SshSource,
    pub(crate) rt: tokio::runtime::Runtime,
    server: Sshd,
    pub(crate) user: TestUser,
    pub(crate) home: PathBuf,
    tmux_dir: PathBuf,
    /// On the remote user's PATH (stand-in programs go here).
    pub(crate) bin: PathBuf,
    _scratch: tempfile::TempDir,
}

impl Remote {
    fn start(shell_name: &str, shell: &Path) -> Remote {
        Remote::start_as("t", shell_name, shell)
    }

    /// [`start`](Self::start) with the user named `PREFIX` and the shell's first three
    /// letters (modules running at once use their own prefix).
    pub(crate) fn start_as(prefix: &str, shell_name: &str, shell: &Path) -> Remote {
        let scratch = tempfile::tempdir().unwrap();
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let home = scratch.path().join("home");
        let tmux_dir = home.join("tmux");
        let bin = scratch.path().join("bin");
        for d in [
            home.join(".claude-sessions"),
            home.join(".claude"),
            home.join("work"),
            home.join("sockets"),
            tmux_dir.clone(),
            bin.clone(),
        ] {
            std::fs::create_dir_all(d).unwrap();
        }
        // The files a `../` name would reach.
        std::fs::write(home.join("victim.json"), "{}").unwrap();
        std::fs::write(home.join(".claude/settings.json"), "{}").unwrap();
        if let Some((rc, text)) = chatty_rc(shell_name) {
            let rc = home.join(rc);
            std::fs::create_dir_all(rc.parent().unwrap()).unwrap();
            std::fs::write(rc, text).unwrap();
        }
        // busybox: its `ash` as the login shell and its `sh` as the remote's `sh`.
        let shell = match shell_name {
            "busybox" => {
                let ash = bin.join("ash");
                std::os::unix::fs::symlink(shell, &ash).unwrap();
                std::os::unix::fs::symlink(shell, bin.join("sh")).unwrap();
                ash
            }
            _ => shell.to_path_buf(),
        };
        let user = TestUser::create(&format!("{prefix}{}", &shell_name[..3]), &shell, &home);
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
        let open = |p: &Path, mode| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap()
        };
        open(server.dir(), 0o755);
        open(&server.dir().join("authorized_keys"), 0o644);
        let known_hosts = keys.join("known_hosts");
        std::fs::write(&known_hosts, server.known_hosts_line() + "\n").unwrap();
        let yaml = format!(
            "remotes:\n  - name: p\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    key: {}\n    \
             known_hosts: {}\n",
            server.port(),
            user.name,
            keys.join("id_ed25519").display(),
            known_hosts.display()
        );
        let env = Env {
            home: Some(scratch.path().to_path_buf()),
            ssh_config: None,
            user: Some(user.name.clone()),
        };
        let loaded = load_remotes_from_str(Path::new("remotes.yaml"), &yaml, &env);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let source = SshSource::new(loaded.remotes.into_iter().next().unwrap());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Remote {
            source,
            rt,
            server,
            user,
            home,
            tmux_dir,
            bin,
            _scratch: scratch,
        }
    }

    /// `tmux ARGS` as the remote user, on its default server (`socket` `None`) or at
    /// `socket`.
    pub(crate) fn tmux_at(&self, socket: Option<&Path>, args: &[&str]) -> Output {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", &self.user.name, "--", "tmux"]);
        if let Some(s) = socket {
            cmd.arg("-S").arg(s);
        }
        cmd.args(args)
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env("SHELL", "/bin/sh")
            .env_remove("TMUX")
            .current_dir(&self.home)
            .output()
            .unwrap()
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> Output {
        self.tmux_at(None, args)
    }

    /// A session running `cat` (so what is sent shows in its pane).
    fn start_session(&self, socket: Option<&Path>, name: &str) {
        let out = self.tmux_at(socket, &["new-session", "-d", "-s", name, "cat"]);
        assert!(out.status.success(), "tmux new {name}: {out:?}");
    }

    /// The default server's session names, as tmux stores them.
    fn sessions(&self) -> Vec<String> {
        let out = self.tmux(&["list-sessions", "-F", "#{session_name}"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub(crate) fn act(&self, name: &str, action: Action) -> Result<ActionOutput, SourceError> {
        self.act_on(&TmuxServer::Default, name, action)
    }

    fn act_on(
        &self,
        server: &TmuxServer,
        name: &str,
        action: Action,
    ) -> Result<ActionOutput, SourceError> {
        self.rt.block_on(async {
            tokio::time::timeout(
                Duration::from_secs(60),
                self.source.act_on(server, name, &action),
            )
            .await
            .expect("an action ends")
        })
    }

    pub(crate) fn status_file(&self, name: &str) -> PathBuf {
        self.home.join(format!(".claude-sessions/{name}.json"))
    }

    fn marks_file(&self, name: &str) -> PathBuf {
        self.home
            .join(format!(".claude-sessions/.navi/marks/{name}.json"))
    }

    /// Writes a status file as the remote user would own it.
    fn write_status(&self, file_stem: &str, tmux_session: &str) {
        let body = serde_json::json!({"tmux_session": tmux_session, "status": "waiting", "x": 1});
        let path = self.status_file(file_stem);
        std::fs::write(&path, body.to_string()).unwrap();
        chown(&self.user.name, &path);
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
        let socket = self.home.join("sockets/sk");
        self.tmux_at(Some(&socket), &["kill-server"]);
    }
}

pub(crate) fn chown(user: &str, path: &Path) {
    let ok = Command::new("chown").arg(user).arg(path).status();
    assert!(ok.is_ok_and(|s| s.success()), "chown {}", path.display());
}

fn text(out: Result<ActionOutput, SourceError>, what: &str) -> String {
    match out {
        Ok(ActionOutput::Text(t)) => t,
        other => panic!("{what}: {other:?}"),
    }
}

fn refused(out: Result<ActionOutput, SourceError>, what: &str) -> SourceError {
    match out {
        Err(e) => e,
        Ok(o) => panic!("{what} was not refused: {o:?}"),
    }
}

/// Every case of the module docs, through the login shell `shell_name`.
fn check(shell_name: &str) {
    let path = find(&[shell_name]);
    if !can_run(
        &format!("{shell_name} remote-action test"),
        &[(shell_name, path.as_deref())],
    ) {
        return;
    }
    let r = Remote::start(shell_name, &path.unwrap());
    let sh = shell_name;
    // The login shell does greet (so the cases below test something).
    if chatty_rc(sh).is_some() {
        let cmd = navi_source_ssh::RemoteCommand::new("true");
        let out =
            r.rt.block_on(r.source.run(&cmd, b"", Duration::from_secs(30), 4096))
                .unwrap();
        let said = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert!(said(&out.stdout).contains(GREETING), "{sh}: {out:?}");
        assert!(said(&out.stderr).contains(GREETING_ERR), "{sh}: {out:?}");
    }
    for name in ["s1", "api-2", "back\\x"] {
        r.start_session(None, name);
    }
    assert!(
        r.sessions().contains(&"back\\\\x".to_string()),
        "{:?}",
        r.sessions()
    );
    r.write_status("s1", "s1");
    r.write_status("api-2", "api-2");

    // Names that are paths or targets: refused with the reason, before anything runs.
    let mark = || Action::Mark {
        ops: vec![MarkOp::Bookmark(true)],
    };
    for bad in ["../victim", "../.claude/settings", "a/b", "api-2.", "p:s1"] {
        for action in [
            Action::Dismiss,
            Action::Kill,
            Action::Preview,
            mark(),
            Action::Send { text: "x".into() },
            Action::Rename { to: "ok".into() },
        ] {
            let e = refused(
                r.act(bad, action.clone()),
                &format!("{sh}: {bad} {action:?}"),
            );
            assert!(
                e.to_string().contains("is not a tmux session name"),
                "{sh}: {e}"
            );
            assert_eq!(e.kind(), "other", "{sh}: {e}");
        }
    }
    assert!(r.home.join("victim.json").exists(), "{sh}");
    assert!(r.home.join(".claude/settings.json").exists(), "{sh}");
    assert!(
        !r.home.join(".claude-sessions/.navi/marks").exists(),
        "{sh}"
    );
    // `kill p:api-2.` did not kill `api-2`.
    assert!(r.sessions().contains(&"api-2".to_string()), "{sh}");

    // A status file whose `tmux_session` is a path: its row is the file's name, and
    // dismissing that row removes that file only.
    r.write_status("evil", "../victim");
    let rows = r.rt.block_on(r.source.poll()).unwrap();
    let names: Vec<&str> = rows.iter().map(|s| s.tmux_session.as_str()).collect();
    assert!(
        names.contains(&"evil") && !names.contains(&"../victim"),
        "{sh}: {names:?}"
    );
    r.act("evil", Action::Dismiss)
        .unwrap_or_else(|e| panic!("{sh}: dismiss evil: {e}"));
    assert!(!r.status_file("evil").exists(), "{sh}");
    assert!(
        r.home.join("victim.json").exists(),
        "{sh}: nothing outside touched"
    );

    // A name tmux would change is refused for a rename; the session keeps its name.
    let e = refused(
        r.act(
            "s1",
            Action::Rename {
                to: "back\\x".into(),
            },
        ),
        &format!("{sh}: rename to back\\x"),
    );
    assert!(e.to_string().contains("tmux stores `\\`"), "{sh}: {e}");
    assert!(r.sessions().contains(&"s1".to_string()), "{sh}");
    // The session tmux holds as `back\\x` is reached by exactly that name.
    let held = "back\\\\x";
    r.act(
        held,
        Action::Send {
            text: "hello-back".into(),
        },
    )
    .unwrap_or_else(|e| panic!("{sh}: send to {held}: {e}"));
    std::thread::sleep(Duration::from_millis(200));
    let pane = text(
        r.act(held, Action::Preview),
        &format!("{sh}: preview {held}"),
    );
    assert!(pane.contains("hello-back"), "{sh}: {pane:?}");
    r.act(held, Action::Kill)
        .unwrap_or_else(|e| panic!("{sh}: kill {held}: {e}"));
    assert!(!r.sessions().contains(&held.to_string()), "{sh}");
    assert!(
        r.sessions().contains(&"s1".to_string()),
        "{sh}: only that session"
    );

    // The greeting reaches no file and no preview: marks, rename, marks twice, preview.
    r.act("s1", mark())
        .unwrap_or_else(|e| panic!("{sh}: mark s1: {e}"));
    r.act("s1", Action::Rename { to: "s2".into() })
        .unwrap_or_else(|e| panic!("{sh}: rename s1: {e}"));
    assert_eq!(
        r.sessions().iter().filter(|s| *s == "s2").count(),
        1,
        "{sh}"
    );
    assert!(!r.status_file("s1").exists(), "{sh}");
    let moved = std::fs::read(r.status_file("s2")).unwrap();
    let moved: serde_json::Value = serde_json::from_slice(&moved)
        .unwrap_or_else(|e| panic!("{sh}: the new status file is JSON ({e}): {moved:?}"));
    assert_eq!(
        (&moved["tmux_session"], &moved["x"]),
        (&"s2".into(), &1.into()),
        "{sh}"
    );
    assert!(
        !r.marks_file("s1").exists() && r.marks_file("s2").exists(),
        "{sh}"
    );
    for tag in ["one", "two"] {
        r.act(
            "s2",
            Action::Mark {
                ops: vec![MarkOp::AddTag(tag.into())],
            },
        )
        .unwrap_or_else(|e| panic!("{sh}: mark s2 #{tag}: {e}"));
    }
    let marks = std::fs::read(r.marks_file("s2")).unwrap();
    let marks = navi_core::Marks::parse(&marks)
        .unwrap_or_else(|e| panic!("{sh}: the marks file ({e}): {marks:?}"));
    assert!(marks.bookmarked, "{sh}");
    assert_eq!(marks.tags, ["one", "two"], "{sh}");
    r.act(
        "s2",
        Action::Send {
            text: "hello-s2".into(),
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    for _ in 0..2 {
        let pane = text(r.act("s2", Action::Preview), &format!("{sh}: preview s2"));
        assert!(pane.starts_with("hello-s2"), "{sh}: {pane:?}");
        assert!(
            !pane.contains(GREETING) && !pane.contains(GREETING_ERR),
            "{sh}: {pane:?}"
        );
    }

    // `d`, the Go navi's acknowledge, under this login shell: the status file rewritten
    // (working, message cleared, every other field kept), the greeting in no file.
    let path = r.status_file("s2");
    let body = serde_json::json!({
        "tmux_session": "s2", "status": "permission", "message": "Allow Bash?",
        "timestamp": 3, "x": 1
    });
    std::fs::write(&path, body.to_string()).unwrap();
    chown(&r.user.name, &path);
    let done = r
        .act("s2", Action::Acknowledge)
        .unwrap_or_else(|e| panic!("{sh}: acknowledge s2: {e}"));
    assert_eq!(
        done,
        ActionOutput::Done("acknowledged s2 on p".into()),
        "{sh}"
    );
    let raw = std::fs::read(&path).unwrap();
    let acked: serde_json::Value = serde_json::from_slice(&raw)
        .unwrap_or_else(|e| panic!("{sh}: the acknowledged file is JSON ({e}): {raw:?}"));
    assert_eq!(
        (
            &acked["status"],
            &acked["message"],
            &acked["x"],
            &acked["tmux_session"]
        ),
        (&"working".into(), &"".into(), &1.into(), &"s2".into()),
        "{sh}"
    );
    assert!(acked["timestamp"].as_i64().unwrap() > 3, "{sh}");
    let written = String::from_utf8_lossy(&raw);
    assert!(
        !written.contains(GREETING) && !written.contains(GREETING_ERR),
        "{sh}: {written}"
    );
    let e = refused(
        r.act("nothere", Action::Acknowledge),
        &format!("{sh}: acknowledge"),
    );
    assert!(
        e.to_string().contains("no status file nothere.json"),
        "{sh}: {e}"
    );
    assert!(!r.status_file("nothere").exists(), "{sh}: no file made");

    // A missing session: the same message for every action that needs it.
    for action in [
        Action::Preview,
        Action::Send { text: "x".into() },
        Action::Kill,
        Action::Rename { to: "x2".into() },
    ] {
        let e = refused(
            r.act("nothere", action.clone()),
            &format!("{sh}: {action:?}"),
        );
        assert_eq!(
            e.to_string(),
            "no tmux session named nothere on p",
            "{sh}: {action:?}"
        );
    }
    // dismiss and mark of a session without a status file: refused, no file made.
    let e = refused(r.act("nothere", Action::Dismiss), &format!("{sh}: dismiss"));
    assert!(
        e.to_string()
            .contains("no session named nothere on p: no status file nothere.json in "),
        "{sh}: {e}"
    );
    let e = refused(r.act("nothere", mark()), &format!("{sh}: mark"));
    assert!(
        e.to_string()
            .contains("no session named nothere on p: no status file nothere.json in "),
        "{sh}: {e}"
    );
    assert!(
        !r.marks_file("nothere").exists(),
        "{sh}: no orphan marks file"
    );

    // A session on its own socket: reached through it, never on the default server.
    let socket = r.home.join("sockets/sk");
    r.start_session(Some(&socket), "sk");
    let on_socket = TmuxServer::Socket(socket.to_str().unwrap().into());
    let e = refused(
        r.act("sk", Action::Preview),
        &format!("{sh}: sk on default"),
    );
    assert_eq!(e.to_string(), "no tmux session named sk on p", "{sh}");
    r.act_on(
        &on_socket,
        "sk",
        Action::Send {
            text: "via-socket".into(),
        },
    )
    .unwrap_or_else(|e| panic!("{sh}: send through the socket: {e}"));
    std::thread::sleep(Duration::from_millis(200));
    let pane = text(
        r.act_on(&on_socket, "sk", Action::Preview),
        &format!("{sh}: preview through the socket"),
    );
    assert!(pane.contains("via-socket"), "{sh}: {pane:?}");
    r.act_on(&on_socket, "sk", Action::Kill)
        .unwrap_or_else(|e| panic!("{sh}: kill through the socket: {e}"));
    let gone = r.tmux_at(Some(&socket), &["has-session", "-t", "=sk"]);
    assert!(!gone.status.success(), "{sh}: sk was killed on its socket");
    assert!(r.sessions().contains(&"s2".to_string()), "{sh}");

    // `new`: a command that runs is confirmed; one that exits at once is reported with
    // its exit status and output, and leaves no session.
    let new = |command: &str| Action::New {
        dir: "~/work".into(),
        command: vec![command.into()],
        create_dir: false,
    };
    r.act("fresh", new("cat"))
        .unwrap_or_else(|e| panic!("{sh}: new fresh: {e}"));
    assert!(r.sessions().contains(&"fresh".to_string()), "{sh}");
    // `n`'s offer accepted: a missing directory (with a space, and its parent) created.
    let made = Action::New {
        dir: "~/made dir/x".into(),
        command: vec!["cat".into()],
        create_dir: true,
    };
    r.act("made", made)
        .unwrap_or_else(|e| panic!("{sh}: new in a directory to create: {e}"));
    assert!(r.home.join("made dir/x").is_dir(), "{sh}");
    assert!(r.sessions().contains(&"made".to_string()), "{sh}");
    // No such command: its exit status. tmux may miss the shell's last words (written the
    // instant before it exits) and, rarely, the status itself; the message then says so.
    let exited = |e: &SourceError, status: &str| {
        let m = e.to_string();
        let said = m
            .strip_prefix("remote error: cannot create broken on p: its command exited at once (")
            .unwrap_or_else(|| panic!("{sh}: {m}"));
        assert!(
            said.starts_with(&format!("exit status {status})"))
                || said.starts_with("tmux did not report its exit status)"),
            "{sh}: {m}"
        );
        assert!(!r.sessions().contains(&"broken".to_string()), "{sh}");
    };
    let e = refused(
        r.act("broken", new("navi-no-such-command-7f3a")),
        &format!("{sh}: new broken"),
    );
    exited(&e, "127");
    // A command that says why it stops: its words too.
    let e = refused(
        r.act("broken", new("echo navi-says-no; sleep 0.05; exit 3")),
        &format!("{sh}: new broken"),
    );
    exited(&e, "3");
    assert!(e.to_string().ends_with("): navi-says-no"), "{sh}: {e}");

    assert_eq!(
        r.server.accepted_publickey(),
        1,
        "{sh}: every action on one login"
    );
}

#[test]
fn remote_actions_say_what_is_true_bash() {
    check("bash");
}

#[test]
fn remote_actions_say_what_is_true_zsh() {
    check("zsh");
}

#[test]
fn remote_actions_say_what_is_true_fish() {
    check("fish");
}

#[test]
fn remote_actions_say_what_is_true_tcsh() {
    check("tcsh");
}

#[test]
fn remote_actions_say_what_is_true_csh() {
    check("csh");
}

#[test]
fn remote_actions_say_what_is_true_ksh() {
    check("ksh");
}

#[test]
fn remote_actions_say_what_is_true_mksh() {
    check("mksh");
}

#[test]
fn remote_actions_say_what_is_true_dash() {
    check("dash");
}

#[test]
fn remote_actions_say_what_is_true_busybox() {
    check("busybox");
}
