//! What the list says when it has no rows: why, and what to do.

use navi_core::text::sanitize;
use navi_core::{Filter, Model, SourceState};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Text};

use crate::app::UiState;
use crate::format::tilde;

/// The filters and search that hide every row, in words: `the filter dev, the search "x"`.
fn narrowing(model: &Model) -> Vec<String> {
    let mut what = Vec::new();
    if *model.filter() != Filter::All {
        what.push(format!("the filter {}", sanitize(model.filter().label())));
    }
    if let Some(statuses) = model.statuses() {
        let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        what.push(format!("the status filter {}", names.join("/")));
    }
    if !model.query().is_empty() {
        what.push(format!("the search \"{}\"", sanitize(model.query())));
    }
    if model.hides_offline() {
        what.push("hidden offline rows".to_string());
    }
    what
}

pub(super) fn empty_text(model: &Model, ui: &UiState) -> Text<'static> {
    let dim = Style::new().fg(Color::DarkGray);
    if !model.snapshot().sessions.is_empty() {
        let total = model.snapshot().sessions.len();
        let sessions = if total == 1 { "session" } else { "sessions" };
        let why = narrowing(model).join(", ");
        return Text::from(vec![
            Line::raw(""),
            Line::raw(format!("  None of the {total} {sessions} match {why}.")),
            Line::styled(
                "  Esc clears the search and filters; o shows offline and stale rows.",
                dim,
            ),
        ]);
    }
    if model
        .sources()
        .iter()
        .any(|h| h.state == SourceState::Connecting)
    {
        return Text::from(vec![Line::raw(""), Line::raw("  Looking for sessions…")]);
    }
    let dir = tilde(&sanitize(&ui.sessions_dir), ui.home.as_deref(), false);
    let remotes = tilde(&sanitize(&ui.remotes_file), ui.home.as_deref(), false);
    let local_down = model
        .sources()
        .iter()
        .find(|h| h.name.is_none() && h.state == SourceState::Unavailable);
    let first = match local_down {
        Some(_) => format!("  Cannot read {dir} (the reason is above)."),
        None => format!("  No Claude Code sessions in {dir}."),
    };
    Text::from(vec![
        Line::raw(""),
        Line::raw(first),
        Line::raw(""),
        Line::raw("  Run `navi hooks install` once, then start `claude` inside tmux:"),
        Line::styled(
            "  the hooks write one status file per tmux session there while Claude runs.",
            dim,
        ),
        Line::styled(
            format!("  Remote machines go in {remotes} (see `navi --help`)."),
            dim,
        ),
        Line::raw(""),
        Line::raw("  Try `navi --demo` to see the dashboard with sample data."),
    ])
}
