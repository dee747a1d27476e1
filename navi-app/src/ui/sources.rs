//! The `S` overlay: every source (local and each remote), unavailable ones first, with
//! state, reason, latency, how it gets its data, sessions and the age of its data;
//! scrolled with the navigation keys when longer than the screen.

use navi_core::text::sanitize;
use navi_core::{format_duration, Model, SourceHealth, SourceState};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::UiState;
use crate::format::{ago, pad, truncate, width};

/// The columns after the name: state, reason, latency, sessions, last good poll.
const COLUMNS: [(&str, usize); 5] = [
    ("STATE", 11),
    ("REASON", 12),
    ("LATENCY", 8),
    ("SESSIONS", 8),
    ("LAST OK", 10),
];

/// Unavailable first, then connecting, then connected; configuration order within.
pub(crate) fn ordered(sources: &[SourceHealth]) -> Vec<&SourceHealth> {
    let rank = |h: &SourceHealth| match h.state {
        SourceState::Unavailable => 0,
        SourceState::Connecting => 1,
        SourceState::Connected => 2,
    };
    let mut list: Vec<&SourceHealth> = sources.iter().collect();
    list.sort_by_key(|h| rank(h));
    list
}

/// The overlay's lines: one per source, and the full reason under an unavailable one.
fn source_lines(model: &Model, ui: &UiState, w: usize) -> Vec<Line<'static>> {
    let sources = ordered(model.sources());
    let name_w = sources
        .iter()
        .map(|h| width(&sanitize(h.display_name())))
        .max()
        .unwrap_or(0)
        .clamp(6, 24);
    let mut head = format!("   {}  ", pad("SOURCE", name_w));
    for (title, cw) in COLUMNS {
        head.push_str(&pad(title, cw));
        head.push_str("  ");
    }
    head.push_str("MODE");
    let bold = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled(truncate(&head, w), bold)];
    for h in sources {
        lines.push(source_line(h, ui, name_w, w));
        if let (SourceState::Unavailable, Some(reason)) = (h.state, &h.reason) {
            let text = format!("     {}", sanitize(&reason.reason()));
            lines.push(Line::styled(
                truncate(&text, w),
                Style::new().fg(Color::Red),
            ));
        }
    }
    lines
}

fn source_line(h: &SourceHealth, ui: &UiState, name_w: usize, w: usize) -> Line<'static> {
    let (symbol, color) = match h.state {
        SourceState::Connected => ("●", Color::Green),
        SourceState::Connecting => ("◌", Color::Yellow),
        SourceState::Unavailable => ("✖", Color::Red),
    };
    let reason = h.reason.as_ref().map_or("-", |r| r.kind());
    let cells = [
        h.state.as_str().to_string(),
        reason.to_string(),
        h.latency.map_or_else(|| "-".into(), format_duration),
        h.sessions.to_string(),
        h.data_age(ui.now).map_or_else(|| "never".into(), ago),
    ];
    let mut text = format!("{}  ", pad(&sanitize(h.display_name()), name_w));
    for (cell, (_, cw)) in cells.iter().zip(COLUMNS) {
        text.push_str(&pad(cell, cw));
        text.push_str("  ");
    }
    let mode = h
        .mode
        .as_ref()
        .map_or_else(|| "-".to_string(), ToString::to_string);
    text.push_str(&sanitize(&mode));
    let mut spans = vec![
        Span::raw(" "),
        Span::styled(symbol, Style::new().fg(color)),
        Span::raw(" "),
        Span::raw(truncate(&text, w.saturating_sub(3))),
    ];
    if let Some(note) = &h.note {
        spans.push(Span::styled(
            format!(" ⚠ {}", sanitize(&note.to_string())),
            Style::new().fg(Color::Yellow),
        ));
    }
    Line::from(spans)
}

/// Draws the overlay, scrolled to `ui.sources_scroll` (clamped here).
pub(super) fn draw_sources(frame: &mut Frame, area: Rect, model: &Model, ui: &mut UiState) {
    let inner_w = usize::from(area.width.min(120).saturating_sub(2));
    let lines = source_lines(model, ui, inner_w);
    // The status line under it stays visible.
    let want = u16::try_from(lines.len() + 3).unwrap_or(u16::MAX);
    let rect = super::centered(area, 120, want.min(area.height.saturating_sub(1)));
    // Borders, and the key hint under the list; the column titles stay on top.
    let visible = usize::from(rect.height.saturating_sub(4)).max(1);
    let body = lines.len().saturating_sub(1);
    ui.sources_scroll = ui.sources_scroll.min(body.saturating_sub(visible));
    ui.sources_page = visible;
    let first = ui.sources_scroll;
    let shown = visible.min(body.saturating_sub(first));
    let mut text: Vec<Line<'static>> = lines.iter().take(1).cloned().collect();
    text.extend(lines.into_iter().skip(1 + first).take(visible));
    let place = if shown < body {
        format!("lines {}–{} of {body} · ", first + 1, first + shown)
    } else {
        String::new()
    };
    text.push(Line::styled(
        truncate(
            &format!(" {place}j/k PgDn/PgUp g/G scroll · S, Esc or q closes"),
            inner_w,
        ),
        Style::new().fg(Color::DarkGray),
    ));
    let title = format!(" sources ({}) ", model.sources().len());
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(text).block(Block::default().borders(Borders::ALL).title(title)),
        rect,
    );
}
