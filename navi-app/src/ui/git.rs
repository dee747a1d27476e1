//! The git dialog (`G`) and its content viewer (comments, diff): see
//! [`crate::app::GitDialog`]. Every text from git, gh or a remote is sanitized here; the
//! viewer's lines keep only SGR colours (turned into styles as the preview does).

use navi_core::git::{CheckState, GitReport, PullRequest};
use navi_core::text::sanitize;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::{ContentView, GitDialog, Level, UiState};
use crate::format::session_age;

fn field(name: &str, value: impl AsRef<str>) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!(" {name:<12} "),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(sanitize(value.as_ref()).into_owned()),
    ])
}

fn dim(text: impl Into<String>) -> Line<'static> {
    Line::styled(text.into(), Style::new().fg(Color::DarkGray))
}

/// The dialog's lines (the same text `navi git` prints).
pub fn dialog_lines(d: &GitDialog, now_unix: i64) -> Vec<Line<'static>> {
    let mut lines = vec![field("session", &d.label), field("directory", &d.cwd)];
    match &d.report {
        None => lines.push(dim(" asking git…")),
        Some(Err(e)) => lines.push(field("git", format!("no git state: {e}"))),
        Some(Ok(r)) => report_lines(r, now_unix, &mut lines),
    }
    lines.push(Line::raw(""));
    match d.pull_request() {
        Some(pr) => pr_lines(pr, &mut lines),
        None => {
            let why = d.pr_lines();
            if why.is_empty() && matches!(d.report, Some(Ok(_))) {
                lines.push(field("pull request", "asking gh…"));
            }
            for (i, w) in why.iter().enumerate() {
                lines.push(field(if i == 0 { "pull request" } else { "" }, w));
            }
        }
    }
    lines
}

fn report_lines(r: &GitReport, now_unix: i64, lines: &mut Vec<Line<'static>>) {
    let mut branch = r.branch.clone().unwrap_or_else(|| "(detached HEAD)".into());
    if let Some(u) = &r.upstream {
        branch.push_str(&format!(" → {u}"));
    }
    lines.push(field("branch", branch));
    lines.push(field(
        "changes",
        match r.changed {
            0 => "clean".to_string(),
            1 => "1 file changed (uncommitted)".to_string(),
            n => format!("{n} files changed (uncommitted)"),
        },
    ));
    lines.push(field(
        "ahead/behind",
        match r.ahead_behind {
            Some((a, b)) => format!("↑{a} ↓{b}"),
            None => "- (no upstream)".into(),
        },
    ));
    lines.push(field(
        "last commit",
        match &r.last_commit {
            Some(c) => format!(
                "{} {} — {}, {}",
                c.hash.get(..7).unwrap_or(&c.hash),
                c.subject,
                c.author,
                session_age(c.time, now_unix)
            ),
            None => "- (no commits yet)".into(),
        },
    ));
    lines.push(field("remote", r.remote_url.as_deref().unwrap_or("-")));
}

fn pr_lines(pr: &PullRequest, lines: &mut Vec<Line<'static>>) {
    lines.push(field(
        "pull request",
        format!("#{} {}", pr.number, pr.title),
    ));
    let mut state = pr.state.clone();
    if pr.draft {
        state.push_str(" (draft)");
    }
    let merge = match pr.mergeable.as_str() {
        "MERGEABLE" => "mergeable",
        "CONFLICTING" => "has conflicts",
        _ => "mergeable: unknown",
    };
    state.push_str(&format!(" · {merge}"));
    lines.push(field("state", state));
    if !pr.labels.is_empty() {
        lines.push(field("labels", pr.labels.join(", ")));
    }
    let mut reviews: Vec<String> = pr
        .reviews
        .iter()
        .map(|r| format!("{} {}", r.author, r.state.to_lowercase().replace('_', " ")))
        .collect();
    if !pr.review_decision.is_empty() {
        reviews.insert(0, pr.review_decision.to_lowercase().replace('_', " "));
    }
    lines.push(field(
        "reviews",
        match reviews.is_empty() {
            true => "none".to_string(),
            false => reviews.join(", "),
        },
    ));
    lines.push(Line::from(vec![
        Span::styled(
            format!(" {:<12} ", "lines"),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("+{}", pr.additions), Style::new().fg(Color::Green)),
        Span::raw(" "),
        Span::styled(format!("−{}", pr.deletions), Style::new().fg(Color::Red)),
    ]));
    check_lines(pr, lines);
    lines.push(field(
        "comments",
        format!("{} (c shows them)", pr.comments.len()),
    ));
    lines.push(field("url", &pr.url));
}

fn check_lines(pr: &PullRequest, lines: &mut Vec<Line<'static>>) {
    let count = |s: CheckState| pr.checks.iter().filter(|c| c.state == s).count();
    let (passed, failed, pending) = (
        count(CheckState::Passed),
        count(CheckState::Failed),
        count(CheckState::Pending),
    );
    lines.push(field(
        "checks",
        match pr.checks.is_empty() {
            true => "none".to_string(),
            false => format!("{passed} passed, {failed} failed, {pending} pending"),
        },
    ));
    for c in &pr.checks {
        let (mark, color) = match c.state {
            CheckState::Passed => ("✓", Color::Green),
            CheckState::Failed => ("✗", Color::Red),
            CheckState::Pending => ("●", Color::Yellow),
        };
        lines.push(Line::from(vec![
            Span::raw(" ".repeat(15)),
            Span::styled(mark, Style::new().fg(color)),
            Span::raw(format!(" {}", sanitize(&c.name))),
        ]));
    }
}

/// Draws the dialog, or the viewer over it.
pub(super) fn draw(frame: &mut Frame, area: Rect, ui: &mut UiState) {
    let now = ui.now_unix;
    let Some(d) = ui.git.as_mut() else {
        return;
    };
    if let Some(v) = d.view.as_mut() {
        draw_viewer(frame, area, v);
        return;
    }
    let mut lines = dialog_lines(d, now);
    lines.push(Line::raw(""));
    if let Some((level, note)) = &d.note {
        let color = match level {
            Level::Error => Color::Red,
            Level::Info => Color::Yellow,
        };
        lines.push(Line::styled(
            format!(" {}", sanitize(note)),
            Style::new().fg(color),
        ));
    }
    let asked = match d.in_flight {
        true => "asking…".to_string(),
        false => format!("every {} s while open", crate::app::GIT_EVERY.as_secs()),
    };
    lines.push(dim(format!(" {} · {asked}", d.keys_hint)));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = super::centered(area, 100, height);
    let room = usize::from(rect.height.saturating_sub(2));
    d.scroll = d.scroll.min(lines.len().saturating_sub(room));
    let lines: Vec<Line> = lines.into_iter().skip(d.scroll).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(" git ")),
        rect,
    );
}

/// The viewer: the whole area, a line counter in the title, the keys at the bottom.
fn draw_viewer(frame: &mut Frame, area: Rect, v: &mut ContentView) {
    let block = Block::default().borders(Borders::ALL);
    let inner = block.inner(area);
    let rows = usize::from(inner.height.saturating_sub(1)).max(1);
    v.page = rows;
    v.scroll = v.scroll.min(v.lines.len().saturating_sub(rows));
    let end = (v.scroll + rows).min(v.lines.len());
    let title = format!(
        " {} [{}–{} of {}] ",
        sanitize(&v.title),
        (v.scroll + 1).min(end),
        end,
        v.lines.len()
    );
    let mut text: Vec<Line> = v.lines[v.scroll..end]
        .iter()
        .map(|l| super::preview::styled_line(l))
        .collect();
    text.resize(rows, Line::raw(""));
    text.push(dim(" j/k scroll  g/G top/bottom  PgUp/PgDn page  Esc back"));
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(text).block(block.title(title)), area);
}
