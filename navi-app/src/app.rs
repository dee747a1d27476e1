//! The dashboard's state and what keys do to it. No terminal here: the event loop
//! ([`crate::tui`]) feeds events in and carries [`Effect`]s out.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use navi_core::{
    attach_command, AttachCommand, AttachContext, DynSessionSource, Model, SessionInfo, Snapshot,
};
use tokio::time::Instant;

use crate::format::unix_now;
use crate::icons::IconSet;

/// How long a status-line message stays.
pub const MESSAGE_TTL: Duration = Duration::from_secs(6);

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAction {
    /// Select the next row.
    Down,
    /// Select the previous row.
    Up,
    /// Select the first row.
    Top,
    /// Select the last row.
    Bottom,
    /// Attach to the selected session.
    Attach,
    /// Cycle the filter.
    CycleFilter,
    /// Show / hide offline and stale rows.
    ToggleOffline,
    /// Poll every source now.
    Refresh,
    /// Open / close the help overlay.
    ToggleHelp,
    /// Close the help overlay.
    CloseHelp,
    /// Leave navi.
    Quit,
}

/// The action of `key`, if it has one. While the help overlay is open, `?`, Esc and `q`
/// close it (Ctrl-C still quits).
pub fn key_action(key: &KeyEvent, help_open: bool) -> Option<KeyAction> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C')) {
        return Some(KeyAction::Quit);
    }
    if help_open {
        return match key.code {
            KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Esc | KeyCode::Enter => {
                Some(KeyAction::CloseHelp)
            }
            _ => None,
        };
    }
    if ctrl {
        return None;
    }
    Some(match key.code {
        KeyCode::Char('j') | KeyCode::Down => KeyAction::Down,
        KeyCode::Char('k') | KeyCode::Up => KeyAction::Up,
        KeyCode::Char('g') | KeyCode::Home => KeyAction::Top,
        KeyCode::Char('G') | KeyCode::End => KeyAction::Bottom,
        KeyCode::Enter => KeyAction::Attach,
        KeyCode::Char('f') => KeyAction::CycleFilter,
        KeyCode::Char('o') => KeyAction::ToggleOffline,
        KeyCode::Char('r') => KeyAction::Refresh,
        KeyCode::Char('?') => KeyAction::ToggleHelp,
        KeyCode::Char('q') | KeyCode::Esc => KeyAction::Quit,
        _ => return None,
    })
}

/// A request to run an attach command in the foreground.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachRequest {
    /// The command (`argv[0]` looked up in `PATH`) and its existence check, as the
    /// session's source built them.
    pub command: AttachCommand,
    /// The session, as `name` or `name [remote]` (sanitized).
    pub label: String,
    /// The session is last-known data of an unavailable remote: it may be gone.
    pub stale: bool,
}

/// What the event loop must do after an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Nothing beyond a redraw.
    None,
    /// Leave the dashboard.
    Quit,
    /// Ask the aggregator to poll now.
    Refresh,
    /// Suspend the dashboard and run this command.
    Attach(AttachRequest),
}

/// How a status-line message looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Neutral information.
    Info,
    /// Something failed.
    Error,
}

/// A transient status-line message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    /// The text (already free of control characters).
    pub text: String,
    /// Its look.
    pub level: Level,
    /// When it disappears.
    pub until: Instant,
}

/// Everything the dashboard draws besides the [`Model`].
#[derive(Debug, Clone)]
pub struct UiState {
    /// Wall-clock now, unix seconds (session ages).
    pub now_unix: i64,
    /// Monotonic now (data ages of sources, message expiry).
    pub now: Instant,
    /// This machine's home directory, for `~` in local paths.
    pub home: Option<String>,
    /// The local status directory, for the "no sessions" hint.
    pub sessions_dir: String,
    /// One line per problem in the remotes file.
    pub config_errors: Vec<String>,
    /// The help overlay is open.
    pub show_help: bool,
    /// The current status-line message.
    pub message: Option<StatusMessage>,
    /// Demo data is shown.
    pub demo: bool,
    /// The first row on screen (kept between frames, clamped on every draw).
    pub scroll: usize,
    /// Roomy, compact, or chosen by whether the roomy rows fit.
    pub density: Density,
    /// The status icons.
    pub icons: IconSet,
    /// Colours on (off with `NO_COLOR`): without them the selection is still marked
    /// (`▶`, reverse video).
    pub color: bool,
    /// The remotes file, for the "no sessions" hint.
    pub remotes_file: String,
}

/// How many lines a session takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Density {
    /// Roomy while every row fits, compact otherwise.
    #[default]
    Auto,
    /// Two or three lines per session.
    Roomy,
    /// One line per session.
    Compact,
}

impl Density {
    /// The density named `name` (`auto`, `roomy` or `compact`).
    pub fn from_name(name: &str) -> Option<Density> {
        match name {
            "auto" => Some(Density::Auto),
            "roomy" => Some(Density::Roomy),
            "compact" => Some(Density::Compact),
            _ => None,
        }
    }
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            now_unix: unix_now(),
            now: Instant::now(),
            home: std::env::home_dir().map(|h| h.display().to_string()),
            sessions_dir: String::new(),
            config_errors: Vec::new(),
            show_help: false,
            message: None,
            demo: false,
            scroll: 0,
            density: Density::Auto,
            icons: IconSet::Emoji,
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            remotes_file: "~/.config/navi/remotes.yaml".into(),
        }
    }
}

impl UiState {
    /// Shows `text` in the status line for [`MESSAGE_TTL`].
    pub fn set_message(&mut self, level: Level, text: impl AsRef<str>) {
        self.message = Some(StatusMessage {
            text: navi_core::text::sanitize(text.as_ref()).into_owned(),
            level,
            until: Instant::now() + MESSAGE_TTL,
        });
    }

    /// Moves the clocks to now and drops an expired message.
    pub fn tick(&mut self) {
        self.now = Instant::now();
        self.now_unix = unix_now();
        if self.message.as_ref().is_some_and(|m| m.until <= self.now) {
            self.message = None;
        }
    }
}

/// The dashboard: the model, the UI state and the sources to ask for attach commands.
#[derive(Debug)]
pub struct App {
    /// Rows, filter, selection.
    pub model: Model,
    /// Everything else the screen shows.
    pub ui: UiState,
    sources: Vec<DynSessionSource>,
    ctx: AttachContext,
    dry_run: bool,
}

impl App {
    /// A dashboard over `sources`. With `dry_run` (the demo), Enter only says what it
    /// would run.
    pub fn new(sources: Vec<DynSessionSource>, ctx: AttachContext, dry_run: bool) -> App {
        App {
            model: Model::new(),
            ui: UiState {
                demo: dry_run,
                ..UiState::default()
            },
            sources,
            ctx,
            dry_run,
        }
    }

    /// A new snapshot arrived.
    pub fn on_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.model.update(snapshot);
    }

    /// Handles a key press.
    pub fn on_key(&mut self, key: &KeyEvent) -> Effect {
        match key_action(key, self.ui.show_help) {
            Some(action) => self.apply(action),
            None => Effect::None,
        }
    }

    /// Applies one action to the state and says what else must happen.
    pub fn apply(&mut self, action: KeyAction) -> Effect {
        match action {
            KeyAction::Down => self.model.select_next(),
            KeyAction::Up => self.model.select_prev(),
            KeyAction::Top => self.model.select_first(),
            KeyAction::Bottom => self.model.select_last(),
            KeyAction::CycleFilter => {
                self.model.cycle_filter();
                let label = self.model.filter().label().to_string();
                self.ui.set_message(
                    Level::Info,
                    format!("filter: {label} ({} shown)", self.model.len()),
                );
            }
            KeyAction::ToggleOffline => {
                self.model.toggle_offline();
                let what = if self.model.hides_offline() {
                    "hidden"
                } else {
                    "shown"
                };
                self.ui
                    .set_message(Level::Info, format!("offline and stale rows {what}"));
            }
            KeyAction::Refresh => {
                self.ui.set_message(Level::Info, "refreshing every source…");
                return Effect::Refresh;
            }
            KeyAction::ToggleHelp => self.ui.show_help = !self.ui.show_help,
            KeyAction::CloseHelp => self.ui.show_help = false,
            KeyAction::Quit => return Effect::Quit,
            KeyAction::Attach => return self.attach_selected(),
        }
        Effect::None
    }

    fn attach_selected(&mut self) -> Effect {
        let Some(session) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        let label = session_label(&session);
        match attach_command(&self.sources, &session, &self.ctx) {
            Err(e) => {
                self.ui
                    .set_message(Level::Error, format!("cannot attach to {label}: {e}"));
                Effect::None
            }
            Ok(cmd) if self.dry_run => {
                self.ui.set_message(
                    Level::Info,
                    format!("demo: would run `{}`", cmd.argv.join(" ")),
                );
                Effect::None
            }
            Ok(cmd) if cmd.argv.is_empty() => {
                self.ui.set_message(
                    Level::Error,
                    format!("cannot attach to {label}: the source gave an empty command"),
                );
                Effect::None
            }
            Ok(cmd) => Effect::Attach(AttachRequest {
                command: cmd,
                label,
                stale: session.stale,
            }),
        }
    }

    /// Records how an attach ended.
    pub fn on_attach_result(&mut self, req: &AttachRequest, result: Result<(), String>) {
        match result {
            Ok(()) if req.stale => self.ui.set_message(
                Level::Info,
                format!(
                    "back from {} (its remote is unavailable: what navi shows may be old)",
                    req.label
                ),
            ),
            Ok(()) => self
                .ui
                .set_message(Level::Info, format!("back from {}", req.label)),
            Err(e) => {
                let hint = if req.stale {
                    " (its remote is unavailable: the session may be gone)"
                } else {
                    ""
                };
                self.ui.set_message(
                    Level::Error,
                    format!("attach to {} failed: {e}{hint}", req.label),
                );
            }
        }
    }
}

/// `name` or `name [remote]`, sanitized.
pub fn session_label(s: &SessionInfo) -> String {
    let name = navi_core::text::sanitize(&s.tmux_session);
    match &s.remote {
        Some(r) => format!("{name} [{}]", navi_core::text::sanitize(r)),
        None => name.into_owned(),
    }
}

#[cfg(test)]
mod tests;
