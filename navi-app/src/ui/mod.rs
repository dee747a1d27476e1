//! Drawing: a pure function of the [`Model`] and the [`UiState`].
//!
//! Every string that comes from a status file, a remote or the config passes through
//! [`navi_core::text::sanitize`] before it is put on screen: a message can carry escape
//! sequences that would otherwise reach the terminal.

mod details;
pub mod git;
mod header;
mod help;
mod preview;
mod rows;
mod sources;
mod tokens;

use navi_core::Model;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use crate::app::{Level, Overlay, UiState};
use crate::format::{truncate, width};
#[cfg(test)]
pub(crate) use header::match_position;

/// Lines of a session row with its directory and message.
const FULL_ROW: u16 = 3;

/// Draws the whole dashboard into `frame`.
pub fn draw(frame: &mut Frame, model: &Model, ui: &mut UiState) {
    ui.frames += 1;
    let area = frame.area();
    let header = header::header_lines(model, ui, area.width, header_room(area.height));
    let header_height = u16::try_from(header.len()).unwrap_or(u16::MAX);
    let [top, gap, list, footer] = Layout::vertical([
        Constraint::Length(header_height),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(header), top);
    let (list, preview_area) = preview::split(list, ui);
    let position = rows::position(model, ui, usize::from(list.height));
    frame.render_widget(
        Paragraph::new(header::filter_rule(model, ui, gap.width, position)),
        gap,
    );
    rows::draw_rows(frame, list, model, ui);
    if let Some(area) = preview_area {
        preview::draw(frame, area, ui);
    }
    frame.render_widget(Paragraph::new(footer_line(ui, footer.width)), footer);
    match ui.overlay {
        Overlay::None => {}
        Overlay::Help => help::draw_help(frame, area, ui),
        Overlay::Git => git::draw(frame, area, ui),
        Overlay::Details => details::draw_details(frame, area, model, ui),
        Overlay::Problems => details::draw_problems(frame, area, model, ui),
        Overlay::Sources => sources::draw_sources(frame, area, model, ui),
        Overlay::SoundPacks => details::draw_sound_packs(frame, area, ui),
    }
    if !ui.color {
        strip_colors(frame);
    }
}

/// Lines the header may take on a screen `height` lines tall: the sessions keep most of
/// the screen. On a short terminal the header keeps its first lines (title, then the
/// sources) and leaves room for one full row under the filter rule.
fn header_room(height: u16) -> usize {
    let for_rows = usize::from(height.saturating_sub(2 + FULL_ROW));
    let share = usize::from(height / 3).max(1 + header::MAX_SOURCE_LINES);
    for_rows.min(share).max(1)
}

/// `NO_COLOR`: every cell keeps its text and modifiers (bold, reverse, dim), no colour.
fn strip_colors(frame: &mut Frame) {
    let area = frame.area();
    let buf = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            if let Some(cell) = buf.cell_mut((x, y)) {
                cell.set_fg(Color::Reset).set_bg(Color::Reset);
            }
        }
    }
}

fn footer_line(ui: &UiState, w: u16) -> Line<'static> {
    let right = "? help ";
    let avail = usize::from(w).saturating_sub(width(right) + 1);
    if let Some(p) = &ui.prompt {
        let text = format!(
            " {}{}▏ (Enter: ok, Esc: cancel)",
            p.question(),
            navi_core::text::sanitize(&p.input)
        );
        return Line::styled(
            truncate(&text, usize::from(w)),
            Style::new().fg(Color::Yellow),
        );
    }
    let (text, style) = match (&ui.search, &ui.message) {
        (Some(q), _) => (
            format!(
                "/{}▏ (Enter keeps the search, Esc drops it)",
                navi_core::text::sanitize(q)
            ),
            Style::new().fg(Color::Yellow),
        ),
        (None, Some(m)) => (
            m.text.clone(),
            match m.level {
                Level::Info => Style::new().fg(Color::Cyan),
                Level::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            },
        ),
        (None, None) => (
            "j/k move  ⏎ attach  / search  1-5 status  s sort  i details  q quit".to_string(),
            Style::new().fg(Color::DarkGray),
        ),
    };
    let text = truncate(&format!(" {text}"), avail);
    let fill = usize::from(w).saturating_sub(width(&text) + width(right));
    Line::from(vec![
        Span::styled(text, style),
        Span::raw(" ".repeat(fill)),
        Span::styled(right, Style::new().fg(Color::DarkGray)),
    ])
}

/// Rect of `w` x `h` centered in `area` (clamped to it).
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests;
