//! `navi approve | deny | send --keys | resume | new --prompt` on a real tmux server in
//! a temp TMUX_TMPDIR, with stand-in programs (a permission dialog that records the key
//! it gets, a `claude` on PATH that records its arguments).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use super::{dir, stderr, stdout, Env};

/// The pane of a real Claude Code 2.1.197 asking to run a Bash command.
const DIALOG: &str =
    include_str!("../../../navi-core/src/permission/fixtures/claude-2.1.197-bash.txt");

struct Bench {
    env: Env,
    tmux_dir: tempfile::TempDir,
    bin: PathBuf,
}

impl Bench {
    fn new() -> Bench {
        let env = Env::new();
        let bin = env.home.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        Bench {
            env,
            tmux_dir: tempfile::tempdir().unwrap(),
            bin,
        }
    }

    fn navi(&self, args: &[&str]) -> Output {
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap());
        self.env
            .command(args)
            .env("TMUX_TMPDIR", self.tmux_dir.path())
            .env("NAVI_SESSIONS_DIR", &self.env.sessions)
            .env("PATH", path)
            .env("SHELL", "/bin/sh")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    }

    fn tmux(&self, args: &[&str]) -> Output {
        let path = format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap());
        std::process::Command::new("tmux")
            .args(args)
            .env("TMUX_TMPDIR", self.tmux_dir.path())
            .env("PATH", path)
            .env_remove("TMUX")
            .output()
            .unwrap()
    }

    fn script(&self, name: &str, text: &str) -> PathBuf {
        let p = self.bin.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    }

    /// Waits (bounded) until `session`'s pane shows `text`.
    fn wait_for(&self, session: &str, text: &str) {
        let mut last = String::new();
        for _ in 0..200 {
            last = stdout(&self.tmux(&["capture-pane", "-p", "-t", &format!("={session}:")]));
            if last.contains(text) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{session} never showed {text:?}:\n{last}");
    }

    fn wait_file(&self, path: &Path) -> String {
        for _ in 0..200 {
            if let Ok(t) = std::fs::read_to_string(path) {
                if !t.is_empty() {
                    return t;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("{} was never written", path.display());
    }

    /// A session running the stand-in dialog, its key recorded in the returned file.
    fn dialog(&self, session: &str, screen: &str) -> PathBuf {
        let screen_file = self.env.home.path().join(format!("{session}.screen"));
        std::fs::write(&screen_file, screen).unwrap();
        let key = self.env.home.path().join(format!("{session}.key"));
        let stand_in = self.script(
            "dialog",
            "#!/bin/sh\ncat \"$1\"; stty raw -echo; k=$(dd bs=1 count=1 2>/dev/null)\n\
             printf '%s' \"$k\" > \"$2\"; printf '\\033[2J\\033[Hanswered\\n'; exec cat\n",
        );
        let out = self.tmux(&[
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "120",
            "-y",
            "40",
            dir(&stand_in),
            dir(&screen_file),
            dir(&key),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        key
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

#[test]
fn approve_answers_the_dialog_it_shows_and_deny_refuses_another_screen() {
    let b = Bench::new();
    let key = b.dialog("dlg", DIALOG);
    b.wait_for("dlg", "Do you want");
    let out = b.navi(&["approve", "dlg", "--always"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = stdout(&out);
    assert!(
        said.contains(
            "approve always dlg: Bash command: echo \"hello\" from 'navi' > out.txt · write a \
             file — Do you want to proceed? → 2. Yes, and always allow access to proj/ from this \
             project"
        ),
        "{said}"
    );
    assert!(said.contains("approved (always) dlg"), "{said}");
    assert_eq!(b.wait_file(&key), "2");
    b.wait_for("dlg", "answered");
    // The dialog is gone: deny refuses, says what the pane shows, and sends nothing.
    std::fs::remove_file(&key).unwrap();
    let out = b.navi(&["deny", "dlg"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.contains("dlg shows no permission dialog") && e.contains("answered"),
        "{e}"
    );
    assert!(!key.exists(), "nothing was sent");
    let out = b.navi(&["approve", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no tmux session named nope"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn send_keys_types_allowed_keys_and_refuses_others() {
    let b = Bench::new();
    let got = b.env.home.path().join("got");
    let stand_in = b.script(
        "keys",
        &format!(
            "#!/bin/sh\nstty raw -echo; printf 'ready\\n'; dd bs=1 count=3 of='{}' 2>/dev/null\n\
             printf 'done\\n'; exec cat\n",
            got.display()
        ),
    );
    assert!(b
        .tmux(&["new-session", "-d", "-s", "k", dir(&stand_in)])
        .status
        .success());
    b.wait_for("k", "ready");
    let out = b.navi(&["send", "--keys", "k", "Escape", "send-keys"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("unknown key \"send-keys\""),
        "{}",
        stderr(&out)
    );
    let out = b.navi(&["send", "k", "two", "words"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--keys"), "{}", stderr(&out));
    let out = b.navi(&["send", "--keys", "k", "Esc", "C-c", "-"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "sent Escape C-c - to k");
    b.wait_for("k", "done");
    assert_eq!(std::fs::read(&got).unwrap(), b"\x1b\x03-");
}

const ID: &str = "0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21";

/// A `claude` on PATH that writes its directory and arguments, then waits.
fn recording_claude(b: &Bench) -> PathBuf {
    let args = b.env.home.path().join("claude-args");
    b.script(
        "claude",
        &format!(
            "#!/bin/sh\n{{ pwd; for a do printf '%s\\n' \"$a\"; done; }} > '{}'\nexec cat\n",
            args.display()
        ),
    );
    args
}

#[test]
fn resume_runs_claude_resume_in_the_sessions_directory() {
    let b = Bench::new();
    let args = recording_claude(&b);
    let work = b.env.home.path().join("my work");
    std::fs::create_dir(&work).unwrap();
    // The tmux server runs (another session), without `old`: old has ended.
    assert!(b
        .tmux(&["new-session", "-d", "-s", "other", "cat"])
        .status
        .success());
    let status = serde_json::json!({
        "tmux_session": "old", "status": "offline", "message": "", "cwd": work,
        "timestamp": 1, "session_id": ID,
    });
    std::fs::write(b.env.sessions.join("old.json"), status.to_string()).unwrap();
    let out = b.navi(&["resume", "old"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("created old"), "{}", stdout(&out));
    assert_eq!(
        b.wait_file(&args),
        format!("{}\n--resume\n{ID}\n", work.display())
    );
    // A session id that is not one is never passed on.
    let bad = serde_json::json!({
        "tmux_session": "evil", "status": "offline", "cwd": work, "timestamp": 1,
        "session_id": format!("{ID}; touch pwned"),
    });
    std::fs::write(b.env.sessions.join("evil.json"), bad.to_string()).unwrap();
    let out = b.navi(&["resume", "evil"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("not a Claude Code session id"),
        "{}",
        stderr(&out)
    );
    // A live session is not resumed.
    let out = b.navi(&["resume", "api"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn new_gives_the_first_prompt_as_one_argument() {
    let b = Bench::new();
    let args = recording_claude(&b);
    let work = b.env.home.path().join("w");
    std::fs::create_dir(&work).unwrap();
    let prompt = "fix the 'bug'; echo $HOME `id` \"now\"";
    let out = b.navi(&["new", "p1", "--dir", dir(&work), "--prompt", prompt]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        b.wait_file(&args),
        format!("{}\n{prompt}\n", work.display())
    );
    let out = b.navi(&["new", "p2", "--command", "claude | tee", "--prompt", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("plain words"), "{}", stderr(&out));
}

/// A stand-in for `program` on the bench's PATH that records its directory and arguments
/// (one a line, written whole: a temp file renamed) and then waits.
fn recording(b: &Bench, program: &str) -> PathBuf {
    let args = b.env.home.path().join(format!("{program}-args"));
    b.script(
        program,
        &format!(
            "#!/bin/sh\n{{ pwd; for a do printf '%s\\n' \"$a\"; done; }} > '{0}.tmp'\n\
             mv '{0}.tmp' '{0}'\nexec cat\n",
            args.display()
        ),
    );
    args
}

#[test]
fn new_agent_starts_each_agents_program_with_its_first_prompt() {
    let b = Bench::new();
    let work = b.env.home.path().join("w");
    std::fs::create_dir(&work).unwrap();
    let prompt = "fix the 'bug'; echo $HOME `id`";
    // Each CLI's documented first-prompt form (see Agent::prompt_args).
    for (agent, before) in [
        ("codex", ""),
        ("gemini", "--prompt-interactive\n"),
        ("opencode", "--prompt\n"),
        ("claude", ""),
    ] {
        let args = recording(&b, agent);
        let name = format!("s-{agent}");
        let out = b.navi(&[
            "new",
            &name,
            "--dir",
            dir(&work),
            "--agent",
            agent,
            "--prompt",
            prompt,
        ]);
        assert!(out.status.success(), "{agent}: {}", stderr(&out));
        assert_eq!(
            b.wait_file(&args),
            format!("{}\n{before}{prompt}\n", work.display()),
            "{agent}"
        );
    }
    // Without a prompt: the program alone.
    let args = recording(&b, "gemini");
    std::fs::remove_file(&args).ok();
    let out = b.navi(&["new", "bare", "--dir", dir(&work), "--agent", "gemini"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(b.wait_file(&args), format!("{}\n", work.display()));
    // Skip-permissions is Claude Code's flag: refused for Codex, nothing started.
    let out = b.navi(&["new", "yolo", "--agent", "codex", "--skip-permissions"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Codex does not take"),
        "{}",
        stderr(&out)
    );
    assert!(!b.tmux(&["has-session", "-t", "=yolo"]).status.success());
    // --agent and --command exclude each other; an unknown agent is a usage error.
    let out = b.navi(&["new", "x", "--agent", "codex", "--command", "vim"]);
    assert_eq!(out.status.code(), Some(2));
    let out = b.navi(&["new", "x", "--agent", "cursor"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unknown agent"), "{}", stderr(&out));
}

#[test]
fn approve_refuses_another_agents_prompt_and_sends_nothing() {
    let b = Bench::new();
    // A Codex session whose screen even looks like Claude's dialog: navi does not guess.
    let key = b.dialog("cx", DIALOG);
    b.wait_for("cx", "Do you want");
    let status = serde_json::json!({
        "tmux_session": "cx", "status": "permission", "message": "", "cwd": "/",
        "timestamp": 1, "agent": "codex"
    });
    std::fs::write(b.env.sessions.join("cx.json"), status.to_string()).unwrap();
    for verb in [
        &["approve", "cx"][..],
        &["approve", "cx", "--always"],
        &["deny", "cx"],
    ] {
        let out = b.navi(verb);
        assert_eq!(out.status.code(), Some(1), "{verb:?}");
        let e = stderr(&out);
        assert!(
            e.contains("the prompt is Codex's") && e.contains("only Claude Code's"),
            "{e}"
        );
    }
    // navi refused before reading the pane: no key can be on its way.
    assert!(!key.exists(), "nothing was sent");
}
