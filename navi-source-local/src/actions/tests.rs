//! Local actions against a private tmux server (`tmux -S` in a temp dir: never the
//! user's server).

use super::*;
use proptest::prelude::*;

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
    };
    let e = act(&s.tmux, &dir, "x", &bad_dir).unwrap_err();
    assert!(e.to_string().contains("no such directory"), "{e}");

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

    // An ended session's leftover file is dismissed.
    std::fs::write(dir.join("gone.json"), "{}").unwrap();
    act(&s.tmux, &dir, "gone", &Action::Dismiss).unwrap();
    assert!(!dir.join("gone.json").exists());
}

#[test]
fn a_prefix_never_stands_for_another_session() {
    let s = Server::start();
    let dir = s.status_dir();
    new(&s, "api-v2", &["cat"]).unwrap();
    let e = act(&s.tmux, &dir, "api", &Action::Kill).unwrap_err();
    assert!(e.to_string().contains("cannot kill api"), "{e}");
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
    mark("gone");
    act(&s.tmux, &dir, "gone", &Action::Dismiss).unwrap();
    assert!(!marked("gone"));
}
