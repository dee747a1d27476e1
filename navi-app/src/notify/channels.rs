//! The channels a [`Notice`] goes out through. Screen channels write to navi's terminal
//! (bell, the terminal's desktop notification, the title) and run only while the
//! dashboard is on screen; the others start a program ([`Launcher`]) and also run while
//! the user is attached to a session.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use navi_core::events::{Event, Notice};
use navi_core::text::sanitize;

use super::launch::Launcher;
use super::osc;
use super::settings::OscFlavour;
use super::sounds::{self, Sounds};

/// One way of telling the user.
pub trait Channel: Send {
    /// Tells the user about `notice`, seen at `now`.
    fn notify(&mut self, notice: &Notice, now: Instant);
}

/// navi's terminal, for the screen channels.
pub trait Screen: Send {
    /// Writes `bytes` (an escape sequence or the bell) and flushes.
    fn write(&mut self, bytes: &[u8]);
}

/// The real terminal: stdout, between two frames of the dashboard.
#[derive(Debug, Default)]
pub struct Stdout;

impl Screen for Stdout {
    fn write(&mut self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
            tracing::debug!("cannot write a notification to the terminal: {e}");
        }
    }
}

/// No terminal (`navi watch`): what the screen channels write goes nowhere.
#[derive(Debug, Default)]
pub struct NoScreen;

impl Screen for NoScreen {
    fn write(&mut self, _: &[u8]) {}
}

/// The title every notification carries.
const TITLE: &str = "navi";
/// The longest value put in the user command's environment, in characters.
const MAX_ENV: usize = 200;

/// The terminal bell.
pub struct Bell(pub Box<dyn Screen>);

impl Channel for Bell {
    fn notify(&mut self, _: &Notice, _: Instant) {
        self.0.write(osc::BELL);
    }
}

/// A desktop notification through the terminal: OSC 777 and / or OSC 9, wrapped in
/// tmux's passthrough when navi runs inside tmux.
pub struct TerminalDesktop {
    /// Where the sequences go.
    pub screen: Box<dyn Screen>,
    /// Which sequences (never [`OscFlavour::Auto`]: see [`resolve_osc`]).
    pub flavour: OscFlavour,
    /// Wrap for tmux.
    pub tmux: bool,
}

impl Channel for TerminalDesktop {
    fn notify(&mut self, notice: &Notice, _: Instant) {
        let body = notice.summary();
        let mut sequences = Vec::new();
        if matches!(self.flavour, OscFlavour::Osc777 | OscFlavour::Both) {
            sequences.push(osc::osc777(TITLE, &body));
        }
        if matches!(self.flavour, OscFlavour::Osc9 | OscFlavour::Both) {
            sequences.push(osc::osc9(&body));
        }
        for seq in sequences {
            match self.tmux {
                true => self.screen.write(&osc::tmux_passthrough(&seq)),
                false => self.screen.write(&seq),
            }
        }
    }
}

/// `auto`: OSC 9 for iTerm2 (which knows no OSC 777), OSC 777 elsewhere. Terminals
/// that understand both would show two notifications if both were sent.
pub fn resolve_osc(
    flavour: OscFlavour,
    term_program: Option<&str>,
    lc_terminal: Option<&str>,
) -> OscFlavour {
    match flavour {
        OscFlavour::Auto if term_program == Some("iTerm.app") || lc_terminal == Some("iTerm2") => {
            OscFlavour::Osc9
        }
        OscFlavour::Auto => OscFlavour::Osc777,
        other => other,
    }
}

/// The system's notifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemNotifier {
    /// `notify-send` (Linux, BSD).
    NotifySend,
    /// `osascript` (macOS).
    Osascript,
}

impl SystemNotifier {
    /// The one this system has, if it is installed.
    pub fn find() -> Option<SystemNotifier> {
        match cfg!(target_os = "macos") {
            true => sounds::on_path("osascript").then_some(SystemNotifier::Osascript),
            false => sounds::on_path("notify-send").then_some(SystemNotifier::NotifySend),
        }
    }

    /// The argv that shows `body` under `title`. The text is an argument, never part of
    /// a script: osascript reads it from `argv`.
    pub fn argv(self, title: &str, body: &str) -> Vec<String> {
        match self {
            SystemNotifier::NotifySend => {
                // Notification servers read a little HTML in the body.
                let body = body
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;");
                ["notify-send", "--app-name=navi", "--", title, &body]
                    .map(String::from)
                    .to_vec()
            }
            SystemNotifier::Osascript => [
                "osascript",
                "-e",
                "on run argv",
                "-e",
                "display notification (item 2 of argv) with title (item 1 of argv)",
                "-e",
                "end run",
                title,
                body,
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// A desktop notification through notify-send or osascript.
pub struct SystemDesktop {
    /// Starts the notifier.
    pub launcher: Arc<dyn Launcher>,
    /// Which notifier.
    pub notifier: SystemNotifier,
}

impl Channel for SystemDesktop {
    fn notify(&mut self, notice: &Notice, _: Instant) {
        let argv = self.notifier.argv(TITLE, &notice.summary());
        self.launcher.launch(&argv, &[]);
    }
}

/// The user's command, with the notice in its environment.
pub struct UserCommand {
    /// Starts it.
    pub launcher: Arc<dyn Launcher>,
    /// Its argv.
    pub argv: Vec<String>,
}

impl Channel for UserCommand {
    fn notify(&mut self, notice: &Notice, _: Instant) {
        self.launcher.launch(&self.argv, &environment(notice));
    }
}

/// `NAVI_EVENT` (status | remote), `NAVI_SESSION`, `NAVI_REMOTE`, `NAVI_STATUS`,
/// `NAVI_MESSAGE`, `NAVI_AGENT` (claude, codex, gemini, opencode; empty for a remote) of
/// the notice's first event, `NAVI_SUMMARY` and `NAVI_COUNT` of all; every value one
/// sanitized line, bounded.
pub fn environment(notice: &Notice) -> Vec<(String, String)> {
    let (event, session, remote, status, message, agent) = match notice.events.first() {
        Some(Event::Status {
            session,
            remote,
            status,
            message,
            agent,
        }) => (
            "status",
            session.as_str(),
            remote.as_deref().unwrap_or(""),
            status.as_str(),
            message.as_str(),
            agent.as_str(),
        ),
        Some(Event::Remote { remote, reason }) => (
            "remote",
            "",
            remote.as_str(),
            if reason.is_some() {
                "unavailable"
            } else {
                "connected"
            },
            reason.as_deref().unwrap_or(""),
            "",
        ),
        None => ("", "", "", "", "", ""),
    };
    let summary = notice.summary();
    let count = notice.events.len().to_string();
    [
        ("NAVI_EVENT", event),
        ("NAVI_SESSION", session),
        ("NAVI_REMOTE", remote),
        ("NAVI_STATUS", status),
        ("NAVI_MESSAGE", message),
        ("NAVI_AGENT", agent),
        ("NAVI_SUMMARY", summary.as_str()),
        ("NAVI_COUNT", count.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), bounded(v)))
    .collect()
}

fn bounded(s: &str) -> String {
    let s = sanitize(s);
    match s.chars().count() > MAX_ENV {
        true => s.chars().take(MAX_ENV - 1).collect::<String>() + "…",
        false => s.into_owned(),
    }
}

/// `tmux display-message` on the client the user is attached with (navi in tmux).
pub struct TmuxMessage {
    /// Starts tmux.
    pub launcher: Arc<dyn Launcher>,
}

impl Channel for TmuxMessage {
    fn notify(&mut self, notice: &Notice, _: Instant) {
        self.launcher
            .launch(&tmux_message_argv(&notice.summary()), &[]);
    }
}

/// `tmux display-message 'navi: TEXT'`; tmux expands formats in the message (`#(...)`
/// would run a command), so every `#` is doubled.
pub fn tmux_message_argv(text: &str) -> Vec<String> {
    let text = format!("navi: {}", sanitize(text)).replace('#', "##");
    vec!["tmux".into(), "display-message".into(), text]
}

/// Sounds and speech of the Go navi's sounds.yaml.
pub struct Sound {
    /// Starts the player and the speech engine.
    pub launcher: Arc<dyn Launcher>,
    /// sounds.yaml.
    pub sounds: Sounds,
    /// `~/.config/navi/soundpacks`.
    pub packs: PathBuf,
    /// Which of a pack's variants plays next.
    pub pick: usize,
    /// When each session last sounded, while it cools down (`cooldown_seconds`).
    pub last: HashMap<String, Instant>,
    /// The pack chosen in the dashboard (`S`), over sounds.yaml's when not empty.
    pub chosen: Option<tokio::sync::watch::Receiver<String>>,
}

impl Channel for Sound {
    fn notify(&mut self, notice: &Notice, now: Instant) {
        if let Some(chosen) = &self.chosen {
            let pack = chosen.borrow();
            if !pack.is_empty() && *pack != self.sounds.pack {
                self.sounds.pack.clone_from(&pack);
            }
        }
        let cooldown = Duration::from_secs(self.sounds.cooldown_seconds);
        // Sessions that cooled down are forgotten (sessions come and go).
        self.last
            .retain(|_, at| now.saturating_duration_since(*at) < cooldown);
        let mut sounding = Vec::new();
        for e in &notice.events {
            let Event::Status { status, .. } = e else {
                continue;
            };
            let label = e.label();
            let cooling = self
                .last
                .get(&label)
                .is_some_and(|at| now.saturating_duration_since(*at) < cooldown);
            if self.sounds.triggers_on(status.as_str()) && !cooling {
                self.last.insert(label, now);
                sounding.push((e.who(), status.as_str().to_string()));
            }
        }
        // One sound per notice, however many sessions changed at once.
        let Some((label, status)) = sounding.first() else {
            return;
        };
        self.pick = self.pick.wrapping_add(1);
        let file = self.sounds.file_for(status, &self.packs, self.pick);
        let player = file.as_deref().and_then(|f| {
            sounds::player_argv(&self.sounds.player, f, self.sounds.volume_for(status))
        });
        // The player gets the notice's NAVI_* variables too (NAVI_AGENT: which agent).
        if let Some(argv) = player {
            self.launcher.launch(&argv, &environment(notice));
        }
        if self.sounds.tts.enabled {
            let mut text = self.sounds.announcement(label, status);
            if sounding.len() > 1 {
                text.push_str(&format!(", and {} more", sounding.len() - 1));
            }
            if let Some(argv) = sounds::tts_argv(&self.sounds.tts_engine, &text) {
                self.launcher.launch(&argv, &[]);
            }
        }
    }
}

/// The window / pane title: `navi (2 need you)`, written only when the count changes.
pub struct Title {
    /// Where the title goes.
    pub screen: Box<dyn Screen>,
    /// The count shown; `None` before the first.
    pub shown: Option<usize>,
}

impl Title {
    /// Shows `count`, if it is not what the title says already. The first time, the
    /// terminal's title is saved first ([`Title::restore`] brings it back).
    pub fn show(&mut self, count: usize) {
        if self.shown == Some(count) {
            return;
        }
        if self.shown.is_none() {
            self.screen.write(osc::PUSH_TITLE);
        }
        self.shown = Some(count);
        self.screen.write(&osc::osc2(&osc::title_text(count)));
    }

    /// Restores the title navi found, if it changed it.
    pub fn restore(&mut self) {
        if self.shown.take().is_some() {
            self.screen.write(osc::POP_TITLE);
        }
    }
}

/// Records what the screen channels write (tests).
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub struct RecordingScreen(pub Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl RecordingScreen {
    /// Everything written so far, and forgets it.
    pub fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

#[cfg(test)]
impl Screen for RecordingScreen {
    fn write(&mut self, bytes: &[u8]) {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(bytes);
        }
    }
}
