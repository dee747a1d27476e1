//! The session list: two or three lines per session, as in the seed's "Session Display".
//!
//! ```text
//!   ⚙️  api [dev-server]  team refactor: tester ⏳ writer ⚙️          5m ago
//!       ~/work/api  ⎇ main*
//!       "Running tests..."
//! ```

use navi_core::text::sanitize;
use navi_core::{Filter, Model, SessionInfo, SourceState, Status};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::UiState;
use crate::format::{session_age, tilde, truncate};

const INDENT: &str = "      ";
const MESSAGE_CHARS: usize = 2000;

pub(super) fn draw_rows(frame: &mut Frame, area: Rect, model: &Model, ui: &mut UiState) {
    if model.is_empty() {
        frame.render_widget(
            Paragraph::new(empty_text(model, ui)).wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    // Only rows that can appear on screen are built: every row is at least one line tall,
    // so a view that shows the selected row holds no row further than `height` from it.
    // This keeps a frame's cost independent of how many sessions there are.
    let selected = model.selected_index().unwrap_or(0);
    let height = usize::from(area.height);
    let start = selected.saturating_sub(height);
    let end = selected
        .saturating_add(height)
        .saturating_add(1)
        .min(model.len());
    let items: Vec<ListItem> = (start..end)
        .filter_map(|i| model.row(i))
        .map(|s| {
            let mut lines = session_lines(s, ui, area.width);
            // Too short for a full row: one line per session, so rows still show.
            if area.height < super::FULL_ROW {
                lines.truncate(1);
            }
            let item = ListItem::new(Text::from(lines));
            if s.stale || s.status == Status::Offline {
                item.style(Style::new().add_modifier(Modifier::DIM))
            } else {
                item
            }
        })
        .collect();
    // `ui.list` keeps the absolute scroll offset between frames; the widget sees the window.
    let mut window = ListState::default()
        .with_offset(ui.list.offset().saturating_sub(start))
        .with_selected(model.selected_index().map(|i| i - start));
    let list = List::new(items).highlight_style(
        Style::new()
            .bg(Color::Rgb(40, 50, 70))
            .add_modifier(Modifier::BOLD),
    );
    frame.render_stateful_widget(list, area, &mut window);
    ui.list = ListState::default()
        .with_offset(start + window.offset())
        .with_selected(model.selected_index());
}

/// The lines of one session row, `w` cells wide: name line, directory line, message.
pub fn session_lines(s: &SessionInfo, ui: &UiState, w: u16) -> Vec<Line<'static>> {
    let w = usize::from(w);
    let dim = Style::new().fg(Color::DarkGray);
    let age = session_age(s.timestamp, ui.now_unix);
    let first = with_right(name_line(s), Span::styled(age, dim), w);
    let mut lines = vec![first, Line::from(fit(directory_line(s, ui), w))];
    if let Some(message) = message_line(s, w) {
        lines.push(message);
    }
    lines
}

/// Line 1 without the age: icon, name, [remote], badges, team and agents.
fn name_line(s: &SessionInfo) -> Vec<Span<'static>> {
    let dim = Style::new().fg(Color::DarkGray);
    let mut left = vec![
        Span::raw(format!("  {}  ", crate::icons::status_icon(&s.status))),
        Span::styled(
            sanitize(&s.tmux_session).into_owned(),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ];
    if let Some(remote) = &s.remote {
        left.push(Span::styled(
            format!(" [{}]", sanitize(remote)),
            Style::new().fg(Color::Cyan),
        ));
    }
    if s.stale {
        left.push(Span::styled("  stale", Style::new().fg(Color::Red)));
    }
    if s.partial {
        left.push(Span::styled("  partial", Style::new().fg(Color::Yellow)));
    }
    if let Status::Unknown(raw) = &s.status {
        left.push(Span::styled(format!("  {}?", sanitize(raw)), dim));
    }
    left.extend(agent_spans(s));
    if let Some(pbi) = &s.current_pbi {
        left.push(Span::styled(format!("  PBI-{}", sanitize(pbi)), dim));
    }
    left
}

/// The team's agents and the external agents, each with its status icon.
fn agent_spans(s: &SessionInfo) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    if let Some(team) = s.team.as_ref().filter(|t| !t.agents.is_empty()) {
        let mut t = String::from("  team");
        if let Some(name) = &team.name {
            t.push_str(&format!(" {}", sanitize(name)));
        }
        t.push(':');
        for a in &team.agents {
            let name = a.name.as_deref().unwrap_or("agent");
            let icon = crate::icons::status_icon(&a.status);
            t.push_str(&format!(" {} {icon}", sanitize(name)));
        }
        spans.push(Span::styled(t, Style::new().fg(Color::Magenta)));
    }
    for (kind, a) in s.agents.iter().flatten() {
        let icon = crate::icons::status_icon(&a.status);
        spans.push(Span::styled(
            format!("  {} {icon}", sanitize(kind)),
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
    if let Some(git) = &s.git {
        if let Some(branch) = &git.branch {
            let dirty = if git.dirty == Some(true) { "*" } else { "" };
            second.push(Span::styled(
                format!("  ⎇ {}{dirty}", sanitize(branch)),
                Style::new().fg(Color::Green),
            ));
        }
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

/// `left` cut to leave room for `right`, then `right` aligned to the right edge.
fn with_right(left: Vec<Span<'static>>, right: Span<'static>, w: usize) -> Line<'static> {
    let rw = right.width() + 1;
    let mut spans = fit(left, w.saturating_sub(rw + 1));
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used + rw <= w {
        spans.push(Span::raw(" ".repeat(w - used - rw)));
        spans.push(right);
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// The spans, cut with `…` so they fit in `max` cells.
fn fit(spans: Vec<Span<'static>>, max: usize) -> Vec<Span<'static>> {
    let mut out = Vec::with_capacity(spans.len());
    let mut used = 0;
    for span in spans {
        let sw = span.width();
        if used + sw <= max {
            used += sw;
            out.push(span);
        } else {
            let cut = truncate(&span.content, max.saturating_sub(used));
            if !cut.is_empty() {
                out.push(Span::styled(cut, span.style));
            }
            break;
        }
    }
    out
}

fn empty_text(model: &Model, ui: &UiState) -> Text<'static> {
    let dim = Style::new().fg(Color::DarkGray);
    if !model.snapshot().sessions.is_empty() {
        let filter = match model.filter() {
            Filter::All => String::new(),
            f => format!(" match the filter `{}`", sanitize(f.label())),
        };
        return Text::from(vec![
            Line::raw(""),
            Line::raw(format!("  No sessions{filter} are shown.")),
            Line::styled(
                "  Press f to change the filter, o to show offline and stale rows.",
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
        Line::styled(
            "  navi's Claude Code hooks write one status file per tmux session there while",
            dim,
        ),
        Line::styled(
            "  Claude runs; start `claude` inside tmux with the hooks installed.",
            dim,
        ),
        Line::styled(
            "  Remote machines go in ~/.config/navi/remotes.yaml (see `navi --help`).",
            dim,
        ),
        Line::raw(""),
        Line::raw("  Try `navi --demo` to see the dashboard with sample data."),
    ])
}
