//! What the dashboard draws besides the model: overlays, density, the status-line
//! message, the search being typed, and what the last frame laid out (page size, mouse
//! hit boxes).

use tokio::time::Instant;

use crate::config::Density;
use crate::format::unix_now;
use crate::icons::IconSet;
pub use navi_core::limits::MESSAGE_TTL;

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
    /// The problems of remotes.yaml and config.yaml (header and problems overlay).
    pub config_errors: Vec<crate::sources::ConfigProblem>,
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
    /// The one-line prompt being answered (rename, send, new, kill), if any.
    pub prompt: Option<super::act::Prompt>,
    /// The preview pane (`p`).
    pub preview: super::act::Preview,
    /// The remotes file, for the "no sessions" hint.
    pub remotes_file: String,
    /// Notifications are muted (`m`).
    pub muted: bool,
    /// The widest name, machine and branch of the compact rows, for the model revision
    /// they were measured at ([`navi_core::Model::revision`]).
    pub row_widths: Option<(u64, (usize, usize, usize, usize))>,
    /// Frames drawn so far (the event loop draws only when something changed).
    pub frames: u64,
    /// The first line of the sources overlay (`S`), clamped when drawn.
    pub sources_scroll: usize,
    /// Lines the sources overlay showed in its last frame (its page).
    pub sources_page: usize,
    /// The first line of the help overlay (`?`), clamped when drawn.
    pub help_scroll: usize,
    /// Lines the help overlay showed in its last frame (its page).
    pub help_page: usize,
    /// The key table as `?` shows it, from the keys in use: (keys, what they do).
    pub help_lines: Vec<(String, String)>,
    /// The help's search (`/` in `?`): only the lines with every word are shown, the
    /// words highlighted. Empty: every line.
    pub help_query: String,
    /// The help's search is being typed.
    pub help_typing: bool,
    /// The search kept after Enter in highlight mode: matching rows are marked and `n` /
    /// `N` jump between them (the Go navi's search). Empty: none.
    pub find: String,
    /// Search filters the rows instead of highlighting them (`F` toggles).
    pub search_filters: bool,
    /// Auto rows: the last choice (compact or not) and the list height it was made at.
    pub auto_compact: Option<(usize, bool)>,
    /// The sound-pack picker (`S`), while open.
    pub sound_picker: Option<super::SoundPicker>,
    /// The git dialog (`G`), while open.
    pub git: Option<super::GitDialog>,
    /// Prices for the cost estimates (config.yaml's `prices:` over the built-in table).
    pub prices: navi_core::cost::PriceTable,
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
    /// Every source: state, reason, latency, mode, sessions, last good poll (`M`).
    Sources,
    /// The selected session's git dialog (`G`): branch, changes, ahead / behind, last
    /// commit, remote, pull request; its content viewer (comments, diff).
    Git,
    /// The sound packs (`S`).
    SoundPacks,
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
            prompt: None,
            preview: super::act::Preview::default(),
            muted: false,
            row_widths: None,
            frames: 0,
            sources_scroll: 0,
            sources_page: 10,
            help_scroll: 0,
            help_page: 10,
            help_lines: crate::keys::help_lines(&crate::keys::Keymap::default()),
            help_query: String::new(),
            help_typing: false,
            find: String::new(),
            search_filters: false,
            auto_compact: None,
            sound_picker: None,
            git: None,
            prices: navi_core::cost::PriceTable::default(),
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
