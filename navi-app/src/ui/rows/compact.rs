//! The compact row: one line per session, in columns sized to the terminal.
//!
//! ```text
//!  ⚙  api          dev-server   5m ago  ⎇ main*     Running tests...
//! ```
//!
//! A column of agent tags (`CX`, `+OC`, as `navi list`) follows the name once a row is
//! not a plain Claude Code session.

use navi_core::text::sanitize;
use navi_core::{Model, SessionInfo};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use super::{combined_note, fit, git_text};
use crate::app::UiState;
use crate::format::{pad, session_age, truncate, width};
use crate::icons::status_cell;

/// Widest columns, in cells.
const MAX_NAME: usize = 28;
const MAX_MACHINE: usize = 16;
const MAX_BRANCH: usize = 22;
const AGE: usize = 8;

/// The widest agent column: none while every row is a plain Claude Code session.
const MAX_AGENT: usize = 9;

/// A row's agent cell: `CX`, `+OC`, `CX+OC`; empty for a plain Claude Code session.
fn agent_cell(s: &SessionInfo) -> String {
    crate::format::agent_tags(s).concat()
}

/// The widest name, machine, branch (with its mark) and agent cell among the rows shown.
fn widest(model: &Model) -> (usize, usize, usize, usize) {
    let (mut name, mut machine, mut branch, mut agent) = (4, 0, 0, 0);
    for s in model.rows() {
        name = name.max(width(&s.tmux_session));
        agent = agent.max(width(&agent_cell(s)));
        if let Some(r) = &s.remote {
            machine = machine.max(width(r));
        }
        if let Some(b) = s.git.as_ref().and_then(|g| g.branch.as_deref()) {
            branch = branch.max(width(b) + 3);
        }
    }
    (name, machine, branch, agent)
}

/// Column widths for one frame.
pub(super) struct Columns {
    name: usize,
    agent: usize,
    machine: usize,
    branch: usize,
    total: usize,
}

impl Columns {
    /// Sizes the columns to the rows (capped), leaving the rest of `w` to the message.
    /// The widest name, machine and branch are measured once per set of rows (kept in
    /// `ui`), not in every frame.
    pub(super) fn measure(model: &Model, ui: &mut UiState, w: usize) -> Columns {
        let (name, machine, branch, agent) = match ui.row_widths {
            Some((revision, widths)) if revision == model.revision() => widths,
            _ => {
                let widths = widest(model);
                ui.row_widths = Some((model.revision(), widths));
                widths
            }
        };
        // On a narrow screen the name keeps its room first, then machine, then branch.
        let name = name.min(MAX_NAME).min(w / 3).max(4);
        let machine = machine.min(MAX_MACHINE).min(w / 5);
        let branch = branch.min(MAX_BRANCH).min(w / 5);
        let agent = agent.min(MAX_AGENT).min(w / 8);
        Columns {
            name,
            agent,
            machine,
            branch,
            total: w,
        }
    }

    /// The one line of `s`.
    pub(super) fn line(&self, s: &SessionInfo, ui: &UiState) -> Line<'static> {
        let dim = Style::new().fg(Color::DarkGray);
        let (status, _) = s.combined_status();
        let cell = match &s.liveness {
            navi_core::Liveness::Ended => format!("{:<2}", "x"),
            navi_core::Liveness::Unknown(_) => format!("{:<2}", "?"),
            _ => status_cell(&status, ui.icons),
        };
        let mut spans = vec![
            Span::raw(format!("{cell} ")),
            Span::styled(
                pad(
                    &truncate(&navi_core::text::sanitize_name(&s.tmux_session), self.name),
                    self.name,
                ),
                Style::new().add_modifier(Modifier::BOLD),
            ),
        ];
        if self.agent > 0 {
            let a = agent_cell(s);
            spans.push(Span::styled(
                format!(" {}", pad(&truncate(&a, self.agent), self.agent)),
                Style::new().fg(Color::Blue),
            ));
        }
        if self.machine > 0 {
            let m = s.remote.as_deref().map(sanitize).unwrap_or_default();
            spans.push(Span::styled(
                format!(" {}", pad(&truncate(&m, self.machine), self.machine)),
                Style::new().fg(Color::Cyan),
            ));
        }
        let age = session_age(s.timestamp, ui.now_unix);
        spans.push(Span::styled(format!(" {age:>AGE$}"), dim));
        if self.branch > 0 {
            let g = git_text(s).unwrap_or_default();
            spans.push(Span::styled(
                format!(" {}", pad(&truncate(&g, self.branch), self.branch)),
                Style::new().fg(Color::Green),
            ));
        }
        let text = match combined_note(s) {
            Some(note) => format!("{note} {}", first_line(&s.message)),
            None => first_line(&s.message),
        };
        let marks = super::marks_text(s);
        if !marks.is_empty() {
            spans.push(Span::styled(
                format!(" {marks}"),
                Style::new().fg(Color::Magenta),
            ));
        }
        spans.push(Span::raw(format!("  {}", sanitize(&text))));
        Line::from(fit(spans, self.total.saturating_sub(1)))
    }
}

/// The start of the message's first line (a compact row shows no more).
fn first_line(message: &str) -> String {
    let head: String = message.chars().take(400).collect();
    head.lines().next().unwrap_or("").trim().to_string()
}
