//! `navi status`: the Go navi's one-line summary, for a tmux status bar
//! (`set -g status-right '#(navi status --format tmux)'`), counting remote sessions too.
//!
//! It answers in milliseconds and never touches the network. A running dashboard
//! publishes its latest counts ([`publish`]: names and statuses only, in a user-only
//! file); `navi status` uses them while they are fresh. Otherwise it reads the local
//! status directory itself and says that remote sessions are unknown.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use navi_core::{Snapshot, SourceState, Status};
use serde::{Deserialize, Serialize};

use crate::format::unix_now;

/// A published summary older than this is not trusted (the dashboard may have died).
pub const FRESH_FOR: Duration = Duration::from_secs(15);
/// The dashboard republishes unchanged counts this often, so they stay fresh.
pub const REPUBLISH_EVERY: Duration = Duration::from_secs(5);

/// Output shape of `navi status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// `2 waiting, 1 permission` (the Go navi's shape).
    Plain,
    /// The same line, for tmux's `#(...)`.
    Tmux,
    /// One JSON object with counts, sessions and where they came from.
    Json,
}

/// One session in the published summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// tmux session name.
    pub name: String,
    /// Machine (`None`: local).
    pub remote: Option<String>,
    /// Combined status (an agent asking counts).
    pub status: String,
}

/// What the dashboard publishes and `navi status` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Unix seconds it was written.
    pub written: i64,
    /// Live sessions (stale rows of unavailable remotes are left out).
    pub sessions: Vec<Entry>,
    /// Remotes whose sessions are unknown right now (unavailable or connecting).
    pub unknown_remotes: Vec<String>,
    /// Notifications muted in the dashboard.
    #[serde(default)]
    pub muted: bool,
}

impl Summary {
    /// The summary of a snapshot.
    pub fn of(snapshot: &Snapshot, written: i64) -> Summary {
        let sessions = snapshot
            .sessions
            .iter()
            .filter(|s| !s.stale && !s.is_ended())
            .map(|s| Entry {
                name: s.tmux_session.clone(),
                remote: s.remote.clone(),
                status: s.combined_status().0.as_str().to_string(),
            })
            .collect();
        let unknown_remotes = snapshot
            .sources
            .iter()
            .filter(|h| h.state != SourceState::Connected)
            .filter_map(|h| h.name.clone())
            .collect();
        Summary {
            written,
            sessions,
            unknown_remotes,
            muted: false,
        }
    }

    /// Whether it matches `other` apart from when it was written.
    fn same_as(&self, other: &Summary) -> bool {
        self.sessions == other.sessions
            && self.unknown_remotes == other.unknown_remotes
            && self.muted == other.muted
    }

    fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for s in &self.sessions {
            *counts.entry(s.status.clone()).or_insert(0) += 1;
        }
        counts
    }
}

/// `$XDG_RUNTIME_DIR/navi/status.json`, else `~/.local/state/navi/status.json`.
pub fn summary_path() -> Option<PathBuf> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    match runtime {
        Some(dir) => Some(dir.join("navi/status.json")),
        None => std::env::home_dir().map(|h| h.join(".local/state/navi/status.json")),
    }
}

/// Keeps the published summary current: writes only when the counts changed or the last
/// write is about to go stale.
#[derive(Debug, Default)]
pub struct Publisher {
    path: Option<PathBuf>,
    last: Option<Summary>,
}

impl Publisher {
    /// A publisher writing to `path` (`None`: publish nothing).
    pub fn new(path: Option<PathBuf>) -> Self {
        Publisher { path, last: None }
    }

    /// Publishes `summary` if it says something new (or the old one ages).
    pub fn publish(&mut self, summary: Summary) {
        let Some(path) = &self.path else { return };
        let unchanged = self.last.as_ref().is_some_and(|last| {
            last.same_as(&summary)
                && summary.written - last.written < REPUBLISH_EVERY.as_secs() as i64
        });
        if unchanged {
            return;
        }
        match write_private(path, &summary) {
            Ok(()) => self.last = Some(summary),
            Err(e) => {
                tracing::warn!(file = %path.display(), "cannot publish the status summary: {e:#}");
                // Do not retry on every snapshot.
                self.path = None;
            }
        }
    }
}

/// Writes `summary` atomically (temp file + rename) in a directory only the user can read.
fn write_private(path: &Path, summary: &Summary) -> anyhow::Result<()> {
    let dir = path.parent().context("the summary path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    let tmp = dir.join(format!(".status.json.{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec(summary)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// The published summary, when it is fresh.
fn read_fresh(path: &Path, now: i64) -> Option<Summary> {
    let bytes = std::fs::read(path).ok()?;
    let summary: Summary = serde_json::from_slice(&bytes).ok()?;
    let age = now - summary.written;
    (0..=FRESH_FOR.as_secs() as i64)
        .contains(&age)
        .then_some(summary)
}

/// The summary when no dashboard publishes one: the local directory, remotes unknown.
fn local_summary(dir: &Path, remotes: Vec<String>, now: i64) -> Summary {
    let sessions = match navi_source_local::read_dir(dir) {
        Ok(report) => report
            .sessions
            .iter()
            .map(|s| Entry {
                name: s.tmux_session.clone(),
                remote: None,
                status: s.combined_status().0.as_str().to_string(),
            })
            .collect(),
        Err(e) => {
            tracing::warn!("navi status: {e}");
            Vec::new()
        }
    };
    Summary {
        written: now,
        sessions,
        unknown_remotes: remotes,
        muted: false,
    }
}

/// `2 waiting, 1 permission` (`verbose`: every non-zero status of the Go navi's verbose
/// order), with `(remotes unknown)` when remote sessions could not be counted.
pub fn line(summary: &Summary, verbose: bool) -> String {
    const DEFAULT: &[&str] = &["waiting", "permission"];
    const VERBOSE: &[&str] = &["working", "waiting", "permission", "idle", "stopped"];
    let counts = summary.counts();
    let order = if verbose { VERBOSE } else { DEFAULT };
    let mut parts: Vec<String> = order
        .iter()
        .filter_map(|s| {
            counts
                .get(*s)
                .filter(|n| **n > 0)
                .map(|n| format!("{n} {s}"))
        })
        .collect();
    if !summary.unknown_remotes.is_empty() {
        parts.push(format!(
            "({} remotes unknown)",
            summary.unknown_remotes.len()
        ));
    }
    if summary.muted {
        parts.push("(muted)".into());
    }
    parts.join(", ")
}

/// Runs `navi status`.
pub fn run(
    format: Format,
    verbose: bool,
    sessions_dir: &Path,
    remotes: Vec<String>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let now = unix_now();
    let (summary, from) = match summary_path().and_then(|p| read_fresh(&p, now)) {
        Some(s) => (s, "dashboard"),
        None => (local_summary(sessions_dir, remotes, now), "local"),
    };
    match format {
        Format::Plain | Format::Tmux => {
            let text = line(&summary, verbose);
            if !text.is_empty() {
                writeln!(out, "{text}")?;
            }
        }
        Format::Json => {
            let value = serde_json::json!({
                "from": from,
                "counts": summary.counts(),
                "needs_you": summary.sessions.iter()
                    .filter(|s| Status::from_hook(&s.status).needs_attention()).count(),
                "sessions": summary.sessions,
                "unknown_remotes": summary.unknown_remotes,
                "muted": summary.muted,
                "age_s": now - summary.written,
            });
            writeln!(out, "{value}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::testing::session;
    use std::sync::Arc;

    fn snapshot() -> Snapshot {
        let mut remote = session("api", "permission", 1);
        remote.remote = Some("dev".into());
        let mut stale = session("old", "waiting", 1);
        stale.remote = Some("staging".into());
        stale.stale = true;
        let mut staging = navi_core::SourceHealth::connecting(Some("staging".into()));
        staging.state = SourceState::Unavailable;
        let mut dev = navi_core::SourceHealth::connecting(Some("dev".into()));
        dev.state = SourceState::Connected;
        Snapshot {
            sessions: vec![
                Arc::new(remote),
                Arc::new(session("a", "waiting", 1)),
                Arc::new(session("b", "waiting", 1)),
                Arc::new(session("w", "working", 1)),
                Arc::new(stale),
            ],
            sources: vec![dev, staging],
            generation: 1,
        }
    }

    #[test]
    fn the_line_has_the_go_navi_shape_and_counts_remote_sessions() {
        let s = Summary::of(&snapshot(), 100);
        assert_eq!(
            line(&s, false),
            "2 waiting, 1 permission, (1 remotes unknown)"
        );
        assert_eq!(
            line(&s, true),
            "1 working, 2 waiting, 1 permission, (1 remotes unknown)"
        );
        let empty = Summary {
            written: 0,
            sessions: vec![],
            unknown_remotes: vec![],
            muted: false,
        };
        assert_eq!(line(&empty, false), "", "nothing to say: an empty line");
        let muted = Summary {
            muted: true,
            ..Summary::of(&snapshot(), 100)
        };
        assert_eq!(
            line(&muted, false),
            "2 waiting, 1 permission, (1 remotes unknown), (muted)"
        );
        let json = serde_json::to_value(&muted).unwrap();
        assert_eq!(json["muted"], true);
    }

    #[test]
    fn published_summaries_are_read_while_fresh_and_rewritten_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("navi/status.json");
        let mut p = Publisher::new(Some(path.clone()));
        p.publish(Summary::of(&snapshot(), 1000));
        let first = std::fs::metadata(&path).unwrap().modified().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        std::thread::sleep(Duration::from_millis(20));
        p.publish(Summary::of(&snapshot(), 1001));
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), first);
        assert!(read_fresh(&path, 1010).is_some());
        assert!(read_fresh(&path, 1000 + 16).is_none(), "stale after 15 s");
        p.publish(Summary::of(&snapshot(), 1000 + 6));
        assert!(
            read_fresh(&path, 1020).is_some(),
            "republished while unchanged"
        );
    }

    #[test]
    fn without_a_dashboard_the_local_directory_is_read_and_remotes_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let file = |n: &str, st: &str| {
            let body = format!(r#"{{"tmux_session":"{n}","status":"{st}","timestamp":1}}"#);
            std::fs::write(dir.path().join(format!("{n}.json")), body).unwrap();
        };
        file("x", "waiting");
        file("y", "permission");
        let s = local_summary(dir.path(), vec!["dev".into()], 5);
        assert_eq!(
            line(&s, false),
            "1 waiting, 1 permission, (1 remotes unknown)"
        );
    }
}
