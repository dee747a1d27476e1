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

/// Draws the pane: a titled border, the pane's last lines (what is on its screen).
pub(super) fn draw(frame: &mut Frame, area: Rect, ui: &UiState) {
    let p = &ui.preview;
    let title = match &p.of {
        Some((Some(remote), name)) => format!(" {} [{}] ", clean(name), clean(remote)),
        Some((None, name)) => format!(" {} ", clean(name)),
        None => " preview ".to_string(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(Style::new().fg(Color::DarkGray));
    let inner = block.inner(area);
    let rows = usize::from(inner.height);
    let lines: Vec<&str> = p.text.lines().collect();
    // The bottom of the pane is where Claude asks; keep it in view.
    let from = lines.len().saturating_sub(rows);
    let text: Vec<Line> = lines[from..]
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
