//! The live preview: the event loop waits on the selected row's source
//! ([`SessionSource::wait_pane_change`](navi_core::SessionSource::wait_pane_change)) while
//! the preview is shown ([`App::pane_to_follow`] says which), and hands what it says to
//! [`App::on_pane_change`]: a change is captured at once (or right after a capture that
//! is running), and a source that cannot follow panes leaves the preview on its timer.

use navi_core::{DynSessionSource, PaneChange};

use super::{App, Effect};

/// A previewed session: (machine, tmux session).
pub type PaneKey = (Option<String>, String);

/// What the event loop should wait on: `source.wait_pane_change(key.1)`.
#[derive(Debug, Clone)]
pub struct PaneFollow {
    /// The previewed session.
    pub key: PaneKey,
    /// Its source.
    pub source: DynSessionSource,
}

impl App {
    /// The pane to follow now: the selected session's, while the preview is shown and
    /// its source may follow it (`None` otherwise: the loop stops waiting).
    pub fn pane_to_follow(&self) -> Option<PaneFollow> {
        let preview = &self.ui.preview;
        if !preview.visible || self.dry_run {
            return None;
        }
        let s = self.model.selected_session()?;
        let key: PaneKey = (s.remote.clone(), s.tmux_session.clone());
        if s.stale || preview.unfollowed.as_ref() == Some(&key) {
            return None;
        }
        let (_, source) = self.source_of(s.remote.as_deref())?;
        source
            .supports()
            .preview
            .then_some(PaneFollow { key, source })
    }

    /// What the source said of `key`'s pane: a change is captured now (or once the
    /// capture that runs returns); `Unsupported` leaves that preview to the timer.
    pub fn on_pane_change(&mut self, key: PaneKey, change: PaneChange) -> Effect {
        let selected = self
            .model
            .selected_session()
            .map(|s| (s.remote.clone(), s.tmux_session.clone()));
        if selected.as_ref() != Some(&key) || !self.ui.preview.visible {
            return Effect::None;
        }
        match change {
            PaneChange::Unsupported => {
                self.ui.preview.unfollowed = Some(key);
                self.ui.preview.live = None;
                Effect::None
            }
            PaneChange::Changed => {
                self.ui.preview.live = Some(key);
                match self.ui.preview.in_flight {
                    true => {
                        self.ui.preview.again = true;
                        Effect::None
                    }
                    false => self.preview_now(),
                }
            }
        }
    }
}
