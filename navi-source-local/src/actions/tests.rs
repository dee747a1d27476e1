//! Local actions against a private tmux server (`tmux -S` in a temp dir: never the
//! user's server).

use super::*;
use navi_core::check_session_name;
use proptest::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

struct Server {
    dir: tempfile::TempDir,
    tmux: Tmux,
}

impl Server {
    fn start() -> Server {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("sock").display().to_string();
        let tmux = Tmux {
            argv: vec!["tmux".into(), "-S".into(), sock],
        };
        Server { dir, tmux }
    }

    fn sessions(&self) -> Vec<String> {
        self.tmux
            .run(&["list-sessions", "-F", "#{session_name}"])
            .map(|o| o.lines().map(str::to_string).collect())
            .unwrap_or_default()
    }

    fn status_dir(&self) -> PathBuf {
        let d = self.dir.path().join("status");
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.tmux.run(&["kill-server"]);
    }
}

fn new(s: &Server, name: &str, command: &[&str]) -> Result<ActionOutput, SourceError> {
    let action = Action::New {
        dir: s.dir.path().display().to_string(),
        command: command.iter().map(|c| c.to_string()).collect(),
        create_dir: false,
    };
    act(&s.tmux, &s.status_dir(), name, &action)
}

#[test]
fn new_preview_send_rename_kill_dismiss() {
    let s = Server::start();
    let dir = s.status_dir();
    new(&s, "work", &["cat"]).unwrap();
    assert_eq!(s.sessions(), ["work"]);
    let e = new(&s, "work", &["cat"]).unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = new(&s, "a.b", &["cat"]).unwrap_err();
    assert!(e.to_string().contains("turns `.` into `_`"), "{e}");
    let bad_dir = Action::New {
        dir: "/nonexistent/dir".into(),
        command: vec![],
        create_dir: false,
    };
    let e = act(&s.tmux, &dir, "x", &bad_dir).unwrap_err();
    assert!(e.to_string().contains("no such directory"), "{e}");
    // Yes to `n`'s offer: created with its parents, the session starts there.
    let made = s.dir.path().join("new/deep er");
    let create = Action::New {
        dir: made.display().to_string(),
        command: vec!["cat".into()],
        create_dir: true,
    };
    act(&s.tmux, &dir, "made", &create).unwrap();
    assert!(made.is_dir());
    s.tmux.run(&["kill-session", "-t", "=made"]).unwrap();

    // Typed text arrives literally (cat echoes it), and preview shows it.
    act(
        &s.tmux,
        &dir,
        "work",
        &Action::Send {
            text: "yes $(touch pwned) 'q';".into(),
        },
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let ActionOutput::Text(pane) = act(&s.tmux, &dir, "work", &Action::Preview).unwrap() else {
        panic!("preview gives text")
    };
    assert!(pane.contains("yes $(touch pwned) 'q';"), "{pane:?}");
    assert!(!s.dir.path().join("pwned").exists());

    std::fs::write(
        dir.join("work.json"),
        r#"{"tmux_session":"work","status":"waiting","extra":1}"#,
    )
    .unwrap();
    act(
        &s.tmux,
        &dir,
        "work",
        &Action::Rename {
            to: "play time".into(),
        },
    )
    .unwrap();
    assert_eq!(s.sessions(), ["play time"]);
    assert!(!dir.join("work.json").exists());
    let moved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("play time.json")).unwrap()).unwrap();
    assert_eq!(moved["tmux_session"], "play time");
    assert_eq!(moved["extra"], 1, "other fields kept");

    let e = act(&s.tmux, &dir, "play time", &Action::Dismiss).unwrap_err();
    assert!(e.to_string().contains("still running"), "{e}");
    act(&s.tmux, &dir, "play time", &Action::Kill).unwrap();
    assert!(!dir.join("play time.json").exists());
    assert!(s.sessions().is_empty());

    // With no server at all, whether `gone` runs cannot be told: the file stays.
    std::fs::write(dir.join("gone.json"), "{}").unwrap();
    let e = act(&s.tmux, &dir, "gone", &Action::Dismiss).unwrap_err();
    assert!(e.to_string().contains("cannot tell"), "{e}");
    assert!(dir.join("gone.json").exists());
    // An ended session's leftover file is dismissed once the server answers without it.
    new(&s, "keeper", &["cat"]).unwrap();
    act(&s.tmux, &dir, "gone", &Action::Dismiss).unwrap();
    assert!(!dir.join("gone.json").exists());
}

#[test]
fn a_prefix_never_stands_for_another_session() {
    let s = Server::start();
    let dir = s.status_dir();
    new(&s, "api-v2", &["cat"]).unwrap();
    let e = act(&s.tmux, &dir, "api", &Action::Kill).unwrap_err();
    assert_eq!(e.to_string(), "no tmux session named api");
    assert_eq!(s.sessions(), ["api-v2"], "api-v2 survived a kill of `api`");
}

#[test]
fn the_pane_text_is_cleaned() {
    assert_eq!(
        navi_core::text::clean_pane("a\x1b[31mred\x1b[0m  \nb\x07\n\n\n"),
        "ared\nb"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any name tmux accepts (quotes, spaces, `$()`, `!`, non-ASCII) reaches tmux as
    /// exactly that name, through new, rename and kill.
    #[test]
    fn names_reach_tmux_exactly(
        name in "[a-zA-Z0-9 '\"()!`;&|<>*?é日~=+_-]{1,16}",
        other in "[a-zA-Z0-9 '\"()!é;_-]{1,12}",
    ) {
        prop_assume!(check_session_name(&name).is_ok() && check_session_name(&other).is_ok());
        prop_assume!(name != other);
        let s = Server::start();
        let dir = s.status_dir();
        new(&s, &name, &["cat"]).unwrap();
        prop_assert_eq!(s.sessions(), vec![name.clone()]);
        act(&s.tmux, &dir, &name, &Action::Rename { to: other.clone() }).unwrap();
        prop_assert_eq!(s.sessions(), vec![other.clone()]);
        act(&s.tmux, &dir, &other, &Action::Kill).unwrap();
        prop_assert!(s.sessions().is_empty());
    }
}

#[test]
fn marks_follow_a_rename_and_go_with_kill_and_dismiss() {
    let s = Server::start();
    let dir = s.status_dir();
    let mark = |name: &str| {
        let ops = vec![navi_core::MarkOp::AddTag("wip".into())];
        act(&s.tmux, &dir, name, &Action::Mark { ops }).unwrap();
    };
    let marked = |name: &str| {
        dir.join(".navi/marks")
            .join(format!("{name}.json"))
            .exists()
    };
    new(&s, "one", &["cat"]).unwrap();
    std::fs::write(dir.join("one.json"), r#"{"tmux_session":"one"}"#).unwrap();
    mark("one");
    let to = Action::Rename { to: "two".into() };
    act(&s.tmux, &dir, "one", &to).unwrap();
    assert!(!marked("one") && marked("two"));
    act(&s.tmux, &dir, "two", &Action::Kill).unwrap();
    assert!(!marked("two"));
    new(&s, "keeper", &["cat"]).unwrap();
    std::fs::write(dir.join("gone.json"), r#"{"tmux_session":"gone"}"#).unwrap();
    mark("gone");
    act(&s.tmux, &dir, "gone", &Action::Dismiss).unwrap();
    assert!(!marked("gone"));
}

/// A status file naming the server `s` runs, with the session's id there.
fn file_on(s: &Server, dir: &Path, name: &str) {
    let info = s
        .tmux
        .run(&[
            "display-message",
            "-p",
            "-t",
            &format!("={name}:"),
            "#{socket_path}\t#{pid}\t#{session_id}",
        ])
        .unwrap();
    let mut f = info.trim_end().split('\t');
    let (socket, pid, id) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
    let json = serde_json::json!({
        "tmux_session": name, "status": "waiting", "message": "", "cwd": "/", "timestamp": 1,
        "tmux": {"socket": socket, "server_pid": pid.parse::<i64>().unwrap(), "session_id": id},
    });
    std::fs::write(dir.join(format!("{name}.json")), json.to_string()).unwrap();
}

/// navi's own tmux (the default server here: a `-S` socket with no server) is not the
/// session's: every action goes to the server the status file names.
#[test]
fn actions_address_the_server_the_file_names() {
    let s = Server::start();
    let dir = s.status_dir();
    new(&s, "api", &["cat"]).unwrap();
    file_on(&s, &dir, "api");
    let elsewhere = tempfile::tempdir().unwrap();
    let navi = Tmux {
        argv: vec![
            "tmux".into(),
            "-S".into(),
            elsewhere.path().join("none").display().to_string(),
        ],
    };
    let ActionOutput::Text(_) = act(&navi, &dir, "api", &Action::Preview).unwrap() else {
        panic!("a preview")
    };
    let e = act(&navi, &dir, "api", &Action::Dismiss).unwrap_err();
    assert!(e.to_string().contains("still running"), "{e}");
    act(&navi, &dir, "api", &Action::Kill).unwrap();
    assert!(s.sessions().is_empty(), "killed on its own server");
    assert!(!dir.join("api.json").exists());
}

/// No tmux to ask: the session may well run, so dismiss refuses and says why; the
/// file and the marks stay.
#[test]
fn dismiss_is_refused_when_tmux_cannot_be_asked() {
    let s = Server::start();
    let dir = s.status_dir();
    std::fs::write(dir.join("api.json"), r#"{"tmux_session":"api"}"#).unwrap();
    act(
        &s.tmux,
        &dir,
        "api",
        &Action::Mark {
            ops: vec![navi_core::MarkOp::Bookmark(true)],
        },
    )
    .unwrap();
    let no_tmux = Tmux {
        argv: vec!["/nonexistent/tmux".into()],
    };
    for action in [Action::Dismiss, Action::Tidy] {
        let e = act(&no_tmux, &dir, "api", &action).unwrap_err();
        assert_eq!(e.kind(), "rejected", "{e}");
        assert!(
            e.to_string().contains("cannot tell whether it still runs"),
            "{e}"
        );
        assert!(e.to_string().contains("tmux"), "{e}");
    }
    assert!(dir.join("api.json").exists());
    assert!(dir.join(".navi/marks/api.json").exists());
}

/// Missing sessions fail with one message; names that are not names are refused before
/// anything runs; nothing outside the directory is touched.
#[test]
fn missing_sessions_and_bad_names_fail() {
    let s = Server::start();
    let dir = s.status_dir();
    new(&s, "api-2", &["cat"]).unwrap();
    for action in [
        Action::Preview,
        Action::Kill,
        Action::Send { text: "y".into() },
        Action::Rename { to: "z".into() },
    ] {
        let e = act(&s.tmux, &dir, "nothere", &action).unwrap_err();
        assert_eq!(e.to_string(), "no tmux session named nothere", "{action:?}");
        assert_eq!(e.kind(), "not-found");
    }
    for action in [
        Action::Dismiss,
        Action::Mark {
            ops: vec![navi_core::MarkOp::Bookmark(true)],
        },
    ] {
        let e = act(&s.tmux, &dir, "nothere", &action).unwrap_err();
        assert_eq!(e.kind(), "not-found", "{action:?}: {e}");
    }
    assert!(
        !dir.join(".navi/marks/nothere.json").exists(),
        "no orphan marks file"
    );
    let victim = s.dir.path().join("victim.json");
    std::fs::write(&victim, "{}").unwrap();
    for bad in ["../victim", "api-2.", "a/b", ".api"] {
        for action in [Action::Kill, Action::Dismiss, Action::Preview] {
            let e = act(&s.tmux, &dir, bad, &action).unwrap_err();
            assert_eq!(e.kind(), "rejected", "{bad}: {e}");
        }
    }
    assert!(victim.exists());
    assert_eq!(s.sessions(), ["api-2"], "`api-2.` never reached api-2");
}

/// `navi new` of a command that exits at once fails with its exit status and output,
/// and leaves no session.
#[test]
fn new_confirms_the_session_stays_up() {
    let s = Server::start();
    let e = new(
        &s,
        "quick",
        &["sh", "-c", "echo no claude here; sleep 0.05; exit 7"],
    )
    .unwrap_err();
    let text = e.to_string();
    // tmux now and then marks a pane dead without ever learning its exit status.
    assert!(
        text.contains("exit status 7") || text.contains("exit status not reported by tmux"),
        "{text}"
    );
    assert!(text.contains("no claude here"), "{text}");
    assert!(s.sessions().is_empty(), "{:?}", s.sessions());
    new(&s, "slow", &["cat"]).unwrap();
    let opt = s
        .tmux
        .run(&["show-options", "-w", "-t", "=slow:", "remain-on-exit"])
        .unwrap();
    assert!(
        !opt.contains("on"),
        "remain-on-exit is left as the user had it: {opt:?}"
    );
    for bad in ["a/b", "back\\x", "a$b", "#{host}"] {
        assert_eq!(
            new(&s, bad, &["cat"]).unwrap_err().kind(),
            "rejected",
            "{bad}"
        );
    }
}

/// The preview holds the 50 lines of scrollback above the screen (the Go navi's
/// `capture-pane -S -50`), not only what the 24-line screen shows.
#[test]
fn the_preview_holds_scrollback() {
    let s = Server::start();
    let dir = s.status_dir();
    new(
        &s,
        "long",
        &["sh", "-c", "seq 1 120; echo all-printed; exec cat"],
    )
    .unwrap();
    let mut text = String::new();
    for _ in 0..100 {
        text = match act(&s.tmux, &dir, "long", &Action::Preview).unwrap() {
            ActionOutput::Text(t) => t,
            other => panic!("{other:?}"),
        };
        if text.contains("all-printed") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"all-printed"), "{text}");
    // The screen is 24 lines: 120 is on it, 80 only in the scrollback.
    assert!(lines.contains(&"120") && lines.contains(&"80"), "{text}");
    assert!(
        lines.len() > 60 && !lines.contains(&"20"),
        "{} lines",
        lines.len()
    );
}

/// `d` (the Go navi's acknowledge): status back to working, message cleared, the rest
/// of the file kept; refused without a status file.
#[test]
fn acknowledge_rewrites_the_status_file_under_the_lock() {
    let s = Server::start();
    let dir = s.status_dir();
    let file = dir.join("api.json");
    std::fs::write(
        &file,
        r#"{"tmux_session":"api","status":"permission","message":"Allow Bash?","cwd":"/w","timestamp":5,"extra":1}"#,
    )
    .unwrap();
    let out = act(&s.tmux, &dir, "api", &Action::Acknowledge).unwrap();
    assert_eq!(out, ActionOutput::Done("acknowledged api".into()));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(
        (v["status"].as_str(), v["message"].as_str()),
        (Some("working"), Some(""))
    );
    assert_eq!(
        (v["cwd"].as_str(), v["extra"].as_i64()),
        (Some("/w"), Some(1))
    );
    assert!(v["timestamp"].as_i64().unwrap() > 5);
    let e = act(&s.tmux, &dir, "nothere", &Action::Acknowledge).unwrap_err();
    assert!(e.to_string().contains("no status file"), "{e}");
    std::fs::write(dir.join("bad.json"), "[1]").unwrap();
    let e = act(&s.tmux, &dir, "bad", &Action::Acknowledge).unwrap_err();
    assert!(e.to_string().contains("not a JSON object"), "{e}");
    assert_eq!(std::fs::read(dir.join("bad.json")).unwrap(), b"[1]");
}

/// Every ESC in `text` starts an SGR sequence (`ESC [ digits ; m`).
fn only_sgr(text: &str) -> bool {
    text.split('\u{1b}').skip(1).all(|rest| {
        rest.strip_prefix('[')
            .and_then(|r| r.split_once('m'))
            .is_some_and(|(p, _)| {
                p.chars()
                    .all(|c| c.is_ascii_digit() || c == ';' || c == ':')
            })
    }) && !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\u{1b}'))
}

/// The preview keeps the pane's colours (`capture-pane -e`), as SGR only: the
/// hyperlink tmux writes back (OSC 8), titles, clearing and the rest never reach navi's
/// terminal.
#[test]
fn the_preview_keeps_colours_as_sgr_only() {
    let s = Server::start();
    let dir = s.status_dir();
    let script = "printf '\\033[31mRED\\033[0m \\033]8;;http://x\\033\\\\link\\033]8;;\\033\\\\ \
                  \\033]0;evil\\007\\033[1;38;5;208mB\\033[0m\\n'; echo colours-done; exec cat";
    new(&s, "colours", &["sh", "-c", script]).unwrap();
    let mut text = String::new();
    for _ in 0..100 {
        text = match act(&s.tmux, &dir, "colours", &Action::Preview).unwrap() {
            ActionOutput::Text(t) => t,
            other => panic!("{other:?}"),
        };
        if text.contains("colours-done") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(text.contains("\u{1b}[31mRED"), "{text:?}");
    assert!(text.contains("208mB"), "{text:?}");
    assert!(text.contains("link"), "{text:?}");
    assert!(only_sgr(&text), "{text:?}");
    assert_eq!(
        navi_core::text::clean_pane(&text).lines().next(),
        Some("RED link B")
    );
}

/// A stand-in for Claude Code: prints `screen` (a permission dialog), then records the
/// one key it gets in `key` and clears its screen.
fn dialog_program(s: &Server, screen: &str) -> (Vec<String>, PathBuf) {
    let dir = s.dir.path();
    std::fs::write(dir.join("screen.txt"), screen).unwrap();
    let key = dir.join("key");
    let script = dir.join("dialog.sh");
    std::fs::write(
        &script,
        "cat \"$1\"; stty raw -echo; k=$(dd bs=1 count=1 2>/dev/null); \
         printf '%s' \"$k\" > \"$2\"; printf '\\033[2J\\033[Hanswered\\n'; exec cat\n",
    )
    .unwrap();
    let argv = [
        "sh".to_string(),
        script.display().to_string(),
        dir.join("screen.txt").display().to_string(),
        key.display().to_string(),
    ];
    (argv.to_vec(), key)
}

/// Waits (bounded) until the pane of `name` shows `text`.
fn wait_for(s: &Server, name: &str, text: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        last = s
            .tmux
            .run(&["capture-pane", "-p", "-J", "-t", &format!("={name}:")])
            .unwrap_or_default();
        if last.contains(text) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{name} never showed {text:?}:\n{last}");
}

const BASH: &str =
    include_str!("../../../navi-core/src/permission/fixtures/claude-2.1.197-bash.txt");
const FETCH: &str =
    include_str!("../../../navi-core/src/permission/fixtures/claude-2.1.197-webfetch.txt");

fn start_dialog(s: &Server, name: &str, screen: &str) -> PathBuf {
    let (argv, key) = dialog_program(s, screen);
    let mut args = vec!["new-session", "-d", "-s", name, "-x", "120", "-y", "40"];
    args.extend(argv.iter().map(String::as_str));
    s.tmux.run(&args).unwrap();
    wait_for(s, name, "Do you want");
    key
}

#[test]
fn answer_sends_the_key_only_while_the_dialog_is_on_the_screen() {
    use navi_core::permission::{recognise, Choice};
    let s = Server::start();
    let dir = s.status_dir();
    let key = start_dialog(&s, "dlg", BASH);
    let bash = recognise(BASH).unwrap().fingerprint();
    let fetch = recognise(FETCH).unwrap().fingerprint();
    // The screen shows another dialog than the one expected: refused, nothing typed.
    let answer = |expect: &str, choice| {
        act(
            &s.tmux,
            &dir,
            "dlg",
            &Action::Answer {
                choice,
                expect: expect.to_string(),
            },
        )
    };
    let e = answer(&fetch, Choice::Approve).unwrap_err().to_string();
    assert!(
        e.contains("no longer shows that dialog")
            && e.contains("another permission dialog: Bash command"),
        "{e}"
    );
    assert!(!key.exists(), "no key was sent");
    // Something that is not a dialog is refused before tmux is asked.
    let e = answer("hello", Choice::Approve).unwrap_err().to_string();
    assert!(e.contains("not a permission dialog"), "{e}");
    // The dialog shown: its "No" is 3, sent once.
    let done = answer(&bash, Choice::Deny).unwrap();
    assert_eq!(
        done,
        ActionOutput::Done(
            "denied dlg: Bash command: echo \"hello\" from 'navi' > out.txt · write a file \
             — Do you want to proceed? (sent 3)"
                .into()
        )
    );
    wait_for(&s, "dlg", "answered");
    assert_eq!(std::fs::read_to_string(&key).unwrap(), "3");
    // Again: the dialog is gone, so nothing more is sent.
    let e = answer(&bash, Choice::Approve).unwrap_err().to_string();
    assert!(
        e.contains("no permission dialog; its last lines: answered"),
        "{e}"
    );
}

#[test]
fn keys_are_sent_as_tmux_keys_and_bad_ones_refused() {
    let s = Server::start();
    let dir = s.status_dir();
    let got = s.dir.path().join("got");
    let script = format!(
        "stty raw -echo; printf 'ready\\n'; dd bs=1 count=4 of='{}' 2>/dev/null; printf 'done\\n'; exec cat",
        got.display()
    );
    s.tmux
        .run(&["new-session", "-d", "-s", "k", "sh", "-c", &script])
        .unwrap();
    wait_for(&s, "k", "ready");
    let keys = |k: &[&str]| {
        act(
            &s.tmux,
            &dir,
            "k",
            &Action::Keys {
                keys: k.iter().map(|k| k.to_string()).collect(),
            },
        )
    };
    let e = keys(&["Escape", "rm -rf"]).unwrap_err().to_string();
    assert!(e.contains("unknown key \"rm -rf\""), "{e}");
    assert_eq!(
        keys(&["Esc", "C-c", ";", "y"]).unwrap(),
        ActionOutput::Done("sent Escape C-c ; y to k".into())
    );
    wait_for(&s, "k", "done");
    assert_eq!(std::fs::read(&got).unwrap(), b"\x1b\x03;y");
}

/// A session whose program reads its terminal raw and keeps every byte in `out` (after
/// asking for bracketed paste when `bracketed`), ready once `out.ready` exists.
fn raw_reader(s: &Server, name: &str, bracketed: bool) -> PathBuf {
    let out = s.dir.path().join(format!("{name}.bytes"));
    let ask = if bracketed {
        "printf '\\033[?2004h'; "
    } else {
        ""
    };
    let script = format!(
        "stty raw -echo; {ask}: > '{out}.ready'; exec cat > '{out}'",
        out = out.display()
    );
    new(s, name, &["sh", "-c", &script]).unwrap();
    let ready = PathBuf::from(format!("{}.ready", out.display()));
    for _ in 0..500 {
        if ready.exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(ready.exists(), "the reader in {name} never started");
    out
}

/// The bytes of `out` once `n` Enters (CR) are in (bounded).
fn bytes_after_enters(out: &Path, n: usize) -> Vec<u8> {
    let mut got = Vec::new();
    for _ in 0..500 {
        got = std::fs::read(out).unwrap_or_default();
        if got.iter().filter(|&&b| b == b'\r').count() >= n {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    got
}

/// A send reaches the program as the text, then Enter as a key of its own: between
/// bracketed-paste markers when the program asked for them (Claude Code does; it then
/// cannot take the Enter for part of a paste), as plain text otherwise; two sends in a
/// row arrive in order, tmux's `;` at the end of a text is literal, and no paste buffer
/// is left behind.
#[test]
fn send_delivers_the_text_then_enter_in_order() {
    let s = Server::start();
    let dir = s.status_dir();
    let send = |name: &str, text: &str| {
        act(&s.tmux, &dir, name, &Action::Send { text: text.into() }).unwrap()
    };
    let out = raw_reader(&s, "bracketed", true);
    send("bracketed", "yes $(touch pwned) 'q';");
    send("bracketed", "two");
    assert_eq!(
        String::from_utf8_lossy(&bytes_after_enters(&out, 2)),
        "\u{1b}[200~yes $(touch pwned) 'q';\u{1b}[201~\r\u{1b}[200~two\u{1b}[201~\r"
    );
    let out = raw_reader(&s, "plain", false);
    send("plain", "one");
    send("plain", "two;");
    assert_eq!(
        String::from_utf8_lossy(&bytes_after_enters(&out, 2)),
        "one\rtwo;\r"
    );
    assert!(!s.dir.path().join("pwned").exists());
    let buffers = s
        .tmux
        .run(&["list-buffers", "-F", "#{buffer_name}"])
        .unwrap();
    assert!(!buffers.contains("navi-send"), "{buffers:?}");
}
