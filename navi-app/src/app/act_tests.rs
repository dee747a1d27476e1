//! The dashboard's actions: prompts, the preview pane, results.

use std::sync::Mutex;
use std::time::Duration;

use navi_core::limits::PREVIEW_EVERY;

use super::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use navi_core::testing::session;
use navi_core::{
    Action, ActionOutput, Aggregator, Capabilities, MarkOp, MemorySource, PollReport, SessionSource,
};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// A source that supports every action and records them.
#[derive(Debug)]
struct Acting {
    inner: MemorySource,
    done: Mutex<Vec<(String, Action)>>,
    /// What a preview shows (else a line naming the session).
    pane: Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl SessionSource for Acting {
    fn label(&self) -> Option<&str> {
        self.inner.label()
    }
    async fn poll_report(&self) -> Result<PollReport, navi_core::SourceError> {
        self.inner.poll_report().await
    }
    fn attach(
        &self,
        s: &SessionInfo,
        ctx: &AttachContext,
    ) -> Result<AttachCommand, navi_core::SourceError> {
        self.inner.attach(s, ctx)
    }
    fn supports(&self) -> Capabilities {
        Capabilities::ALL
    }
    async fn act(
        &self,
        session: &str,
        action: &Action,
    ) -> Result<ActionOutput, navi_core::SourceError> {
        self.done
            .lock()
            .unwrap()
            .push((session.to_string(), action.clone()));
        Ok(match action {
            Action::Preview => ActionOutput::Text(
                self.pane
                    .lock()
                    .unwrap()
                    .clone()
                    .unwrap_or_else(|| format!("screen of {session}\nDo you want to proceed?")),
            ),
            other => ActionOutput::Done(format!("{} done", other.name())),
        })
    }
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

async fn app() -> (App, Arc<Acting>) {
    let dev = Arc::new(Acting {
        inner: MemorySource::new(Some("dev"), vec![session("api", "permission", 10)]),
        done: Mutex::new(Vec::new()),
        pane: Mutex::new(None),
    });
    let local = Arc::new(MemorySource::new(None, vec![]));
    let sources: Vec<DynSessionSource> = vec![local, dev.clone()];
    let mut agg = Aggregator::new();
    for s in &sources {
        agg.add_source(s.clone(), navi_core::testing::OPTIONS);
    }
    let snap = agg.poll_once().await;
    let mut app = App::new(sources, AttachContext::default(), false);
    app.on_snapshot(Arc::new(snap));
    (app, dev)
}

async fn run(app: &mut App, effect: Effect) -> Effect {
    match effect {
        Effect::Act(req) => {
            let result = req.source.act(&req.session, &req.action).await;
            app.on_act_result(&req, result)
        }
        other => other,
    }
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        assert_eq!(app.on_key(&key(KeyCode::Char(c))), Effect::None);
    }
}

#[tokio::test]
async fn rename_send_kill_and_dismiss_through_prompts() {
    let (mut app, dev) = app().await;
    // R: the prompt starts with the current name.
    assert_eq!(app.on_key(&key(KeyCode::Char('R'))), Effect::None);
    assert_eq!(app.mode(), Mode::Prompt);
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "api");
    type_text(&mut app, "-2");
    let e = app.on_key(&key(KeyCode::Enter));
    assert_eq!(
        run(&mut app, e).await,
        Effect::Refresh,
        "the source polls again at once"
    );
    assert_eq!(app.ui.message.as_ref().unwrap().text, "rename done");

    // a: a line typed into the session (keys that mean something in the list are text).
    app.on_key(&key(KeyCode::Char('a')));
    type_text(&mut app, "yes, q and x");
    let e = app.on_key(&key(KeyCode::Enter));
    run(&mut app, e).await;

    // x asks; anything but y keeps the session.
    app.on_key(&key(KeyCode::Char('x')));
    assert!(app
        .ui
        .prompt
        .as_ref()
        .unwrap()
        .question()
        .contains("kill api [dev]?"));
    assert_eq!(app.on_key(&key(KeyCode::Char('n'))), Effect::None);
    assert_eq!(app.ui.message.as_ref().unwrap().text, "not killed");
    app.on_key(&key(KeyCode::Char('x')));
    let e = app.on_key(&key(KeyCode::Char('y')));
    run(&mut app, e).await;
    let e = app.on_key(&key(KeyCode::Char('D')));
    run(&mut app, e).await;

    let done = dev.done.lock().unwrap().clone();
    assert_eq!(
        done,
        [
            ("api".to_string(), Action::Rename { to: "api-2".into() }),
            (
                "api".to_string(),
                Action::Send {
                    text: "yes, q and x".into()
                }
            ),
            ("api".to_string(), Action::Kill),
            ("api".to_string(), Action::Dismiss),
        ]
    );
}

#[tokio::test]
async fn new_asks_name_then_directory_and_rejects_bad_names() {
    let (mut app, dev) = app().await;
    assert_eq!(
        app.on_key(&key(KeyCode::Char('n'))),
        Effect::None,
        "no search: n is new"
    );
    assert!(app
        .ui
        .prompt
        .as_ref()
        .unwrap()
        .question()
        .contains("new session on dev"));
    type_text(&mut app, "a.b");
    app.on_key(&key(KeyCode::Enter));
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("turns `.` into `_`"));
    assert_eq!(app.mode(), Mode::Prompt, "the prompt stays to fix the name");
    app.on_key(&key(KeyCode::Backspace));
    app.on_key(&key(KeyCode::Backspace));
    type_text(&mut app, "-c");
    app.on_key(&key(KeyCode::Enter));
    assert_eq!(
        app.ui.prompt.as_ref().unwrap().input,
        "~",
        "on a remote the directory defaults to its home"
    );
    // Typing replaces the suggestion (no `~~/work`).
    type_text(&mut app, "~/work");
    // Tab toggles the Go navi's skip-permissions switch.
    app.on_key(&key(KeyCode::Tab));
    let question = app.ui.prompt.as_ref().unwrap().question();
    assert!(question.contains("[x] skip permissions"), "{question}");
    app.on_key(&key(KeyCode::Tab));
    app.on_key(&key(KeyCode::Tab));
    app.on_key(&key(KeyCode::Enter));
    // Then the command, `claude` unless changed (the switch carries over).
    let prompt = app.ui.prompt.clone().unwrap();
    assert_eq!(prompt.input, "claude");
    assert!(
        prompt.question().contains("[x] skip permissions"),
        "{}",
        prompt.question()
    );
    // Then the first prompt (Enter: none).
    assert_eq!(app.on_key(&key(KeyCode::Enter)), Effect::None);
    assert!(app
        .ui
        .prompt
        .as_ref()
        .unwrap()
        .question()
        .contains("first prompt"));
    let e = app.on_key(&key(KeyCode::Enter));
    run(&mut app, e).await;
    let done = dev.done.lock().unwrap().clone();
    assert_eq!(
        done,
        [(
            "a-c".to_string(),
            Action::New {
                dir: "~/work".into(),
                command: vec!["claude --dangerously-skip-permissions".into()],
                create_dir: false,
            }
        )]
    );
    // Esc cancels a prompt.
    app.on_key(&key(KeyCode::Char('n')));
    app.on_key(&key(KeyCode::Esc));
    assert_eq!(app.mode(), Mode::List);
}

#[tokio::test]
async fn the_preview_pane_shows_the_sessions_screen() {
    let (mut app, _) = app().await;
    let e = app.on_key(&key(KeyCode::Char('p')));
    assert!(matches!(&e, Effect::Act(r) if r.action == Action::Preview));
    run(&mut app, e).await;
    assert_eq!(
        app.preview_tick(),
        Effect::None,
        "not again within a second"
    );
    let mut terminal = Terminal::new(TestBackend::new(100, 20)).unwrap();
    terminal
        .draw(|f| crate::ui::draw(f, &app.model, &mut app.ui))
        .unwrap();
    let text: String = terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(text.contains("api [dev]"), "pane titled");
    assert!(text.contains("Do you want to proceed?"), "{text}");
    app.on_key(&key(KeyCode::Char('p')));
    assert!(!app.ui.preview.visible);
}

#[tokio::test(start_paused = true)]
async fn rows_of_ended_sessions_are_dismissed_after_the_grace_unless_kept() {
    let mut gone = session("gone", "waiting", 10);
    gone.liveness = navi_core::Liveness::Ended;
    // tmux could not be asked about this one: it is never cleaned up, however long.
    let mut unsure = session("unsure", "permission", 10);
    unsure.liveness = navi_core::Liveness::Unknown("tmux: not found".into());
    let rows = vec![gone, unsure, session("live", "idle", 5)];
    let dev = Arc::new(Acting {
        inner: MemorySource::new(Some("dev"), rows),
        done: Mutex::new(Vec::new()),
        pane: Mutex::new(None),
    });
    let sources: Vec<DynSessionSource> = vec![dev.clone()];
    let mut agg = Aggregator::new();
    agg.add_source(dev.clone(), navi_core::testing::OPTIONS);
    let snap = Arc::new(agg.poll_once().await);
    for keep in [false, true] {
        let mut app = App::new(sources.clone(), AttachContext::default(), false);
        app.ended.keep = keep;
        app.on_snapshot(snap.clone());
        assert_eq!(app.tidy_ended(), Effect::None, "not before the grace");
        tokio::time::advance(navi_core::limits::ENDED_GRACE).await;
        app.on_snapshot(snap.clone());
        match (keep, app.tidy_ended()) {
            (false, Effect::Act(req)) => {
                assert_eq!((req.session.as_str(), &req.action), ("gone", &Action::Tidy));
                assert_eq!(app.tidy_ended(), Effect::None, "asked once");
                tokio::time::advance(navi_core::limits::ENDED_GRACE * 10).await;
                app.on_snapshot(snap.clone());
                assert_eq!(app.tidy_ended(), Effect::None, "unknown rows stay");
            }
            (true, Effect::None) => {}
            (keep, other) => panic!("keep {keep}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn b_bookmarks_t_edits_tags_and_capital_b_shows_only_bookmarked() {
    let (mut app, dev) = app().await;
    let e = app.on_key(&key(KeyCode::Char('b')));
    run(&mut app, e).await;
    app.on_key(&key(KeyCode::Char('t')));
    assert_eq!(app.mode(), Mode::Prompt);
    type_text(&mut app, &"x".repeat(33));
    assert_eq!(app.on_key(&key(KeyCode::Enter)), Effect::None);
    assert!(app.ui.message.as_ref().unwrap().text.contains("at most 32"));
    assert_eq!(app.mode(), Mode::Prompt, "the prompt stays for a fix");
    for _ in 0..33 {
        app.on_key(&key(KeyCode::Backspace));
    }
    type_text(&mut app, "wip #review");
    let e = app.on_key(&key(KeyCode::Enter));
    run(&mut app, e).await;
    let done = dev.done.lock().unwrap().clone();
    let mark = |ops: Vec<MarkOp>| ("api".to_string(), Action::Mark { ops });
    assert_eq!(
        done,
        [
            mark(vec![MarkOp::Bookmark(true)]),
            mark(vec![
                MarkOp::AddTag("wip".into()),
                MarkOp::AddTag("review".into())
            ]),
        ]
    );
    // Nothing is bookmarked in the (unchanged) memory source: B hides every row.
    app.on_key(&key(KeyCode::Char('B')));
    assert_eq!(app.model.len(), 0);
    app.on_key(&key(KeyCode::Esc));
    assert_eq!(app.model.len(), 1);
}

/// The clean-up end to end, against a real tmux server on a private socket while the
/// dashboard's own tmux reaches none (a dashboard started outside tmux, the sessions on
/// `tmux -L work`): the session killed on its recorded server is cleaned once, after the
/// grace, its marks kept; the live one and a Go hook's file (no server recorded, none
/// reachable: unknown) are never touched.
#[tokio::test]
async fn a_session_killed_on_its_own_server_is_cleaned_once_and_nothing_else() {
    let home = tempfile::tempdir().unwrap();
    let (status, empty) = (home.path().join("status"), home.path().join("empty"));
    std::fs::create_dir_all(&status).unwrap();
    std::fs::create_dir_all(&empty).unwrap();
    let socket = home.path().join("work").display().to_string();
    let tmux = |args: &[&str]| {
        let out = std::process::Command::new("tmux")
            .arg("-S")
            .arg(&socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    struct Kill<F: Fn(&[&str]) -> String>(F);
    impl<F: Fn(&[&str]) -> String> Drop for Kill<F> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    for name in ["keep", "gone"] {
        tmux(&["new-session", "-d", "-s", name, "cat"]);
        let place = tmux(&[
            "display-message",
            "-p",
            "-t",
            &format!("={name}:"),
            "#{pid} #{session_id}",
        ]);
        let (pid, id) = place.trim().split_once(' ').unwrap();
        let json = serde_json::json!({
            "tmux_session": name, "status": "permission", "message": "", "cwd": "/",
            "timestamp": 1,
            "tmux": {"socket": &socket, "server_pid": pid.parse::<i64>().unwrap(), "session_id": id},
        });
        std::fs::write(status.join(format!("{name}.json")), json.to_string()).unwrap();
    }
    let _server = Kill(tmux);
    std::fs::write(status.join("legacy.json"), r#"{"status":"waiting"}"#).unwrap();
    let local = navi_source_local::LocalSource::new(&status)
        .with_tmux(vec![
            "tmux".into(),
            "-S".into(),
            empty.join("none").display().to_string(),
        ])
        .with_tmux_check();
    local
        .act(
            "gone",
            &Action::Mark {
                ops: vec![MarkOp::Bookmark(true)],
            },
        )
        .await
        .unwrap();
    std::process::Command::new("tmux")
        .args(["-S", &socket, "kill-session", "-t", "=gone"])
        .status()
        .unwrap();
    let local: DynSessionSource = Arc::new(local);
    let mut agg = Aggregator::new();
    agg.add_source(local.clone(), navi_source_local::LocalSource::OPTIONS);
    let snap = Arc::new(agg.poll_once().await);
    let liveness: Vec<_> = snap
        .sessions
        .iter()
        .map(|s| (s.tmux_session.as_str(), s.liveness.as_str()))
        .collect();
    assert!(liveness.contains(&("gone", "ended")), "{liveness:?}");
    assert!(liveness.contains(&("keep", "live")), "{liveness:?}");
    assert!(liveness.contains(&("legacy", "unknown")), "{liveness:?}");

    tokio::time::pause();
    let mut app = App::new(vec![local.clone()], AttachContext::default(), false);
    app.on_snapshot(snap.clone());
    assert_eq!(app.tidy_ended(), Effect::None, "not before the grace");
    tokio::time::advance(navi_core::limits::ENDED_GRACE).await;
    app.on_snapshot(snap.clone());
    let Effect::Act(req) = app.tidy_ended() else {
        panic!("the ended row is due")
    };
    assert_eq!((req.session.as_str(), &req.action), ("gone", &Action::Tidy));
    tokio::time::resume();
    req.source.act(&req.session, &req.action).await.unwrap();
    tokio::time::pause();
    tokio::time::advance(navi_core::limits::ENDED_GRACE * 10).await;
    app.on_snapshot(snap.clone());
    assert_eq!(
        app.tidy_ended(),
        Effect::None,
        "once, and nothing else is due"
    );
    assert!(!status.join("gone.json").exists());
    assert!(status.join(".navi/marks/gone.json").exists(), "marks stay");
    assert!(status.join("keep.json").exists() && status.join("legacy.json").exists());
}

/// `d` is the Go navi's acknowledge, run by the session's own source (a remote here);
/// `D` dismisses an ended row; `n` suggests a directory that typing replaces, and a
/// failed `new` opens its prompt again with what was typed.
#[tokio::test]
async fn d_acknowledges_through_the_source_and_new_keeps_its_fields() {
    let (mut app, dev) = app().await;
    let e = app.on_key(&key(KeyCode::Char('d')));
    match &e {
        Effect::Act(req) => assert_eq!(
            (req.session.as_str(), &req.action, req.source.label()),
            ("api", &Action::Acknowledge, Some("dev"))
        ),
        other => panic!("{other:?}"),
    }
    run(&mut app, e).await;
    assert_eq!(
        dev.done.lock().unwrap().last().cloned(),
        Some(("api".to_string(), Action::Acknowledge))
    );
    // A failed new: the prompt is back with the name, then the directory and command.
    app.on_key(&key(KeyCode::Char('n')));
    type_text(&mut app, "web");
    app.on_key(&key(KeyCode::Enter));
    type_text(&mut app, "/nope");
    app.on_key(&key(KeyCode::Enter));
    app.on_key(&key(KeyCode::Enter));
    let Some(Effect::Act(req)) = Some(app.on_key(&key(KeyCode::Enter))) else {
        panic!("no request")
    };
    let failed = Err(navi_core::SourceError::Other("no directory /nope".into()));
    app.on_act_result(&req, failed);
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("no directory /nope"));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "web");
    app.on_key(&key(KeyCode::Enter));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "/nope");
    app.on_key(&key(KeyCode::Enter));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "claude");
}

/// `n` into a directory that does not exist: navi asks whether to create it; `y`
/// sends the same new with `create_dir`, any other key reopens the prompt with every
/// field kept.
#[tokio::test]
async fn new_offers_to_create_a_missing_directory_and_keeps_the_inputs() {
    let (mut app, _dev) = app().await;
    let submit = |app: &mut App| -> ActRequest {
        app.on_key(&key(KeyCode::Char('n')));
        type_text(app, "web");
        app.on_key(&key(KeyCode::Enter));
        type_text(app, "~/new/place");
        app.on_key(&key(KeyCode::Enter));
        app.on_key(&key(KeyCode::Enter));
        match app.on_key(&key(KeyCode::Enter)) {
            Effect::Act(req) => req,
            other => panic!("{other:?}"),
        }
    };
    let missing = || {
        Err(navi_core::SourceError::Rejected(
            "no such directory: ~/new/place".into(),
        ))
    };
    let req = submit(&mut app);
    assert_eq!(req.source.label(), Some("dev"));
    app.on_act_result(&req, missing());
    let question = app.ui.prompt.as_ref().unwrap().question();
    assert_eq!(
        question,
        "~/new/place does not exist on dev: create it and start web there? [y/N] "
    );
    let mut t = Terminal::new(TestBackend::new(120, 24)).unwrap();
    t.draw(|f| crate::ui::draw(f, &app.model, &mut app.ui))
        .unwrap();
    let footer: String = (0..120)
        .map(|x| t.backend().buffer()[(x, 23)].symbol())
        .collect();
    assert!(
        footer.contains("create it and start web there? [y/N]"),
        "{footer}"
    );

    // No: the prompt again, with the name, the directory and the command as typed.
    app.on_key(&key(KeyCode::Char('n')));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "web");
    app.on_key(&key(KeyCode::Enter));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "~/new/place");
    app.on_key(&key(KeyCode::Enter));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "claude");
    app.on_key(&key(KeyCode::Enter));
    let Effect::Act(req) = app.on_key(&key(KeyCode::Enter)) else {
        panic!("no request")
    };
    app.on_act_result(&req, missing());

    // Yes: the same new, creating the directory.
    let Effect::Act(req) = app.on_key(&key(KeyCode::Char('y'))) else {
        panic!("y sends the new")
    };
    assert_eq!(req.session, "web");
    assert_eq!(
        req.action,
        Action::New {
            dir: "~/new/place".into(),
            command: vec!["claude".into()],
            create_dir: true,
        }
    );
    // Creating it failed too: no second offer, the prompt with the inputs.
    app.on_act_result(&req, missing());
    assert_eq!(app.ui.prompt.as_ref().unwrap().kind, PromptKind::NewName);
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "web");
}

/// A pane of Claude Code 2.1.197 asking to run a Bash command.
const DIALOG: &str =
    include_str!("../../../navi-core/src/permission/fixtures/claude-2.1.197-bash.txt");

#[tokio::test]
async fn approve_reads_the_pane_shows_the_dialog_and_sends_only_after_yes() {
    let (mut app, dev) = app().await;
    *dev.pane.lock().unwrap() = Some(DIALOG.to_string());
    // y: the pane is read first; nothing is answered yet.
    let read = app.on_key(&key(KeyCode::Char('y')));
    let Effect::Act(req) = &read else {
        panic!("{read:?}")
    };
    assert_eq!(req.action, Action::Preview);
    assert_eq!(run(&mut app, read).await, Effect::None);
    let question = app.ui.prompt.as_ref().unwrap().question();
    assert!(
        question.starts_with(
            "approve api [dev]: Bash command: echo \"hello\" from 'navi' > out.txt · write a file \
             — Do you want to proceed? → 1. Yes"
        ),
        "{question}"
    );
    // Anything but y: nothing is sent.
    app.on_key(&key(KeyCode::Char('n')));
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("nothing was sent"));
    // X, then y: the answer carries the dialog's fingerprint.
    let read = app.on_key(&key(KeyCode::Char('X')));
    run(&mut app, read).await;
    let e = app.on_key(&key(KeyCode::Char('y')));
    run(&mut app, e).await;
    let done = dev.done.lock().unwrap().clone();
    let expect = navi_core::permission::recognise(DIALOG)
        .unwrap()
        .fingerprint();
    assert_eq!(
        done.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>(),
        [
            Action::Preview,
            Action::Preview,
            Action::Answer {
                choice: navi_core::permission::Choice::Deny,
                expect
            }
        ]
    );
    // A pane without a dialog: refused with what it shows, no prompt.
    *dev.pane.lock().unwrap() = Some("$ make\nok\n".into());
    let read = app.on_key(&key(KeyCode::Char('Y')));
    run(&mut app, read).await;
    assert!(app.ui.prompt.is_none());
    let text = app.ui.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains("shows no permission dialog") && text.contains("$ make | ok"),
        "{text}"
    );
    assert_eq!(dev.done.lock().unwrap().len(), 4, "only the pane was read");
}

#[tokio::test]
async fn keys_prompt_sends_allowed_keys_and_echoes_them() {
    let (mut app, dev) = app().await;
    app.on_key(&key(KeyCode::Char('K')));
    type_text(&mut app, "Esc Up nope");
    assert_eq!(app.on_key(&key(KeyCode::Enter)), Effect::None);
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("unknown key \"nope\""));
    for _ in 0..5 {
        app.on_key(&key(KeyCode::Backspace));
    }
    type_text(&mut app, " C-c");
    let e = app.on_key(&key(KeyCode::Enter));
    run(&mut app, e).await;
    assert_eq!(
        dev.done.lock().unwrap().last().cloned(),
        Some((
            "api".to_string(),
            Action::Keys {
                keys: vec!["Escape".into(), "Up".into(), "C-c".into()]
            }
        ))
    );
    // What the source says it sent is echoed.
    assert_eq!(app.ui.message.as_ref().unwrap().text, "send keys to done");
}

#[tokio::test]
async fn resume_starts_claude_resume_for_an_ended_row_only() {
    let mut ended = session("old", "offline", 5);
    ended.cwd = "/w/old".into();
    ended.session_id = Some("0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21".into());
    let dev = Arc::new(Acting {
        inner: MemorySource::new(Some("dev"), vec![ended, session("api", "working", 10)]),
        done: Mutex::new(Vec::new()),
        pane: Mutex::new(None),
    });
    let sources: Vec<DynSessionSource> = vec![dev.clone()];
    let mut agg = Aggregator::new();
    agg.add_source(dev.clone(), navi_core::testing::OPTIONS);
    let mut app = App::new(sources, AttachContext::default(), false);
    app.on_snapshot(Arc::new(agg.poll_once().await));
    app.model.select_index(0);
    assert_eq!(app.model.selected_session().unwrap().tmux_session, "api");
    assert_eq!(app.on_key(&key(KeyCode::Char('u'))), Effect::None);
    assert!(app
        .ui
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("has not ended"));
    app.model.select_index(1);
    let e = app.on_key(&key(KeyCode::Char('u')));
    run(&mut app, e).await;
    assert_eq!(
        dev.done.lock().unwrap().clone(),
        [(
            // Its tmux session still runs (a memory source knows no tmux): a new name.
            "old-resumed".to_string(),
            Action::New {
                dir: "/w/old".into(),
                command: vec![
                    "claude".into(),
                    "--resume".into(),
                    "0b5c2a6e-1f2d-4c3b-9a8e-7d6c5b4a3f21".into()
                ],
                create_dir: false
            }
        )]
    );
}

#[tokio::test]
async fn new_passes_a_first_prompt_as_one_argument() {
    let (mut app, dev) = app().await;
    app.on_key(&key(KeyCode::Char('n')));
    type_text(&mut app, "web");
    app.on_key(&key(KeyCode::Enter));
    app.on_key(&key(KeyCode::Enter));
    app.on_key(&key(KeyCode::Enter));
    type_text(&mut app, "fix the 'bug'; then $HOME");
    let e = app.on_key(&key(KeyCode::Enter));
    run(&mut app, e).await;
    assert_eq!(
        dev.done.lock().unwrap().last().cloned().unwrap().1,
        Action::New {
            dir: "~".into(),
            command: vec!["claude".into(), "fix the 'bug'; then $HOME".into()],
            create_dir: false
        }
    );
}

#[tokio::test]
async fn new_chooses_the_agent_with_up_down_and_gives_it_the_prompt_its_way() {
    let (mut app, dev) = app().await;
    app.on_key(&key(KeyCode::Char('n')));
    type_text(&mut app, "g");
    app.on_key(&key(KeyCode::Enter));
    app.on_key(&key(KeyCode::Enter));
    let p = app.ui.prompt.clone().unwrap();
    assert_eq!(p.input, "claude");
    assert!(p.question().contains("Up/Down agent"), "{}", p.question());
    // Down: codex, gemini; Up goes back; past the last comes the first.
    app.on_key(&key(KeyCode::Down));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "codex");
    app.on_key(&key(KeyCode::Down));
    app.on_key(&key(KeyCode::Down));
    app.on_key(&key(KeyCode::Down));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "claude");
    app.on_key(&key(KeyCode::Up));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "opencode");
    app.on_key(&key(KeyCode::Up));
    assert_eq!(app.ui.prompt.as_ref().unwrap().input, "gemini");
    // Skip permissions is Claude Code's: refused for Gemini CLI, the prompt stays.
    app.on_key(&key(KeyCode::Tab));
    app.on_key(&key(KeyCode::Enter));
    let m = app.ui.message.clone().unwrap().text;
    assert!(m.contains("Gemini CLI does not take"), "{m}");
    app.on_key(&key(KeyCode::Tab));
    app.on_key(&key(KeyCode::Enter));
    let q = app.ui.prompt.as_ref().unwrap().question();
    assert!(q.contains("first prompt for Gemini CLI"), "{q}");
    type_text(&mut app, "fix the tests");
    let e = app.on_key(&key(KeyCode::Enter));
    run(&mut app, e).await;
    let done = dev.done.lock().unwrap().clone();
    assert_eq!(
        done,
        [(
            "g".to_string(),
            Action::New {
                dir: "~".into(),
                command: vec![
                    "gemini".into(),
                    "--prompt-interactive".into(),
                    "fix the tests".into()
                ],
                create_dir: false,
            }
        )]
    );
}

#[tokio::test]
async fn approve_refuses_another_agents_prompt_naming_the_agent() {
    let mut cx = session("web", "permission", 10);
    cx.agent = Some("codex".into());
    let mut helped = session("api", "working", 10);
    helped.agents =
        serde_json::from_str(r#"{"opencode":{"status":"permission","timestamp":10}}"#).ok();
    let dev = Arc::new(Acting {
        inner: MemorySource::new(Some("dev"), vec![cx, helped]),
        done: Mutex::new(Vec::new()),
        pane: Mutex::new(None),
    });
    let sources: Vec<DynSessionSource> = vec![dev.clone()];
    let mut agg = Aggregator::new();
    agg.add_source(dev.clone(), navi_core::testing::OPTIONS);
    let snap = agg.poll_once().await;
    let mut app = App::new(sources, AttachContext::default(), false);
    app.on_snapshot(Arc::new(snap));
    for (row, agent) in [("web", "Codex"), ("api", "OpenCode")] {
        let at = app
            .model
            .rows()
            .position(|s| s.tmux_session == row)
            .unwrap();
        app.model.select_index(at);
        for k in ['y', 'Y', 'X'] {
            assert_eq!(
                app.on_key(&key(KeyCode::Char(k))),
                Effect::None,
                "{row} {k}"
            );
            let m = app.ui.message.clone().unwrap();
            assert_eq!(m.level, Level::Error);
            assert!(
                m.text.contains(&format!("the prompt is {agent}'s")),
                "{}",
                m.text
            );
            assert!(m.text.contains("only Claude Code's"), "{}", m.text);
            assert_ne!(app.mode(), Mode::Prompt);
        }
    }
    assert!(
        dev.done.lock().unwrap().is_empty(),
        "no pane read, no key sent"
    );
}

/// [`Acting`] whose panes report their changes: each permit is one change; with
/// `follows` false it cannot follow panes.
#[derive(Debug)]
struct Following {
    acting: Acting,
    changes: tokio::sync::Semaphore,
    follows: bool,
}

#[async_trait::async_trait]
impl SessionSource for Following {
    fn label(&self) -> Option<&str> {
        self.acting.label()
    }
    async fn poll_report(&self) -> Result<PollReport, navi_core::SourceError> {
        self.acting.poll_report().await
    }
    fn attach(
        &self,
        s: &SessionInfo,
        ctx: &AttachContext,
    ) -> Result<AttachCommand, navi_core::SourceError> {
        self.acting.attach(s, ctx)
    }
    fn supports(&self) -> Capabilities {
        Capabilities::ALL
    }
    async fn act(
        &self,
        session: &str,
        action: &Action,
    ) -> Result<ActionOutput, navi_core::SourceError> {
        self.acting.act(session, action).await
    }
    async fn wait_pane_change(&self, _session: &str) -> navi_core::PaneChange {
        if !self.follows {
            return navi_core::PaneChange::Unsupported;
        }
        match self.changes.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => std::future::pending().await,
        }
        navi_core::PaneChange::Changed
    }
}

async fn following_app(follows: bool) -> (App, Arc<Following>) {
    let dev = Arc::new(Following {
        acting: Acting {
            inner: MemorySource::new(Some("dev"), vec![session("api", "working", 10)]),
            done: Mutex::new(Vec::new()),
            pane: Mutex::new(Some("screen 1".into())),
        },
        changes: tokio::sync::Semaphore::new(0),
        follows,
    });
    let sources: Vec<DynSessionSource> = vec![dev.clone()];
    let mut agg = Aggregator::new();
    agg.add_source(dev.clone(), navi_core::testing::OPTIONS);
    let snap = agg.poll_once().await;
    let mut app = App::new(sources, AttachContext::default(), false);
    app.on_snapshot(Arc::new(snap));
    (app, dev)
}

/// A pane change is captured at once, not at the next timer tick; one that comes while a
/// capture runs is captured right after it; followed, the timer stays off.
#[tokio::test(start_paused = true)]
async fn the_preview_follows_a_pane_change_without_the_timer() {
    let (mut app, dev) = following_app(true).await;
    let e = app.on_key(&key(KeyCode::Char('p')));
    run(&mut app, e).await;
    assert_eq!(app.ui.preview.text, "screen 1");
    let follow = app.pane_to_follow().expect("a shown preview is followed");
    assert_eq!(follow.key, (Some("dev".to_string()), "api".to_string()));

    *dev.acting.pane.lock().unwrap() = Some("screen 2".into());
    dev.changes.add_permits(1);
    let change = follow.source.wait_pane_change(&follow.key.1).await;
    assert_eq!(app.preview_tick(), Effect::None, "the timer is not due");
    let e = app.on_pane_change(follow.key.clone(), change);
    assert!(
        matches!(&e, Effect::Act(r) if r.action == Action::Preview),
        "{e:?}"
    );
    run(&mut app, e).await;
    assert_eq!(app.ui.preview.text, "screen 2");

    // A change during a capture: captured again once it returns.
    tokio::time::advance(Duration::from_millis(60)).await;
    let e = app.on_pane_change(follow.key.clone(), navi_core::PaneChange::Changed);
    let Effect::Act(req) = e else {
        panic!("a capture: {e:?}")
    };
    assert_eq!(
        app.on_pane_change(follow.key.clone(), navi_core::PaneChange::Changed),
        Effect::None,
        "coalesced with the capture that runs"
    );
    *dev.acting.pane.lock().unwrap() = Some("screen 3".into());
    let result = req.source.act(&req.session, &req.action).await;
    let again = app.on_act_result(&req, result);
    assert!(
        matches!(&again, Effect::Act(r) if r.action == Action::Preview),
        "{again:?}"
    );
    run(&mut app, again).await;
    assert_eq!(app.ui.preview.text, "screen 3");

    // Followed: no timer refresh.
    tokio::time::advance(PREVIEW_EVERY * 3).await;
    assert_eq!(app.preview_tick(), Effect::None);

    // Closed: nothing to follow.
    app.on_key(&key(KeyCode::Char('p')));
    assert!(app.pane_to_follow().is_none());
}

/// A source that cannot follow panes leaves the preview on its timer.
#[tokio::test(start_paused = true)]
async fn a_source_that_cannot_follow_panes_keeps_the_timer() {
    let (mut app, _dev) = following_app(false).await;
    let e = app.on_key(&key(KeyCode::Char('p')));
    run(&mut app, e).await;
    let follow = app.pane_to_follow().unwrap();
    let change = follow.source.wait_pane_change(&follow.key.1).await;
    assert_eq!(change, navi_core::PaneChange::Unsupported);
    assert_eq!(app.on_pane_change(follow.key, change), Effect::None);
    assert!(app.pane_to_follow().is_none(), "not waited on again");
    assert_eq!(app.preview_tick(), Effect::None);
    tokio::time::advance(PREVIEW_EVERY).await;
    assert!(matches!(app.preview_tick(), Effect::Act(r) if r.action == Action::Preview));
}
