//! Notifications: a session that needs you (or a remote that went away) is announced
//! through the bell, a desktop notification, the title, a sound and the user's command,
//! also while the user is attached to a session.
//!
//! The notifier is a task subscribed to the aggregator ([`Notifier::spawn`]), not part of
//! the dashboard's state: it follows every snapshot with one [`Watcher`] (each source's
//! first snapshot is a baseline, only live rows count, changes within
//! [`COALESCE`](navi_core::events::COALESCE) are one notice), runs the channels that need
//! no screen (system notification, sound, the user's command, tmux's message), and hands
//! each notice to the dashboard ([`Notifications`]) for the ones that write to navi's
//! terminal (bell, the terminal's notification, the title), which only the dashboard's
//! loop may write to, between two frames. While an attach has the terminal those are
//! skipped; a notice goes out once either way.
//!
//! * [`settings`]: the `notify:` section of config.yaml;
//! * [`sounds`]: the Go navi's sounds.yaml and sound packs;
//! * [`channels`]: each channel, behind [`channels::Channel`];
//! * [`osc`]: the escape sequences, byte for byte;
//! * [`launch`]: starting programs without waiting for them;
//! * [`webhook`]: `notify.webhooks`, posted with curl.

pub mod channels;
pub mod launch;
pub mod osc;
pub mod settings;
pub mod sounds;
pub mod webhook;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use navi_core::events::{Notice, Triggers, Watcher};
use navi_core::Snapshot;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use channels::{Channel, Screen, SystemNotifier, Title};
use launch::Launcher;
use settings::{Desktop, NotifySettings};

/// sounds.yaml and the sound packs' directory.
pub type SoundSetup = (sounds::Sounds, PathBuf);
/// sounds.yaml and what is wrong with it.
pub type SoundsProblem = (PathBuf, String);

/// What the channels are built from: how programs start, where the screen is, and what
/// this machine has.
pub struct Wiring {
    /// Starts notify-send, players, the user's command, tmux.
    pub launcher: Arc<dyn Launcher>,
    /// A handle on navi's terminal, one per screen channel.
    pub screen: Box<dyn Fn() -> Box<dyn Screen>>,
    /// navi runs inside tmux (`$TMUX`).
    pub tmux: bool,
    /// `$TERM_PROGRAM` and `$LC_TERMINAL`, for `osc: auto`.
    pub terminal: (Option<String>, Option<String>),
    /// notify-send or osascript, when installed.
    pub system: Option<SystemNotifier>,
    /// sounds.yaml and the sound packs' directory.
    pub sounds: Option<SoundSetup>,
    /// The pack chosen in the dashboard (`S`) since navi started; empty: sounds.yaml's.
    pub pack: Option<watch::Receiver<String>>,
    /// Posts webhooks (curl).
    pub poster: Arc<dyn webhook::Poster>,
}

impl Wiring {
    /// The real machine: stdout, real processes, the environment, sounds.yaml; with
    /// what is wrong with sounds.yaml, if anything (sounds are then off).
    pub fn real() -> (Wiring, Option<SoundsProblem>) {
        let (sounds, problem) = load_sounds();
        let var = |k: &str| std::env::var(k).ok();
        let wiring = Wiring {
            launcher: Arc::new(launch::Processes),
            screen: Box::new(|| Box::new(channels::Stdout)),
            tmux: std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()),
            terminal: (var("TERM_PROGRAM"), var("LC_TERMINAL")),
            system: SystemNotifier::find(),
            sounds,
            pack: None,
            poster: Arc::new(webhook::curl::Curl {
                max_time: navi_core::limits::WEBHOOK_TRY,
                program: "curl",
            }),
        };
        (wiring, problem)
    }
}

impl Wiring {
    /// [`Wiring::real`] without a screen (`navi watch`): the screen channels write
    /// nowhere.
    pub fn headless() -> (Wiring, Option<SoundsProblem>) {
        let (mut wiring, problem) = Wiring::real();
        wiring.screen = Box::new(|| Box::new(channels::NoScreen));
        (wiring, problem)
    }
}

/// sounds.yaml and `~/.config/navi/soundpacks`, when sounds are enabled there.
fn load_sounds() -> (Option<SoundSetup>, Option<SoundsProblem>) {
    let Some(path) = sounds::default_path() else {
        return (None, None);
    };
    let (s, problem) = sounds::load(&path);
    let packs = sounds::packs_dir(&path);
    let problem = problem.map(|p| (path.clone(), p));
    (s.enabled.then_some((s, packs)), problem)
}

/// The statuses sounds.yaml's `triggers` turn on, as watcher triggers. The sound
/// channel cools each session down itself (`cooldown_seconds`), so the watcher does
/// not rate-limit.
fn sound_triggers(sounds: &sounds::Sounds) -> Triggers {
    Triggers {
        statuses: sounds::EVENTS
            .iter()
            .copied()
            .filter(|e| sounds.triggers.get(*e).copied().unwrap_or(false))
            .map(navi_core::Status::from_hook)
            .collect(),
        remotes: false,
        per_session: std::time::Duration::ZERO,
    }
}

/// The channels `notify:` switches on, before [`Notifier::spawn`] starts them.
pub struct Notifier {
    triggers: Triggers,
    /// Sounds hear the statuses sounds.yaml's `triggers` name (the Go navi's
    /// defaults: waiting, permission, done, error), not `notify.on`.
    sound: Option<(Triggers, Box<dyn Channel>)>,
    /// Bell and the terminal's notification: only while the dashboard is on screen.
    screen: Vec<Box<dyn Channel>>,
    /// Channels that do not need navi's screen: always.
    off_screen: Vec<Box<dyn Channel>>,
    title: Option<Title>,
    /// Whether this process is the one that notifies (the notifier lease); `None`:
    /// always.
    duty: Option<watch::Receiver<bool>>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("screen", &self.screen.len())
            .field("off_screen", &self.off_screen.len())
            .field("title", &self.title.is_some())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// The channels `settings` switch on, built from `wiring`.
    pub fn new(settings: &NotifySettings, wiring: Wiring) -> Notifier {
        let mut screen: Vec<Box<dyn Channel>> = Vec::new();
        let mut off_screen: Vec<Box<dyn Channel>> = Vec::new();
        if settings.bell {
            screen.push(Box::new(channels::Bell((wiring.screen)())));
        }
        if matches!(settings.desktop, Desktop::Both | Desktop::Terminal) {
            let (program, lc) = &wiring.terminal;
            screen.push(Box::new(channels::TerminalDesktop {
                screen: (wiring.screen)(),
                flavour: channels::resolve_osc(settings.osc, program.as_deref(), lc.as_deref()),
                tmux: wiring.tmux,
            }));
        }
        if let (Desktop::Both | Desktop::System, Some(notifier)) = (settings.desktop, wiring.system)
        {
            off_screen.push(Box::new(channels::SystemDesktop {
                launcher: wiring.launcher.clone(),
                notifier,
            }));
        }
        let sound = match (settings.sound, wiring.sounds) {
            (true, Some((sounds, packs))) => {
                let triggers = sound_triggers(&sounds);
                let channel: Box<dyn Channel> = Box::new(channels::Sound {
                    launcher: wiring.launcher.clone(),
                    sounds,
                    packs,
                    pick: 0,
                    last: Default::default(),
                    chosen: wiring.pack,
                });
                Some((triggers, channel))
            }
            _ => None,
        };
        if !settings.command.is_empty() {
            let mut argv = settings.command.clone();
            if let Some(program) = argv.first_mut() {
                let home = std::env::home_dir();
                let path = navi_core::text::expand_home(Path::new(program), home.as_deref());
                *program = path.display().to_string();
            }
            off_screen.push(Box::new(channels::UserCommand {
                launcher: wiring.launcher.clone(),
                argv,
            }));
        }
        if !settings.webhooks.is_empty() {
            off_screen.push(Box::new(webhook::Webhooks::new(
                settings.webhooks.clone(),
                wiring.poster.clone(),
                webhook::Limits::default(),
            )));
        }
        // Inside tmux, Enter on a local session switches the client away from navi's
        // pane: its bell and OSC then reach no one, so tmux's message is always shown.
        if wiring.tmux {
            off_screen.push(Box::new(channels::TmuxMessage {
                launcher: wiring.launcher.clone(),
            }));
        }
        let title = settings.title.then(|| Title {
            screen: (wiring.screen)(),
            shown: None,
        });
        Notifier {
            triggers: settings.triggers(),
            sound,
            screen,
            off_screen,
            title,
            duty: None,
        }
    }

    /// Announces only while `duty` says this process is the notifier ([`crate::lease`]);
    /// meanwhile it follows every snapshot, so taking over announces nothing old.
    pub fn on_duty(mut self, duty: watch::Receiver<bool>) -> Notifier {
        self.duty = Some(duty);
        self
    }

    /// Starts following `snapshots` (the aggregator's) in a task of its own: the current
    /// snapshot is every source's baseline. While `muted` says so, changes are followed
    /// but nothing is announced (unmuting announces nothing old). Returns the
    /// dashboard's end; dropping it stops the task.
    pub fn spawn(
        self,
        mut snapshots: watch::Receiver<Arc<Snapshot>>,
        muted: watch::Receiver<bool>,
    ) -> Notifications {
        let on_screen = Arc::new(AtomicBool::new(true));
        let (tx, notices) = mpsc::unbounded_channel();
        // The baseline is the snapshot current now, not when the task first runs: a
        // change published in between is news.
        let mut watcher = Watcher::new(self.triggers);
        let current = snapshots.borrow_and_update().clone();
        watcher.observe(&current, now());
        let sound = self.sound.map(|(triggers, channel)| {
            let mut w = Watcher::new(triggers);
            w.observe(&current, now());
            (w, channel)
        });
        let follower = Follower {
            watcher,
            sound,
            off_screen: self.off_screen,
            muted,
            duty: self.duty,
            on_screen: on_screen.clone(),
            screen: tx,
        };
        Notifications {
            notices,
            on_screen,
            screen: self.screen,
            title: self.title,
            task: tokio::spawn(follower.run(snapshots)),
        }
    }
}

/// The notifier's task: the watcher, its window, the off-screen channels.
struct Follower {
    watcher: Watcher,
    /// The sound channel with a watcher of its own (sounds.yaml's triggers).
    sound: Option<(Watcher, Box<dyn Channel>)>,
    off_screen: Vec<Box<dyn Channel>>,
    muted: watch::Receiver<bool>,
    /// This process notifies (see [`Notifier::on_duty`]).
    duty: Option<watch::Receiver<bool>>,
    /// The dashboard has the terminal (no attach runs).
    on_screen: Arc<AtomicBool>,
    /// Notices for the screen channels.
    screen: mpsc::UnboundedSender<Notice>,
}

/// tokio's clock (paused in tests) as the watcher's.
fn now() -> std::time::Instant {
    Instant::now().into_std()
}

impl Follower {
    async fn run(mut self, mut snapshots: watch::Receiver<Arc<Snapshot>>) {
        let mut open = true;
        loop {
            let sound_deadline = self.sound.as_ref().and_then(|(w, _)| w.deadline());
            let deadline = [self.watcher.deadline(), sound_deadline]
                .into_iter()
                .flatten()
                .min()
                .map(Instant::from_std);
            tokio::select! {
                changed = snapshots.changed(), if open => match changed {
                    Ok(()) => {
                        let snapshot = snapshots.borrow_and_update().clone();
                        self.watcher.observe(&snapshot, now());
                        if let Some((w, _)) = &mut self.sound {
                            w.observe(&snapshot, now());
                        }
                    }
                    // The aggregator stopped: announce what is gathered, then end.
                    Err(_) => open = false,
                },
                () = tokio::time::sleep_until(deadline.unwrap_or_else(Instant::now)),
                    if deadline.is_some() =>
                {
                    if let Some(notice) = self.watcher.take_due(now()) {
                        self.announce(notice);
                    }
                    self.sound_due();
                }
                else => return,
            }
        }
    }

    /// Whether this process is the notifier now.
    fn on_duty(&self) -> bool {
        self.duty.as_ref().is_none_or(|d| *d.borrow())
    }

    /// Plays the sound notice that is due, unless muted.
    fn sound_due(&mut self) {
        let muted = *self.muted.borrow() || !self.on_duty();
        let Some((watcher, channel)) = &mut self.sound else {
            return;
        };
        if let Some(notice) = watcher.take_due(now()) {
            if !muted {
                channel.notify(&notice, now());
            }
        }
    }

    /// Sends `notice` through the off-screen channels, and to the dashboard's screen
    /// when it has the terminal; nothing when muted.
    fn announce(&mut self, notice: Notice) {
        if *self.muted.borrow() {
            tracing::debug!(summary = notice.summary(), "muted");
            return;
        }
        if !self.on_duty() {
            tracing::debug!(summary = notice.summary(), "another navi notifies");
            return;
        }
        let on_screen = self.on_screen.load(Ordering::Relaxed);
        tracing::info!(summary = notice.summary(), on_screen, "notify");
        let at = now();
        for c in &mut self.off_screen {
            c.notify(&notice, at);
        }
        if on_screen {
            // The dashboard gone: nothing left to ring.
            let _ = self.screen.send(notice);
        }
    }
}

/// The dashboard's end of the notifier: the channels that write to navi's terminal, fed
/// by the task's notices and by the dashboard's counts (the title). Dropping it stops
/// the task and gives the terminal its title back.
pub struct Notifications {
    notices: mpsc::UnboundedReceiver<Notice>,
    on_screen: Arc<AtomicBool>,
    screen: Vec<Box<dyn Channel>>,
    title: Option<Title>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Notifications {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifications")
            .field("screen", &self.screen.len())
            .field("title", &self.title.is_some())
            .field("on_screen", &self.on_screen.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Notifications {
    /// The next notice for the screen; pending forever once the task has ended.
    pub async fn next(&mut self) -> Notice {
        match self.notices.recv().await {
            Some(notice) => notice,
            None => std::future::pending().await,
        }
    }

    /// A notice for the screen, if one is waiting (tests play the dashboard's loop).
    #[cfg(test)]
    pub fn try_next(&mut self) -> Option<Notice> {
        self.notices.try_recv().ok()
    }

    /// Rings the bell and shows the terminal's notification for `notice`.
    pub fn show(&mut self, notice: &Notice) {
        let at = now();
        for c in &mut self.screen {
            c.notify(notice, at);
        }
    }

    /// The title follows `attention`, the sessions needing the user (written only when
    /// it changes).
    pub fn title(&mut self, attention: usize) {
        if let Some(title) = &mut self.title {
            title.show(attention);
        }
    }

    /// An attach takes the terminal: notices skip the screen until
    /// [`Notifications::back_on_screen`].
    pub fn leave_screen(&self) {
        self.on_screen.store(false, Ordering::Relaxed);
    }

    /// The dashboard has the terminal again. A notice sent just before the attach began
    /// was announced off screen already: it is dropped, not rung late.
    pub fn back_on_screen(&mut self) {
        while self.notices.try_recv().is_ok() {}
        self.on_screen.store(true, Ordering::Relaxed);
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(title) = &mut self.title {
            title.restore();
        }
    }
}

/// The problem of sounds.yaml, as a config problem.
pub fn sounds_problem(file: PathBuf, message: String) -> crate::config::SettingsError {
    crate::config::SettingsError {
        file,
        field: None,
        message,
    }
}

/// A [`Wiring`] of recording fakes: notify-send "installed", no sounds.
#[cfg(test)]
pub fn fake_wiring(tmux: bool) -> (Wiring, channels::RecordingScreen, launch::Recorder) {
    let screen = channels::RecordingScreen::default();
    let launcher = launch::Recorder::default();
    let s = screen.clone();
    let wiring = Wiring {
        launcher: Arc::new(launcher.clone()),
        screen: Box::new(move || Box::new(s.clone())),
        tmux,
        terminal: (None, None),
        system: Some(SystemNotifier::NotifySend),
        sounds: None,
        pack: None,
        poster: Arc::new(webhook::curl::Curl {
            max_time: navi_core::limits::WEBHOOK_TRY,
            program: "curl",
        }),
    };
    (wiring, screen, launcher)
}

#[cfg(test)]
mod tests;
