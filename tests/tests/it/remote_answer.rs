//! Answering, keys, resume and a first prompt on a real sshd, through several login
//! shells (bash, fish, tcsh, busybox ash): the throwaway-user harness of
//! `remote_action_truth`.
//!
//! * A stand-in for Claude Code prints a real permission dialog (Claude Code 2.1.197's,
//!   with the cursor moved to another option) and records the one key it gets: an
//!   answer expecting another dialog is refused and nothing is typed; the expected one
//!   gets its key once (the remote script's awk normalises the cursor away as navi
//!   does); once the dialog is gone, an answer is refused with what the screen shows.
//! * Keys arrive as tmux keys (Escape, C-c, `;`); a key off the allow-list is refused.
//! * `claude --resume ID` and a first prompt reach a recording `claude` on the remote's
//!   PATH as exact arguments, in the session's directory.
//!
//! Needs root and the shells; skipped otherwise unless `NAVI_REQUIRE_SSHD=1` /
//! `NAVI_REQUIRE_SHELLS=1`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use navi_core::permission::{recognise, Choice};
use navi_core::{Action, ActionOutput, SessionSource};
use navi_tests::users::{can_run, find};

use crate::remote_action_truth::{chown, Remote};

const BASH: &str =
    include_str!("../../../navi-core/src/permission/fixtures/claude-2.1.197-bash.txt");
const FETCH: &str =
    include_str!("../../../navi-core/src/permission/fixtures/claude-2.1.197-webfetch.txt");
const ID: &str = "0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21";

fn script(r: &Remote, name: &str, text: &str) -> PathBuf {
    let p = r.bin.join(name);
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// A file in the remote user's home, theirs.
fn user_file(r: &Remote, name: &str, text: &str) -> PathBuf {
    let p = r.home.join(name);
    std::fs::write(&p, text).unwrap();
    chown(&r.user.name, &p);
    p
}

/// Waits (bounded) until the pane of `session` shows `text`.
fn wait_for(r: &Remote, session: &str, text: &str) {
    let mut last = String::new();
    for _ in 0..200 {
        let out = r.tmux(&["capture-pane", "-p", "-t", &format!("={session}:")]);
        last = String::from_utf8_lossy(&out.stdout).into_owned();
        if last.contains(text) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{session} never showed {text:?}:\n{last}");
}

fn wait_file(path: &Path) -> Vec<u8> {
    for _ in 0..200 {
        if let Ok(b) = std::fs::read(path) {
            if !b.is_empty() {
                return b;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} was never written", path.display());
}

fn check(shell_name: &str) {
    let path = find(&[shell_name]);
    if !can_run(
        &format!("{shell_name} remote-answer test"),
        &[(shell_name, path.as_deref())],
    ) {
        return;
    }
    let r = Remote::start_as("a", shell_name, &path.unwrap());
    let sh = shell_name;
    // Connect with a poll first: a first connect inside an action's (debug-build,
    // deeply nested) future needs more than the test thread's stack.
    r.rt.block_on(r.source.poll())
        .unwrap_or_else(|e| panic!("{sh}: poll: {e}"));
    answer(&r, sh);
    keys(&r, sh);
    resume_and_prompt(&r, sh);
}

fn answer(r: &Remote, sh: &str) {
    // The cursor on "3. No": the same dialog for navi.
    let moved = BASH
        .replace(" ❯ 1. Yes", "   1. Yes")
        .replace("   3. No", " ❯ 3. No");
    assert_ne!(moved, BASH);
    let screen = user_file(r, "screen.txt", &moved);
    let key = r.home.join("key");
    let stand_in = script(
        r,
        "dialog",
        "#!/bin/sh\ncat \"$1\"; stty raw -echo; k=$(dd bs=1 count=1 2>/dev/null)\n\
         printf '%s' \"$k\" > \"$2\"; printf '\\033[2J\\033[Hanswered\\n'; exec cat\n",
    );
    let out = r.tmux(&[
        "new-session",
        "-d",
        "-s",
        "dlg",
        "-x",
        "120",
        "-y",
        "40",
        stand_in.to_str().unwrap(),
        screen.to_str().unwrap(),
        key.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{sh}: {out:?}");
    wait_for(r, "dlg", "Do you want");
    let answer = |expect: &str, choice| {
        r.act(
            "dlg",
            Action::Answer {
                choice,
                expect: expect.to_string(),
            },
        )
    };
    let bash = recognise(BASH).unwrap().fingerprint();
    let fetch = recognise(FETCH).unwrap().fingerprint();
    let e = answer(&fetch, Choice::Approve).unwrap_err().to_string();
    assert!(
        e.contains("dlg on p was not answered: its pane no longer shows that dialog")
            && e.contains("another permission dialog: Bash command"),
        "{sh}: {e}"
    );
    assert!(!key.exists(), "{sh}: nothing typed");
    let done = answer(&bash, Choice::Always).unwrap_or_else(|e| panic!("{sh}: {e}"));
    assert_eq!(
        done,
        ActionOutput::Done(
            "approved (always) dlg on p: Bash command: echo \"hello\" from 'navi' > out.txt · \
             write a file — Do you want to proceed? (sent 2)"
                .into()
        ),
        "{sh}"
    );
    assert_eq!(wait_file(&key), b"2", "{sh}");
    wait_for(r, "dlg", "answered");
    let e = answer(&bash, Choice::Deny).unwrap_err().to_string();
    assert!(
        e.contains("no permission dialog; its last lines: answered"),
        "{sh}: {e}"
    );
}

fn keys(r: &Remote, sh: &str) {
    let got = r.home.join("got");
    let stand_in = script(
        r,
        "keys",
        &format!(
            "#!/bin/sh\nstty raw -echo; printf 'ready\\n'; dd bs=1 count=3 of='{}' 2>/dev/null\n\
             printf 'done\\n'; exec cat\n",
            got.display()
        ),
    );
    let out = r.tmux(&["new-session", "-d", "-s", "k", stand_in.to_str().unwrap()]);
    assert!(out.status.success(), "{sh}: {out:?}");
    wait_for(r, "k", "ready");
    let send = |keys: &[&str]| {
        r.act(
            "k",
            Action::Keys {
                keys: keys.iter().map(|k| k.to_string()).collect(),
            },
        )
    };
    let e = send(&["Esc", "$(touch x)"]).unwrap_err().to_string();
    assert!(e.contains("unknown key"), "{sh}: {e}");
    assert_eq!(
        send(&["Esc", "C-c", ";"]).unwrap_or_else(|e| panic!("{sh}: {e}")),
        ActionOutput::Done("sent Escape C-c ; to k on p".into())
    );
    wait_for(r, "k", "done");
    assert_eq!(std::fs::read(&got).unwrap(), b"\x1b\x03;", "{sh}");
}

fn resume_and_prompt(r: &Remote, sh: &str) {
    let args = r.home.join("claude-args");
    script(
        r,
        "claude",
        &format!(
            "#!/bin/sh\n{{ pwd; for a do printf '%s\\n' \"$a\"; done; }} > '{}'\nexec cat\n",
            args.display()
        ),
    );
    let work = r.home.join("work");
    let new = |name: &str, command: Vec<String>| {
        r.act(
            name,
            Action::New {
                dir: "~/work".into(),
                command,
                create_dir: false,
            },
        )
    };
    let command = navi_core::keys::resume_command(ID).unwrap();
    new("old", command).unwrap_or_else(|e| panic!("{sh}: resume: {e}"));
    assert_eq!(
        String::from_utf8(wait_file(&args)).unwrap(),
        format!("{}\n--resume\n{ID}\n", work.display()),
        "{sh}"
    );
    std::fs::remove_file(&args).unwrap();
    let prompt = "fix the 'bug'; echo $HOME `id` \"now\" \\ %s ! ~ *;";
    let command = navi_core::keys::command_with_prompt("claude", true, prompt).unwrap();
    new("p1", command).unwrap_or_else(|e| panic!("{sh}: new with a prompt: {e}"));
    assert_eq!(
        String::from_utf8(wait_file(&args)).unwrap(),
        format!(
            "{}\n--dangerously-skip-permissions\n{prompt}\n",
            work.display()
        ),
        "{sh}"
    );
}

#[test]
fn remote_answer_keys_resume_bash() {
    check("bash");
}

#[test]
fn remote_answer_keys_resume_fish() {
    check("fish");
}

#[test]
fn remote_answer_keys_resume_tcsh() {
    check("tcsh");
}

#[test]
fn remote_answer_keys_resume_busybox() {
    check("busybox");
}
