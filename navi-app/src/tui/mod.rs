//! The dashboard: terminal setup and restore, the event loop, and attach.

use std::future::Future;
use std::io::{self, IsTerminal as _};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{Event, MouseEventKind};
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen};
use navi_core::{AttachContext, Deadline, Snapshot};
use ratatui::backend::{Backend, CrosstermBackend};
use ratatui::Terminal;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior};

use crate::app::{ActRequest, App, AttachRequest, Effect};
use crate::event::{AppEvent, InputReader};
use crate::notify::Notifications;
use crate::sources::SourceSet;
use crate::ui;
use navi_core::limits::ATTACH_CHECK;
pub use navi_core::limits::TICK;

mod pacer;
use pacer::Pacer;

/// Runs an attach command in the foreground, with the terminal.
pub trait AttachRunner {
    /// Runs `req` and waits for it: `Ok` when it exited successfully, `Err` with a
    /// message for the status line otherwise.
    fn run(&mut self, req: &AttachRequest) -> impl Future<Output = Result<(), String>>;
}

/// Where the event loop's events come from.
#[derive(Debug)]
pub struct Events {
    /// Terminal events; the loop ends when this closes.
    pub inputs: mpsc::Receiver<Event>,
    /// The aggregator's snapshots.
    pub snapshots: watch::Receiver<Arc<Snapshot>>,
    /// Redraw interval.
    pub tick: Duration,
    /// The notifier's screen end: bell, the terminal's notification, the title (`None`:
    /// the demo, tests).
    pub notifications: Option<Notifications>,
}

/// The event loop: waits for one [`AppEvent`], handles it, draws when something
/// visible changed ([`Pacer`]), until quit or until `shutdown` completes. Snapshots come
/// from the aggregator's channel; the loop never polls a source itself.
pub async fn run_loop<B, R>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    mut events: Events,
    refresh: &dyn Fn(),
    runner: &mut R,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    R: AttachRunner,
{
    app.on_snapshot(events.snapshots.borrow_and_update().clone());
    show_title(&mut events.notifications, app);
    // The first frame is drawn at once; the first tick one interval later.
    let mut tick = tokio::time::interval_at(Instant::now() + events.tick, events.tick);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tokio::pin!(shutdown);
    let mut snapshots_open = true;
    let mut pacer = Pacer::new();
    // Actions run in the background; their results come back here.
    let (done_tx, mut done) = mpsc::unbounded_channel::<ActDone>();
    // Jobs on this machine (the git dialog's gh by --repo, the browser) likewise.
    let (local_tx, mut local) = mpsc::unbounded_channel::<crate::app::LocalDone>();
    // The previewed pane's changes, from the task that waits on its source.
    let (pane_tx, mut panes) = mpsc::unbounded_channel::<PaneDone>();
    let mut following = Following::default();
    loop {
        following.follow(app.pane_to_follow(), &pane_tx);
        draw_if_due(terminal, app, &mut pacer)?;
        let next_frame = pacer.next_frame();
        let event = tokio::select! {
            input = events.inputs.recv() => input.map_or(AppEvent::Quit, AppEvent::Input),
            changed = events.snapshots.changed(), if snapshots_open => match changed {
                Ok(()) => AppEvent::Snapshot(events.snapshots.borrow_and_update().clone()),
                Err(_) => {
                    snapshots_open = false;
                    AppEvent::Tick
                }
            },
            Some((req, result)) = done.recv() => AppEvent::ActDone(req, result),
            Some(finished) = local.recv() => AppEvent::LocalDone(finished),
            Some((key, change)) = panes.recv() => AppEvent::PaneChange(key, change),
            notice = next_notice(&mut events.notifications) => AppEvent::Notice(notice),
            _ = tick.tick() => AppEvent::Tick,
            () = tokio::time::sleep_until(next_frame.unwrap_or_else(Instant::now)),
                if next_frame.is_some() => AppEvent::Frame,
            () = &mut shutdown => AppEvent::Quit,
        };
        if let (AppEvent::Notice(notice), Some(n)) = (&event, &mut events.notifications) {
            // Between two frames: the only moment the terminal is navi's to write to.
            n.show(notice);
        }
        let Some(effect) = handle(app, event, &mut pacer) else {
            return Ok(());
        };
        show_title(&mut events.notifications, app);
        match effect {
            Effect::None => {}
            Effect::Quit => return Ok(()),
            Effect::Refresh => refresh(),
            Effect::Act(req) => spawn_action(req, &done_tx),
            Effect::Local(job) => spawn_local(job, &local_tx),
            Effect::PlaySound(argv) => play(&argv),
            Effect::Sound(io) => {
                if let Effect::PlaySound(argv) = crate::app::perform_sound_io(app, io) {
                    play(&argv);
                }
            }
            Effect::Attach(req) => {
                let screen = &mut events.notifications;
                attach(terminal, app, &req, runner, &mut events.snapshots, screen).await?;
                show_title(&mut events.notifications, app);
                pacer.changed_now();
            }
        }
        // A visible preview follows the selection and refreshes about once a second.
        if let Effect::Act(req) = app.preview_tick() {
            spawn_action(req, &done_tx);
        }
        // An open git dialog asks again every 30 s.
        if let Effect::Act(req) = app.git_tick() {
            spawn_action(req, &done_tx);
        }
        // Rows of ended tmux sessions go after a grace (unless keep_ended_rows).
        if let Effect::Act(req) = app.tidy_ended() {
            spawn_action(req, &done_tx);
        }
    }
}

/// A previewed pane's change: the session and what its source said.
type PaneDone = (crate::app::PaneKey, navi_core::PaneChange);

/// The task that waits for the previewed pane's changes; aborted when the pane to follow
/// changes (the selection moved, the preview closed) and when the loop ends.
#[derive(Default)]
struct Following {
    task: Option<(crate::app::PaneKey, tokio::task::JoinHandle<()>)>,
}

impl Following {
    /// Waits on `want`'s source from now on (nothing to do when it already does).
    fn follow(
        &mut self,
        want: Option<crate::app::PaneFollow>,
        done: &mpsc::UnboundedSender<PaneDone>,
    ) {
        if self.task.as_ref().map(|t| &t.0) == want.as_ref().map(|w| &w.key) {
            return;
        }
        if let Some((_, task)) = self.task.take() {
            task.abort();
        }
        let Some(want) = want else {
            return;
        };
        let (done, key) = (done.clone(), want.key.clone());
        let task = tokio::spawn(async move {
            loop {
                let change = want.source.wait_pane_change(&want.key.1).await;
                if done.send((want.key.clone(), change)).is_err()
                    || change == navi_core::PaneChange::Unsupported
                {
                    return;
                }
            }
        });
        self.task = Some((key, task));
    }
}

impl Drop for Following {
    fn drop(&mut self) {
        if let Some((_, task)) = self.task.take() {
            task.abort();
        }
    }
}

/// The next notice for the screen channels; never, without a notifier.
async fn next_notice(notifications: &mut Option<Notifications>) -> navi_core::events::Notice {
    match notifications {
        Some(n) => n.next().await,
        None => std::future::pending().await,
    }
}

/// The title follows the sessions that need the user (written only when that changes).
fn show_title(notifications: &mut Option<Notifications>, app: &App) {
    if let Some(n) = notifications {
        n.title(app.model.counts().attention);
    }
}

/// Draws a frame when one is owed and the frame cap allows it.
fn draw_if_due<B>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    pacer: &mut Pacer,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
{
    let now = Instant::now();
    if !pacer.due(now) {
        return Ok(());
    }
    app.ui.tick();
    terminal
        .draw(|frame| ui::draw(frame, &app.model, &mut app.ui))
        .context("cannot draw the dashboard")?;
    pacer.drawn(now);
    Ok(())
}

/// Hands one event to the app and tells `pacer` whether the screen changed; `None`
/// when the loop must end.
fn handle(app: &mut App, event: AppEvent, pacer: &mut Pacer) -> Option<Effect> {
    let effect = match event {
        AppEvent::Input(Event::Key(key)) => {
            pacer.changed_now();
            app.on_key(&key)
        }
        AppEvent::Input(Event::Mouse(m)) => {
            // The pointer moving over the list changes nothing on screen.
            if !matches!(m.kind, MouseEventKind::Moved | MouseEventKind::Drag(_)) {
                pacer.changed_now();
            }
            app.on_mouse(m.kind, m.row);
            Effect::None
        }
        AppEvent::Input(Event::Resize(..)) => {
            pacer.changed_now();
            Effect::None
        }
        // A notice was shown by the loop itself (the screen channels are not the app's).
        AppEvent::Input(_) | AppEvent::Frame | AppEvent::Notice(_) => Effect::None,
        // Ages and data ages move on.
        AppEvent::Tick => {
            pacer.changed();
            Effect::None
        }
        AppEvent::Snapshot(snapshot) => {
            let message = app.ui.message.clone();
            if !pacer::same_content(app.model.snapshot(), &snapshot) {
                pacer.changed();
            }
            app.on_snapshot(snapshot);
            if app.ui.message != message {
                pacer.changed();
            }
            Effect::None
        }
        AppEvent::ActDone(req, result) => {
            pacer.changed();
            app.on_act_result(&req, result)
        }
        AppEvent::LocalDone(finished) => {
            pacer.changed();
            app.on_local_done(finished);
            Effect::None
        }
        AppEvent::PaneChange(key, change) => app.on_pane_change(key, change),
        AppEvent::Quit => return None,
    };
    Some(effect)
}

/// Runs an attach in the foreground (the dashboard suspended); the notifier keeps
/// announcing sessions that need the user meanwhile through the channels that need no
/// screen, and the dashboard shows where the aggregator is afterwards.
async fn attach<B, R>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    req: &AttachRequest,
    runner: &mut R,
    snapshots: &mut watch::Receiver<Arc<Snapshot>>,
    notifications: &mut Option<Notifications>,
) -> anyhow::Result<()>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    R: AttachRunner,
{
    tracing::info!(argv = ?req.command.argv, stale = req.stale, "attach");
    if let Some(n) = notifications.as_mut() {
        n.leave_screen();
    }
    let result = runner.run(req).await;
    if let Some(n) = notifications.as_mut() {
        n.back_on_screen();
    }
    if let Err(e) = &result {
        tracing::warn!(argv = ?req.command.argv, "attach failed: {e}");
    }
    terminal.clear().context("cannot redraw after attach")?;
    app.on_attach_result(req, result);
    // The aggregator kept running: show where it is now.
    app.on_snapshot(snapshots.borrow_and_update().clone());
    Ok(())
}

/// An action's request and result.
type ActDone = (
    ActRequest,
    Result<navi_core::ActionOutput, navi_core::SourceError>,
);

/// Runs `req` on its source in the background; the result goes to `done`.
fn spawn_action(req: ActRequest, done: &mpsc::UnboundedSender<ActDone>) {
    tracing::info!(action = req.action.name(), session = %req.label, "action");
    let done = done.clone();
    tokio::spawn(async move {
        let deadline = navi_core::Deadline::after(navi_core::limits::ACTION);
        let result =
            navi_core::bounded_act(&*req.source, &req.session, &req.action, deadline).await;
        if let Err(e) = &result {
            tracing::warn!(action = req.action.name(), session = %req.label, "action failed: {e}");
        }
        let _ = done.send((req, result));
    });
}

/// Runs a job on this machine in the background; the result goes to `done`.
fn spawn_local(job: crate::app::LocalJob, done: &mpsc::UnboundedSender<crate::app::LocalDone>) {
    tracing::info!(?job, "local job");
    let done = done.clone();
    tokio::spawn(async move {
        let _ = done.send(crate::app::perform_local(job).await);
    });
}

/// Opens the dashboard over `set` and runs it until the user quits.
pub async fn run(mut set: SourceSet, settings: crate::config::Loaded) -> anyhow::Result<()> {
    if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal (stdin and stdout); use `navi list` or \
             `navi list --json` in scripts"
        );
    }
    let mut aggregator = set.aggregator();
    for _ in 0..set.warm_up_polls {
        aggregator.poll_once().await;
    }
    let handle = aggregator.spawn();
    let ctx = AttachContext {
        inside_tmux: std::env::var_os("TMUX").is_some(),
    };
    let mut app = App::new(handle.sources().to_vec(), ctx, set.demo);
    app.ui.sessions_dir = set.sessions_dir.display().to_string();
    if let Ok(paths) = crate::cmd::sound::SoundPaths::default_paths() {
        app.set_sound_paths(paths);
    }
    app.ui.sources_dirs = set
        .remotes
        .iter()
        .map(|r| (Some(r.name.clone()), r.sessions_dir.clone()))
        .collect();
    if let Some(file) = &set.remotes_file {
        app.ui.remotes_file = file.display().to_string();
    }
    set.add_settings_errors(settings.errors);
    // The notifier and the summary publisher follow the aggregator on their own (not in
    // the demo), unless `navi watch` (or another dashboard) already does: see
    // crate::lease. The publisher's file goes when it is dropped: on quit, on an error
    // below, and while unwinding from a panic.
    let mut notifications = None;
    let mut _background = None;
    if !set.demo {
        let (mut wiring, sounds_problem) = crate::notify::Wiring::real();
        wiring.pack = Some(app.pack_switch());
        if let Some((file, message)) = sounds_problem {
            set.add_settings_errors([crate::notify::sounds_problem(file, message)]);
        }
        let (n, background) = crate::background::start(
            &handle,
            &settings.settings.notify,
            wiring,
            app.mute_switch(),
            crate::lease::Role::Dashboard,
        );
        notifications = Some(n);
        _background = Some(background);
    }
    app.ui.config_errors = set.config_errors;
    app.apply_settings(&settings.settings);

    let (tx, inputs) = mpsc::channel(64);
    let _guard = TerminalGuard::enter()?;
    // The terminal first: setting it up may query the terminal (cursor position), and
    // the reply must not race with the input reader.
    let mut terminal =
        Terminal::new(CrosstermBackend::new(io::stdout())).context("cannot open the terminal")?;
    terminal.clear().context("cannot clear the terminal")?;
    let reader = InputReader::spawn(tx).context("cannot start the input reader")?;
    let events = Events {
        inputs,
        snapshots: handle.subscribe(),
        tick: TICK,
        notifications,
    };
    let mut runner = TerminalAttach { reader: &reader };
    let refresh = || handle.refresh();
    let result = run_loop(
        &mut terminal,
        &mut app,
        events,
        &refresh,
        &mut runner,
        crate::signals::termination(),
    )
    .await;
    // The title comes back as the notifier's screen end is dropped with `events`.
    result
}

/// Raw mode and the alternate screen, undone on drop, on error and on panic.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> anyhow::Result<TerminalGuard> {
        install_panic_hook();
        enter_screen().context("cannot set up the terminal")?;
        Ok(TerminalGuard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        leave_screen();
    }
}

fn enter_screen() -> io::Result<()> {
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        io::stdout(),
        EnterAlternateScreen,
        crossterm::cursor::Hide,
        crossterm::event::EnableMouseCapture
    )
}

/// Best effort: every step is tried even if one fails.
fn leave_screen() {
    let _ = crossterm::terminal::disable_raw_mode();
    let _ = crossterm::execute!(
        io::stdout(),
        crossterm::event::DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // Restore first so the panic message lands on a usable terminal.
            leave_screen();
            previous(info);
        }));
    });
}

/// Hands the terminal to the attach command: input reader paused, raw mode and the
/// alternate screen left, the command run and waited for, everything restored.
struct TerminalAttach<'a> {
    reader: &'a InputReader,
}

impl AttachRunner for TerminalAttach<'_> {
    async fn run(&mut self, req: &AttachRequest) -> Result<(), String> {
        // The source's existence check (tmux would pick another session whose name
        // starts with this one).
        if let Some(check) = &req.command.check {
            if run_check(check).await == Some(false) {
                return Err(NO_SUCH_SESSION.to_string());
            }
        }
        self.reader.pause();
        leave_screen();
        if req.stale {
            eprintln!(
                "navi: {} is last-known data of an unavailable remote; the session may be \
                 gone. Trying anyway…",
                req.label
            );
        }
        let argv = req.command.argv.clone();
        let status = tokio::task::spawn_blocking(move || {
            let (program, args) = argv.split_first().ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "empty attach command")
            })?;
            Command::new(program).args(args).status()
        })
        .await;
        let restored = enter_screen();
        self.reader.resume();
        if let Err(e) = restored {
            tracing::error!("cannot restore the terminal after attach: {e}");
        }
        let program = req.command.argv.first().map(String::as_str).unwrap_or("");
        match status {
            Ok(Ok(s)) if s.success() => Ok(()),
            // The attach command's own "no such session" (navi_core::EXIT_NO_SUCH_SESSION).
            Ok(Ok(s)) if s.code() == Some(navi_core::EXIT_NO_SUCH_SESSION) => {
                Err(NO_SUCH_SESSION.to_string())
            }
            // The program alone: the whole argv would crowd out the reason (it is logged).
            Ok(Ok(s)) => Err(format!("`{program}` {s}")),
            Ok(Err(e)) if e.kind() == io::ErrorKind::NotFound => {
                Err(format!("`{program}` not found in PATH"))
            }
            Ok(Err(e)) => Err(format!("cannot run `{program}`: {e}")),
            Err(e) => Err(format!("attach task failed: {e}")),
        }
    }
}

const NO_SUCH_SESSION: &str = "no such tmux session (it ended; its status file is left over)";

/// Runs an attach command's existence check off the event loop's thread, bounded by
/// [`ATTACH_CHECK`] (in its own process group, killed with its children past it):
/// `Some(true)` when it exits 0, `None` when it cannot be run or does not answer in
/// time (the attach itself then says why).
async fn run_check(argv: &[String]) -> Option<bool> {
    run_check_within(argv, ATTACH_CHECK).await
}

async fn run_check_within(argv: &[String], limit: Duration) -> Option<bool> {
    let (program, args) = argv.split_first()?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    let check = move |left| {
        navi_source_local::process::output_within(cmd, left)
            .map_err(|e| navi_core::SourceError::Io(navi_core::Detail::new(e.to_string())))
    };
    match Deadline::after(limit)
        .run_blocking(check, "waiting for the attach check")
        .await
    {
        Ok(out) => Some(out.status.success()),
        Err(e) => {
            tracing::warn!(program, "attach check: {e}");
            None
        }
    }
}

#[cfg(test)]
mod tests;

/// Plays a sound (the picker's preview) without waiting for it: the notifier's launcher
/// reaps it.
fn play(argv: &[String]) {
    use crate::notify::launch::Launcher as _;
    crate::notify::launch::Processes.launch(argv, &[]);
}
