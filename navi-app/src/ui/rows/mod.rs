//! The session list: roomy rows (two or three lines per session) or compact rows (one
//! line, in columns), a scroll window that always fills the screen, and the empty state.

mod compact;
mod empty;
mod roomy;

use crate::format::{short_bytes, short_duration};
use navi_core::text::sanitize;
use navi_core::{Model, SessionInfo, Status};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{Density, UiState};
use crate::format::truncate;

/// The mark in front of the selected row: the selection shows without colour too.
const CURSOR: &str = "▶";
/// The mark in front of a row matching the search (highlight mode, the Go navi's).
const MATCH: &str = "»";

/// Which rows are on screen, and how they are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Index of the first row drawn.
    pub first: usize,
    /// Rows drawn.
    pub count: usize,
    /// One line per session.
    pub compact: bool,
}

/// Lines a session takes in the roomy layout on a list `height` lines tall.
fn roomy_height(s: &SessionInfo, height: usize) -> usize {
    if height < usize::from(super::FULL_ROW) {
        1
    } else if s.message.trim().is_empty() {
        2
    } else {
        3
    }
}

/// Whether the list is drawn compact: by choice, or (auto) when the roomy rows would not
/// all fit. Auto has hysteresis at a given height: roomy turns compact when the rows do
/// not fit, compact turns roomy again only when they would fill at most two thirds of
/// the list, so a row coming and going at the edge does not flip the layout.
fn is_compact(model: &Model, ui: &UiState, height: usize) -> bool {
    match ui.density {
        Density::Compact => true,
        Density::Roomy => false,
        Density::Auto => {
            let was_compact = ui
                .auto_compact
                .filter(|(h, _)| *h == height)
                .map(|(_, c)| c);
            let limit = match was_compact {
                Some(true) => height * 2 / 3,
                _ => height,
            };
            let mut need = 0;
            model.rows().any(|s| {
                need += roomy_height(s, height);
                need > limit
            })
        }
    }
}

/// The window for `model` on a list `height` lines tall, given the previous first row.
///
/// The scroll offset is clamped after every change of rows or size: the selected row is
/// on screen, and the screen is filled — never blank lines below the last row while rows
/// above are scrolled away.
pub(crate) fn plan(model: &Model, ui: &UiState, height: usize) -> Window {
    let compact = is_compact(model, ui, height);
    let h = |i: usize| {
        model
            .row(i)
            .map_or(1, |s| if compact { 1 } else { roomy_height(s, height) })
    };
    let len = model.len();
    let selected = model.selected_index().unwrap_or(0);
    let mut first = ui.scroll.min(selected);
    // The selected row must fit below `first`.
    let mut used: usize = (first..=selected.min(len.saturating_sub(1))).map(h).sum();
    while first < selected && used > height {
        used -= h(first);
        first += 1;
    }
    // Fill the screen: pull rows back in while the rows from `first` to the end leave room.
    let mut below: usize = 0;
    for i in first..len {
        below += h(i);
        if below >= height {
            break;
        }
    }
    while first > 0 && below + h(first - 1) <= height {
        first -= 1;
        below += h(first);
    }
    let mut count = 0;
    let mut filled = 0;
    while first + count < len && filled + h(first + count) <= height.max(1) {
        filled += h(first + count);
        count += 1;
    }
    Window {
        first,
        count: count.max(usize::from(len > 0)),
        compact,
    }
}

pub(super) fn draw_rows(frame: &mut Frame, area: Rect, model: &Model, ui: &mut UiState) {
    if model.is_empty() {
        ui.scroll = 0;
        frame.render_widget(
            Paragraph::new(empty::empty_text(model, ui)).wrap(Wrap { trim: false }),
            area,
        );
        return;
    }
    let height = usize::from(area.height);
    let w = usize::from(area.width);
    let window = plan(model, ui, height);
    ui.auto_compact = Some((height, window.compact));
    ui.scroll = window.first;
    ui.page = window.count.max(1);
    ui.hits.clear();
    let selected = model.selected_index();
    let columns = window
        .compact
        .then(|| compact::Columns::measure(model, ui, w));
    let mut lines: Vec<Line<'static>> = Vec::with_capacity(height);
    for i in window.first..window.first + window.count {
        let Some(s) = model.row(i) else { break };
        let mut row = match &columns {
            Some(c) => vec![c.line(s, ui)],
            None => roomy::session_lines(s, ui, w.saturating_sub(1)),
        };
        row.truncate(if window.compact {
            1
        } else {
            roomy_height(s, height)
        });
        let chosen = selected == Some(i);
        let top = area.y + u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let rows_height = u16::try_from(row.len().max(1)).unwrap_or(1);
        ui.hits.push((top, top + rows_height - 1, i));
        let found = !ui.find.is_empty() && navi_core::matches_query(s, &ui.find);
        let mark = match (chosen, found) {
            (true, _) => CURSOR,
            (false, true) => MATCH,
            (false, false) => " ",
        };
        for (n, line) in row.into_iter().enumerate() {
            let lead = match (n, found) {
                (0, true) => Span::styled(
                    mark,
                    Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                ),
                (0, false) => Span::raw(mark),
                _ => Span::raw(" "),
            };
            let mut spans = vec![lead];
            spans.extend(line.spans);
            let mut line = Line::from(spans);
            if s.stale || s.is_ended() || s.status == Status::Offline {
                line = line.patch_style(Style::new().add_modifier(Modifier::DIM));
            }
            if chosen {
                // Reverse video reads on dark and light themes alike, and without colour.
                line = line.patch_style(Style::new().add_modifier(Modifier::REVERSED));
            }
            lines.push(line);
        }
    }
    frame.render_widget(Paragraph::new(Text::from(lines)), area);
}

/// "Where am I" for the filter rule: `14–27 of 63` when not every row is on screen.
pub(crate) fn position(model: &Model, ui: &UiState, height: usize) -> Option<String> {
    if model.is_empty() {
        return None;
    }
    let w = plan(model, ui, height);
    (w.count < model.len())
        .then(|| format!("{}–{} of {}", w.first + 1, w.first + w.count, model.len()))
}

/// `(tester asks permission)` when the row's status comes from one of its agents.
fn combined_note(s: &SessionInfo) -> Option<String> {
    let (status, agent) = s.combined_status();
    let agent = agent?;
    let what = match status {
        Status::Permission => "asks permission",
        _ => "waits for you",
    };
    Some(format!("({} {what})", sanitize(&agent)))
}

/// `⎇ main* ↑2 ↓1 #42`: branch, dirty mark, ahead / behind, pull request.
fn git_text(s: &SessionInfo) -> Option<String> {
    let git = s.git.as_ref()?;
    let branch = git.branch.as_deref()?;
    let mut t = format!("⎇ {}", sanitize(branch));
    if git.dirty == Some(true) {
        t.push('*');
    }
    if let Some(n) = git.ahead.filter(|n| *n > 0) {
        t.push_str(&format!(" ↑{n}"));
    }
    if let Some(n) = git.behind.filter(|n| *n > 0) {
        t.push_str(&format!(" ↓{n}"));
    }
    if let Some(pr) = git.pr_num.filter(|n| *n > 0) {
        t.push_str(&format!(" #{pr}"));
    }
    Some(t)
}

/// `★ #wip #review`: the session's bookmark and tags (empty when unmarked).
fn marks_text(s: &SessionInfo) -> String {
    let star = s.marks.bookmarked.then(|| "★".to_string());
    let tags = s.marks.tags.iter().map(|t| format!("#{}", sanitize(t)));
    star.into_iter().chain(tags).collect::<Vec<_>>().join(" ")
}

/// The metric badges: session time, tokens and cost, memory, tool uses (each only when
/// known).
fn badges(s: &SessionInfo, prices: &navi_core::cost::PriceTable) -> String {
    let Some(m) = &s.metrics else {
        return String::new();
    };
    let mut out: Vec<String> = Vec::new();
    if let Some(secs) = m.time.as_ref().and_then(|t| t.total_seconds) {
        out.push(format!("⏱ {}", short_duration(secs)));
    }
    if let Some(tokens) = super::tokens::badge(s, prices) {
        out.push(tokens);
    }
    if let Some(rss) = s.rss_bytes() {
        out.push(format!("{} mem", short_bytes(rss)));
    }
    if let Some(counts) = m.tools.as_ref().and_then(|t| t.counts.as_ref()) {
        let uses: u64 = counts.values().sum();
        if uses > 0 {
            out.push(format!("{uses} tools"));
        }
    }
    out.join(" · ")
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
