//! The dashboard's state and what keys do to it. No terminal here: the event loop
//! ([`crate::tui`]) feeds events in and carries [`Effect`]s out.
//!
//! * [`state`]: everything drawn besides the model ([`UiState`], overlays, density, the
//!   status-line message);
//! * [`actions`]: keys and the mouse, one [`KeyAction`] at a time;
//! * here: [`App`] itself, snapshots coming in and attach requests going out.

mod act;
mod actions;
mod answer;
mod ended;
mod follow;
mod git;
mod marks;
mod sounds;
mod state;

use std::sync::Arc;

use navi_core::{
    attach_command, AttachCommand, AttachContext, DynSessionSource, Model, SessionInfo, Snapshot,
    SourceHealth,
};
use tokio::sync::watch;
use tokio::time::Instant;

pub use crate::config::Density;
pub use crate::keys::{KeyAction, Mode};
pub use act::{ActRequest, PromptKind};
pub use follow::{PaneFollow, PaneKey};
pub use git::{perform_local, pr_here_job, ContentView, GitDialog, LocalDone, LocalJob, GIT_EVERY};
pub use sounds::{perform as perform_sound_io, SoundIo, SoundPicker};
pub use state::{Level, Overlay, UiState};

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
    /// Run this action in the background; its result goes to [`App::on_act_result`].
    Act(ActRequest),
    /// Play this sound (a player's argv) without waiting for it (the picker's preview).
    PlaySound(Vec<String>),
    /// The sound-pack picker's file work ([`perform_sound_io`]).
    Sound(SoundIo),
    /// Work on this machine for the git dialog ([`perform_local`]); its result goes to
    /// [`App::on_local_done`].
    Local(LocalJob),
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
    /// Whether notifications are muted (`m`), for the notifier and the summary
    /// publisher, which follow it ([`App::mute_switch`]).
    muted: watch::Sender<bool>,
    /// Rows whose tmux session ended, and since when (for `keep_ended_rows: false`).
    ended: ended::EndedRows,
    /// Which key does what.
    keys: crate::keys::Keymap,
    /// A failed `new`'s directory and command, offered again by its reopened prompt.
    new_draft: Option<(String, String)>,
    /// An approve / deny waiting for the pane it reads first.
    pending_answer: Option<answer::PendingAnswer>,
    /// sounds.yaml and the packs, for `S`.
    sound_paths: Option<crate::cmd::sound::SoundPaths>,
    /// The pack chosen with `S` (empty: sounds.yaml's), for the notifier.
    pack: watch::Sender<String>,
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
            muted: watch::Sender::new(false),
            ended: ended::EndedRows::default(),
            keys: crate::keys::Keymap::default(),
            new_draft: None,
            pending_answer: None,
            sound_paths: None,
            pack: watch::Sender::new(String::new()),
        }
    }

    /// Uses `keys` (config.yaml's `keys:`) for the list and the help.
    pub fn set_keys(&mut self, keys: crate::keys::Keymap) {
        self.ui.help_lines = crate::keys::help_lines(&keys);
        self.keys = keys;
    }

    /// Follows whether notifications are muted (the notifier and the summary publisher).
    pub fn mute_switch(&self) -> watch::Receiver<bool> {
        self.muted.subscribe()
    }

    /// Starts from the user's settings (config.yaml): layout, sort, icons, offline rows.
    pub fn apply_settings(&mut self, settings: &crate::config::Settings) {
        self.ui.density = settings.layout;
        self.ui.icons = settings.icons;
        self.ui.prices = settings.prices.clone();
        self.model.set_sort(settings.sort);
        self.model.set_hide_offline(!settings.show_offline);
        self.ended.keep = settings.keep_ended_rows;
        self.set_keys(settings.keys.clone());
    }

    /// A new snapshot arrived.
    pub fn on_snapshot(&mut self, snapshot: Arc<Snapshot>) {
        self.ended.observe(&snapshot, Instant::now());
        self.model.update(snapshot);
        let Some(started) = self.refresh_started else {
            return;
        };
        let sources = self.model.sources();
        if sources
            .iter()
            .all(|h| h.last_poll_at.is_some_and(|t| t >= started))
        {
            self.refresh_started = None;
            let text = refreshed(sources, started);
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

    /// `m`: notifications off, or on again. Transitions are still followed while muted,
    /// so unmuting announces nothing that happened meanwhile.
    pub(crate) fn toggle_mute(&mut self) {
        self.ui.muted = !self.ui.muted;
        self.muted.send_replace(self.ui.muted);
        let text = match self.ui.muted {
            true => "notifications muted (m unmutes)",
            false => "notifications on",
        };
        self.ui.set_message(Level::Info, text);
    }

    /// Where keys go now.
    pub fn mode(&self) -> Mode {
        if self.ui.prompt.is_some() {
            Mode::Prompt
        } else if self.ui.search.is_some() {
            Mode::Search
        } else if self.ui.overlay != Overlay::None {
            Mode::Overlay
        } else if self.ui.preview.focused && self.ui.preview.visible {
            Mode::Preview
        } else {
            Mode::List
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
            // switch-client returns at once: the user is looking at the session now,
            // and this dashboard waits in its own tmux session.
            Ok(()) if req.command.argv.iter().any(|a| a == "switch-client") => self.ui.set_message(
                Level::Info,
                format!(
                    "switched this tmux client to {}: prefix L (tmux's last session) \
                         comes back here; prefix d would detach the whole client",
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

/// What a refresh started at `started` found, once every source has answered.
fn refreshed(sources: &[SourceHealth], started: Instant) -> String {
    let down = sources
        .iter()
        .filter(|h| h.state == navi_core::SourceState::Unavailable)
        .count();
    let took = navi_core::format_duration(started.elapsed());
    let n = sources.len();
    let noun = if n == 1 { "source" } else { "sources" };
    match down {
        0 => format!("refreshed {n} {noun} in {took}"),
        d => format!("refreshed {n} {noun} in {took}; {d} unavailable"),
    }
}

/// `name` or `name [remote]`, sanitized.
pub fn session_label(s: &SessionInfo) -> String {
    let name = navi_core::text::sanitize_name(&s.tmux_session);
    match &s.remote {
        Some(r) => format!("{name} [{}]", navi_core::text::sanitize(r)),
        None => name.into_owned(),
    }
}

#[cfg(test)]
mod act_tests;
#[cfg(test)]
mod git_tests;
#[cfg(test)]
mod tests;
