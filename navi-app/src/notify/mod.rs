//! Notifications: a session that needs you (or a remote that went away) is announced
//! through the bell, a desktop notification, the title, a sound and the user's command,
//! also while the user is attached to a session.
//!
//! One [`Notifier`], one [`Watcher`]: the dashboard's loop shows it every snapshot while
//! the dashboard is on screen; while an attach runs, a background task subscribed to
//! the aggregator does ([`Notifier::while_attached`]). The same snapshot is never
//! observed twice, so a transition is announced once, by whichever saw it first.
//!
//! * [`settings`]: the `notify:` section of config.yaml;
//! * [`sounds`]: the Go navi's sounds.yaml and sound packs;
//! * [`channels`]: each channel, behind [`channels::Channel`];
//! * [`osc`]: the escape sequences, byte for byte;
//! * [`launch`]: starting programs without waiting for them.

pub mod channels;
pub mod launch;
pub mod osc;
pub mod settings;
pub mod sounds;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use navi_core::events::{Notice, Watcher};
use navi_core::Snapshot;
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
        };
        (wiring, problem)
    }
}

/// sounds.yaml and `~/.config/navi/soundpacks`, when sounds are enabled there.
fn load_sounds() -> (Option<SoundSetup>, Option<SoundsProblem>) {
    let Some(path) = sounds::default_path() else {
        return (None, None);
    };
    let (s, problem) = sounds::load(&path);
    let packs = path
        .parent()
        .map_or_else(PathBuf::new, |d| d.join("soundpacks"));
    let problem = problem.map(|p| (path.clone(), p));
    (s.enabled.then_some((s, packs)), problem)
}

/// The channels, the shared watcher and the mute switch.
pub struct Notifier {
    shared: Arc<Shared>,
    /// Bell and the terminal's notification: only while the dashboard is on screen.
    screen: Vec<Box<dyn Channel>>,
    title: Option<Title>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("screen", &self.screen.len())
            .field("title", &self.title.is_some())
            .field("muted", &self.muted())
            .finish_non_exhaustive()
    }
}

/// What the dashboard's loop and the background task share.
struct Shared {
    muted: AtomicBool,
    state: Mutex<State>,
}

struct State {
    watcher: Watcher,
    /// The last snapshot observed, so none is observed twice.
    last: Option<Arc<Snapshot>>,
    /// Channels that do not need navi's screen: always.
    off_screen: Vec<Box<dyn Channel>>,
}

/// Who is looking at a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Dashboard,
    Attached,
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
        if let (true, Some((sounds, packs))) = (settings.sound, wiring.sounds) {
            off_screen.push(Box::new(channels::Sound {
                launcher: wiring.launcher.clone(),
                sounds,
                packs,
                pick: 0,
                last: Default::default(),
            }));
        }
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
            shared: Arc::new(Shared {
                muted: AtomicBool::new(false),
                state: Mutex::new(State {
                    watcher: Watcher::new(settings.triggers()),
                    last: None,
                    off_screen,
                }),
            }),
            screen,
            title,
        }
    }

    /// Mutes or unmutes every channel but the title (transitions are still followed, so
    /// unmuting announces nothing old).
    pub fn set_muted(&self, muted: bool) {
        self.shared.muted.store(muted, Ordering::Relaxed);
    }

    /// Whether notifications are muted.
    pub fn muted(&self) -> bool {
        self.shared.muted.load(Ordering::Relaxed)
    }

    /// A snapshot the dashboard shows, with `attention` sessions needing the user: the
    /// title follows the count, a new transition goes out through every channel.
    pub fn on_snapshot(&mut self, snapshot: &Arc<Snapshot>, attention: usize) {
        if let Some(title) = &mut self.title {
            title.show(attention);
        }
        let now = tokio::time::Instant::now().into_std();
        if let Some(notice) = self.shared.observe(snapshot, Route::Dashboard, now) {
            for c in &mut self.screen {
                c.notify(&notice, now);
            }
        }
    }

    /// Starts following the aggregator's snapshots in the background while the user is
    /// attached (the dashboard's loop waits for the attach): the channels that need no
    /// screen (system notification, sound, command, tmux's message). Dropping the
    /// returned guard stops it.
    pub fn while_attached(&self, mut snapshots: watch::Receiver<Arc<Snapshot>>) -> Attached {
        let shared = self.shared.clone();
        let task = tokio::spawn(async move {
            while snapshots.changed().await.is_ok() {
                let snapshot = snapshots.borrow_and_update().clone();
                let now = tokio::time::Instant::now().into_std();
                shared.observe(&snapshot, Route::Attached, now);
            }
        });
        Attached { task }
    }

    /// Gives the terminal its title back.
    pub fn finish(&mut self) {
        if let Some(title) = &mut self.title {
            title.restore();
        }
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A channel that panicked leaves nothing half-done that matters here.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Observes `snapshot` unless it was observed already; runs the off-screen channels
    /// for a new notice, and returns it for the caller's own channels. `None` when muted.
    fn observe(
        &self,
        snapshot: &Arc<Snapshot>,
        route: Route,
        now: std::time::Instant,
    ) -> Option<Notice> {
        let mut state = self.state();
        if state
            .last
            .as_ref()
            .is_some_and(|l| Arc::ptr_eq(l, snapshot))
        {
            return None;
        }
        state.last = Some(snapshot.clone());
        let notice = state.watcher.observe(snapshot, now)?;
        if self.muted.load(Ordering::Relaxed) {
            tracing::debug!(summary = notice.summary(), "muted");
            return None;
        }
        tracing::info!(summary = notice.summary(), ?route, "notify");
        for c in state.off_screen.iter_mut() {
            c.notify(&notice, now);
        }
        Some(notice)
    }
}

/// The background task of [`Notifier::while_attached`]; dropping it stops the task.
#[derive(Debug)]
pub struct Attached {
    task: JoinHandle<()>,
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.task.abort();
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
    };
    (wiring, screen, launcher)
}

#[cfg(test)]
mod tests;
