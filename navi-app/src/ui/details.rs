//! The `i` details of the selected session and the `e` list of problems (skipped files,
//! config errors): everything navi read, inspectable inside the dashboard.

use navi_core::text::sanitize;
use navi_core::{Model, SessionInfo};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::UiState;
use crate::format::session_age;
use crate::format::{short_bytes, short_duration};

fn field(name: &str, value: impl Into<String>) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!(" {name:<12} "),
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(sanitize(&value.into()).into_owned()),
    ])
}

/// Where the session's status file is: `DIR/NAME.json` on its machine.
fn file_path(s: &SessionInfo, ui: &UiState) -> String {
    let dir = match &s.remote {
        None => Some(ui.sessions_dir.clone()),
        Some(r) => ui
            .sources_dirs
            .iter()
            .find(|(name, _)| name.as_deref() == Some(r.as_str()))
            .map(|(_, d)| format!("{r}:{d}")),
    };
    match dir {
        Some(d) => format!("{}/{}.json", d.trim_end_matches('/'), s.tmux_session),
        None => format!("{}.json", s.tmux_session),
    }
}

fn git_lines(s: &SessionInfo, out: &mut Vec<Line<'static>>) {
    let Some(g) = &s.git else { return };
    let mut t = g.branch.clone().unwrap_or_else(|| "-".into());
    if g.dirty == Some(true) {
        t.push_str(" (uncommitted changes)");
    }
    if let (Some(a), Some(b)) = (g.ahead, g.behind) {
        t.push_str(&format!(", {a} ahead, {b} behind"));
    }
    if let Some(pr) = g.pr_num {
        t.push_str(&format!(", PR #{pr}"));
    }
    out.push(field("git", t));
    if let Some(c) = &g.last_commit {
        out.push(field("last commit", c.clone()));
    }
    if let Some(r) = &g.remote {
        out.push(field("upstream", r.clone()));
    }
}

fn metric_lines(s: &SessionInfo, ui: &UiState, out: &mut Vec<Line<'static>>) {
    let now = ui.now_unix;
    for (name, text) in super::tokens::detail_fields(s, &ui.prices) {
        out.push(field(name, text));
    }
    out.push(memory_line(s, now));
    let Some(m) = &s.metrics else { return };
    if let Some(t) = &m.time {
        let mut text = String::new();
        if let Some(started) = t.started {
            text.push_str(&format!("started {}", session_age(started, now)));
        }
        let part = |name: &str, v: Option<u64>| v.map(|v| format!("{name} {}", short_duration(v)));
        let parts: Vec<String> = [
            part("total", t.total_seconds),
            part("working", t.working_seconds),
            part("waiting", t.waiting_seconds),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !parts.is_empty() {
            if !text.is_empty() {
                text.push_str(" · ");
            }
            text.push_str(&parts.join(" · "));
        }
        out.push(field("time", text));
    }
    if let Some(t) = &m.tools {
        if let Some(counts) = &t.counts {
            let list: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
            out.push(field("tools", list.join(", ")));
        }
        if let Some(recent) = &t.recent {
            out.push(field("recent", recent.join(", ")));
        }
    }
}

/// The `i` line of the session's memory: the value and when it was sampled on its
/// machine, what its status file says, or "—" and why there is none.
fn memory_line(s: &SessionInfo, now: i64) -> Line<'static> {
    let text = match (s.memory, s.rss_bytes()) {
        (Some(m), _) => format!(
            "{} · sampled {} on its machine (every {}s; updated past {} % or {} MiB)",
            short_bytes(m.rss_bytes),
            session_age(m.sampled_at, now),
            navi_core::limits::MEMORY_SAMPLE.as_secs(),
            navi_core::rss::NOTICEABLE_PERCENT,
            navi_core::rss::NOTICEABLE_BYTES / (1024 * 1024)
        ),
        (None, Some(rss)) => format!("{} (from its status file)", short_bytes(rss)),
        (None, None) => match &s.remote {
            Some(_) => "— not sampled: only a remote's push loop samples memory (a polled \
                        remote has none)"
                .into(),
            None => "— not sampled: navi finds no process of this tmux session".into(),
        },
    };
    field("memory", text)
}

fn agent_lines(s: &SessionInfo, now: i64, out: &mut Vec<Line<'static>>) {
    if let Some(team) = &s.team {
        let name = team.name.clone().unwrap_or_else(|| "team".into());
        out.push(field("team", name));
        for a in &team.agents {
            let who = a.name.as_deref().unwrap_or("agent");
            out.push(field("", agent_state(who, &a.state, now)));
        }
    }
    // Helpers of the Go navi's `agents` map: `OpenCode (+OC): working 5m ago`.
    for (kind, a) in s.agents.iter().flatten() {
        let who = match navi_core::statusdir::agents::Agent::parse(kind) {
            Some(agent) => format!("{} (+{})", agent.title(), agent.tag()),
            None => kind.clone(),
        };
        out.push(field("helper", agent_state(&who, a, now)));
    }
}

/// `Codex (CX): its own status`: the coding agent whose status the row is.
fn lead_agent(s: &SessionInfo) -> String {
    let lead = s.agent_kind();
    let unknown = s
        .agent
        .as_deref()
        .filter(|a| navi_core::statusdir::agents::Agent::parse(a).is_none());
    match unknown {
        // A name navi does not know is shown, and read as Claude Code's.
        Some(a) => format!("{a}? (read as {})", lead.title()),
        None => format!("{} ({})", lead.title(), lead.tag()),
    }
}

/// `WHO: STATUS AGE`.
fn agent_state(who: &str, a: &navi_core::AgentState, now: i64) -> String {
    let age = a.timestamp.map(|t| session_age(t, now)).unwrap_or_default();
    format!("{who}: {} {age}", a.status.as_str())
}

fn overlay(frame: &mut Frame, area: Rect, title: &str, lines: Vec<Line<'static>>) {
    let height = u16::try_from(lines.len() + 3).unwrap_or(u16::MAX);
    let rect = super::centered(area, 100, height);
    frame.render_widget(Clear, rect);
    let mut lines = lines;
    lines.push(Line::styled(
        " Esc closes.",
        Style::new().fg(Color::DarkGray),
    ));
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(title.to_string()),
        ),
        rect,
    );
}

pub(super) fn draw_details(frame: &mut Frame, area: Rect, model: &Model, ui: &UiState) {
    let Some(s) = model.selected_session() else {
        return;
    };
    let (status, agent) = s.combined_status();
    let mut status_text = s.status.as_str().to_string();
    if let Some(agent) = agent {
        status_text.push_str(&format!(" ({agent}: {})", status.as_str()));
    }
    if s.stale {
        status_text.push_str(" — stale: its remote is unavailable");
    }
    let mut lines = vec![
        field("session", s.tmux_session.clone()),
        field(
            "machine",
            s.remote.clone().unwrap_or_else(|| "local".into()),
        ),
        field("status", status_text),
        field("agent", lead_agent(s)),
        field("updated", session_age(s.timestamp, ui.now_unix)),
        field("directory", s.cwd.clone()),
        field("file", file_path(s, ui)),
    ];
    if !s.message.trim().is_empty() {
        let head: String = s.message.chars().take(600).collect();
        lines.push(field("message", head));
    }
    if let Some(pbi) = &s.current_pbi {
        let title = s.current_pbi_title.clone().unwrap_or_default();
        lines.push(field("PBI", format!("{pbi} {title}")));
    }
    if let Some(marks) = marks_text(s, ui.now_unix) {
        lines.push(field("marks", marks));
    }
    git_lines(s, &mut lines);
    metric_lines(s, ui, &mut lines);
    agent_lines(s, ui.now_unix, &mut lines);
    if let Some(id) = &s.session_id {
        lines.push(field("session id", id.clone()));
    }
    overlay(frame, area, " session details ", lines);
}

/// `★ #wip "after lunch" (5m ago, from laptop)`: the marks and their last change.
fn marks_text(s: &SessionInfo, now: i64) -> Option<String> {
    let m = &s.marks;
    if m.is_empty() {
        return None;
    }
    let mut parts: Vec<String> = m.bookmarked.then(|| "★".to_string()).into_iter().collect();
    parts.extend(m.tags.iter().map(|t| format!("#{t}")));
    if let Some(n) = &m.note {
        parts.push(format!("\"{n}\""));
    }
    let age = session_age(m.changed_at, now);
    Some(format!(
        "{} ({age}, from {})",
        parts.join(" "),
        m.changed_by
    ))
}

pub(super) fn draw_problems(frame: &mut Frame, area: Rect, model: &Model, ui: &UiState) {
    let mut lines = Vec::new();
    for h in model.sources() {
        for f in &h.skipped {
            lines.push(field(
                h.display_name(),
                format!("skipped {}: {}", f.name, f.reason),
            ));
        }
    }
    for e in &ui.config_errors {
        lines.push(field("config", e.to_string()));
    }
    if lines.is_empty() {
        lines.push(Line::raw(" No skipped files and no config problems."));
    }
    overlay(frame, area, " problems ", lines);
}

/// The sound-pack picker (`S`): each pack with its counts, the active one `*`, the
/// highlighted one reversed, then what went wrong last.
pub(super) fn draw_sound_packs(frame: &mut Frame, area: Rect, ui: &UiState) {
    let Some(p) = &ui.sound_picker else {
        return;
    };
    let mut lines = Vec::new();
    if p.packs.is_empty() {
        lines.push(Line::raw(" No sound packs found."));
        lines.push(Line::styled(
            " Add packs to ~/.config/navi/soundpacks/PACK/EVENT.wav",
            Style::new().fg(Color::DarkGray),
        ));
    }
    // At most a screenful around the cursor.
    let room = usize::from(area.height.saturating_sub(8)).max(1);
    let first = p.cursor.saturating_sub(room - 1);
    for (i, pack) in p.packs.iter().enumerate().skip(first).take(room) {
        let active = if pack.name == p.active { "*" } else { " " };
        let text = format!(
            " {active} {:<20} {} events, {} files",
            navi_core::text::sanitize(&pack.name),
            pack.events,
            pack.files
        );
        let style = match i == p.cursor {
            true => Style::new().add_modifier(Modifier::REVERSED),
            false => Style::new(),
        };
        lines.push(Line::styled(text, style));
    }
    if let Some(e) = &p.error {
        lines.push(Line::styled(format!(" {e}"), Style::new().fg(Color::Red)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        " j/k move · p or Space play · Enter use and save in sounds.yaml",
        Style::new().fg(Color::DarkGray),
    ));
    overlay(frame, area, " sound packs ", lines);
}
