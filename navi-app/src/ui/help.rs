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
    "Files and options: navi --help.  ? or Esc closes, j k PgUp PgDn g End scroll, / searches.",
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
    let words = query_words(&ui.help_query);
    let mut lines = Vec::new();
    for (keys, what) in &ui.help_lines {
        if !matches_words(&format!("{keys} {what}"), &words) {
            continue;
        }
        let key_rows = match width(keys) <= key_w {
            true => vec![keys.clone()],
            false => wrap(keys, key_w.max(1), usize::MAX),
        };
        let what_rows = wrap(what, what_w, usize::MAX);
        for i in 0..key_rows.len().max(what_rows.len()) {
            let k = key_rows.get(i).map_or("", String::as_str);
            let d = what_rows.get(i).map_or("", String::as_str);
            let mut spans = highlight(&format!(" {}  ", pad(k, key_w)), &words, key_style);
            spans.extend(highlight(d, &words, Style::new()));
            lines.push(Line::from(spans));
        }
    }
    if !words.is_empty() {
        if lines.is_empty() {
            lines.push(Line::raw(format!(
                " no key matches “{}” (Esc: every key)",
                navi_core::text::sanitize(&ui.help_query)
            )));
        }
        return lines;
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

/// The search's words, lowercased (ASCII, so byte positions stay put).
fn query_words(query: &str) -> Vec<String> {
    query
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect()
}

/// Whether `text` holds every word (ASCII case ignored).
fn matches_words(text: &str, words: &[String]) -> bool {
    let lower = text.to_ascii_lowercase();
    words.iter().all(|w| lower.contains(w.as_str()))
}

/// `text` in `base`, each occurrence of a word reversed and yellow.
fn highlight(text: &str, words: &[String], base: Style) -> Vec<Span<'static>> {
    if text.is_empty() || words.is_empty() {
        return vec![Span::styled(text.to_string(), base)];
    }
    let lower = text.to_ascii_lowercase();
    let mut marked = vec![false; text.len()];
    for w in words.iter().filter(|w| !w.is_empty()) {
        for (at, _) in lower.match_indices(w.as_str()) {
            marked[at..at + w.len()].iter_mut().for_each(|m| *m = true);
        }
    }
    let hit = base.fg(Color::Yellow).add_modifier(Modifier::REVERSED);
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, _) in text.char_indices().skip(1).chain([(text.len(), ' ')]) {
        if i == text.len() || marked[i] != marked[start] {
            let style = if marked[start] { hit } else { base };
            spans.push(Span::styled(text[start..i].to_string(), style));
            start = i;
        }
    }
    spans.retain(|s| !s.content.is_empty());
    spans
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
    let mut title = match last {
        0 => " navi help ".to_string(),
        _ => format!(
            " navi help ({}–{} of {}) ",
            ui.help_scroll + 1,
            (ui.help_scroll + page).min(lines.len()),
            lines.len()
        ),
    };
    if ui.help_typing || !ui.help_query.is_empty() {
        let cursor = if ui.help_typing { "▏" } else { "" };
        let q = navi_core::text::sanitize(&ui.help_query);
        title.push_str(&format!("/{q}{cursor} "));
    }
    let shown: Vec<Line> = lines.into_iter().skip(ui.help_scroll).take(page).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(shown).block(Block::default().borders(Borders::ALL).title(title)),
        rect,
    );
}
