//! The header's summary of many sources, when one indicator each does not fit:
//! `● 198 connected · ✖ 2 unavailable: r206 refused, r9 timeout · S lists every source`,
//! the unavailable ones named (with their reason kind) as far as the lines allow, then
//! `+N more`.

use navi_core::text::sanitize;
use navi_core::{SourceHealth, SourceState};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::format::{truncate, width};

/// The widest a source's name may be in the summary.
const MAX_NAME: usize = 24;

/// Spans packed greedily into at most `room` lines of `w` cells, each line indented.
struct Packer {
    lines: Vec<Line<'static>>,
    current: Vec<Span<'static>>,
    used: usize,
    w: usize,
    room: usize,
}

impl Packer {
    fn new(w: usize, room: usize) -> Packer {
        Packer {
            lines: Vec::new(),
            current: vec![Span::raw(" ")],
            used: 1,
            w,
            room: room.max(1),
        }
    }

    fn on_last_line(&self) -> bool {
        self.lines.len() + 1 >= self.room
    }

    /// Places `spans` after `sep` (dropped at the start of a line), keeping `reserve`
    /// cells free on the last line; wraps to a new line when there is one. Returns
    /// whether they were placed.
    fn place(&mut self, sep: &'static str, spans: Vec<Span<'static>>, reserve: usize) -> bool {
        let sw: usize = spans.iter().map(Span::width).sum();
        let fits = |used: usize, sep_w: usize, last: bool| {
            used + sep_w + sw + if last { reserve } else { 0 } <= self.w
        };
        let at_start = self.used <= 1;
        let sep_w = if at_start { 0 } else { width(sep) };
        if !fits(self.used, sep_w, self.on_last_line()) {
            if at_start || self.on_last_line() {
                return false;
            }
            self.break_line();
            return self.place(sep, spans, reserve);
        }
        if !at_start {
            self.current
                .push(Span::styled(sep, Style::new().fg(Color::DarkGray)));
        }
        self.used += sep_w + sw;
        self.current.extend(spans);
        true
    }

    fn break_line(&mut self) {
        let line = std::mem::replace(&mut self.current, vec![Span::raw(" ")]);
        self.lines.push(Line::from(line));
        self.used = 1;
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        if self.used > 1 {
            self.break_line();
        }
        self.lines
    }
}

/// The summary of `sources` in at most `room` lines of `w` cells.
pub(super) fn summary_lines(sources: &[SourceHealth], w: usize, room: usize) -> Vec<Line<'static>> {
    let count = |state| sources.iter().filter(|h| h.state == state).count();
    let down: Vec<&SourceHealth> = sources
        .iter()
        .filter(|h| h.state == SourceState::Unavailable)
        .collect();
    let mut p = Packer::new(w, room);
    let counts = [
        (SourceState::Connected, "●", Color::Green, "connected"),
        (SourceState::Connecting, "◌", Color::Yellow, "connecting"),
    ];
    for (state, symbol, color, what) in counts {
        let n = count(state);
        if n > 0 {
            let spans = vec![
                Span::styled(symbol, Style::new().fg(color)),
                Span::raw(format!(" {n} {what}")),
            ];
            p.place(" · ", spans, 0);
        }
    }
    if !down.is_empty() {
        let red = Style::new().fg(Color::Red);
        let head = vec![
            Span::styled("✖", red),
            Span::styled(
                format!(" {} unavailable:", down.len()),
                red.add_modifier(Modifier::BOLD),
            ),
        ];
        p.place(" · ", head, 0);
        name_failures(&mut p, &down);
    }
    let skipped: usize = sources.iter().map(|h| h.skipped.len()).sum();
    if skipped > 0 {
        let text = format!("⚠ {skipped} skipped (e)");
        p.place(
            " · ",
            vec![Span::styled(text, Style::new().fg(Color::Yellow))],
            0,
        );
    }
    let hint = Span::styled("S lists every source", Style::new().fg(Color::DarkGray));
    p.place(" · ", vec![hint], 0);
    p.finish()
}

/// `r206 refused, r9 timeout, … +N more`: as many as fit.
fn name_failures(p: &mut Packer, down: &[&SourceHealth]) {
    let red = Style::new().fg(Color::Red);
    for (i, h) in down.iter().enumerate() {
        let name = truncate(&sanitize(h.display_name()), MAX_NAME);
        let kind = h.reason.as_ref().map_or("unavailable", |r| r.kind());
        let spans = vec![Span::styled(format!("{name} {kind}"), red)];
        let left = down.len() - i - 1;
        // The last line keeps room to say how many are left unnamed.
        let reserve = if left > 0 { more(left).len() + 2 } else { 0 };
        let sep = if i == 0 { " " } else { ", " };
        if !p.place(sep, spans, reserve) {
            p.place(sep, vec![Span::styled(more(down.len() - i), red)], 0);
            return;
        }
    }
}

fn more(n: usize) -> String {
    format!("+{n} more")
}
