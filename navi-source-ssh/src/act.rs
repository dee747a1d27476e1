//! Which action runs how: the tmux actions of [`crate::actions`], the marks
//! ([`crate::marks`]), acknowledging ([`crate::acknowledge`]) and dismissing
//! ([`crate::dismiss`]). Chosen here, above them all, so the modules built on
//! [`On`] import `actions` and `actions` imports none of them.

use navi_core::{Action, ActionOutput, SessionName, SourceError};

use crate::actions::{self, On};
use crate::{acknowledge, dismiss, marks};

/// Runs `action` on `session` (see [`crate::actions`]).
pub(crate) async fn act(
    on: &On<'_>,
    session: &str,
    action: &Action,
) -> Result<ActionOutput, SourceError> {
    let name = match action {
        Action::New { .. } => SessionName::new_for_tmux(session),
        _ => SessionName::existing(session),
    }
    .map_err(|e| actions::refused(e.to_string()))?;
    match action {
        Action::Preview => actions::preview(on, &name).await,
        Action::New {
            dir,
            command,
            create_dir,
        } => actions::new_session(on, &name, dir, command, *create_dir).await,
        Action::Kill => actions::kill(on, &name).await,
        // Only an ended session's file, checked twice (see `crate::dismiss`); the
        // clean-up keeps the marks.
        Action::Dismiss | Action::Tidy => {
            let keep_marks = *action == Action::Tidy;
            dismiss::dismiss(
                on.pool,
                on.remote,
                on.sessions_dir,
                name.as_str(),
                keep_marks,
            )
            .await
        }
        Action::Send { text } => actions::send(on, &name, text).await,
        Action::Rename { to } => actions::rename(on, &name, to).await,
        Action::Mark { ops } => marks::apply(on, &name, ops).await,
        Action::Acknowledge => acknowledge::acknowledge(on, &name).await,
        Action::Git { cwd } => actions::git_report(on, &name, cwd).await,
        Action::PullRequest { cwd } => actions::pull_request(on, cwd).await,
        Action::Diff { cwd } => actions::diff(on, &name, cwd).await,
        Action::Keys { keys } => actions::keys(on, &name, keys).await,
        Action::Answer { choice, expect } => actions::answer(on, &name, *choice, expect).await,
    }
}
