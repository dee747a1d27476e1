//! `navi status`: the Go navi's one-line summary, for a tmux status bar
//! (`set -g status-right '#(navi status --format tmux)'`), counting remote sessions too.
//!
//! It answers in milliseconds and never touches the network. A running dashboard
//! publishes its latest counts ([`publish`]: names and statuses only, in a user-only
//! file, from a task subscribed to the aggregator). The file says which process wrote it
//! and is removed when that dashboard quits; `navi status` trusts it only while its
//! writer runs ([`Writer::is_running`]) and the file is fresh, so it never reports what a
//! dashboard saw before it quit or died. Otherwise it reads the local status directory
//! itself, and remote sessions are unknown.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use navi_core::{Snapshot, SourceState, Status};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::format::unix_now;

pub use crate::cli::Format;
pub use navi_core::limits::{STATUS_FRESH_FOR, STATUS_REPUBLISH_EVERY};

/// One session in the published summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// tmux session name.
    pub name: String,
    /// Machine (`None`: local).
    pub remote: Option<String>,
    /// Combined status (an agent asking counts), written as the hooks write it.
    pub status: Status,
}

/// The process that published a summary. A pid alone can name another process once the
/// dashboard died (pids are reused), so on Linux the process's start time goes with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    /// Its process id.
    pub pid: u32,
    /// When it started, in clock ticks since boot (`/proc/PID/stat`, field 22); `None`
    /// where there is no `/proc` (then the pid alone is checked).
    pub started: Option<u64>,
}

impl Writer {
    /// This process (read once: every summary carries it).
    pub fn this_process() -> Writer {
        static THIS: std::sync::OnceLock<Writer> = std::sync::OnceLock::new();
        THIS.get_or_init(|| {
            let pid = std::process::id();
            Writer {
                pid,
                started: start_time(pid),
            }
        })
        .clone()
    }

    /// Whether the process that wrote the summary still runs: the same pid, started at
    /// the same time where that can be read.
    pub fn is_running(&self) -> bool {
        match start_time(self.pid) {
            Some(now) => self.started.is_none_or(|then| then == now),
            // With /proc, a pid it does not list does not run.
            None if Path::new("/proc/self/stat").exists() => false,
            None => pid_exists(self.pid),
        }
    }
}

/// Whether `a` and `b` hold the same entries, in any order.
fn same_entries(a: &[Entry], b: &[Entry]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a == b {
        return true;
    }
    // By name, borrowed (no copy, no sort: this runs for every snapshot of a busy
    // dashboard); a list that names a row twice is compared sorted.
    let mut held: std::collections::HashMap<(&Option<String>, &str), &Status> =
        (a.iter().map(|e| ((&e.remote, e.name.as_str()), &e.status))).collect();
    if held.len() != a.len() {
        return sorted_entries(a) == sorted_entries(b);
    }
    b.iter()
        .all(|e| held.remove(&(&e.remote, e.name.as_str())) == Some(&e.status))
}

fn sorted_entries(v: &[Entry]) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = v.iter().collect();
    v.sort_unstable_by(|x, y| (&x.remote, &x.name).cmp(&(&y.remote, &y.name)));
    v
}

/// The start time of process `pid` from `/proc/PID/stat` (Linux); `None` when there is
/// no such process or no /proc.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Field 2 is the command name in parentheses, which may itself hold spaces and
    // parentheses: the fields after it start after the last ')'.
    let after = stat.get(stat.rfind(')')? + 1..)?;
    // `after` starts with field 3; the start time is field 22.
    after.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// Whether a process `pid` exists (signal 0: nothing is sent). A process of another
/// user answers "not permitted": it exists.
#[cfg(unix)]
fn pid_exists(pid: u32) -> bool {
    use rustix::process::{test_kill_process, Pid};
    let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
        return false;
    };
    match test_kill_process(pid) {
        Ok(()) => true,
        Err(e) => e == rustix::io::Errno::PERM,
    }
}

/// Elsewhere nothing tells: the summary's age decides alone.
#[cfg(not(unix))]
fn pid_exists(_pid: u32) -> bool {
    true
}

/// What the dashboard publishes and `navi status` reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Unix seconds it was written.
    pub written: i64,
    /// The dashboard that wrote it. Required: a summary that cannot say who wrote it
    /// cannot be checked, and is not trusted.
    pub writer: Writer,
    /// Live sessions (stale rows of unavailable remotes are left out).
    pub sessions: Vec<Entry>,
    /// Remotes whose sessions are unknown right now (unavailable or connecting).
    pub unknown_remotes: Vec<String>,
    /// Notifications muted in the dashboard.
    #[serde(default)]
    pub muted: bool,
}

impl Summary {
    /// The summary of a snapshot, written by this process.
    pub fn of(snapshot: &Snapshot, written: i64) -> Summary {
        let sessions = snapshot
            .sessions
            .iter()
            .filter(|s| !s.stale && !s.is_ended())
            .map(|s| Entry {
                name: s.tmux_session.clone(),
                remote: s.remote.clone(),
                status: s.combined_status().0,
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
            writer: Writer::this_process(),
            sessions,
            unknown_remotes,
            muted: false,
        }
    }

    /// Whether it matches `other` apart from when it was written and the order of the
    /// sessions: rows re-sort with every status write (newest first), and rewriting the
    /// file for a new order alone cost a busy dashboard most of its CPU.
    fn same_as(&self, other: &Summary) -> bool {
        self.unknown_remotes == other.unknown_remotes
            && self.muted == other.muted
            && same_entries(&self.sessions, &other.sessions)
    }

    /// Sessions per status kind (`working`, …, `unknown` for a status navi does not
    /// know).
    fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for s in &self.sessions {
            *counts.entry(s.status.kind()).or_insert(0) += 1;
        }
        counts
    }
}

/// `$XDG_RUNTIME_DIR/navi/status.json`, else `~/.local/state/navi/status.json`.
pub fn summary_path() -> Option<PathBuf> {
    crate::paths::summary()
}

/// Keeps the published summary current: writes only when the counts changed or when
/// told to refresh it.
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

    /// Publishes `summary` if it says something new, or always with `refresh` (so an
    /// unchanged summary stays fresh).
    pub fn publish(&mut self, summary: Summary, refresh: bool) {
        let Some(path) = &self.path else { return };
        if !refresh && self.last.as_ref().is_some_and(|l| l.same_as(&summary)) {
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

    /// Removes the published file if this process wrote what it holds (another
    /// dashboard may have written since), and publishes nothing more.
    fn withdraw(&mut self) {
        let Some(path) = self.path.take() else { return };
        let ours = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Summary>(&b).ok())
            .is_some_and(|s| s.writer == Writer::this_process());
        if ours {
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!(file = %path.display(), "cannot remove the status summary: {e}");
            }
        }
    }
}

/// The dashboard's summary publisher, a task subscribed to the aggregator: it publishes
/// every snapshot's counts (and whether notifications are muted) to the summary file,
/// and the same again every [`STATUS_REPUBLISH_EVERY`]. Dropping it (the dashboard quits, fails
/// or panics) removes the file.
#[derive(Debug)]
pub struct Publishing {
    publisher: Arc<Mutex<Publisher>>,
    task: JoinHandle<()>,
}

/// Starts publishing to `path` what `snapshots` and `muted` say, while `duty` says this
/// process is the one that publishes (the notifier lease, [`crate::lease`]): a dashboard
/// beside `navi watch` leaves the file to it, and takes over when it ends.
pub fn publish(
    path: PathBuf,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    muted: watch::Receiver<bool>,
    duty: watch::Receiver<bool>,
) -> Publishing {
    let publisher = Arc::new(Mutex::new(Publisher::new(Some(path))));
    let task = tokio::spawn(follow(publisher.clone(), snapshots, muted, duty));
    Publishing { publisher, task }
}

fn lock(p: &Mutex<Publisher>) -> std::sync::MutexGuard<'_, Publisher> {
    // A panic while writing leaves nothing half-done here: the file is replaced whole.
    p.lock().unwrap_or_else(|e| e.into_inner())
}

async fn follow(
    publisher: Arc<Mutex<Publisher>>,
    mut snapshots: watch::Receiver<Arc<Snapshot>>,
    mut muted: watch::Receiver<bool>,
    mut duty: watch::Receiver<bool>,
) {
    let start = tokio::time::Instant::now() + STATUS_REPUBLISH_EVERY;
    let mut refresh = tokio::time::interval_at(start, STATUS_REPUBLISH_EVERY);
    refresh.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut muted_open = true;
    let mut duty_open = true;
    let mut due = false;
    loop {
        if *duty.borrow_and_update() {
            let snapshot = snapshots.borrow_and_update().clone();
            let mut summary = Summary::of(&snapshot, unix_now());
            summary.muted = *muted.borrow_and_update();
            lock(&publisher).publish(summary, due);
        }
        due = false;
        tokio::select! {
            changed = snapshots.changed() => if changed.is_err() {
                // The aggregator stopped: the dashboard is quitting.
                return;
            },
            changed = muted.changed(), if muted_open => muted_open = changed.is_ok(),
            changed = duty.changed(), if duty_open => duty_open = changed.is_ok(),
            _ = refresh.tick() => due = true,
        }
    }
}

impl Drop for Publishing {
    fn drop(&mut self) {
        self.task.abort();
        // Under the lock: a write the task is making finishes first, and none follows.
        lock(&self.publisher).withdraw();
    }
}

/// Writes `summary` atomically (temp file + rename) in a directory only the user can read.
fn write_private(path: &Path, summary: &Summary) -> anyhow::Result<()> {
    let dir = path.parent().context("the summary path has no directory")?;
    ensure_private_dir(dir)?;
    let tmp = dir.join(format!(".status.json.{}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&tmp)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::io::Write::write_all(&mut file, &serde_json::to_vec(summary)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// Creates `dir` (and its parents) for navi's runtime files and checks it is only this
/// user's (see [`owned_privately`]): the summary and the notifier lease live there.
pub(crate) fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    owned_privately(dir).map_err(anyhow::Error::msg)?;
    Ok(())
}

/// `Ok` when `path` is this user's own and nobody else can write it (not a symlink): a
/// shared runtime directory must not let another user forge the counts `navi status`
/// shows in every tmux status bar.
fn owned_privately(path: &Path) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(path)
        .map_err(|e| format!("cannot check {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let me = rustix::process::getuid().as_raw();
        if meta.file_type().is_symlink() {
            return Err(format!(
                "{} is a symlink; navi does not follow it",
                path.display()
            ));
        }
        if meta.uid() != me {
            return Err(format!(
                "{} belongs to uid {}, not to you (uid {me}); navi does not use it",
                path.display(),
                meta.uid()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "{} can be written by others (mode {:o}); navi does not use it",
                path.display(),
                meta.mode() & 0o7777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// The published summary, when its writer still runs and it is fresh, and its directory
/// and file are the user's own (see [`owned_privately`]).
fn read_published(path: &Path, now: i64) -> Option<Summary> {
    let checked = path
        .parent()
        .map_or(Ok(()), owned_privately)
        .and_then(|()| owned_privately(path));
    if let Err(why) = checked {
        tracing::warn!("ignoring the published summary: {why}");
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    let summary: Summary = serde_json::from_slice(&bytes).ok()?;
    let age = now - summary.written;
    let fresh = (0..=STATUS_FRESH_FOR.as_secs() as i64).contains(&age);
    (fresh && summary.writer.is_running()).then_some(summary)
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
                status: s.combined_status().0,
            })
            .collect(),
        Err(e) => {
            tracing::warn!("navi status: {e}");
            Vec::new()
        }
    };
    Summary {
        written: now,
        writer: Writer::this_process(),
        sessions,
        unknown_remotes: remotes,
        muted: false,
    }
}

/// The statuses of `navi status -v`, in order: the Go navi's verbose order (working,
/// waiting, permission, idle, stopped) with every other status navi knows in between, and
/// `unknown` for the ones it does not.
const VERBOSE: &[&str] = &[
    "working",
    "waiting",
    "permission",
    "done",
    "error",
    "idle",
    "stopped",
    "offline",
    "unknown",
];

/// The Go navi's line: `2 waiting, 1 permission`, and nothing at all when no session
/// needs you (a tmux status bar shows it all day). `verbose` counts every status and
/// says how many remotes could not be counted (`(2 remotes unknown)`). `(muted)` is added
/// to a line that says something.
pub fn line(summary: &Summary, verbose: bool) -> String {
    const DEFAULT: &[&str] = &["waiting", "permission"];
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
    if verbose {
        match summary.unknown_remotes.len() {
            0 => {}
            1 => parts.push("(1 remote unknown)".into()),
            n => parts.push(format!("({n} remotes unknown)")),
        }
    }
    if summary.muted && !parts.is_empty() {
        parts.push("(muted)".into());
    }
    parts.join(", ")
}

/// Runs `navi status`: the dashboard's summary at `published` while that dashboard runs,
/// else the local directory's.
pub fn run(
    format: Format,
    verbose: bool,
    sessions_dir: &Path,
    remotes: Vec<String>,
    published: Option<&Path>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let now = unix_now();
    let (summary, from) = match published.and_then(|p| read_published(p, now)) {
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
                    .filter(|s| s.status.needs_attention()).count(),
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

/// `navi status`, from the command line: no runtime, no network.
pub fn command(cli: &crate::cli::Cli, args: &crate::cli::StatusArgs) -> anyhow::Result<()> {
    let (remotes, dir) = if cli.demo {
        (Vec::new(), PathBuf::new())
    } else {
        let set = crate::sources::SourceSet::remotes_only(&cli.paths)?;
        let names = set.remotes.iter().map(|r| r.name.clone()).collect();
        (names, crate::sources::sessions_dir(&cli.paths)?)
    };
    let published = summary_path();
    run(
        args.format,
        args.verbose,
        &dir,
        remotes,
        published.as_deref(),
        &mut std::io::stdout().lock(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::testing::session;
    use std::sync::Arc;
    use std::time::Duration;

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

    /// Entries are the same whatever their order (rows re-sort on every status write),
    /// and differ when a status, a name or a machine does.
    #[test]
    fn entries_compare_in_any_order() {
        let e = |name: &str, remote: Option<&str>, status: &str| Entry {
            name: name.into(),
            remote: remote.map(str::to_owned),
            status: serde_json::from_value(serde_json::Value::from(status)).unwrap(),
        };
        let a = [
            e("a", None, "working"),
            e("b", Some("dev"), "waiting"),
            e("c", None, "idle"),
        ];
        let mut b = a.clone();
        b.reverse();
        assert!(same_entries(&a, &b), "reordered");
        b[0] = e("c", None, "done");
        assert!(!same_entries(&a, &b), "a status changed");
        b[0] = e("c", Some("dev"), "idle");
        assert!(!same_entries(&a, &b), "on another machine");
        b[0] = e("d", None, "idle");
        assert!(!same_entries(&a, &b), "another name");
        let twice = [
            e("a", None, "working"),
            e("a", None, "working"),
            e("c", None, "idle"),
        ];
        let mut again = twice.clone();
        again.reverse();
        assert!(
            same_entries(&twice, &again),
            "a row named twice, both times"
        );
        assert!(!same_entries(&twice, &a), "not the same rows");
    }

    fn summary_of(statuses: &[&str], remotes: &[&str]) -> Summary {
        Summary {
            written: 0,
            writer: Writer::this_process(),
            sessions: statuses
                .iter()
                .enumerate()
                .map(|(i, s)| Entry {
                    name: format!("s{i}"),
                    remote: None,
                    status: Status::from_hook(s),
                })
                .collect(),
            unknown_remotes: remotes.iter().map(|r| r.to_string()).collect(),
            muted: false,
        }
    }

    #[test]
    fn the_line_has_the_go_navi_shape_and_counts_remote_sessions() {
        let s = Summary::of(&snapshot(), 100);
        assert_eq!(line(&s, false), "2 waiting, 1 permission");
        assert_eq!(
            line(&s, true),
            "1 working, 2 waiting, 1 permission, (1 remote unknown)"
        );
        let muted = Summary {
            muted: true,
            ..Summary::of(&snapshot(), 100)
        };
        assert_eq!(line(&muted, false), "2 waiting, 1 permission, (muted)");
        let json = serde_json::to_value(&muted).unwrap();
        assert_eq!(json["muted"], true);
        assert_eq!(json["writer"]["pid"], std::process::id());
    }

    #[test]
    fn nothing_needing_you_is_an_empty_line_whatever_else_is_unknown() {
        let quiet = Summary {
            muted: true,
            ..summary_of(&["working", "done", "idle"], &["dev", "gpu"])
        };
        assert_eq!(
            line(&quiet, false),
            "",
            "remotes unknown, muted: still nothing"
        );
        assert_eq!(
            line(&quiet, true),
            "1 working, 1 done, 1 idle, (2 remotes unknown), (muted)"
        );
        assert_eq!(line(&summary_of(&[], &[]), true), "");
    }

    #[test]
    fn verbose_counts_every_status() {
        let all = summary_of(
            &[
                "stopped",
                "offline",
                "compacting",
                "",
                "error",
                "done",
                "idle",
                "permission",
                "waiting",
                "working",
                "error",
            ],
            &[],
        );
        assert_eq!(
            line(&all, true),
            "1 working, 1 waiting, 1 permission, 1 done, 2 error, 1 idle, 1 stopped, \
             1 offline, 2 unknown"
        );
        assert_eq!(line(&all, false), "1 waiting, 1 permission");
        assert_eq!(
            all.counts().values().sum::<usize>(),
            all.sessions.len(),
            "every session is counted"
        );
    }

    /// A process that has exited (and been reaped): its pid names no process now.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn a_summary_counts_only_while_its_writer_runs() {
        assert!(Writer::this_process().is_running());
        let me = Writer::this_process();
        if cfg!(target_os = "linux") {
            assert!(me.started.is_some(), "the start time is read from /proc");
            // The same pid, started at another time: another process took the pid.
            let reused = Writer {
                started: me.started.map(|t| t + 1),
                ..me.clone()
            };
            assert!(!reused.is_running());
        }
        let dead = Writer {
            pid: dead_pid(),
            started: None,
        };
        assert!(!dead.is_running());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        let now = unix_now();
        let mut s = summary_of(&["permission"], &[]);
        s.written = now;
        std::fs::write(&path, serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(read_published(&path, now), Some(s.clone()));
        s.writer = dead;
        std::fs::write(&path, serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(read_published(&path, now), None, "its dashboard died");
        // An older navi's summary says nothing of its writer: not trusted.
        std::fs::write(
            &path,
            format!(r#"{{"written":{now},"sessions":[],"unknown_remotes":[]}}"#),
        )
        .unwrap();
        assert_eq!(read_published(&path, now), None);
    }

    /// A summary another user could have written is never believed: a directory others
    /// can write, a file of another user, a symlink. Ours is written user-only.
    #[cfg(unix)]
    #[test]
    fn only_a_summary_of_our_own_is_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("navi/status.json");
        let now = unix_now();
        let mut s = summary_of(&["permission"], &[]);
        s.written = now;
        write_private(&path, &s).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(mode(&path), 0o600);
        assert_eq!(read_published(&path, now), Some(s.clone()));
        let shared = path.parent().unwrap();
        std::fs::set_permissions(shared, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(
            read_published(&path, now),
            None,
            "others can write the directory"
        );
        std::fs::set_permissions(shared, std::fs::Permissions::from_mode(0o700)).unwrap();
        let link = dir.path().join("navi/link.json");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert_eq!(read_published(&link, now), None, "a symlink");
        if rustix::process::getuid().is_root() {
            let chown = std::process::Command::new("chown")
                .arg("nobody")
                .arg(&path)
                .status();
            assert!(chown.is_ok_and(|s| s.success()));
            assert_eq!(read_published(&path, now), None, "another user's file");
        }
    }

    #[test]
    fn published_summaries_are_read_while_fresh_and_rewritten_on_change_or_refresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("navi/status.json");
        let mut p = Publisher::new(Some(path.clone()));
        p.publish(Summary::of(&snapshot(), 1000), false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let written = |path: &Path| {
            serde_json::from_slice::<Summary>(&std::fs::read(path).unwrap())
                .unwrap()
                .written
        };
        p.publish(Summary::of(&snapshot(), 1001), false);
        assert_eq!(written(&path), 1000, "unchanged: not rewritten");
        assert!(read_published(&path, 1010).is_some());
        assert!(
            read_published(&path, 1000 + 16).is_none(),
            "stale after 15 s"
        );
        p.publish(Summary::of(&snapshot(), 1006), true);
        assert_eq!(written(&path), 1006, "refreshed");
        assert!(read_published(&path, 1020).is_some());
        let mut reordered = Summary::of(&snapshot(), 1007);
        reordered.sessions.reverse();
        p.publish(reordered, false);
        assert_eq!(
            written(&path),
            1006,
            "the same sessions in another order: not rewritten"
        );
        let mut changed = Summary::of(&snapshot(), 1007);
        changed.sessions.swap(0, 1);
        changed.sessions[0].status = Status::Permission;
        p.publish(changed, false);
        assert_eq!(written(&path), 1007, "a status changed");
        let mut changed = Summary::of(&snapshot(), 1008);
        changed.muted = true;
        p.publish(changed, false);
        assert_eq!(written(&path), 1008, "changed");
    }

    fn read(path: &Path) -> Summary {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn the_publisher_follows_the_aggregator_and_its_file_goes_with_the_dashboard() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("navi/status.json");
        let (snapshots, snapshots_rx) = tokio::sync::watch::channel(Arc::new(snapshot()));
        let (muted, muted_rx) = tokio::sync::watch::channel(false);
        let (_duty, duty) = tokio::sync::watch::channel(true);
        let publishing = publish(path.clone(), snapshots_rx, muted_rx, duty);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let first = read(&path);
        assert_eq!(first.sessions.len(), 4);
        assert_eq!(first.writer, Writer::this_process());
        assert!(!first.muted);

        muted.send_replace(true);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(read(&path).muted, "navi status shows (muted)");
        let mut fewer = snapshot();
        fewer.sessions.truncate(1);
        snapshots.send_replace(Arc::new(fewer));
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(read(&path).sessions.len(), 1);

        // While the dashboard runs, `navi status` reads its summary ...
        let sessions = tempfile::tempdir().unwrap();
        let json = |published: &Path| {
            let mut out = Vec::new();
            run(
                Format::Json,
                false,
                sessions.path(),
                vec!["dev".into()],
                Some(published),
                &mut out,
            )
            .unwrap();
            serde_json::from_slice::<serde_json::Value>(&out).unwrap()
        };
        assert_eq!(json(&path)["from"], "dashboard");
        assert_eq!(json(&path)["muted"], true);
        // ... and once it quits, its own poll: nothing the dashboard saw is left.
        drop(publishing);
        assert!(!path.exists(), "the summary goes with its dashboard");
        let after = json(&path);
        assert_eq!(after["from"], "local");
        assert_eq!(after["sessions"], serde_json::json!([]));
        assert_eq!(after["unknown_remotes"], serde_json::json!(["dev"]));
        assert_eq!(after["muted"], false);
    }

    #[tokio::test(start_paused = true)]
    async fn a_publisher_off_duty_writes_nothing_until_it_takes_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        let (_snapshots, snapshots_rx) = tokio::sync::watch::channel(Arc::new(snapshot()));
        let (_muted, muted_rx) = tokio::sync::watch::channel(false);
        let (duty, duty_rx) = tokio::sync::watch::channel(false);
        let publishing = publish(path.clone(), snapshots_rx, muted_rx, duty_rx);
        tokio::time::sleep(STATUS_REPUBLISH_EVERY * 2).await;
        assert!(!path.exists(), "navi watch publishes; this one does not");
        duty.send_replace(true);
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert_eq!(read(&path).writer, Writer::this_process(), "took over");
        drop(publishing);
        assert!(!path.exists());
    }

    #[tokio::test(start_paused = true)]
    async fn an_unchanged_summary_is_refreshed_and_another_dashboards_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("status.json");
        let (_snapshots, snapshots_rx) = tokio::sync::watch::channel(Arc::new(snapshot()));
        let (_muted, muted_rx) = tokio::sync::watch::channel(false);
        let (_duty, duty) = tokio::sync::watch::channel(true);
        let publishing = publish(path.clone(), snapshots_rx, muted_rx, duty);
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Stamp the file as older, to see the refresh rewrite it.
        let mut old = read(&path);
        old.written -= 100;
        std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
        tokio::time::sleep(STATUS_REPUBLISH_EVERY).await;
        assert!(read(&path).written > old.written, "refreshed");

        // Another dashboard wrote last: quitting leaves its file.
        let mut other = read(&path);
        other.writer = Writer {
            pid: dead_pid(),
            started: None,
        };
        std::fs::write(&path, serde_json::to_vec(&other).unwrap()).unwrap();
        drop(publishing);
        assert_eq!(read(&path), other);
    }

    #[test]
    fn without_a_dashboard_the_local_directory_is_read_and_remotes_are_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let file = |n: &str, st: &str| {
            let body = format!(r#"{{"tmux_session":"{n}","status":"{st}","timestamp":1}}"#);
            std::fs::write(dir.path().join(format!("{n}.json")), body).unwrap();
        };
        file("x", "working");
        file("y", "done");
        file("z", "error");
        let remotes = vec!["dev".to_string(), "gpu".to_string()];
        let output = |format, verbose| {
            let mut out = Vec::new();
            let none = dir.path().join("no-dashboard.json");
            run(
                format,
                verbose,
                dir.path(),
                remotes.clone(),
                Some(&none),
                &mut out,
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(output(Format::Plain, false), "", "nothing needs you");
        assert_eq!(output(Format::Tmux, false), "");
        assert_eq!(
            output(Format::Plain, true),
            "1 working, 1 done, 1 error, (2 remotes unknown)\n"
        );
        let json: serde_json::Value = serde_json::from_str(&output(Format::Json, false)).unwrap();
        assert_eq!(json["unknown_remotes"], serde_json::json!(["dev", "gpu"]));
        assert_eq!(json["needs_you"], 0);
        file("w", "permission");
        assert_eq!(output(Format::Plain, false), "1 permission\n");
    }

    /// The published summary carries typed statuses: written as the hooks write them
    /// (the JSON unchanged), read back as the same [`Status`], unknown ones kept verbatim.
    #[test]
    fn published_statuses_read_back_as_statuses() {
        let mut s = summary_of(&["permission", "thinking", ""], &[]);
        s.sessions[0].status = Status::Permission;
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""status":"permission""#), "{text}");
        assert!(text.contains(r#""status":"thinking""#), "{text}");
        assert!(text.contains(r#""status":"""#), "{text}");
        let back: Summary = serde_json::from_str(&text).unwrap();
        let statuses: Vec<Status> = back.sessions.into_iter().map(|e| e.status).collect();
        assert_eq!(
            statuses,
            [
                Status::Permission,
                Status::Unknown("thinking".into()),
                Status::Missing
            ]
        );
    }
}
