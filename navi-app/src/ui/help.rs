//! The `?` overlay: the key table ([`crate::keys::BINDINGS`], as the keys in use name
//! them), the status icons and the source legend. It takes the terminal's size (up to a
//! readable width), wraps what does not fit, and scrolls with the navigation keys.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use crate::app::UiState;
use crate::format::{pad, width, wrap};

const LEGEND: &[&str] = &[
    "● connected  ◌ connecting  ✖ unavailable (reason)",
    "stale: last-known row of an unavailable remote",
    "Files and options: navi --help.  ? or Esc closes, j k PgUp PgDn g End scroll.",
];

/// The widest the overlay gets: wider lines are harder to read than wrapped ones.
const MAX_WIDTH: u16 = 120;

/// The overlay's lines for a text width of `w` cells.
pub(crate) fn help_text(ui: &UiState, w: usize) -> Vec<Line<'static>> {
    let key_w = ui
        .help_lines
        .iter()
        .map(|(k, _)| width(k))
        .max()
        .unwrap_or(0)
        .min(w / 3);
    let what_w = w.saturating_sub(key_w + 3).max(10);
    let key_style = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let mut lines = Vec::new();
    for (keys, what) in &ui.help_lines {
        let key_rows = match width(keys) <= key_w {
            true => vec![keys.clone()],
            false => wrap(keys, key_w.max(1), usize::MAX),
        };
        let what_rows = wrap(what, what_w, usize::MAX);
        for i in 0..key_rows.len().max(what_rows.len()) {
            let k = key_rows.get(i).map_or("", String::as_str);
            let d = what_rows.get(i).map_or("", String::as_str);
            lines.push(Line::from(vec![
                Span::styled(format!(" {}  ", pad(k, key_w)), key_style),
                Span::raw(d.to_string()),
            ]));
        }
    }
    lines.push(Line::raw(""));
    // The status icons, from the one table the rows use.
    let icons: Vec<String> = crate::icons::STATUS_ICONS
        .iter()
        .map(|(n, emoji, ascii)| format!("{emoji}/{ascii} {n}"))
        .collect();
    for l in wrap(&icons.join("   "), w.saturating_sub(1).max(10), usize::MAX) {
        lines.push(Line::raw(format!(" {l}")));
    }
    for legend in LEGEND {
        for l in wrap(legend, w.saturating_sub(1).max(10), usize::MAX) {
            lines.push(Line::styled(
                format!(" {l}"),
                Style::new().fg(Color::DarkGray),
            ));
        }
    }
    lines
}

pub(super) fn draw_help(frame: &mut Frame, area: Rect, ui: &mut UiState) {
    // The status line under it stays visible.
    let outer = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    let box_w = outer.width.min(MAX_WIDTH);
    let lines = help_text(ui, usize::from(box_w.saturating_sub(2)));
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = super::centered(outer, box_w, wanted.min(outer.height));
    let page = usize::from(rect.height.saturating_sub(2)).max(1);
    let last = lines.len().saturating_sub(page);
    ui.help_scroll = ui.help_scroll.min(last);
    ui.help_page = page;
    let title = match last {
        0 => " navi help ".to_string(),
        _ => format!(
            " navi help ({}–{} of {}) ",
            ui.help_scroll + 1,
            (ui.help_scroll + page).min(lines.len()),
            lines.len()
        ),
    };
    let shown: Vec<Line> = lines.into_iter().skip(ui.help_scroll).take(page).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(shown).block(Block::default().borders(Borders::ALL).title(title)),
        rect,
    );
}
