//! Approve, deny and resume from the dashboard: `y` / `Y` / `X` read the selected pane
//! first (a preview), show what the dialog asks and which option answers it, and send
//! only after `y`, checked again on the session's machine; `u` brings an ended session
//! back with `claude --resume`.

use navi_core::permission::Choice;
use navi_core::{Action, ActionOutput, SourceError};

use super::act::{ActRequest, Prompt, PromptKind};
use super::{session_label, App, Effect, Level};
use crate::answering::{plan_answer, resume_plan};

/// An answer waiting for the pane it reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PendingAnswer {
    choice: Choice,
    /// (machine, name) of the session.
    of: (Option<String>, String),
    /// Its index among the sources.
    source: usize,
    label: String,
    /// Its status message (what the hook said it asks).
    message: String,
}

impl App {
    /// `y` / `Y` / `X`: reads the selected session's pane (the preview action) before
    /// anything is shown or sent.
    pub(super) fn answer_selected(&mut self, choice: Choice) -> Effect {
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        let label = session_label(&s);
        let Some((index, source)) = self.source_of(s.remote.as_deref()) else {
            return Effect::None;
        };
        let probe = Action::Answer {
            choice,
            expect: String::new(),
        };
        if !source.supports().allows(&probe) || !source.supports().preview {
            self.ui.set_message(
                Level::Error,
                format!("{label}: its machine cannot answer permission dialogs"),
            );
            return Effect::None;
        }
        if let Some(why) = crate::cmd::answer::unknown_dialog(
            &label,
            &s,
            "in the session (Enter attaches, a types, K sends keys)",
        ) {
            self.ui.set_message(Level::Error, why);
            return Effect::None;
        }
        if self.dry_run {
            self.ui.set_message(
                Level::Info,
                format!("demo: would {} {label}", choice.verb()),
            );
            return Effect::None;
        }
        self.pending_answer = Some(PendingAnswer {
            choice,
            of: (s.remote.clone(), s.tmux_session.clone()),
            source: index,
            label: label.clone(),
            message: s.message.clone(),
        });
        self.ui
            .set_message(Level::Info, format!("reading the screen of {label}…"));
        Effect::Act(ActRequest {
            source,
            session: s.tmux_session.clone(),
            action: Action::Preview,
            label,
        })
    }

    /// The pane an answer waited for: the confirmation (what is answered, `y` sends) or
    /// why not. `None` when `req` is not that read.
    pub(super) fn on_answer_pane(
        &mut self,
        req: &ActRequest,
        result: &Result<ActionOutput, SourceError>,
    ) -> Option<Effect> {
        let of = (req.source.label().map(str::to_string), req.session.clone());
        if req.action != Action::Preview || self.pending_answer.as_ref().map(|p| &p.of) != Some(&of)
        {
            return None;
        }
        let pending = self.pending_answer.take()?;
        let pane = match result {
            Ok(ActionOutput::Text(t)) => t,
            Ok(_) => {
                self.ui
                    .set_message(Level::Error, "cannot read the screen: an unexpected answer");
                return Some(Effect::None);
            }
            Err(e) => {
                self.ui.set_message(
                    Level::Error,
                    format!(
                        "cannot read the screen of {}: {}",
                        pending.label,
                        e.reason()
                    ),
                );
                return Some(Effect::None);
            }
        };
        match plan_answer(&pending.label, pane, pending.choice, &pending.message) {
            Ok(plan) => {
                self.ui.prompt = Some(Prompt {
                    kind: PromptKind::ConfirmAnswer {
                        choice: pending.choice,
                        expect: plan.expect,
                        what: plan.what,
                    },
                    input: String::new(),
                    source: pending.source,
                    session: of.1,
                    label: pending.label,
                    fresh: false,
                });
            }
            Err(e) => self.ui.set_message(Level::Error, e),
        }
        Some(Effect::None)
    }

    /// `u`: `claude --resume SESSION_ID` for the selected ended row, in its directory, on
    /// its machine.
    pub(super) fn resume_selected(&mut self) -> Effect {
        let Some(s) = self.model.selected_session().cloned() else {
            self.ui.set_message(Level::Info, "no session selected");
            return Effect::None;
        };
        let label = session_label(&s);
        let (target, action) = match resume_plan(&s) {
            Ok(plan) => plan,
            Err(e) => {
                self.ui.set_message(Level::Error, e);
                return Effect::None;
            }
        };
        let Some((_, source)) = self.source_of(s.remote.as_deref()) else {
            return Effect::None;
        };
        if !source.supports().allows(&action) {
            self.ui.set_message(
                Level::Error,
                format!("{label}: its machine cannot start sessions"),
            );
            return Effect::None;
        }
        if self.dry_run {
            self.ui
                .set_message(Level::Info, format!("demo: would resume {label}"));
            return Effect::None;
        }
        self.ui
            .set_message(Level::Info, format!("resuming {label} as {target}…"));
        Effect::Act(ActRequest {
            source,
            session: target,
            action,
            label,
        })
    }
}
