//! The `?` overlay.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

const LEGEND: &[&str] = &[
    "● connected  ◌ connecting  ✖ unavailable (reason)",
    "stale: last-known row of an unavailable remote",
];

pub(super) fn draw_help(frame: &mut Frame, area: Rect) {
    let mut lines: Vec<Line> = crate::keys::HELP
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(
                    format!(" {k:<26}"),
                    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                ),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::raw(""));
    // The status icons, from the one table the rows use, four or five to a line.
    for chunk in crate::icons::STATUS_ICONS.chunks(4) {
        let text: Vec<String> = chunk
            .iter()
            .map(|(n, emoji, ascii)| format!("{emoji}/{ascii} {n}"))
            .collect();
        lines.push(Line::raw(format!(" {}", text.join("  "))));
    }
    lines.extend(LEGEND.iter().map(|l| Line::raw(format!(" {l}"))));
    lines.push(Line::styled(
        " Files and options: navi --help.  ? or Esc closes.",
        Style::new().fg(Color::DarkGray),
    ));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    // The status line under it stays visible.
    let rect = super::centered(area, 100, height.min(area.height.saturating_sub(1)));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" navi help ")),
        rect,
    );
}
