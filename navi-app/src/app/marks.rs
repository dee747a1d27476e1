//! `b` (bookmark) and `t` (tags): marks changed through the session's own source, so
//! they land on the machine that owns the session (see [`navi_core::Marks`]).

use navi_core::{check_tag, normalize_tag, Action, MarkOp};

use super::act::{Prompt, PromptKind};
use super::{session_label, App, Effect, Level};

impl App {
    /// `b`: bookmark the selected session, or remove its bookmark.
    pub(super) fn toggle_bookmark(&mut self) -> Effect {
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        let label = session_label(&s);
        let action = Action::Mark {
            ops: vec![MarkOp::Bookmark(!s.marks.bookmarked)],
        };
        let Some((index, source)) = self.source_of(s.remote.as_deref()) else {
            self.ui
                .set_message(Level::Error, format!("no source for {label}"));
            return Effect::None;
        };
        if !source.supports().allows(&action) {
            self.ui.set_message(
                Level::Error,
                format!("{label}: its machine cannot mark sessions"),
            );
            return Effect::None;
        }
        if self.dry_run {
            self.ui
                .set_message(Level::Info, format!("demo: would mark {label}"));
            return Effect::None;
        }
        let p = Prompt {
            kind: PromptKind::Tags,
            input: String::new(),
            source: index,
            session: s.tmux_session.clone(),
            label,
            fresh: false,
        };
        self.request(&p, action)
    }

    /// The tags typed in the `t` prompt: the tags added and removed, as operations
    /// (so a tag another dashboard adds meanwhile is kept).
    pub(super) fn submit_tags(&mut self, p: Prompt, input: &str) -> Effect {
        let words: Vec<&str> = input
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .collect();
        if let Some(e) = words.iter().find_map(|w| check_tag(w).err()) {
            self.ui.set_message(Level::Error, e);
            self.ui.prompt = Some(p);
            return Effect::None;
        }
        let new: Vec<String> = words.iter().map(|w| normalize_tag(w)).collect();
        let old = self
            .model
            .selected_session()
            .filter(|s| s.tmux_session == p.session)
            .map(|s| s.marks.tags.clone())
            .unwrap_or_default();
        let mut ops: Vec<MarkOp> = old
            .iter()
            .filter(|t| !new.contains(t))
            .map(|t| MarkOp::RemoveTag(t.clone()))
            .collect();
        ops.extend(
            new.iter()
                .filter(|t| !old.contains(t))
                .map(|t| MarkOp::AddTag(t.clone())),
        );
        if ops.is_empty() {
            self.ui.set_message(Level::Info, "tags unchanged");
            return Effect::None;
        }
        self.request(&p, Action::Mark { ops })
    }
}
