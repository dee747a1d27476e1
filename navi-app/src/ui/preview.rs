//! The preview pane (`p`): the selected session's screen as tmux shows it, beside or
//! below the list. Its text arrives sanitized (no escape sequences) from the source.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::UiState;

/// The list's area and the preview's, when the preview is shown and there is room.
pub(super) fn split(area: Rect, ui: &UiState) -> (Rect, Option<Rect>) {
    let p = &ui.preview;
    if !p.visible || area.width < 40 || area.height < 6 {
        return (area, None);
    }
    let share = p.percent.clamp(30, 80);
    let parts = [
        Constraint::Percentage(100 - share),
        Constraint::Percentage(share),
    ];
    let [list, preview] = match p.side {
        true => Layout::horizontal(parts).areas(area),
        false => Layout::vertical(parts).areas(area),
    };
    (list, Some(preview))
}

/// Draws the pane: a titled border, the pane's last lines (what is on its screen), or,
/// scrolled back (Tab, then k / PgUp), earlier lines of its scrollback.
pub(super) fn draw(frame: &mut Frame, area: Rect, ui: &mut UiState) {
    let p = &mut ui.preview;
    let mut title = match &p.of {
        Some((Some(remote), name)) => format!(" {} [{}] ", clean(name), clean(remote)),
        Some((None, name)) => format!(" {} ", clean(name)),
        None => " preview ".to_string(),
    };
    let lines: Vec<&str> = p.text.lines().collect();
    let border = match p.focused {
        true => Color::Yellow,
        false => Color::DarkGray,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(border));
    let inner = block.inner(area);
    let rows = usize::from(inner.height);
    p.page = rows.max(1);
    // The bottom of the pane is where Claude asks; keep it in view unless scrolled back.
    let bottom = lines.len().saturating_sub(rows);
    p.back = p.back.min(bottom);
    let from = bottom - p.back;
    if p.focused || p.back > 0 {
        title.push_str(&format!(
            "[{}–{} of {}{}] ",
            (from + 1).min(lines.len()),
            (from + rows).min(lines.len()),
            lines.len(),
            if p.focused { ", Tab: back" } else { "" }
        ));
    }
    let block = block.title(title);
    let text: Vec<Line> = lines[from..(from + rows).min(lines.len())]
        .iter()
        .map(|l| Line::raw(l.to_string()))
        .collect();
    let mut para = Paragraph::new(text).block(block);
    if p.wrap {
        para = para.wrap(Wrap { trim: false });
    }
    frame.render_widget(para, area);
}

fn clean(s: &str) -> String {
    navi_core::text::sanitize(s).into_owned()
}
