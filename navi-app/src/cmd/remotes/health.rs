//! `navi remotes [--json]`: every remote after one poll, as a table or as JSON.

use std::io::Write;

use navi_core::text::sanitize;
use navi_core::{format_duration, Snapshot, SourceHealth, SourceState};
use navi_source_ssh::Remote;

use super::address;
use crate::format::{ago, pad, unix_now, unix_seconds};
use crate::json;
use crate::sources::SourceSet;

/// The remotes.yaml shown when none is configured (the demo's remotes are the same two).
pub const EXAMPLE: &str = "\
remotes:
  - name: dev-server
    host: dev.example.com
    user: sean
    key: ~/.ssh/id_ed25519
  - name: staging
    host: staging.example.com
    user: deploy
    key: ~/.ssh/deploy_key
    jump_host: bastion.example.com";

/// The table's columns before ADDRESS.
const HEADER: [&str; 5] = ["REMOTE", "STATE", "LATENCY", "LAST OK", "SESSIONS"];

/// Polls every remote of `set` once and prints their health.
pub async fn health(
    set: &SourceSet,
    json_output: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let snapshot = set.poll_once().await;
    if json_output {
        let remotes = snapshot
            .sources
            .iter()
            .map(|h| json::remote(h, remote_of(set, h)))
            .collect();
        let doc = json::remotes(file_name(set), remotes, &set.config_errors);
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
        return Ok(());
    }
    set.write_config_errors(err)?;
    if snapshot.sources.is_empty() {
        write_no_remotes(set, out)?;
        return Ok(());
    }
    write_table(set, &snapshot, out)?;
    Ok(())
}

/// The configured remote behind `h`, if any.
fn remote_of<'a>(set: &'a SourceSet, h: &SourceHealth) -> Option<&'a Remote> {
    set.remotes
        .iter()
        .find(|r| Some(r.name.as_str()) == h.name.as_deref())
}

/// The remotes file, as shown.
fn file_name(set: &SourceSet) -> Option<String> {
    set.remotes_file.as_ref().map(|f| f.display().to_string())
}

/// No remote to show: an example to start from, or a pointer to the errors.
fn write_no_remotes(set: &SourceSet, out: &mut dyn Write) -> std::io::Result<()> {
    let file = file_name(set);
    let file = file.as_deref().unwrap_or("~/.config/navi/remotes.yaml");
    if set.config_errors.is_empty() {
        writeln!(
            out,
            "No remotes configured in {file}. Add them like this:\n\n{EXAMPLE}\n\n\
             Optional keys: port, jump_user, sessions_dir (default ~/.claude-sessions), \
             timeout, poll_interval."
        )
    } else {
        writeln!(out, "No usable remotes in {file} (see the errors above).")
    }
}

/// One line per remote under a header, each followed by its reason and skipped files.
fn write_table(set: &SourceSet, snapshot: &Snapshot, out: &mut dyn Write) -> std::io::Result<()> {
    let widths = column_widths(snapshot);
    writeln!(out, "{}ADDRESS", cells_line(&HEADER, widths))?;
    let now = unix_now();
    for h in &snapshot.sources {
        let mut line = cells_line(&row_cells(h, now), widths);
        line.push_str(&remote_of(set, h).map(address).unwrap_or_else(|| "-".into()));
        writeln!(out, "{}", sanitize(&line))?;
        if let Some(reason) = &h.reason {
            writeln!(
                out,
                "    {}: {}",
                reason.kind(),
                sanitize(&reason.to_string())
            )?;
        }
        for f in &h.skipped {
            writeln!(out, "    {}", crate::format::skipped(f))?;
        }
    }
    Ok(())
}

/// The REMOTE column fits the longest name (6 to 24 cells); the others are fixed.
fn column_widths(snapshot: &Snapshot) -> [usize; 5] {
    let name = snapshot
        .sources
        .iter()
        .map(|h| crate::format::width(&sanitize(h.display_name())))
        .max()
        .unwrap_or(0)
        .clamp(6, 24);
    [name, 13, 8, 10, 8]
}

/// `cells`, each padded to its width and followed by two spaces.
fn cells_line<S: AsRef<str>>(cells: &[S], widths: [usize; 5]) -> String {
    let mut line = String::new();
    for (c, w) in cells.iter().zip(widths) {
        line.push_str(&pad(c.as_ref(), w));
        line.push_str("  ");
    }
    line
}

/// Name, state, latency, last good poll and sessions of one remote.
fn row_cells(h: &SourceHealth, now: i64) -> [String; 5] {
    let symbol = match h.state {
        SourceState::Connected => "●",
        SourceState::Connecting => "◌",
        SourceState::Unavailable => "✖",
    };
    let last_ok = match h.last_ok {
        Some(t) => ago(std::time::Duration::from_secs(
            u64::try_from(now.saturating_sub(unix_seconds(t)).max(0)).unwrap_or(0),
        )),
        None => "never".into(),
    };
    [
        sanitize(h.display_name()).into_owned(),
        format!("{symbol} {}", h.state.as_str()),
        h.latency.map(format_duration).unwrap_or_else(|| "-".into()),
        last_ok,
        h.sessions.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::ConfigProblem;
    use navi_core::testing::{session, MockSource};
    use navi_core::SourceError;
    use navi_source_ssh::ConfigError;
    use serde_json::Value;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn health_lists_every_remote_with_state_and_reason() {
        let set = SourceSet {
            sources: vec![
                (
                    Arc::new(MockSource::ok(
                        Some("dev"),
                        vec![session("a", "working", 1)],
                        Duration::from_millis(5),
                    )) as _,
                    navi_core::testing::OPTIONS,
                ),
                (
                    Arc::new(MockSource::failing(
                        Some("staging"),
                        SourceError::Auth("no key accepted for deploy@staging".into()),
                        Duration::ZERO,
                    )) as _,
                    navi_core::testing::OPTIONS,
                ),
            ],
            config_errors: vec![ConfigProblem::Remotes(ConfigError {
                file: "r.yaml".into(),
                remote: "#3".into(),
                field: "host".into(),
                message: "missing".into(),
            })],
            ..SourceSet::default()
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        health(&set, false, &mut out, &mut err).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        let err = String::from_utf8(err).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with("REMOTE"), "{out}");
        assert!(
            lines[1].starts_with("dev") && lines[1].contains("● connected"),
            "{out}"
        );
        assert!(
            lines[1].contains("just now") || lines[1].contains("s ago"),
            "{out}"
        );
        assert!(
            lines[2].starts_with("staging") && lines[2].contains("✖ unavailable"),
            "{out}"
        );
        assert!(lines[2].contains("never"), "{out}");
        assert!(
            lines[3].contains("auth: authentication failed: no key accepted"),
            "{out}"
        );
        assert!(err.contains("field `host`"), "{err}");

        let (mut out, mut err) = (Vec::new(), Vec::new());
        health(&set, true, &mut out, &mut err).await.unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["remotes"][0]["name"], "dev");
        assert_eq!(v["remotes"][0]["sessions"], 1);
        assert_eq!(v["remotes"][1]["reason_kind"], "auth");
        assert_eq!(
            v["errors"][0],
            "r.yaml: remote \"#3\": field `host`: missing"
        );
    }

    #[tokio::test]
    async fn no_remotes_shows_an_example() {
        let set = SourceSet::default();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        health(&set, false, &mut out, &mut err).await.unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("No remotes configured") && out.contains("jump_host"),
            "{out}"
        );
    }
}
