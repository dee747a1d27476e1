//! The roomy row: two or three lines per session, as in the seed's "Session Display".
//!
//! ```text
//!   ⚙️  api {CX} [dev-server]  team refactor: tester ⏳ writer ⚙️  +OC ⚙️   5m ago
//!       ~/work/api  ⎇ main*
//!       "Running tests..."
//! ```

use navi_core::text::sanitize;
use navi_core::{SessionInfo, Status};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::{badges, combined_note, fit, git_text, with_right};
use crate::app::UiState;
use crate::format::{session_age, tilde};
use crate::icons::status_cell;

const INDENT: &str = "      ";
const MESSAGE_CHARS: usize = 2000;

/// The lines of one session row, `w` cells wide: name line, directory line, message.
pub(super) fn session_lines(s: &SessionInfo, ui: &UiState, w: usize) -> Vec<Line<'static>> {
    let dim = Style::new().fg(Color::DarkGray);
    let age = session_age(s.timestamp, ui.now_unix);
    let first = with_right(name_line(s, ui), Span::styled(age, dim), w);
    let mut lines = vec![first, Line::from(fit(directory_line(s, ui), w))];
    if let Some(message) = message_line(s, w) {
        lines.push(message);
    }
    lines
}

/// Line 1 without the age: icon, name, [remote], badges, team and agents.
fn name_line(s: &SessionInfo, ui: &UiState) -> Vec<Span<'static>> {
    let dim = Style::new().fg(Color::DarkGray);
    let (status, _) = s.combined_status();
    let mut left = vec![
        Span::raw(format!(" {} ", status_cell(&status, ui.icons))),
        Span::styled(
            navi_core::text::sanitize_name(&s.tmux_session).into_owned(),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ];
    // The agent when it is not Claude Code (`{CX}`, as `navi list` writes it); helpers
    // show with their status below.
    if let Some(lead) = crate::format::agent_tags(s)
        .first()
        .filter(|t| !t.starts_with('+'))
    {
        left.push(Span::styled(
            format!(" {{{lead}}}"),
            Style::new().fg(Color::Blue),
        ));
    }
    if let Some(remote) = &s.remote {
        left.push(Span::styled(
            format!(" [{}]", sanitize(remote)),
            Style::new().fg(Color::Cyan),
        ));
    }
    let marks = super::marks_text(s);
    if !marks.is_empty() {
        left.push(Span::styled(
            format!(" {marks}"),
            Style::new().fg(Color::Magenta),
        ));
    }
    if s.stale {
        left.push(Span::styled("  stale", Style::new().fg(Color::Red)));
    }
    match &s.liveness {
        navi_core::Liveness::Ended => left.push(Span::styled(
            "  ended (tmux session gone; d dismisses)",
            Style::new().fg(Color::Red),
        )),
        navi_core::Liveness::Unknown(why) => left.push(Span::styled(
            format!(
                "  unknown: tmux {} does not see this session ({})",
                s.remote
                    .as_deref()
                    .map(|r| format!("on {}", sanitize(r)))
                    .unwrap_or_else(|| "here".into()),
                sanitize(why)
            ),
            Style::new().fg(Color::Yellow),
        )),
        _ => {}
    }
    if s.partial {
        left.push(Span::styled("  partial", Style::new().fg(Color::Yellow)));
    }
    if let Status::Unknown(raw) = &s.status {
        left.push(Span::styled(format!("  {}?", sanitize(raw)), dim));
    }
    if let Some(note) = combined_note(s) {
        left.push(Span::styled(
            format!("  {note}"),
            Style::new().fg(Color::Yellow),
        ));
    }
    left.extend(agent_spans(s, ui));
    if let Some(pbi) = &s.current_pbi {
        left.push(Span::styled(format!("  {}", pbi_label(pbi)), dim));
    }
    let badges = badges(s, &ui.prices);
    if !badges.is_empty() {
        left.push(Span::styled(format!("  {badges}"), dim));
    }
    left
}

/// The team's agents and the external agents, each with its status icon.
fn agent_spans(s: &SessionInfo, ui: &UiState) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if let Some(team) = s.team.as_ref().filter(|t| !t.agents.is_empty()) {
        let mut t = String::from("  team");
        if let Some(name) = &team.name {
            t.push_str(&format!(" {}", sanitize(name)));
        }
        t.push(':');
        for a in &team.agents {
            let name = a.name.as_deref().unwrap_or("agent");
            let icon = crate::icons::status_icon(&a.state.status, ui.icons);
            t.push_str(&format!(" {} {icon}", sanitize(name)));
        }
        spans.push(Span::styled(t, Style::new().fg(Color::Magenta)));
    }
    // A helper agent as its tag and status (`+OC ⚙`), as the Go navi's `[OC ●]`.
    for (kind, a) in s.agents.iter().flatten() {
        let icon = crate::icons::status_icon(&a.status, ui.icons);
        spans.push(Span::styled(
            format!("  +{} {icon}", crate::format::helper_tag(kind)),
            Style::new().fg(Color::Blue),
        ));
    }
    spans
}

/// Line 2: directory and git branch.
fn directory_line(s: &SessionInfo, ui: &UiState) -> Vec<Span<'static>> {
    let mut second = vec![Span::raw(INDENT)];
    let cwd = tilde(&sanitize(&s.cwd), ui.home.as_deref(), s.remote.is_some());
    second.push(Span::raw(if cwd.is_empty() {
        "-".to_string()
    } else {
        cwd
    }));
    if let Some(git) = git_text(s) {
        second.push(Span::styled(
            format!("  {git}"),
            Style::new().fg(Color::Green),
        ));
    }
    second
}

/// Line 3: the message, when there is one.
fn message_line(s: &SessionInfo, w: usize) -> Option<Line<'static>> {
    // Only the start of a message can be seen; do not sanitize a megabyte per frame.
    let head: String = s.message.chars().take(MESSAGE_CHARS).collect();
    let message = sanitize(&head);
    let message = message.trim();
    if message.is_empty() {
        return None;
    }
    Some(Line::from(fit(
        vec![
            Span::raw(INDENT),
            Span::styled(
                format!("\"{message}\""),
                Style::new().add_modifier(Modifier::ITALIC),
            ),
        ],
        w,
    )))
}

/// `current_pbi` as the Go navi shows it: as written (`PBI-57`), a bare number as `PBI-57`.
pub(crate) fn pbi_label(pbi: &str) -> String {
    let pbi = sanitize(pbi.trim());
    match !pbi.is_empty() && pbi.chars().all(|c| c.is_ascii_digit()) {
        true => format!("PBI-{pbi}"),
        false => pbi.into_owned(),
    }
}

#[cfg(test)]
mod pbi_tests {
    #[test]
    fn pbi_is_shown_as_the_go_navi_shows_it() {
        assert_eq!(super::pbi_label("PBI-57"), "PBI-57");
        assert_eq!(super::pbi_label("57"), "PBI-57");
        assert_eq!(super::pbi_label("TASK-3"), "TASK-3");
    }
}
