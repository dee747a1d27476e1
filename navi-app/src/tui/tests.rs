//! The event loop, driven by fake inputs, snapshots and attach runners.

use super::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use navi_core::testing::session;
use navi_core::{Aggregator, DynSessionSource, MemorySource};
use ratatui::backend::TestBackend;
use std::cell::Cell;

struct FakeRunner {
    calls: Vec<AttachRequest>,
    /// Published while the "attach" runs, as the aggregator would.
    during: Option<(watch::Sender<Arc<Snapshot>>, Arc<Snapshot>)>,
}

impl AttachRunner for FakeRunner {
    async fn run(&mut self, req: &AttachRequest) -> Result<(), String> {
        self.calls.push(req.clone());
        if let Some((tx, snap)) = self.during.take() {
            let _ = tx.send(snap);
            // The user works in the session for a while (longer than the notifier's
            // window).
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        Err("exit status: 1".into())
    }
}

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

async fn snapshot_of(sources: &[DynSessionSource]) -> Arc<Snapshot> {
    let mut agg = Aggregator::new();
    for s in sources {
        agg.add_source(s.clone(), navi_core::testing::OPTIONS);
    }
    Arc::new(agg.poll_once().await)
}

#[tokio::test(start_paused = true)]
async fn keys_refresh_attach_and_quit_through_the_loop() {
    let local = Arc::new(MemorySource::new(
        None,
        vec![session("alpha", "working", 30), session("beta", "done", 20)],
    ));
    let sources: Vec<DynSessionSource> = vec![local.clone()];
    let first = snapshot_of(&sources).await;
    local.set(vec![
        session("alpha", "working", 30),
        session("beta", "done", 20),
        session("gamma", "done", 10),
    ]);
    let later = snapshot_of(&sources).await;

    let (snap_tx, snap_rx) = watch::channel(first);
    let (in_tx, in_rx) = mpsc::channel(16);
    for k in [
        key(KeyCode::Char('j')),
        key(KeyCode::Char('r')),
        key(KeyCode::Enter),
        key(KeyCode::Char('q')),
    ] {
        in_tx.send(k).await.unwrap();
    }
    let mut app = App::new(sources, AttachContext::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(80, 20)).unwrap();
    let mut runner = FakeRunner {
        calls: Vec::new(),
        during: Some((snap_tx.clone(), later)),
    };
    let refreshes = Cell::new(0);
    let refresh = || refreshes.set(refreshes.get() + 1);
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx,
        tick: TICK,
        notifications: None,
    };
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &refresh,
        &mut runner,
        std::future::pending(),
    )
    .await
    .unwrap();

    assert_eq!(refreshes.get(), 1);
    assert_eq!(runner.calls.len(), 1);
    assert_eq!(
        runner.calls[0].command.argv,
        ["tmux", "attach-session", "-t", "beta"]
    );
    // The snapshot published during the attach is shown afterwards.
    assert_eq!(app.model.len(), 3);
    assert_eq!(app.model.selected_session().unwrap().tmux_session, "beta");
    let msg = app.ui.message.clone().unwrap();
    assert!(
        msg.text.contains("attach to beta failed: exit status: 1"),
        "{msg:?}"
    );
    drop(snap_tx);
}

#[tokio::test(start_paused = true)]
async fn a_session_needing_you_during_an_attach_is_announced_once_off_screen() {
    let local = Arc::new(MemorySource::new(
        None,
        vec![session("alpha", "working", 30), session("beta", "done", 20)],
    ));
    let sources: Vec<DynSessionSource> = vec![local.clone()];
    let first = snapshot_of(&sources).await;
    local.set(vec![
        session("alpha", "permission", 30),
        session("beta", "done", 20),
    ]);
    let later = snapshot_of(&sources).await;
    let (snap_tx, snap_rx) = watch::channel(first);
    let (in_tx, in_rx) = mpsc::channel(16);
    for k in [
        key(KeyCode::Char('j')),
        key(KeyCode::Enter),
        key(KeyCode::Char('q')),
    ] {
        in_tx.send(k).await.unwrap();
    }
    let mut app = App::new(sources, AttachContext::default(), false);
    let (wiring, screen, launcher) = crate::notify::fake_wiring(true);
    let notifier =
        crate::notify::Notifier::new(&crate::notify::settings::NotifySettings::default(), wiring);
    let notifications = notifier.spawn(snap_rx.clone(), app.mute_switch());
    let mut terminal = Terminal::new(TestBackend::new(80, 20)).unwrap();
    let mut runner = FakeRunner {
        calls: Vec::new(),
        during: Some((snap_tx.clone(), later)),
    };
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx,
        tick: TICK,
        notifications: Some(notifications),
    };
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &|| {},
        &mut runner,
        std::future::pending(),
    )
    .await
    .unwrap();
    assert_eq!(runner.calls.len(), 1);
    let programs: Vec<String> = launcher
        .taken()
        .into_iter()
        .map(|(argv, _)| argv.join(" "))
        .collect();
    assert_eq!(
        programs,
        [
            "notify-send --app-name=navi -- navi alpha needs permission",
            "tmux display-message navi: alpha needs permission"
        ]
    );
    // Back on the dashboard: the title says so; no bell, no OSC (already told); the
    // title comes back as the loop ends.
    assert_eq!(
        screen.take(),
        b"\x1b[22;0t\x1b]2;navi\x07\x1b]2;navi (1 needs you)\x07\x1b[23;0t"
    );
    drop(snap_tx);
}

#[tokio::test(start_paused = true)]
async fn a_notice_rings_on_the_dashboard_between_frames() {
    let sources: Vec<DynSessionSource> = vec![Arc::new(MemorySource::new(
        None,
        vec![session("alpha", "working", 30)],
    ))];
    let first = snapshot_of(&sources).await;
    let (snap_tx, snap_rx) = watch::channel(first.clone());
    let (_in_tx, in_rx) = mpsc::channel::<Event>(1);
    let mut app = App::new(sources, AttachContext::default(), false);
    let (wiring, screen, launcher) = crate::notify::fake_wiring(false);
    let notifications =
        crate::notify::Notifier::new(&crate::notify::settings::NotifySettings::default(), wiring)
            .spawn(snap_rx.clone(), app.mute_switch());
    let mut asks = Snapshot::clone(&first);
    let mut alpha = navi_core::SessionInfo::clone(&asks.sessions[0]);
    alpha.status = navi_core::Status::Waiting;
    asks.sessions = vec![Arc::new(alpha)];
    let feeder = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        snap_tx.send_replace(Arc::new(asks));
        tokio::time::sleep(Duration::from_secs(10)).await;
    });
    let mut terminal = Terminal::new(TestBackend::new(80, 20)).unwrap();
    let mut runner = FakeRunner {
        calls: Vec::new(),
        during: None,
    };
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx,
        tick: TICK,
        notifications: Some(notifications),
    };
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &|| {},
        &mut runner,
        tokio::time::sleep(Duration::from_secs(2)),
    )
    .await
    .unwrap();
    feeder.abort();
    let bytes = screen.take();
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(
        text,
        "\x1b[22;0t\x1b]2;navi\x07\x1b]2;navi (1 needs you)\x07\x07\
         \x1b]777;notify;navi;alpha is waiting for you\x07\x1b[23;0t",
        "the title at once, the bell and the terminal's notification once the window passed"
    );
    assert_eq!(launcher.taken().len(), 1, "notify-send");
}

#[tokio::test(start_paused = true)]
async fn loop_ends_on_shutdown_and_on_closed_input() {
    let (_snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (_in_tx, in_rx) = mpsc::channel::<Event>(1);
    let mut app = App::new(Vec::new(), AttachContext::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(40, 10)).unwrap();
    let mut runner = FakeRunner {
        calls: Vec::new(),
        during: None,
    };
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx.clone(),
        tick: TICK,
        notifications: None,
    };
    // Shutdown after a few ticks: the loop keeps redrawing until then.
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &|| {},
        &mut runner,
        tokio::time::sleep(Duration::from_secs(3)),
    )
    .await
    .unwrap();
    assert!(runner.calls.is_empty());

    let (in_tx, in_rx) = mpsc::channel::<Event>(1);
    drop(in_tx);
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx,
        tick: TICK,
        notifications: None,
    };
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &|| {},
        &mut runner,
        std::future::pending(),
    )
    .await
    .unwrap();
    let buf = terminal.backend().buffer();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(text.contains("navi"), "the dashboard was drawn");
}

/// Runs the loop for `until` (paused clock) while `sends` are published at their offsets;
/// returns the frames drawn and the last screen.
async fn frames_with(
    first: Arc<Snapshot>,
    sends: Vec<(Duration, Arc<Snapshot>)>,
    until: Duration,
) -> (u64, String) {
    let (snap_tx, snap_rx) = watch::channel(first);
    let (_in_tx, in_rx) = mpsc::channel::<Event>(1);
    let mut app = App::new(Vec::new(), AttachContext::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut runner = FakeRunner {
        calls: Vec::new(),
        during: None,
    };
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx,
        tick: TICK,
        notifications: None,
    };
    let start = tokio::time::Instant::now();
    let feeder = tokio::spawn(async move {
        for (at, snap) in sends {
            tokio::time::sleep_until(start + at).await;
            let _ = snap_tx.send(snap);
        }
        // The aggregator stays: a closed channel would be a change of its own.
        tokio::time::sleep(until * 2).await;
    });
    let shutdown = tokio::time::sleep(until);
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &|| {},
        &mut runner,
        shutdown,
    )
    .await
    .unwrap();
    feeder.abort();
    let buf = terminal.backend().buffer();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    (app.ui.frames, text)
}

fn with_generation(s: &Snapshot, generation: u64) -> Arc<Snapshot> {
    Arc::new(Snapshot {
        generation,
        ..s.clone()
    })
}

#[tokio::test(start_paused = true)]
async fn snapshots_with_nothing_new_draw_nothing() {
    let local = Arc::new(MemorySource::new(
        None,
        vec![session("alpha", "working", 30)],
    ));
    let sources: Vec<DynSessionSource> = vec![local];
    let first = snapshot_of(&sources).await;
    let until = Duration::from_millis(1500);
    let (quiet, _) = frames_with(first.clone(), Vec::new(), until).await;
    // The first frame, then the one-second tick (ages move on).
    assert_eq!(quiet, 2);
    let same: Vec<_> = (1..=10u64)
        .map(|i| {
            let at = Duration::from_millis(90 * i);
            (at, with_generation(&first, first.generation + i))
        })
        .collect();
    let (frames, _) = frames_with(first, same, until).await;
    assert_eq!(frames, quiet, "identical snapshots cost no frame");
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_snapshots_is_folded_into_one_or_two_frames() {
    let local = Arc::new(MemorySource::new(
        None,
        vec![session("alpha", "working", 30)],
    ));
    let sources: Vec<DynSessionSource> = vec![local.clone()];
    let first = snapshot_of(&sources).await;
    let mut burst = Vec::new();
    let mut names = vec![session("alpha", "working", 30)];
    for i in 0..10u64 {
        names.push(session(&format!("s{i}"), "working", 40 + i as i64));
        local.set(names.clone());
        let at = Duration::from_millis(300 + 9 * i);
        burst.push((at, snapshot_of(&sources).await));
    }
    // Before the first tick: only the first frame and the burst's.
    let until = Duration::from_millis(700);
    let (quiet, _) = frames_with(first.clone(), Vec::new(), until).await;
    assert_eq!(quiet, 1);
    let (frames, text) = frames_with(first, burst, until).await;
    assert!(
        (1..=2).contains(&(frames - quiet)),
        "{frames} frames for a burst"
    );
    assert!(text.contains("s9"), "the last snapshot is on screen");
}

#[tokio::test(start_paused = true)]
async fn keys_draw_at_once() {
    let (_snap_tx, snap_rx) = watch::channel(Arc::new(Snapshot::default()));
    let (in_tx, in_rx) = mpsc::channel::<Event>(8);
    let mut app = App::new(Vec::new(), AttachContext::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut runner = FakeRunner {
        calls: Vec::new(),
        during: None,
    };
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx,
        tick: TICK,
        notifications: None,
    };
    // Three keys within a few milliseconds: each one's frame is drawn (user-paced).
    for k in ['?', '?', 'M'] {
        in_tx.send(key(KeyCode::Char(k))).await.unwrap();
    }
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &|| {},
        &mut runner,
        tokio::time::sleep(Duration::from_millis(50)),
    )
    .await
    .unwrap();
    assert_eq!(app.ui.frames, 4);
    assert_eq!(app.ui.overlay, crate::app::Overlay::Sources);
}

/// The attach's existence check runs off the loop's thread and is bounded: a check that
/// never answers is stopped with its children and counts as "cannot tell" (the attach
/// then goes ahead and says why); a quick one answers yes or no.
#[tokio::test]
async fn the_attach_check_is_bounded() {
    let argv = |s: &str| vec!["sh".to_string(), "-c".into(), s.into()];
    let limit = Duration::from_millis(200);
    assert_eq!(
        run_check_within(&argv("exit 0"), limit * 50).await,
        Some(true)
    );
    assert_eq!(
        run_check_within(&argv("exit 1"), limit * 50).await,
        Some(false)
    );
    assert_eq!(
        run_check_within(&argv("sleep 30 & wait"), limit).await,
        None
    );
    assert_eq!(run_check_within(&[], limit).await, None);
}

/// A source whose pane says `screen`, and whose `changes` permits are pane changes.
#[derive(Debug)]
struct LivePane {
    inner: MemorySource,
    screen: std::sync::Mutex<String>,
    changes: tokio::sync::Semaphore,
}

#[async_trait::async_trait]
impl navi_core::SessionSource for LivePane {
    fn label(&self) -> Option<&str> {
        self.inner.label()
    }
    async fn poll_report(&self) -> Result<navi_core::PollReport, navi_core::SourceError> {
        self.inner.poll_report().await
    }
    fn attach(
        &self,
        s: &navi_core::SessionInfo,
        ctx: &AttachContext,
    ) -> Result<navi_core::AttachCommand, navi_core::SourceError> {
        self.inner.attach(s, ctx)
    }
    fn supports(&self) -> navi_core::Capabilities {
        navi_core::Capabilities::ALL
    }
    async fn act(
        &self,
        _session: &str,
        _action: &navi_core::Action,
    ) -> Result<navi_core::ActionOutput, navi_core::SourceError> {
        Ok(navi_core::ActionOutput::Text(
            self.screen.lock().unwrap().clone(),
        ))
    }
    async fn wait_pane_change(&self, _session: &str) -> navi_core::PaneChange {
        if let Ok(permit) = self.changes.acquire().await {
            permit.forget();
        }
        navi_core::PaneChange::Changed
    }
}

/// Through the loop: a pane change is on the preview long before the timer would have
/// refreshed it.
#[tokio::test(start_paused = true)]
async fn the_preview_follows_its_pane_through_the_loop() {
    let source = Arc::new(LivePane {
        inner: MemorySource::new(None, vec![session("alpha", "working", 30)]),
        screen: std::sync::Mutex::new("screen 1".into()),
        changes: tokio::sync::Semaphore::new(0),
    });
    let sources: Vec<DynSessionSource> = vec![source.clone()];
    let (_snap_tx, snap_rx) = watch::channel(snapshot_of(&sources).await);
    let (in_tx, in_rx) = mpsc::channel(16);
    let mut app = App::new(sources, AttachContext::default(), false);
    let mut terminal = Terminal::new(TestBackend::new(80, 20)).unwrap();
    let mut runner = FakeRunner {
        calls: Vec::new(),
        during: None,
    };
    let events = Events {
        inputs: in_rx,
        snapshots: snap_rx,
        tick: TICK,
        notifications: None,
    };
    let driver = {
        let source = source.clone();
        tokio::spawn(async move {
            in_tx.send(key(KeyCode::Char('p'))).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            *source.screen.lock().unwrap() = "screen 2".into();
            source.changes.add_permits(1);
            // Well within PREVIEW_EVERY (1 s): only the change can have refreshed it.
            tokio::time::sleep(Duration::from_millis(100)).await;
            in_tx.send(key(KeyCode::Char('q'))).await.unwrap();
        })
    };
    run_loop(
        &mut terminal,
        &mut app,
        events,
        &|| {},
        &mut runner,
        std::future::pending(),
    )
    .await
    .unwrap();
    driver.await.unwrap();
    assert_eq!(app.ui.preview.text, "screen 2");
}
