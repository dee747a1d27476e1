//! Actions on a remote's sessions against a real sshd: the remote user's HOME and tmux
//! server are scratch ones (`SetEnv HOME=… TMUX_TMPDIR=…`), every action runs over the
//! one pooled connection (one login in sshd's log), names reach tmux exactly.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use navi_core::{Action, ActionOutput, SessionSource};
use navi_source_ssh::{load_remotes_from_str, Env, SshSource};
use navi_tests::sshd::{self, Sshd};

/// A real sshd whose remote user has a scratch HOME (`home`, with `work/` and
/// `.claude-sessions/`) and a private tmux server (`tmux_dir`), and an SSH source on it.
struct Remote {
    /// Holds the scratch directory for as long as the remote lives.
    _scratch: tempfile::TempDir,
    home: std::path::PathBuf,
    tmux_dir: std::path::PathBuf,
    server: Sshd,
    source: SshSource,
}

impl Remote {
    fn start() -> Remote {
        let scratch = tempfile::tempdir().unwrap();
        let home = scratch.path().join("home");
        let tmux_dir = scratch.path().join("tmux");
        std::fs::create_dir_all(home.join("work")).unwrap();
        std::fs::create_dir_all(home.join(".claude-sessions")).unwrap();
        std::fs::create_dir_all(&tmux_dir).unwrap();
        let keys = scratch.path().join("keys");
        let server = Sshd::start_scratch(&keys, &home, &tmux_dir, "");
        let known_hosts = keys.join("known_hosts");
        let yaml = format!(
            "remotes:\n  - name: dev\n    host: 127.0.0.1\n    port: {}\n    user: {}\n    key: {}\n    \
             known_hosts: {}\n",
            server.port(),
            sshd::current_user(),
            keys.join("id_ed25519").display(),
            known_hosts.display()
        );
        let env = Env {
            home: Some(scratch.path().to_path_buf()),
            ssh_config: None,
            user: Some(sshd::current_user()),
        };
        let remote = load_remotes_from_str(Path::new("remotes.yaml"), &yaml, &env)
            .remotes
            .into_iter()
            .next()
            .unwrap();
        Remote {
            _scratch: scratch,
            home,
            tmux_dir,
            server,
            source: SshSource::new(remote),
        }
    }

    /// `tmux ARGS` on the remote user's private server; its stdout.
    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", &self.tmux_dir)
            .env_remove("TMUX")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

#[test]
fn new_send_preview_rename_kill_dismiss_over_one_login() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let remote = Remote::start();
    let (home, server, source) = (&remote.home, &remote.server, &remote.source);
    let tmux = |args: &[&str]| remote.tmux(args);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let act = |name: &str, action: Action| rt.block_on(source.act(name, &action));
    let name = "api 'it''s' \"q\" `x` !;";

    let new = Action::New {
        dir: "~/work".into(),
        command: vec!["cat".into()],
        create_dir: false,
    };
    act(name, new.clone()).unwrap();
    assert_eq!(
        tmux(&["list-sessions", "-F", "#{session_name}"]).trim(),
        name
    );
    let cwd = tmux(&[
        "display-message",
        "-p",
        "-t",
        &format!("={name}:"),
        "#{pane_current_path}",
    ]);
    assert_eq!(
        Path::new(cwd.trim()),
        home.join("work").canonicalize().unwrap()
    );
    let e = act(name, new).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = act(
        "other",
        Action::New {
            dir: "~/nope".into(),
            command: vec![],
            create_dir: false,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("no such directory"), "{e}");
    assert!(!home.join("nope").exists(), "refused, not created");
    // The user said yes to creating it (`n`'s offer): parents too, a name with a space.
    act(
        "made",
        Action::New {
            dir: "~/nope/deep er".into(),
            command: vec!["cat".into()],
            create_dir: true,
        },
    )
    .unwrap();
    assert!(home.join("nope/deep er").is_dir());
    let cwd = tmux(&[
        "display-message",
        "-p",
        "-t",
        "=made:",
        "#{pane_current_path}",
    ]);
    assert_eq!(
        Path::new(cwd.trim()),
        home.join("nope/deep er").canonicalize().unwrap()
    );
    tmux(&["kill-session", "-t", "=made"]);
    // A file where the directory should be: refused with the reason.
    std::fs::write(home.join("afile"), b"").unwrap();
    let e = act(
        "made2",
        Action::New {
            dir: "~/afile".into(),
            command: vec!["cat".into()],
            create_dir: true,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot create directory"), "{e}");

    act(
        name,
        Action::Send {
            text: "yes $(touch pwned);".into(),
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let ActionOutput::Text(pane) = act(name, Action::Preview).unwrap() else {
        panic!("a preview is text")
    };
    assert!(pane.contains("yes $(touch pwned);"), "{pane:?}");
    // Refreshes go through the connection's preview loop: one more session channel for
    // all of them, however many.
    let before = server.log().matches("Starting session").count();
    for _ in 0..20 {
        let ActionOutput::Text(p) = act(name, Action::Preview).unwrap() else {
            panic!("a preview is text")
        };
        assert!(p.contains("yes $(touch pwned);"));
    }
    let after = server.log().matches("Starting session").count();
    assert!(
        after - before <= 1,
        "20 previews opened {} sessions",
        after - before
    );
    assert!(!home.join("work/pwned").exists() && !home.join("pwned").exists());

    let file = |n: &str| home.join(format!(".claude-sessions/{n}.json"));
    std::fs::write(
        file(name),
        format!(r#"{{"tmux_session":{name:?},"status":"waiting","x":1}}"#),
    )
    .unwrap();
    // The poll learns which tmux sessions exist: a leftover file's row is ended.
    std::fs::write(
        file("gone"),
        r#"{"tmux_session":"gone","status":"waiting"}"#,
    )
    .unwrap();
    // The push loop sends what it finds a moment after the write: poll until it came.
    let mut sessions = rt.block_on(source.poll()).unwrap();
    for _ in 0..200 {
        if sessions.iter().any(|s| s.tmux_session == "gone") {
            break;
        }
        // On this one-thread runtime the push loop's reader runs only inside block_on.
        rt.block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
        sessions = rt.block_on(source.poll()).unwrap();
    }
    let ended = |n: &str| {
        sessions
            .iter()
            .find(|s| s.tmux_session == n)
            .map(|s| s.is_ended())
    };
    assert_eq!(ended(name), Some(false));
    assert_eq!(ended("gone"), Some(true));
    std::fs::remove_file(file("gone")).unwrap();
    let to = "renamed ☃";
    act(name, Action::Rename { to: to.into() }).unwrap();
    assert_eq!(tmux(&["list-sessions", "-F", "#{session_name}"]).trim(), to);
    assert!(!file(name).exists());
    let moved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(file(to)).unwrap()).unwrap();
    assert_eq!(moved["tmux_session"], to);
    assert_eq!(moved["x"], 1);

    let e = act(to, Action::Dismiss).unwrap_err();
    assert!(e.to_string().contains("still running"), "{e}");
    act(to, Action::Kill).unwrap();
    assert!(!file(to).exists());
    assert_eq!(tmux(&["list-sessions", "-F", "#{session_name}"]).trim(), "");

    // A file whose session is not in a server that answers is dismissed; with no
    // server at all, navi cannot tell and refuses.
    std::fs::write(file("ended"), "{}").unwrap();
    let e = act("ended", Action::Dismiss).unwrap_err();
    assert!(e.to_string().contains("cannot tell"), "{e}");
    assert!(file("ended").exists());
    tmux(&["new-session", "-d", "-s", "keep", "cat"]);
    act("ended", Action::Dismiss).unwrap();
    assert!(!file("ended").exists());
    let e = act("ended", Action::Dismiss).unwrap_err();
    assert!(
        e.to_string().contains("no session named ended on dev"),
        "{e}"
    );

    assert_eq!(server.accepted_publickey(), 1, "every action on one login");
}

/// Names drawn by proptest (quotes, spaces, `!`, `;`, backticks, `()`, non-ASCII) reach the
/// remote tmux exactly, through new, rename and kill, on one login.
#[test]
fn drawn_names_reach_the_remote_tmux_exactly() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    if !sshd::sshd_or_skip() {
        return;
    }
    let remote = Remote::start();
    let (server, source) = (&remote.server, &remote.source);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let sessions = || {
        remote
            .tmux(&["list-sessions", "-F", "#{session_name}"])
            .trim_end_matches('\n')
            .to_string()
    };
    let mut runner = TestRunner::new(Config {
        cases: 8,
        ..Config::default()
    });
    let names = (
        "[a-zA-Z0-9 '\"()!`;&|<>*?é日~=+_-]{1,14}",
        "[a-zA-Z0-9 '\"()!é;_-]{1,10}",
    );
    runner
        .run(&names, |(name, other)| {
            prop_assume!(navi_core::check_session_name(&name).is_ok());
            prop_assume!(navi_core::check_session_name(&other).is_ok() && name != other);
            // A clean server per case (a failed case must not leave sessions behind).
            remote.tmux(&["kill-server"]);
            let new = Action::New {
                dir: "~".into(),
                command: vec!["cat".into()],
                create_dir: false,
            };
            rt.block_on(source.act(&name, &new)).unwrap();
            prop_assert_eq!(sessions(), name.clone());
            let rename = Action::Rename { to: other.clone() };
            rt.block_on(source.act(&name, &rename)).unwrap();
            prop_assert_eq!(sessions(), other.clone());
            rt.block_on(source.act(&other, &Action::Kill)).unwrap();
            prop_assert_eq!(sessions(), "");
            Ok(())
        })
        .unwrap();
    assert_eq!(server.accepted_publickey(), 1, "one login for every case");
}

/// Over the real sshd: the preview holds the 50 lines of scrollback above the screen
/// (through the connection's preview loop), and `d`'s acknowledge rewrites the remote
/// status file (working, message cleared, the rest kept); refused without a file.
#[test]
fn remote_preview_scrollback_and_acknowledge() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let remote = Remote::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let act = |name: &str, action: Action| rt.block_on(remote.source.act(name, &action));
    let command = ["sh", "-c", "seq 1 120; echo all-printed; exec cat"];
    act(
        "long",
        Action::New {
            dir: "~".into(),
            command: command.iter().map(|c| c.to_string()).collect(),
            create_dir: false,
        },
    )
    .unwrap();
    let mut pane = String::new();
    for _ in 0..100 {
        let ActionOutput::Text(p) = act("long", Action::Preview).unwrap() else {
            panic!("a preview is text")
        };
        pane = p;
        if pane.contains("all-printed") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let lines: Vec<&str> = pane.lines().collect();
    assert!(lines.contains(&"120") && lines.contains(&"80"), "{pane}");
    assert!(!lines.contains(&"20"), "{pane}");

    let file = remote.home.join(".claude-sessions/long.json");
    std::fs::write(
        &file,
        r#"{"tmux_session":"long","status":"permission","message":"Allow?","timestamp":3,"x":1}"#,
    )
    .unwrap();
    let out = act("long", Action::Acknowledge).unwrap();
    assert_eq!(out, ActionOutput::Done("acknowledged long on dev".into()));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        (v["status"].as_str(), v["message"].as_str(), v["x"].as_i64()),
        (Some("working"), Some(""), Some(1))
    );
    assert!(v["timestamp"].as_i64().unwrap() > 3);
    let e = act("nothere", Action::Acknowledge).unwrap_err();
    assert!(
        e.to_string()
            .contains("no session named nothere on dev: no status file nothere.json"),
        "{e}"
    );

    // Colours come over the preview loop as SGR only (`capture-pane -e`); the
    // hyperlink and title sequences do not.
    let script = "printf '\\033[31mRED\\033[0m \\033]8;;http://x\\033\\\\link\\033]8;;\\033\\\\ \
                  \\033]0;evil\\007\\033[1;38;5;208mB\\033[0m\\n'; echo colours-done; exec cat";
    act(
        "colours",
        Action::New {
            dir: "~".into(),
            command: vec!["sh".into(), "-c".into(), script.into()],
            create_dir: false,
        },
    )
    .unwrap();
    let mut pane = String::new();
    for _ in 0..100 {
        let ActionOutput::Text(p) = act("colours", Action::Preview).unwrap() else {
            panic!("a preview is text")
        };
        pane = p;
        if pane.contains("colours-done") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        pane.contains("\u{1b}[31mRED") && pane.contains("208mB"),
        "{pane:?}"
    );
    let only_sgr = pane.split('\u{1b}').skip(1).all(|rest| {
        rest.strip_prefix('[')
            .and_then(|r| r.split_once('m'))
            .is_some_and(|(p, _)| {
                p.chars()
                    .all(|c| c.is_ascii_digit() || c == ';' || c == ':')
            })
    });
    assert!(only_sgr, "{pane:?}");
    assert_eq!(
        navi_core::text::clean_pane(&pane).lines().next(),
        Some("RED link B")
    );
}

/// `--skip-permissions` with a multi-word command holding quotes, over a real sshd: the
/// remote shell runs the command line as typed with the flag as its last word (the
/// program gets every argument, the quoted one whole). And `send` refuses control
/// characters, naming them, before anything reaches the remote: the program lives on.
#[test]
fn skip_permissions_composes_with_a_multi_word_command_and_send_is_text_only() {
    if !sshd::sshd_or_skip() {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let remote = Remote::start();
    let stub = remote.home.join("work/fake-claude");
    let args = remote.home.join("work/args");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done > '{}'\nexec cat\n",
            args.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let act = |name: &str, action: Action| rt.block_on(remote.source.act(name, &action));
    let line = format!("{} --model \"big one\" --say 'it''s'", stub.display());
    let command = navi_core::new_session_command(&line, true).unwrap();
    let out = act(
        "sp1",
        Action::New {
            dir: "~/work".into(),
            command,
            create_dir: false,
        },
    )
    .unwrap();
    assert!(
        matches!(&out, ActionOutput::Done(d) if d.contains("created sp1")),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&args).unwrap(),
        "--model\nbig one\n--say\nits\n--dangerously-skip-permissions\n"
    );
    for text in ["hello\u{3}", "a\u{1b}[A", "two\nlines"] {
        let e = act("sp1", Action::Send { text: text.into() }).unwrap_err();
        assert!(e.to_string().contains("U+00"), "{text:?}: {e}");
    }
    let e = act(
        "sp1",
        Action::Send {
            text: "hello\u{3}".into(),
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("U+0003 (Ctrl-C)"), "{e}");
    act(
        "sp1",
        Action::Send {
            text: "still here".into(),
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let ActionOutput::Text(pane) = act("sp1", Action::Preview).unwrap() else {
        panic!("a preview is text")
    };
    assert!(
        pane.contains("still here") && !pane.contains("hello"),
        "{pane:?}"
    );
    act("sp1", Action::Kill).unwrap();
}

/// `send` over a real sshd reaches the remote program as the text, then Enter as a key
/// of its own: between bracketed-paste markers when the program asked for them (so an
/// input box such as Claude Code's cannot take the Enter for part of a paste), plain
/// otherwise; two sends in a row arrive in order, a trailing `;` is literal, and no
/// paste buffer is left on the remote's tmux server.
#[test]
fn send_delivers_the_text_then_enter_in_order() {
    if !sshd::sshd_or_skip() {
        return;
    }
    let remote = Remote::start();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let act = |name: &str, action: Action| rt.block_on(remote.source.act(name, &action));
    let reader = |name: &str, bracketed: bool| {
        let out = remote.home.join(format!("work/{name}.bytes"));
        let ask = if bracketed {
            "printf '\\033[?2004h'; "
        } else {
            ""
        };
        let script = format!(
            "stty raw -echo; {ask}: > '{out}.ready'; exec cat > '{out}'",
            out = out.display()
        );
        let new = Action::New {
            dir: "~/work".into(),
            command: vec!["sh".into(), "-c".into(), script],
            create_dir: false,
        };
        act(name, new).unwrap();
        let ready = remote.home.join(format!("work/{name}.bytes.ready"));
        for _ in 0..500 {
            if ready.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(ready.exists(), "the reader in {name} never started");
        out
    };
    let after_enters = |out: &Path, n: usize| {
        let mut got = Vec::new();
        for _ in 0..500 {
            got = std::fs::read(out).unwrap_or_default();
            if got.iter().filter(|&&b| b == b'\r').count() >= n {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        String::from_utf8_lossy(&got).into_owned()
    };
    let send = |name: &str, text: &str| {
        act(name, Action::Send { text: text.into() }).unwrap();
    };
    let out = reader("bracketed", true);
    send("bracketed", "yes $(touch pwned) 'q';");
    send("bracketed", "two");
    assert_eq!(
        after_enters(&out, 2),
        "\u{1b}[200~yes $(touch pwned) 'q';\u{1b}[201~\r\u{1b}[200~two\u{1b}[201~\r"
    );
    let out = reader("plain", false);
    send("plain", "one");
    send("plain", "two;");
    assert_eq!(after_enters(&out, 2), "one\rtwo;\r");
    assert!(!remote.home.join("work/pwned").exists());
    assert!(!remote.home.join("pwned").exists());
    let buffers = remote.tmux(&["list-buffers", "-F", "#{buffer_name}"]);
    assert!(!buffers.contains("navi-send"), "{buffers:?}");
}
