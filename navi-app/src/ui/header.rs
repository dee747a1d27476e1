//! The header: title, counts, filter, and one indicator per source.

use navi_core::text::sanitize;
use navi_core::{format_duration, Model, SourceHealth, SourceState};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::app::UiState;
use crate::format::{ago, ellipsize_middle, truncate, width, wrap};

mod summary;

const SEPARATOR: &str = "   ";
/// Unavailable sources whose reason gets its own header lines.
const MAX_REASONS: usize = 2;
/// Lines one reason may take.
const REASON_LINES: usize = 2;

/// Lines the source indicators may take at most; more sources are summarised.
pub(super) const MAX_SOURCE_LINES: usize = 3;

/// The header, in at most `max_lines` lines (the title first, then the sources).
pub(super) fn header_lines(
    model: &Model,
    ui: &UiState,
    w: u16,
    max_lines: usize,
) -> Vec<Line<'static>> {
    let w = usize::from(w);
    let mut lines = vec![title_line(model, ui)];
    let room = MAX_SOURCE_LINES.min(max_lines.saturating_sub(1)).max(1);
    let indicators = indicator_lines(model, ui, w);
    if indicators.len() <= room {
        lines.extend(indicators);
        lines.extend(reason_lines(model, w));
    } else {
        // Too many sources for one indicator each: counts, and the failures by name.
        lines.extend(summary::summary_lines(model.sources(), w, room));
    }
    if let Some(first) = ui.config_errors.first() {
        let count = match ui.config_errors.len() {
            1 => "1 problem".to_string(),
            n => format!("{n} problems"),
        };
        let text = format!(
            " ⚠ config: {count} (e lists them): {}",
            sanitize(&first.to_string())
        );
        lines.push(Line::styled(
            truncate(&text, w),
            Style::new().fg(Color::Yellow),
        ));
    }
    lines.truncate(max_lines.max(1));
    lines
}

/// Source indicators, packed greedily into as many lines as they need.
fn indicator_lines(model: &Model, ui: &UiState, w: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = vec![Span::raw(" ")];
    let mut used = 1;
    for health in model.sources() {
        let spans = source_indicator(health, ui);
        let sw: usize = spans.iter().map(|s| s.width()).sum();
        if used > 1 && used + SEPARATOR.len() + sw > w {
            lines.push(Line::from(std::mem::replace(
                &mut current,
                vec![Span::raw(" ")],
            )));
            used = 1;
            // Past what the header can show: the caller summarises instead.
            if lines.len() > MAX_SOURCE_LINES {
                return lines;
            }
        }
        if used > 1 {
            current.push(Span::raw(SEPARATOR));
            used += SEPARATOR.len();
        }
        current.extend(spans);
        used += sw;
    }
    if used > 1 {
        lines.push(Line::from(current));
    }
    lines
}

/// Why each unavailable source is down, with what to do (the sources' messages say),
/// without repeating the source's name the line starts with.
fn reason_lines(model: &Model, w: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let down: Vec<_> = model
        .sources()
        .iter()
        .filter_map(|h| match (h.state, &h.reason) {
            (SourceState::Unavailable, Some(r)) => Some((h.display_name(), r)),
            _ => None,
        })
        .collect();
    for (name, reason) in down.iter().take(MAX_REASONS) {
        let text = format!("{}: {}", sanitize(name), sanitize(&reason.reason()));
        // Word wrapping wastes up to a word per line; leave room for it.
        let room = w.saturating_sub(3);
        let text = ellipsize_middle(
            &text,
            (room * REASON_LINES).saturating_sub(12 * REASON_LINES),
        );
        for (i, part) in wrap(&text, room, REASON_LINES).into_iter().enumerate() {
            let lead = if i == 0 { " ✖ " } else { "   " };
            lines.push(Line::from(vec![
                Span::styled(lead, Style::new().fg(Color::Red)),
                Span::styled(part, Style::new().fg(Color::Red)),
            ]));
        }
    }
    if down.len() > MAX_REASONS {
        lines.push(Line::styled(
            truncate(
                &format!(
                    "   +{} more unavailable; `navi remotes` explains each",
                    down.len() - MAX_REASONS
                ),
                w,
            ),
            Style::new().fg(Color::Red),
        ));
    }
    lines
}

fn title_line(model: &Model, ui: &UiState) -> Line<'static> {
    let c = model.counts();
    let dim = Style::new().fg(Color::DarkGray);
    let title = if ui.demo { " navi (demo) " } else { " navi " };
    let mut left = vec![
        Span::styled(
            title,
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(" {} sessions", c.total)),
        Span::styled(" · ", dim),
        Span::styled(
            format!("{} need you", c.attention),
            if c.attention > 0 {
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD)
            } else {
                Style::new()
            },
        ),
        Span::styled(" · ", dim),
        Span::raw(format!("{} working", c.working)),
        Span::styled(" · ", dim),
        Span::raw(format!("{} local / {} remote", c.local, c.remote)),
    ];
    if c.stale > 0 {
        left.push(Span::styled(" · ", dim));
        left.push(Span::styled(
            format!("{} stale", c.stale),
            Style::new().fg(Color::Red),
        ));
    }
    if ui.muted {
        let text = match ui.icons {
            crate::icons::IconSet::Emoji => "🔕 muted",
            crate::icons::IconSet::Ascii => "muted",
        };
        left.push(Span::styled(" · ", dim));
        left.push(Span::styled(text, Style::new().fg(Color::Magenta)));
    }
    // The Go navi's totals (tokens, time, tool uses), over the rows shown, with cost;
    // last, so a narrow terminal cuts them first.
    let totals = super::tokens::totals(model, &ui.prices);
    let ascii = ui.icons == crate::icons::IconSet::Ascii;
    if let Some(text) = super::tokens::totals_text(&totals, ascii) {
        left.push(Span::styled(" · ", dim));
        left.push(Span::raw(text));
    }
    Line::from(left)
}

/// Where the selection is among the rows matching `query` (1-based, `None` when it is
/// not on one), and how many match: the Go navi's `[i/N]`.
pub(crate) fn match_position(model: &Model, query: &str) -> (Option<usize>, usize) {
    let selected = model.selected_index();
    let mut at = None;
    let mut n = 0;
    for (i, s) in model.rows().enumerate() {
        if navi_core::matches_query(s, query) {
            n += 1;
            if Some(i) == selected {
                at = Some(n);
            }
        }
    }
    (at, n)
}

/// The rule under the header: `── filter: all · offline: shown · 5 of 5 shown ────`.
pub(super) fn filter_rule(
    model: &Model,
    ui: &UiState,
    w: u16,
    position: Option<String>,
) -> Line<'static> {
    let w = usize::from(w);
    let c = model.counts();
    let mut text = format!(
        "── filter: {} · offline: {}",
        sanitize(model.filter().label()),
        if model.hides_offline() {
            "hidden"
        } else {
            "shown"
        },
    );
    if let Some(statuses) = model.statuses() {
        let names: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
        text.push_str(&format!(" · status: {}", names.join("/")));
    }
    if model.bookmarked_only() {
        text.push_str(" · ★ bookmarked only");
    }
    if let Some(agent) = model.agent() {
        text.push_str(&format!(" · agent: {}", sanitize(agent)));
    }
    if !model.query().is_empty() {
        text.push_str(&format!(" · filter /{}", sanitize(model.query())));
    }
    if !ui.find.is_empty() {
        let (at, of) = match_position(model, &ui.find);
        let at = at.map_or("-".to_string(), |i| i.to_string());
        text.push_str(&format!(" · /{} [{at}/{of}]", sanitize(&ui.find)));
    }
    if model.sort() != navi_core::SortMode::Priority {
        text.push_str(&format!(" · sort: {}", model.sort().label()));
    }
    text.push_str(&format!(" · {} of {} shown ", c.shown, c.total));
    if let Some(p) = position {
        text.push_str(&format!("· {p} "));
    }
    let text = truncate(&text, w);
    let fill = w.saturating_sub(width(&text));
    Line::from(vec![
        Span::styled(text, Style::new().fg(Color::Cyan)),
        Span::styled("─".repeat(fill), Style::new().fg(Color::DarkGray)),
    ])
}

/// `● dev-server 42ms 3s ago`, `◌ dev connecting`, `✖ staging refused 3ms 2m ago`.
pub fn source_indicator(h: &SourceHealth, ui: &UiState) -> Vec<Span<'static>> {
    let (symbol, color) = match h.state {
        SourceState::Connected => ("●", Color::Green),
        SourceState::Connecting => ("◌", Color::Yellow),
        SourceState::Unavailable => ("✖", Color::Red),
    };
    let dim = Style::new().fg(Color::DarkGray);
    let mut spans = vec![
        Span::styled(symbol, Style::new().fg(color)),
        Span::raw(" "),
        Span::styled(
            sanitize(h.display_name()).into_owned(),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ];
    match (h.state, &h.reason) {
        (SourceState::Connecting, _) => spans.push(Span::styled(" connecting", dim)),
        (SourceState::Unavailable, Some(reason)) => spans.push(Span::styled(
            format!(" {}", reason.kind()),
            Style::new().fg(Color::Red),
        )),
        _ => {}
    }
    if let Some(latency) = h.latency {
        spans.push(Span::styled(format!(" {}", format_duration(latency)), dim));
    }
    match h.data_age(ui.now) {
        Some(age) => spans.push(Span::styled(format!(" {}", ago(age)), dim)),
        None if h.state == SourceState::Unavailable => spans.push(Span::styled(" no data", dim)),
        None => {}
    }
    // Status files that could not be read cost only themselves, but are not hidden:
    // `navi list` names each one and says why.
    if !h.skipped.is_empty() {
        spans.push(Span::styled(
            format!(" ⚠ {} skipped (e)", h.skipped.len()),
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some(note) = &h.note {
        spans.push(Span::styled(
            format!(" ⚠ {}", sanitize(&note.to_string())),
            Style::new().fg(Color::Yellow),
        ));
    }
    spans
}
