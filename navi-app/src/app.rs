//! The dashboard's state and what keys do to it. No terminal here: the event loop
//! ([`crate::tui`]) feeds events in and carries [`Effect`]s out.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};
use navi_core::{
    attach_command, AttachCommand, AttachContext, DynSessionSource, Model, SessionInfo, Snapshot,
};
use tokio::time::Instant;

pub use crate::keys::{key_action, KeyAction, Mode};

use crate::format::unix_now;
use crate::icons::IconSet;

/// How long a status-line message stays.
pub const MESSAGE_TTL: Duration = Duration::from_secs(6);

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
    /// The open overlay, if any.
    pub overlay: Overlay,
    /// The search being typed (`/`), shown in the footer; `None` when not typing.
    pub search: Option<String>,
    /// Rows on the last drawn screen (page moves).
    pub page: usize,
    /// Screen lines of the rows on the last drawn screen: (first line, last line, row),
    /// for mouse clicks.
    pub hits: Vec<(u16, u16, usize)>,
    /// Skipped files and config problems, for the problems overlay.
    pub sources_dirs: Vec<(Option<String>, String)>,
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

/// An overlay over the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overlay {
    /// None open.
    #[default]
    None,
    /// The keys (`?`).
    Help,
    /// The selected session's details (`i`).
    Details,
    /// Skipped files and config problems (`e`).
    Problems,
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
            overlay: Overlay::None,
            search: None,
            page: 10,
            hits: Vec::new(),
            sources_dirs: Vec::new(),
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
    /// When `r` was pressed, until every source has answered since.
    refresh_started: Option<Instant>,
    /// Publishes the counts for `navi status` (not in the demo).
    publisher: Option<crate::cmd::status::Publisher>,
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
            refresh_started: None,
            publisher: None,
        }
    }

    /// Starts from the user's settings (config.yaml): layout, sort, icons, offline rows.
    pub fn apply_settings(&mut self, settings: &crate::config::Settings) {
        self.ui.density = settings.layout;
        self.ui.icons = settings.icons;
        self.model.set_sort(settings.sort);
        self.model.set_hide_offline(!settings.show_offline);
    }

    /// Publishes every snapshot's counts to `path` for `navi status`.
    pub fn publish_to(&mut self, path: Option<std::path::PathBuf>) {
        self.publisher = Some(crate::cmd::status::Publisher::new(path));
    }

    /// A new snapshot arrived.
    pub fn on_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        if let Some(p) = &mut self.publisher {
            p.publish(crate::cmd::status::Summary::of(&snapshot, unix_now()));
        }
        self.model.update(snapshot);
        if let Some(started) = self.refresh_started {
            let sources = self.model.sources();
            let answered = sources
                .iter()
                .all(|h| h.last_poll_at.is_some_and(|t| t >= started));
            if answered {
                self.refresh_started = None;
                let down = sources
                    .iter()
                    .filter(|h| h.state == navi_core::SourceState::Unavailable)
                    .count();
                let took = navi_core::format_duration(started.elapsed());
                let n = sources.len();
                let noun = if n == 1 { "source" } else { "sources" };
                let text = match down {
                    0 => format!("refreshed {n} {noun} in {took}"),
                    d => format!("refreshed {n} {noun} in {took}; {d} unavailable"),
                };
                // An error said since (a failed attach) stays in view.
                if self
                    .ui
                    .message
                    .as_ref()
                    .is_none_or(|m| m.level != Level::Error)
                {
                    self.ui.set_message(Level::Info, text);
                }
            }
        }
    }

    /// Where keys go now.
    pub fn mode(&self) -> Mode {
        if self.ui.search.is_some() {
            Mode::Search
        } else if self.ui.overlay != Overlay::None {
            Mode::Overlay
        } else {
            Mode::List
        }
    }

    /// Handles a key press.
    pub fn on_key(&mut self, key: &KeyEvent) -> Effect {
        if self.mode() == Mode::Search {
            return self.on_search_key(key);
        }
        match key_action(key, self.mode()) {
            Some(action) => self.apply(action),
            None => Effect::None,
        }
    }

    /// A key while typing a search: the list narrows with every key; Enter keeps the
    /// search, Esc drops it.
    fn on_search_key(&mut self, key: &KeyEvent) -> Effect {
        if key.kind == KeyEventKind::Release {
            return Effect::None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let Some(text) = self.ui.search.as_mut() else {
            return Effect::None;
        };
        match key.code {
            KeyCode::Char('c') if ctrl => return Effect::Quit,
            KeyCode::Char('u') if ctrl => text.clear(),
            KeyCode::Esc => {
                self.ui.search = None;
                self.model.set_query("");
                return Effect::None;
            }
            KeyCode::Enter => {
                self.ui.search = None;
                return Effect::None;
            }
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !ctrl && !c.is_control() => text.push(c),
            _ => return Effect::None,
        }
        let query = text.clone();
        self.model.set_query(&query);
        Effect::None
    }

    /// A mouse event: the wheel scrolls, a click selects the row under it.
    pub fn on_mouse(&mut self, kind: MouseEventKind, row: u16) {
        if self.mode() != Mode::List {
            return;
        }
        match kind {
            MouseEventKind::ScrollDown => self.model.move_by(3),
            MouseEventKind::ScrollUp => self.model.move_by(-3),
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(&(_, _, i)) = self
                    .ui
                    .hits
                    .iter()
                    .find(|(a, b, _)| (*a..=*b).contains(&row))
                {
                    self.model.select_index(i);
                }
            }
            _ => {}
        }
    }

    /// Applies one action to the state and says what else must happen.
    pub fn apply(&mut self, action: KeyAction) -> Effect {
        let page = isize::try_from(self.ui.page.max(1)).unwrap_or(1);
        match action {
            KeyAction::Down => self.model.select_next(),
            KeyAction::Up => self.model.select_prev(),
            KeyAction::Top => self.model.select_first(),
            KeyAction::Bottom => self.model.select_last(),
            KeyAction::PageDown => self.model.move_by(page),
            KeyAction::PageUp => self.model.move_by(-page),
            KeyAction::HalfDown => self.model.move_by((page / 2).max(1)),
            KeyAction::HalfUp => self.model.move_by(-(page / 2).max(1)),
            KeyAction::CycleFilter => {
                self.model.cycle_filter();
                let label = self.model.filter().label().to_string();
                self.ui.set_message(
                    Level::Info,
                    format!("filter: {label} ({} shown)", self.model.len()),
                );
            }
            KeyAction::StatusFilter(digit) => {
                let group = crate::keys::status_group(digit);
                let label = match &group {
                    Some(g) => g.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("/"),
                    None => "every status".into(),
                };
                self.model.set_statuses(group);
                self.ui.set_message(
                    Level::Info,
                    format!("showing {label} ({} shown)", self.model.len()),
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
            KeyAction::Search => self.ui.search = Some(self.model.query().to_string()),
            KeyAction::NextMatch | KeyAction::PrevMatch => self.next_match(action),
            KeyAction::NextAttention => {
                if !self
                    .model
                    .select_next_where(true, |s| !s.stale && s.attention())
                {
                    self.ui
                        .set_message(Level::Info, "no shown session needs you right now");
                }
            }
            KeyAction::CycleSort => {
                self.model.set_sort(self.model.sort().next());
                let label = self.model.sort().label();
                self.ui.set_message(Level::Info, format!("sort: {label}"));
            }
            KeyAction::CycleDensity => {
                self.ui.density = match self.ui.density {
                    Density::Roomy => Density::Compact,
                    Density::Compact => Density::Auto,
                    Density::Auto => Density::Roomy,
                };
                let label = format!("rows: {:?}", self.ui.density).to_lowercase();
                self.ui.set_message(Level::Info, label);
            }
            KeyAction::Details => {
                if self.model.selected_session().is_some() {
                    self.ui.overlay = Overlay::Details;
                } else {
                    self.ui.set_message(Level::Info, "no session selected");
                }
            }
            KeyAction::Problems => self.ui.overlay = Overlay::Problems,
            KeyAction::ClearFilters => {
                if self.model.is_filtered() || !self.model.query().is_empty() {
                    self.model.clear_filters();
                    self.ui
                        .set_message(Level::Info, "search and filters cleared");
                }
            }
            KeyAction::Refresh => {
                self.ui.set_message(Level::Info, "refreshing every source…");
                self.refresh_started = Some(Instant::now());
                return Effect::Refresh;
            }
            KeyAction::ToggleHelp => {
                self.ui.overlay = match self.ui.overlay {
                    Overlay::Help => Overlay::None,
                    _ => Overlay::Help,
                }
            }
            KeyAction::CloseOverlay => self.ui.overlay = Overlay::None,
            KeyAction::Quit => return Effect::Quit,
            KeyAction::Attach => return self.attach_selected(),
        }
        Effect::None
    }

    fn next_match(&mut self, action: KeyAction) {
        let query = self.model.query().to_string();
        if query.is_empty() {
            self.ui
                .set_message(Level::Info, "no search: press / to search");
            return;
        }
        // The rows shown all match the search: n and N move through them, wrapping.
        let forward = action == KeyAction::NextMatch;
        if !self
            .model
            .select_next_where(forward, |s| navi_core::matches_query(s, &query))
        {
            self.ui
                .set_message(Level::Info, format!("no match for \"{query}\""));
        }
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
