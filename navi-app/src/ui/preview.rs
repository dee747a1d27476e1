//! The preview pane (`p`): the selected session's screen as tmux shows it, beside or
//! below the list, in its colours. Its text arrives sanitized from the source: SGR
//! sequences only ([`navi_core::text::clean_pane_sgr`]), turned into styles here.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
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
        .map(|l| styled_line(l))
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

/// A pane line with its SGR sequences as styles; the text between them as it is.
pub(crate) fn styled_line(line: &str) -> Line<'static> {
    let mut style = Style::new();
    let mut spans = Vec::new();
    let mut parts = line.split("\u{1b}[");
    if let Some(first) = parts.next().filter(|t| !t.is_empty()) {
        spans.push(Span::raw(first.to_string()));
    }
    for part in parts {
        let (params, text) = part.split_once('m').unwrap_or(("", part));
        style = apply_sgr(style, params);
        if !text.is_empty() {
            spans.push(Span::styled(text.to_string(), style));
        }
    }
    Line::from(spans)
}

/// `style` after the SGR parameters `params` (`1;38;5;208`).
fn apply_sgr(mut style: Style, params: &str) -> Style {
    let codes: Vec<u16> = params
        .split([';', ':'])
        .map(|c| c.parse().unwrap_or(0))
        .collect();
    let mut i = 0;
    while i < codes.len() {
        let c = codes[i];
        match c {
            0 => style = Style::new(),
            1 => style = style.add_modifier(Modifier::BOLD),
            2 => style = style.add_modifier(Modifier::DIM),
            3 => style = style.add_modifier(Modifier::ITALIC),
            4 => style = style.add_modifier(Modifier::UNDERLINED),
            5 | 6 => style = style.add_modifier(Modifier::SLOW_BLINK),
            7 => style = style.add_modifier(Modifier::REVERSED),
            8 => style = style.add_modifier(Modifier::HIDDEN),
            9 => style = style.add_modifier(Modifier::CROSSED_OUT),
            22 => style = style.remove_modifier(Modifier::BOLD | Modifier::DIM),
            23 => style = style.remove_modifier(Modifier::ITALIC),
            24 => style = style.remove_modifier(Modifier::UNDERLINED),
            25 => style = style.remove_modifier(Modifier::SLOW_BLINK),
            27 => style = style.remove_modifier(Modifier::REVERSED),
            28 => style = style.remove_modifier(Modifier::HIDDEN),
            29 => style = style.remove_modifier(Modifier::CROSSED_OUT),
            30..=37 => style = style.fg(Color::Indexed((c - 30) as u8)),
            90..=97 => style = style.fg(Color::Indexed((c - 90 + 8) as u8)),
            40..=47 => style = style.bg(Color::Indexed((c - 40) as u8)),
            100..=107 => style = style.bg(Color::Indexed((c - 100 + 8) as u8)),
            39 => style = style.fg(Color::Reset),
            49 => style = style.bg(Color::Reset),
            38 | 48 => {
                let (color, used) = extended_color(&codes[i + 1..]);
                if let Some(color) = color {
                    style = match c {
                        38 => style.fg(color),
                        _ => style.bg(color),
                    };
                }
                i += used;
            }
            _ => {}
        }
        i += 1;
    }
    style
}

/// `5;N` (256 colours) or `2;R;G;B` (true colour) after a 38 or 48; with how many
/// codes it used.
fn extended_color(rest: &[u16]) -> (Option<Color>, usize) {
    let byte = |i: usize| rest.get(i).and_then(|v| u8::try_from(*v).ok());
    match rest.first() {
        Some(5) => (byte(1).map(Color::Indexed), 2),
        Some(2) => match (byte(1), byte(2), byte(3)) {
            (Some(r), Some(g), Some(b)) => (Some(Color::Rgb(r, g, b)), 4),
            _ => (None, rest.len()),
        },
        _ => (None, rest.len()),
    }
}
