//! The git dialog's decisions: what it asks and when, gh here by --repo for a remote
//! whose gh cannot be used, its keys and its viewer.

use std::sync::Mutex;
use std::time::Duration;

use super::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use navi_core::git::{GitReport, PrStatus};
use navi_core::testing::session;
use navi_core::{
    Action, ActionOutput, Aggregator, Capabilities, MemorySource, PollReport, SessionSource,
};

/// A remote whose git answers a report and whose gh answers `pr`.
#[derive(Debug)]
struct Repo {
    inner: MemorySource,
    pr: PrStatus,
    asked: Mutex<Vec<Action>>,
}

#[async_trait::async_trait]
impl SessionSource for Repo {
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
    async fn act(&self, _: &str, action: &Action) -> Result<ActionOutput, navi_core::SourceError> {
        self.asked.lock().unwrap().push(action.clone());
        Ok(match action {
            Action::Git { .. } => ActionOutput::Git(Box::new(GitReport {
                branch: Some("feature/dialog".into()),
                changed: 1,
                remote_url: Some("git@github.com:navi-dev/navi.git".into()),
                ..GitReport::default()
            })),
            Action::PullRequest { .. } => ActionOutput::Pr(Box::new(self.pr.clone())),
            Action::Diff { .. } => {
                ActionOutput::Text("\u{1b}[31m-a\u{1b}[m\n\u{1b}[32m+b\u{1b}[m".into())
            }
            _ => ActionOutput::Done("done".into()),
        })
    }
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

async fn app(pr: PrStatus) -> (App, Arc<Repo>) {
    let mut s = session("api", "working", 10);
    s.cwd = "/w/navi".into();
    let dev = Arc::new(Repo {
        inner: MemorySource::new(Some("dev"), vec![s]),
        pr,
        asked: Mutex::new(Vec::new()),
    });
    let sources: Vec<DynSessionSource> =
        vec![Arc::new(MemorySource::new(None, vec![])), dev.clone()];
    let mut agg = Aggregator::new();
    for s in &sources {
        agg.add_source(s.clone(), navi_core::testing::OPTIONS);
    }
    let snap = agg.poll_once().await;
    let mut app = App::new(sources, AttachContext::default(), false);
    app.on_snapshot(Arc::new(snap));
    (app, dev)
}

/// Runs an action effect on its source and hands the result back.
async fn run(app: &mut App, effect: Effect) -> Effect {
    match effect {
        Effect::Act(req) => {
            let result = req.source.act(&req.session, &req.action).await;
            app.on_act_result(&req, result)
        }
        other => other,
    }
}

#[tokio::test(start_paused = true)]
async fn g_asks_git_then_gh_there_and_again_every_30_s() {
    let pr = navi_core::git::parse_pr_json(navi_core::fixtures::GH_PR_VIEW.as_bytes()).unwrap();
    let (mut app, dev) = app(PrStatus::Found(Box::new(pr))).await;
    let e = app.on_key(&key('G'));
    assert!(matches!(&e, Effect::Act(r) if r.action == Action::Git { cwd: "/w/navi".into() }));
    let e = run(&mut app, e).await;
    assert!(
        matches!(&e, Effect::Act(r) if r.action == Action::PullRequest { cwd: "/w/navi".into() })
    );
    assert_eq!(
        run(&mut app, e).await,
        Effect::None,
        "gh answered there: nothing asked here"
    );
    let d = app.ui.git.as_ref().unwrap();
    assert_eq!(d.pull_request().unwrap().number, 57);
    assert!(!d.in_flight);
    assert_eq!(app.git_tick(), Effect::None);
    tokio::time::advance(GIT_EVERY - Duration::from_secs(1)).await;
    assert_eq!(app.git_tick(), Effect::None, "not before 30 s");
    tokio::time::advance(Duration::from_secs(1)).await;
    let e = app.git_tick();
    assert!(matches!(&e, Effect::Act(r) if matches!(r.action, Action::Git { .. })));
    assert_eq!(app.git_tick(), Effect::None, "one request at a time");
    let e = run(&mut app, e).await;
    run(&mut app, e).await;
    assert_eq!(dev.asked.lock().unwrap().len(), 4, "git and gh again");

    // c: the comments; j scrolls, Esc back to the dialog, Esc closes it.
    app.on_key(&key('c'));
    let v = app.ui.git.as_ref().unwrap().view.clone().unwrap();
    assert!(v.title.starts_with("comments: #57"), "{}", v.title);
    assert!(
        v.lines.iter().any(|l| l.contains("Done in 3f2c1ab")),
        "{:?}",
        v.lines
    );
    app.ui.git.as_mut().unwrap().view.as_mut().unwrap().page = 2;
    app.on_key(&key('j'));
    assert_eq!(
        app.ui.git.as_ref().unwrap().view.as_ref().unwrap().scroll,
        1
    );
    app.on_key(&key('G'));
    let v = app.ui.git.as_ref().unwrap().view.clone().unwrap();
    assert_eq!(
        v.scroll,
        v.lines.len() - 2,
        "G: the bottom, not a new dialog"
    );
    let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
    app.on_key(&esc);
    assert!(app.ui.git.as_ref().unwrap().view.is_none());
    assert_eq!(app.ui.overlay, Overlay::Git);

    // o: the browser, on this machine.
    assert_eq!(
        app.on_key(&key('o')),
        Effect::Local(LocalJob::Open(
            "https://github.com/navi-dev/navi/pull/57".into()
        ))
    );
    app.on_local_done(LocalDone::Opened(Err(
        "cannot open the browser: xdg-open is not installed on this machine".into(),
    )));
    let note = app.ui.git.as_ref().unwrap().note.clone().unwrap();
    assert_eq!(note.0, Level::Error);
    assert!(note.1.contains("xdg-open is not installed"));

    // d: the diff in the viewer.
    let e = app.on_key(&key('d'));
    assert!(matches!(&e, Effect::Act(r) if matches!(r.action, Action::Diff { .. })));
    run(&mut app, e).await;
    let v = app.ui.git.as_ref().unwrap().view.clone().unwrap();
    assert_eq!(v.title, "diff: feature/dialog");
    assert_eq!(v.lines.len(), 2);
    app.on_key(&esc);
    app.on_key(&esc);
    assert!(app.ui.git.is_none() && app.ui.overlay == Overlay::None);
    // Closed: no more asking, and a late answer changes nothing.
    tokio::time::advance(GIT_EVERY * 2).await;
    assert_eq!(app.git_tick(), Effect::None);
}

#[tokio::test]
async fn a_remote_without_usable_gh_asks_gh_here_by_repo() {
    for there in [
        PrStatus::Missing("gh is not installed on dev".into()),
        PrStatus::LoggedOut("gh is not logged in on dev (gh auth login)".into()),
    ] {
        let (mut app, _) = app(there.clone()).await;
        let e = app.on_key(&key('G'));
        let e = run(&mut app, e).await;
        let e = run(&mut app, e).await;
        assert_eq!(
            e,
            Effect::Local(LocalJob::PrHere {
                of: (Some("dev".into()), "api".into()),
                repo: "github.com/navi-dev/navi".into(),
                branch: "feature/dialog".into(),
            })
        );
        app.on_local_done(LocalDone::PrHere(
            (Some("dev".into()), "api".into()),
            PrStatus::Missing("gh is not installed here".into()),
        ));
        let d = app.ui.git.as_ref().unwrap();
        assert_eq!(
            d.pr_lines(),
            [there.line().unwrap(), "gh is not installed here"]
        );
        assert!(matches!(d.report, Some(Ok(_))), "the git part stays");
        // No PR: c and o say so.
        app.on_key(&key('o'));
        assert_eq!(
            app.ui.git.as_ref().unwrap().note.as_ref().unwrap().1,
            "no pull request to open"
        );
    }
    // gh failing there is its answer: not asked again here.
    let (mut app, _) = app(PrStatus::Failed("gh on dev failed: boom".into())).await;
    let e = app.on_key(&key('G'));
    let e = run(&mut app, e).await;
    assert_eq!(run(&mut app, e).await, Effect::None);
    assert_eq!(
        app.ui.git.as_ref().unwrap().pr_lines(),
        ["gh on dev failed: boom"]
    );
}
