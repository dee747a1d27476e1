//! `navi list [--json]`: one poll of every source, printed.

use std::io::Write;

use navi_core::cost::PriceTable;
use navi_core::text::sanitize;
use navi_core::{SessionInfo, Snapshot, SourceState};

use crate::format::{cut_path, pad, session_age, tilde, truncate, unix_now};
use crate::icons::IconSet;
use crate::json;
use crate::sources::SourceSet;

/// How `navi list` prints its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableStyle {
    /// Cut the table to this many cells (a terminal's width); `None` prints every column
    /// whole (stdout is not a terminal, or `--wide`).
    pub width: Option<usize>,
    /// Status glyphs (config.yaml `icons`).
    pub icons: IconSet,
    /// `--wide`: the metric columns (TOKENS, COST, MEM) too.
    pub metrics: bool,
    /// Prices for the COST column and the JSON's `cost`.
    pub prices: PriceTable,
    /// `--agent`: only sessions one of whose agents (lead or helper) is this one.
    pub agent: Option<navi_core::statusdir::agents::Agent>,
}

/// Polls every source of `set` once (each bounded by its own timeout) and prints the
/// sessions to `out`: a table, or JSON. Problems go to `err`.
pub async fn run(
    set: &SourceSet,
    json_output: bool,
    style: TableStyle,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let snapshot = set.poll_once().await;
    set.write_config_errors(err)?;
    let shown = of_agent(&snapshot, style.agent);
    if json_output {
        serde_json::to_writer_pretty(&mut *out, &json::list(&shown, &style.prices))?;
        writeln!(out)?;
        return Ok(());
    }
    write_table(&shown, &style, out)?;
    // Problems (and the "no sessions" hint) are about every session, not the filter's.
    write_problems(set, &snapshot, err)?;
    out.flush()?;
    Ok(())
}

/// The snapshot with only the sessions of `agent` (all without one).
fn of_agent(snapshot: &Snapshot, agent: Option<navi_core::statusdir::agents::Agent>) -> Snapshot {
    let mut shown = snapshot.clone();
    if let Some(a) = agent {
        shown
            .sessions
            .retain(|s| s.agent_names().iter().any(|n| n == a.name()));
    }
    shown
}

/// The session table: columns fitted to `style.width` (directories cut in the middle,
/// the message last), or every column whole when there is no width.
pub fn write_table(
    snapshot: &Snapshot,
    style: &TableStyle,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if snapshot.sessions.is_empty() {
        return Ok(());
    }
    let home = std::env::home_dir().map(|h| h.display().to_string());
    let now = unix_now();
    let rows: Vec<Vec<String>> = snapshot
        .sessions
        .iter()
        .map(|s| {
            let mut cells = row_cells(s, style.icons, home.as_deref(), now).to_vec();
            if style.metrics {
                cells.splice(3..3, metric_cells(s, &style.prices));
            }
            cells
        })
        .collect();
    let mut header: Vec<String> = ["STATUS", "SESSION", "AGE", "DIRECTORY", "MESSAGE"]
        .map(String::from)
        .to_vec();
    let mut caps = vec![16, 36, 9, 36];
    if style.metrics {
        header.splice(3..3, METRIC_COLUMNS.iter().map(|c| c.to_string()));
        caps.splice(3..3, METRIC_COLUMNS.iter().map(|_| usize::MAX));
    }
    if style.width.is_none() {
        caps.fill(usize::MAX);
    }
    let dir = header.len() - 2;
    let last = header.len() - 1;
    let mut widths = vec![0usize; last];
    for row in std::iter::once(&header).chain(&rows) {
        for (i, w) in widths.iter_mut().enumerate() {
            *w = (*w).max(crate::format::width(&row[i])).min(caps[i]);
        }
    }
    if let Some(width) = style.width {
        // Leave the message some room: narrow the directory, then the session column.
        const MIN_MESSAGE: usize = 20;
        for (col, floor) in [(dir, 12), (1, 24)] {
            let used: usize = widths.iter().map(|w| w + 2).sum();
            let short = (used + MIN_MESSAGE).saturating_sub(width);
            widths[col] = widths[col]
                .saturating_sub(short)
                .max(floor.min(widths[col]));
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::new();
        for (i, w) in widths.iter().enumerate() {
            let cell = if i == dir {
                cut_path(&row[i], *w)
            } else {
                row[i].clone()
            };
            line.push_str(&pad(&cell, *w));
            line.push_str("  ");
        }
        line.push_str(&row[last]);
        let line = line.trim_end();
        match style.width {
            Some(width) => writeln!(out, "{}", truncate(line, width))?,
            None => writeln!(out, "{line}")?,
        }
    }
    Ok(())
}

/// The metric columns of `--wide`, after AGE.
const METRIC_COLUMNS: &[&str] = &["TOKENS", "COST", "MEM"];

/// The metric cells: total tokens, the estimated cost and the memory (`256M`, as the Go
/// navi writes it; `-` when unknown).
fn metric_cells(s: &SessionInfo, prices: &PriceTable) -> Vec<String> {
    let tokens = s.metrics.as_ref().and_then(|m| m.tokens.as_ref());
    let total = tokens
        .and_then(|t| t.total)
        .map_or("-".into(), |n| n.to_string());
    let cost = tokens
        .and_then(|t| navi_core::cost::estimate(t, prices))
        .map_or("-".into(), |c| c.short());
    let mem = s.rss_bytes().map_or("-".into(), crate::format::short_bytes);
    vec![total, cost, mem]
}

/// The five cells of one session: status, name (with machine, ended, stale), age,
/// directory, message.
fn row_cells(
    s: &navi_core::SessionInfo,
    icons: IconSet,
    home: Option<&str>,
    now: i64,
) -> [String; 5] {
    let mut name = navi_core::text::sanitize_name(&s.tmux_session).into_owned();
    // The agent, as a short tag, when it is not Claude Code (the common case stays as it
    // was); helper agents of the Go navi's `agents` map follow with `+`.
    for tag in crate::format::agent_tags(s) {
        match tag.starts_with('+') {
            true => name.push_str(&format!(" {tag}")),
            false => name.push_str(&format!(" {{{tag}}}")),
        }
    }
    if let Some(r) = &s.remote {
        name.push_str(&format!(" [{}]", sanitize(r)));
    }
    match &s.liveness {
        navi_core::Liveness::Ended => name.push_str(" (ended)"),
        navi_core::Liveness::Unknown(why) => {
            name.push_str(&format!(" (unknown: {})", sanitize(why)));
        }
        _ => {}
    }
    if s.stale {
        name.push_str(" (stale)");
    }
    [
        format!(
            "{} {}",
            crate::icons::status_cell(&s.status, icons),
            sanitize(s.status.as_str())
        ),
        name,
        session_age(s.timestamp, now),
        tilde(&sanitize(&s.cwd), home, s.remote.is_some()),
        sanitize(&s.message.chars().take(4000).collect::<String>())
            .trim()
            .to_string(),
    ]
}

fn write_problems(
    set: &SourceSet,
    snapshot: &Snapshot,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    for h in &snapshot.sources {
        let name = sanitize(h.display_name());
        if h.state == SourceState::Unavailable {
            let reason = h
                .reason
                .as_ref()
                .map(|r| sanitize(&r.reason()).into_owned())
                .unwrap_or_default();
            writeln!(err, "navi: {name}: unavailable: {reason}")?;
        }
        if let Some(note) = &h.note {
            writeln!(err, "navi: {name}: {}", sanitize(&note.to_string()))?;
        }
        for f in &h.skipped {
            writeln!(err, "navi: {name}: {}", crate::format::skipped(f))?;
        }
    }
    // The hint is for a healthy but empty directory; an unreadable one was explained above.
    let local_failed = snapshot
        .sources
        .iter()
        .any(|h| h.name.is_none() && h.state == SourceState::Unavailable);
    if snapshot.sessions.is_empty() && !local_failed {
        let dir = set.sessions_dir.display();
        let where_ = if set.sessions_dir.exists() {
            format!("No sessions in {dir}.")
        } else {
            format!("No sessions in {dir} (the directory does not exist yet).")
        };
        writeln!(
            err,
            "{where_} Run `navi hooks install` once, then start `claude` inside tmux: \
             navi's Claude Code hook writes one status file per tmux session there. \
             `navi --demo list` shows sample output."
        )?;
    }
    Ok(())
}

/// `navi list [--json] [--wide] [--agent NAME]`.
pub async fn command(
    mut set: SourceSet,
    paths: &crate::cli::Paths,
    json: bool,
    wide: bool,
    agent: Option<navi_core::statusdir::agents::Agent>,
) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let settings = crate::sources::settings(paths);
    set.add_settings_errors(settings.errors);
    // A terminal gets a table that fits; a pipe or a file gets every column whole.
    let width = match std::io::stdout().is_terminal() && !wide {
        true => Some(crossterm::terminal::size().map_or(80, |(w, _)| usize::from(w))),
        false => None,
    };
    let style = TableStyle {
        width,
        icons: settings.settings.icons,
        metrics: wide,
        prices: settings.settings.prices,
        agent,
    };
    run(
        &set,
        json,
        style,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::testing::session;
    use navi_core::{MemorySource, SourceError};
    use std::sync::Arc;
    use std::time::Duration;

    fn fit(width: usize) -> TableStyle {
        TableStyle {
            width: Some(width),
            icons: IconSet::Emoji,
            metrics: false,
            prices: PriceTable::default(),
            agent: None,
        }
    }

    #[tokio::test]
    async fn wide_lists_tokens_and_cost_and_json_carries_the_cost() {
        let mut s = session("api", "working", 1);
        s.metrics = serde_json::from_str(
            r#"{"tokens":{"input":2000000,"output":0,"total":2000000,"cache_read":1000000,
                "cache_creation":0,"model":"claude-opus-4-5"}}"#,
        )
        .ok();
        let mut go = session("legacy", "done", 1);
        go.metrics = serde_json::from_str(r#"{"tokens":{"input":1,"output":2,"total":3}}"#).ok();
        let set = set_of(vec![Arc::new(MemorySource::new(None, vec![s, go]))]);
        let mut prices = PriceTable::default();
        prices.set(
            "claude-opus-4-5",
            navi_core::cost::Price {
                input: 1.0,
                output: 1.0,
                cache_write: 1.0,
                cache_read: 0.5,
            },
        );
        let wide = TableStyle {
            width: None,
            icons: IconSet::Ascii,
            metrics: true,
            prices,
            agent: None,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run(&set, false, wide.clone(), &mut out, &mut err)
            .await
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let cols: Vec<&str> = lines[0].split_whitespace().collect();
        assert_eq!(
            cols,
            [
                "STATUS",
                "SESSION",
                "AGE",
                "TOKENS",
                "COST",
                "MEM",
                "DIRECTORY",
                "MESSAGE"
            ]
        );
        let api = lines.iter().find(|l| l.contains("api")).unwrap();
        assert!(api.contains("2000000  $1.50"), "{text}");
        let legacy = lines.iter().find(|l| l.contains("legacy")).unwrap();
        assert!(
            legacy.contains(" 3 ") && legacy.trim_end().ends_with(" -"),
            "{text}"
        );

        let mut out = Vec::new();
        run(&set, true, wide, &mut out, &mut err).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let by = |n: &str| {
            v["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["tmux_session"] == n)
                .unwrap()
                .clone()
        };
        assert_eq!(
            by("api")["cost"],
            serde_json::json!({"usd": 1.5, "unpriced": []})
        );
        assert_eq!(by("api")["metrics"]["tokens"]["cache_read"], 1000000);
        assert_eq!(by("api")["metrics"]["tokens"]["model"], "claude-opus-4-5");
        assert_eq!(by("legacy")["cost"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn without_a_width_nothing_is_cut_and_with_one_directories_keep_the_project() {
        let mut long = session("a-session-with-a-rather-long-name-indeed", "working", 1);
        long.cwd = "/srv/clients/acme-corporation/backend/services/payment-gateway".into();
        long.message = "m".repeat(300);
        let set = set_of(vec![Arc::new(MemorySource::new(None, vec![long]))]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let wide = TableStyle {
            width: None,
            icons: IconSet::Ascii,
            metrics: false,
            prices: PriceTable::default(),
            agent: None,
        };
        run(&set, false, wide, &mut out, &mut err).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        let row = out.lines().nth(1).unwrap();
        assert!(
            row.contains("a-session-with-a-rather-long-name-indeed"),
            "{row}"
        );
        assert!(row.contains("/srv/clients/acme-corporation/backend/services/payment-gateway"));
        assert!(row.ends_with(&"m".repeat(300)), "{row}");
        assert!(row.starts_with("*  working"), "ascii icons: {row}");

        let mut out = Vec::new();
        run(&set, false, fit(100), &mut out, &mut Vec::new())
            .await
            .unwrap();
        let out = String::from_utf8(out).unwrap();
        let row = out.lines().nth(1).unwrap();
        assert!(row.contains("…/payment-gateway"), "{row}");
        assert!(crate::format::width(row) <= 100, "{row}");
    }

    fn set_of(sources: Vec<Arc<dyn navi_core::SessionSource>>) -> SourceSet {
        SourceSet {
            sources: sources
                .into_iter()
                .map(|s| (s, navi_core::testing::OPTIONS))
                .collect(),
            sessions_dir: "/tmp/sessions".into(),
            config_errors: vec![crate::sources::ConfigProblem::Remotes(
                navi_source_ssh::ConfigError {
                    file: "remotes.yaml".into(),
                    remote: "x".into(),
                    field: "host".into(),
                    message: "missing".into(),
                },
            )],
            ..SourceSet::default()
        }
    }

    #[tokio::test]
    async fn table_lists_sessions_and_problems_go_to_stderr() {
        let mut hostile = session("evil", "error", unix_now() - 90);
        hostile.message = "\x1b[2J\x1b]0;x\x07boom".into();
        hostile.cwd = "/srv/app".into();
        let set = set_of(vec![
            Arc::new(MemorySource::new(
                None,
                vec![session("alpha", "working", 1), hostile],
            )),
            Arc::new(navi_core::testing::MockSource::failing(
                Some("dev"),
                SourceError::Refused("dev:22".into()),
                Duration::ZERO,
            )),
        ]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run(&set, false, fit(60), &mut out, &mut err).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        let err = String::from_utf8(err).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(lines[0].starts_with("STATUS"));
        assert!(
            lines[1].contains("alpha") && lines[1].contains("working"),
            "{out}"
        );
        assert!(
            lines[2].contains("evil") && lines[2].contains("1m ago"),
            "{out}"
        );
        assert!(lines[2].contains("/srv/app"), "{out}");
        assert!(!out.contains('\x1b') && !out.contains('\x07'));
        assert!(lines.iter().all(|l| crate::format::width(l) <= 60), "{out}");
        assert!(
            err.contains("navi: dev: unavailable: connection refused: dev:22"),
            "{err}"
        );
        assert!(err.contains("navi: config: remotes.yaml"), "{err}");
    }

    #[tokio::test]
    async fn empty_table_explains_where_sessions_come_from() {
        let set = set_of(vec![Arc::new(MemorySource::new(None, vec![]))]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run(&set, false, fit(80), &mut out, &mut err).await.unwrap();
        assert!(out.is_empty());
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.contains("No sessions in /tmp/sessions (the directory does not exist yet)."),
            "{err}"
        );

        let dir = tempfile::tempdir().unwrap();
        let mut set = set_of(vec![Arc::new(MemorySource::new(None, vec![]))]);
        set.sessions_dir = dir.path().to_path_buf();
        let mut err = Vec::new();
        run(&set, false, fit(80), &mut Vec::new(), &mut err)
            .await
            .unwrap();
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.contains(&format!("No sessions in {}.", dir.path().display())),
            "{err}"
        );
    }

    #[tokio::test]
    async fn unreadable_directory_is_explained_once_without_the_empty_hint() {
        let set = set_of(vec![Arc::new(navi_core::testing::MockSource::failing(
            None,
            SourceError::Io("cannot read status directory /tmp/sessions: Not a directory".into()),
            Duration::ZERO,
        ))]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run(&set, false, fit(80), &mut out, &mut err).await.unwrap();
        let err = String::from_utf8(err).unwrap();
        assert!(
            err.contains("navi: local: unavailable: cannot read status directory"),
            "{err}"
        );
        assert!(!err.contains("No sessions"), "{err}");
    }

    #[tokio::test]
    async fn json_is_one_object() {
        let set = set_of(vec![Arc::new(MemorySource::new(
            Some("dev"),
            vec![session("a", "done", 5)],
        ))]);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run(&set, true, fit(80), &mut out, &mut err).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["sessions"][0]["tmux_session"], "a");
        assert_eq!(v["sessions"][0]["remote"], "dev");
        assert_eq!(v["sources"][0]["name"], "dev");
        assert_eq!(v["sources"][0]["state"], "connected");
        assert_eq!(v.as_object().unwrap().len(), 2);
    }
}

#[cfg(test)]
mod agent_tests {
    use super::*;
    use navi_core::statusdir::agents::Agent;
    use navi_core::testing::session;
    use navi_core::MemorySource;
    use std::sync::Arc;

    #[tokio::test]
    async fn agent_lists_only_that_agents_sessions_lead_or_helper() {
        let mut cx = session("cx", "working", 1);
        cx.agent = Some("codex".into());
        let mut helped = session("helped", "working", 1);
        helped.agents =
            serde_json::from_str(r#"{"codex":{"status":"working","timestamp":1}}"#).ok();
        let plain = session("plain", "idle", 1);
        let set = SourceSet {
            sources: vec![(
                Arc::new(MemorySource::new(None, vec![cx, helped, plain])) as _,
                navi_core::testing::OPTIONS,
            )],
            ..SourceSet::default()
        };
        let style = |agent| TableStyle {
            width: None,
            icons: IconSet::Ascii,
            metrics: false,
            prices: PriceTable::default(),
            agent,
        };
        let names = |out: Vec<u8>| {
            let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let mut n: Vec<String> = v["sessions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["tmux_session"].as_str().unwrap().to_string())
                .collect();
            n.sort();
            n
        };
        for (agent, want) in [
            (Some(Agent::Codex), vec!["cx", "helped"]),
            (Some(Agent::Claude), vec!["helped", "plain"]),
            (Some(Agent::Gemini), vec![]),
            (None, vec!["cx", "helped", "plain"]),
        ] {
            let (mut out, mut err) = (Vec::new(), Vec::new());
            run(&set, true, style(agent), &mut out, &mut err)
                .await
                .unwrap();
            assert_eq!(names(out), want, "{agent:?}");
        }
        // The table too; no "no sessions" hint when only the filter leaves none.
        let (mut out, mut err) = (Vec::new(), Vec::new());
        run(&set, false, style(Some(Agent::Gemini)), &mut out, &mut err)
            .await
            .unwrap();
        assert!(out.is_empty());
        assert!(!String::from_utf8(err).unwrap().contains("No sessions"));
    }
}
