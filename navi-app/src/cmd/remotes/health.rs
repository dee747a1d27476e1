//! `navi remotes [--json]`: every remote after one poll, as a table or as JSON.

use std::collections::BTreeMap;
use std::io::Write;

use navi_core::text::sanitize;
use navi_core::{format_duration, Snapshot, SourceHealth, SourceState};
use navi_source_ssh::Remote;

use super::address;
use crate::cmd::setup::SetupCheck;
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
    checks: &BTreeMap<String, SetupCheck>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<()> {
    let snapshot = set.poll_once().await;
    if json_output {
        let remotes = snapshot
            .sources
            .iter()
            .map(|h| {
                let mut v = json::remote(h, remote_of(set, h));
                if let Some(obj) = v.as_object_mut() {
                    let check = h.name.as_ref().and_then(|n| checks.get(n));
                    obj.insert("setup".into(), serde_json::json!(check));
                }
                v
            })
            .collect();
        let doc = json::remotes(file_name(set), remotes, &set.config_errors);
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        set.write_config_errors(err)?;
        if snapshot.sources.is_empty() {
            write_no_remotes(set, out)?;
        } else {
            write_table(set, &snapshot, checks, out)?;
        }
    }
    verdict(set, &snapshot)
}

/// The exit status: an error (exit 1) when a remote is unavailable or the config has
/// problems, so `navi remotes` works as a health check in scripts.
fn verdict(set: &SourceSet, snapshot: &Snapshot) -> anyhow::Result<()> {
    let down: Vec<&str> = snapshot
        .sources
        .iter()
        .filter(|h| h.state == SourceState::Unavailable)
        .map(|h| h.display_name())
        .collect();
    let problems = set.config_errors.len();
    match (down.is_empty(), problems) {
        (true, 0) => Ok(()),
        (true, n) => anyhow::bail!("{n} config problem(s) (listed above)"),
        (false, 0) => anyhow::bail!("unavailable: {}", sanitize(&down.join(", "))),
        (false, n) => anyhow::bail!(
            "unavailable: {}; {n} config problem(s)",
            sanitize(&down.join(", "))
        ),
    }
}

/// What `navi remotes setup` last found there.
fn setup_line(h: &SourceHealth, checks: &BTreeMap<String, SetupCheck>, now: i64) -> String {
    let Some(name) = &h.name else {
        return String::new();
    };
    match checks.get(name) {
        None => format!(
            "hooks: not checked (`navi remotes setup {}` installs and checks them)",
            sanitize(name)
        ),
        Some(c) => {
            let age = ago(std::time::Duration::from_secs(
                u64::try_from(now.saturating_sub(c.checked_at).max(0)).unwrap_or(0),
            ));
            let state = match (c.hooks_installed, c.sessions_dir_present) {
                (true, true) => "installed",
                (true, false) => "installed, status directory missing",
                (false, _) => "NOT installed",
            };
            format!(
                "hooks: {state} ({}, checked {age} by navi remotes setup)",
                sanitize(&c.version)
            )
        }
    }
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
fn write_table(
    set: &SourceSet,
    snapshot: &Snapshot,
    checks: &BTreeMap<String, SetupCheck>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
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
        if let Some(note) = &h.note {
            writeln!(out, "    note: {}", sanitize(&note.to_string()))?;
        }
        if let Some(mode) = &h.mode {
            writeln!(out, "    mode: {}", sanitize(&mode.to_string()))?;
        }
        writeln!(out, "    {}", setup_line(h, checks, now))?;
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
        let checks: BTreeMap<String, SetupCheck> = [(
            "dev".to_string(),
            SetupCheck {
                checked_at: unix_now() - 3600,
                navi: "/home/u/.local/bin/navi".into(),
                version: "navi 0.1.0".into(),
                hooks_installed: true,
                sessions_dir_present: true,
            },
        )]
        .into_iter()
        .collect();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let verdict = health(&set, false, &checks, &mut out, &mut err).await;
        let failure = format!("{:#}", verdict.unwrap_err());
        assert_eq!(failure, "unavailable: staging; 1 config problem(s)");
        let out = String::from_utf8(out).unwrap();
        let err = String::from_utf8(err).unwrap();
        let all: Vec<&str> = out.lines().collect();
        assert_eq!(
            all[2], "    hooks: installed (navi 0.1.0, checked 1h ago by navi remotes setup)",
            "{out}"
        );
        assert!(
            all[5].contains("hooks: not checked (`navi remotes setup staging`"),
            "{out}"
        );
        let lines: Vec<&str> = all
            .iter()
            .copied()
            .filter(|l| !l.contains("hooks:"))
            .collect();
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
        assert!(health(&set, true, &checks, &mut out, &mut err)
            .await
            .is_err());
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["remotes"][0]["name"], "dev");
        assert_eq!(v["remotes"][0]["setup"]["hooks_installed"], true);
        assert_eq!(v["remotes"][1]["setup"], Value::Null);
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
        health(&set, false, &BTreeMap::new(), &mut out, &mut err)
            .await
            .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("No remotes configured") && out.contains("jump_host"),
            "{out}"
        );
    }
}
