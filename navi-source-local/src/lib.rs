//! `LocalSource`: the Claude Code status directory of this machine.
//!
//! The hooks write one `<tmux session>.json` per session into `~/.claude-sessions/`,
//! via a temp file (`.tmp.XXXXXX`) renamed into place. Only `*.json` files are read; a
//! file that is malformed, truncated, unreadable or over 1 MiB is skipped and reported,
//! never fatal, and so is a `*.json` that is not a regular file (a directory, a FIFO, a
//! broken symlink; a FIFO never blocks the poll); a missing directory is zero sessions.
//! The sessions' marks are read from `.navi/marks/` in the same poll ([`marks`]).
//!
//! Both directories are watched (inotify, kqueue), so a change is polled at once; the
//! interval is a slow safety net. Where watching is impossible the source polls every
//! 500 ms instead, and its health line says `poll` rather than `watch`.

mod actions;
mod control;
#[cfg(test)]
mod control_tests;
pub mod git;
pub mod hook;
pub mod marks;
mod pane_watch;
pub mod plugin;
pub mod private;
pub mod process;
mod rss;
#[cfg(test)]
mod rss_tests;
#[cfg(test)]
mod test_tmux;
mod tmux_events;
mod watch;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use navi_core::{
    limits, Action, ActionOutput, AttachCommand, AttachContext, Capabilities, Deadline, Detail,
    PollNote, PollReport, SessionInfo, SessionSource, SkippedFile, SourceError, SourceOptions,
    MAX_STATUS_FILE_BYTES,
};

/// Sessions of this machine, read from a status directory.
#[derive(Debug, Clone)]
pub struct LocalSource {
    dir: PathBuf,
    tmux: actions::Tmux,
    /// Each poll also asks tmux which sessions exist (rows of ended ones are marked).
    check_tmux: bool,
    /// The watch over `dir`, set up by the first poll; shared by clones.
    watch: Arc<watch::DirWatch>,
    /// Memory per session, sampled with the tmux check; shared by clones.
    memory: Arc<std::sync::Mutex<rss::Sampler>>,
    /// The tmux servers' session events (control clients), for the tmux check.
    events: Arc<tmux_events::TmuxEvents>,
    /// The previewed panes' control clients.
    panes: Arc<pane_watch::PaneWatches>,
}

impl LocalSource {
    /// A source over `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        LocalSource {
            watch: Arc::new(watch::DirWatch::new(&dir)),
            memory: Arc::default(),
            events: Arc::default(),
            panes: Arc::default(),
            dir,
            tmux: actions::Tmux::default(),
            check_tmux: false,
        }
    }

    /// A source that never watches (tests of the polling fallback).
    #[cfg(test)]
    fn polling(dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        LocalSource {
            watch: Arc::new(watch::DirWatch::disabled(&dir)),
            ..LocalSource::new(dir)
        }
    }

    /// Each poll also lists the tmux sessions (one `tmux list-sessions`), so a row
    /// whose tmux session has ended is marked [`ended`](SessionInfo::ended), and at
    /// most every [`limits::MEMORY_SAMPLE`] samples each session's memory.
    pub fn with_tmux_check(mut self) -> Self {
        self.check_tmux = true;
        self
    }

    /// Runs tmux for actions as `argv` (e.g. `["tmux", "-S", "/tmp/x/sock"]` for a
    /// private server) instead of plain `tmux`.
    pub fn with_tmux(mut self, argv: Vec<String>) -> Self {
        self.tmux = actions::Tmux { argv };
        self
    }

    /// `~/.claude-sessions`, if a home directory is known.
    pub fn default_dir() -> Option<PathBuf> {
        std::env::home_dir().map(|h| h.join(".claude-sessions"))
    }

    /// The directory read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How the aggregator polls the local directory: 2 s timeout; every 5 s as a safety
    /// net, since [`wait_change`](SessionSource::wait_change) asks for a poll as soon as
    /// the watched directory changes (or every 500 ms when it cannot be watched).
    pub const OPTIONS: SourceOptions = SourceOptions::new(limits::LOCAL_POLL, limits::WATCHED_POLL);
}

/// Reads every `*.json` in `dir` (blocking).
pub fn read_dir(dir: &Path) -> Result<PollReport, SourceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(PollReport {
                note: Some(PollNote::MissingDir {
                    dir: dir.display().to_string(),
                    remote: None,
                }),
                ..PollReport::default()
            })
        }
        Err(e) => {
            return Err(SourceError::Io(
                Detail::new(format!("cannot read status directory {}", dir.display())).caused_by(e),
            ))
        }
    };
    let mut report = PollReport::default();
    for entry in entries.flatten() {
        let path = entry.path();
        // A name that is not UTF-8 is still read (its text, lossily, names the session
        // when the file does not), never silently dropped.
        let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        match read_one(&path, stem) {
            Ok(Some(s)) => report.sessions.push(std::sync::Arc::new(s)),
            Ok(None) => {}
            Err(reason) => {
                tracing::debug!(file = %path.display(), %reason, "skipped status file");
                report.skipped.push(SkippedFile {
                    name: path.display().to_string(),
                    reason,
                });
            }
        }
    }
    let (marks, skipped) = marks::read_all(dir);
    report.attach_marks(&marks);
    report.skipped.extend(skipped);
    Ok(report)
}

/// `Ok(None)` for entries that vanished (the hooks rename files into place all the time).
/// Anything else that is not a regular file (a directory, a FIFO, a socket, a symlink to
/// nothing) is an error: it is skipped and reported, and it never blocks the poll.
fn read_one(path: &Path, stem: &str) -> Result<Option<SessionInfo>, String> {
    let file = match open_nonblocking(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match std::fs::symlink_metadata(path) {
                Ok(m) if m.file_type().is_symlink() => {
                    let target = std::fs::read_link(path)
                        .map(|t| t.display().to_string())
                        .unwrap_or_else(|_| "?".into());
                    Err(format!(
                        "broken symlink: its target {target} does not exist; remove the link"
                    ))
                }
                _ => Ok(None),
            };
        }
        Err(e) => return Err(format!("cannot open: {e}")),
    };
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !meta.is_file() {
        return Err(format!(
            "not a regular file ({}); status files are plain files, remove or rename it",
            file_kind(&meta.file_type())
        ));
    }
    if meta.len() > MAX_STATUS_FILE_BYTES {
        return Err(format!(
            "file is {} bytes, over the {MAX_STATUS_FILE_BYTES}-byte limit",
            meta.len()
        ));
    }
    let mut bytes = Vec::new();
    // Read one byte past the cap so a file that grew after stat is still caught.
    file.take(MAX_STATUS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    SessionInfo::parse(&bytes, Some(stem))
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Opens for reading without blocking: opening a FIFO (`mkfifo y.json`) for reading
/// would otherwise wait for a writer forever. Regular files read as usual.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

fn file_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a plain file"
    }
}

#[async_trait]
impl SessionSource for LocalSource {
    fn label(&self) -> Option<&str> {
        None
    }

    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        let dir = self.dir.clone();
        let tmux = self.check_tmux.then(|| self.tmux.clone());
        let watch = Arc::clone(&self.watch);
        let memory = Arc::clone(&self.memory);
        let events = Arc::clone(&self.events);
        tokio::task::spawn_blocking(move || {
            // Watch first, read second: nothing written in between is missed.
            let mode = watch.ensure();
            let mut report = read_dir(&dir)?;
            report.mode = Some(mode.poll_mode());
            if let Some(tmux) = tmux {
                let view = tmux.view_by(&report.sessions, |server| events.answer(&tmux, server));
                events.keep_only(view.servers.keys());
                report.tmux = Some(view);
                let follows = report.decide_liveness();
                actions::follow_renames(&dir, &mut report, &follows);
                if let Ok(mut sampler) = memory.lock() {
                    sampler.attach(&tmux, &mut report.sessions, std::time::Instant::now());
                }
            }
            Ok(report)
        })
        .await
        .map_err(|e| {
            SourceError::Other(Detail::new("the status directory reader failed").caused_by(e))
        })?
    }

    /// tmux on the server the hook recorded (`tmux -S SOCKET`); `switch-client` only
    /// inside a client of that same server (a client cannot switch to another server's
    /// session: from another one it attaches nested, `$TMUX` unset for that command).
    fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        navi_core::SessionName::existing(&s.tmux_session)
            .map_err(|e| SourceError::Rejected(e.to_string().into()))?;
        let socket = match navi_core::statusdir::liveness::TmuxServer::of(s) {
            navi_core::statusdir::liveness::TmuxServer::Socket(socket) => socket,
            navi_core::statusdir::liveness::TmuxServer::Default => {
                return Ok(AttachCommand::local_tmux(&s.tmux_session, ctx))
            }
        };
        let client_server = std::env::var("TMUX")
            .ok()
            .and_then(|t| t.split(',').next().map(str::to_string));
        let same_server = ctx.inside_tmux && client_server.as_deref() == Some(socket.as_str());
        let mut argv: Vec<String> = Vec::new();
        if ctx.inside_tmux && !same_server {
            argv.extend(["env", "-u", "TMUX"].map(String::from));
        }
        let tmux = ["tmux".to_string(), "-S".to_string(), socket];
        argv.extend(tmux.iter().cloned());
        argv.push(
            if same_server {
                "switch-client"
            } else {
                "attach-session"
            }
            .into(),
        );
        argv.extend(["-t".into(), navi_core::tmux_arg(&s.tmux_session)]);
        let mut check = tmux.to_vec();
        check.extend([
            "has-session".into(),
            "-t".into(),
            navi_core::tmux_target(&s.tmux_session),
        ]);
        Ok(AttachCommand {
            argv,
            check: Some(check),
        })
    }

    /// A watched file changed (a burst counts once), or 500 ms passed when the directory
    /// cannot be watched; with the tmux check, also a session event of a tmux server the
    /// rows name (from then on their sessions are listed only after an event, see
    /// [`tmux_events`]).
    async fn wait_change(&self) {
        if !self.check_tmux {
            return self.watch.wait().await;
        }
        self.events.arm();
        tokio::select! {
            () = self.watch.wait() => {}
            () = self.events.wait() => {}
        }
    }

    /// A read-only tmux control client on the session's own server reports its active
    /// pane's output (see [`pane_watch`]); `Unsupported` where control mode does not work
    /// (no tmux, tmux before 3.2, the session is gone).
    async fn wait_pane_change(&self, session: &str) -> navi_core::PaneChange {
        let Ok(name) = navi_core::SessionName::existing(session) else {
            return navi_core::PaneChange::Unsupported;
        };
        let row = actions::read_row(&self.dir, &name);
        let server = row.as_ref().map_or(
            navi_core::statusdir::liveness::TmuxServer::Default,
            navi_core::statusdir::liveness::TmuxServer::of,
        );
        self.panes.wait(&self.tmux, server, name.as_str()).await
    }

    fn supports(&self) -> Capabilities {
        Capabilities::ALL
    }

    /// tmux by argv; status files under the lock `navi hook` takes.
    async fn act(&self, session: &str, action: &Action) -> Result<ActionOutput, SourceError> {
        self.act_within(session, action, Deadline::after(limits::ACTION))
            .await
    }

    /// On the blocking pool, by `deadline`: each tmux command is also stopped at
    /// [`limits::TMUX_COMMAND`], so the worker ends soon after a deadline it missed.
    async fn act_within(
        &self,
        session: &str,
        action: &Action,
        deadline: Deadline,
    ) -> Result<ActionOutput, SourceError> {
        let (tmux, dir, name, action) = (
            self.tmux.clone(),
            self.dir.clone(),
            session.to_string(),
            action.clone(),
        );
        let waiting_for = format!("waiting for {} of {session} to finish", action.name());
        deadline
            .run_blocking(
                move |_left| actions::act(&tmux, &dir, &name, &action),
                &waiting_for,
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmux_in(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
        std::process::Command::new(args.first()?)
            .args(&args[1..])
            .env("TMUX_TMPDIR", dir)
            .env_remove("TMUX")
            .output()
            .ok()
    }

    /// The attach command carries its own existence check, under the exact name: with
    /// `api` gone and `api-v2` running, `api` must not count as existing (a bare `-t api`
    /// would attach to `api-v2`). Against a real tmux server isolated by `TMUX_TMPDIR`;
    /// skipped when tmux is not installed.
    #[test]
    fn attach_checks_that_exactly_the_named_session_exists() {
        let source = LocalSource::new("/nonexistent");
        let outside = AttachContext::default();
        let inside = AttachContext { inside_tmux: true };
        let api = navi_core::testing::session("api", "working", 1);
        let cmd = source.attach(&api, &outside).unwrap();
        assert_eq!(cmd.argv, ["tmux", "attach-session", "-t", "api"]);
        let check = cmd.check.clone().unwrap();
        assert_eq!(check, ["tmux", "has-session", "-t", "=api"]);
        let my_app = navi_core::testing::session("my app", "working", 1);
        let cmd = source.attach(&my_app, &inside).unwrap();
        assert_eq!(cmd.argv, ["tmux", "switch-client", "-t", "my app"]);
        assert_eq!(cmd.check.unwrap(), ["tmux", "has-session", "-t", "=my app"]);

        if std::process::Command::new("tmux")
            .arg("-V")
            .output()
            .is_err()
        {
            eprintln!("tmux not installed: skipping the tmux part");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let check: Vec<&str> = check.iter().map(String::as_str).collect();
        let exists = |d: &Path| tmux_in(d, &check).map(|o| o.status.success());
        assert_eq!(exists(dir.path()), Some(false), "no server yet");
        let started = tmux_in(
            dir.path(),
            &["tmux", "new-session", "-d", "-s", "api-v2", "sleep 60"],
        );
        assert!(started.is_some_and(|o| o.status.success()));
        let gone = exists(dir.path());
        let running = tmux_in(dir.path(), &["tmux", "has-session", "-t", "=api-v2"]);
        let bare = tmux_in(dir.path(), &["tmux", "has-session", "-t", "api"]);
        tmux_in(dir.path(), &["tmux", "kill-server"]);
        assert_eq!(gone, Some(false), "`api` must not resolve to `api-v2`");
        assert!(running.is_some_and(|o| o.status.success()));
        assert!(
            bare.is_some_and(|o| o.status.success()),
            "tmux resolves a bare name by prefix (why the check uses `=`)"
        );
    }
    use navi_core::testing::{run_conformance, ConformanceFixture};
    use navi_core::DynSessionSource;
    use std::sync::{Arc, Mutex};

    /// Local sources over temp directories, each wrapped by `wrap` (the suite runs on
    /// the source alone and under every wrapper of navi-core).
    struct Dirs {
        dirs: Mutex<Vec<tempfile::TempDir>>,
        wrap: fn(LocalSource) -> DynSessionSource,
    }

    impl Dirs {
        fn new(wrap: fn(LocalSource) -> DynSessionSource) -> Dirs {
            Dirs {
                dirs: Mutex::default(),
                wrap,
            }
        }
    }

    #[async_trait]
    impl ConformanceFixture for Dirs {
        async fn source_with(&self, files: &[(String, Vec<u8>)]) -> DynSessionSource {
            let dir = tempfile::tempdir().unwrap();
            for (name, bytes) in files {
                std::fs::write(dir.path().join(name), bytes).unwrap();
            }
            let source = (self.wrap)(LocalSource::new(dir.path()));
            self.dirs.lock().unwrap().push(dir);
            source
        }

        async fn write(&self, name: &str, bytes: &[u8]) -> bool {
            let dirs = self.dirs.lock().unwrap();
            let Some(dir) = dirs.last() else { return false };
            // As the hook writes: a temp file renamed into place.
            let temp = dir.path().join(".tmp.conformance");
            std::fs::write(&temp, bytes).unwrap();
            std::fs::rename(&temp, dir.path().join(name)).unwrap();
            true
        }
    }

    #[tokio::test]
    async fn conformance() {
        run_conformance(&Dirs::new(|s| Arc::new(s))).await;
    }

    #[tokio::test]
    async fn conformance_under_every_wrapper() {
        use navi_core::{Bounded, Flaky, Latent};
        use std::time::Duration;
        run_conformance(&Dirs::new(|s| {
            Arc::new(Bounded::new(s, Duration::from_secs(10)))
        }))
        .await;
        run_conformance(&Dirs::new(|s| {
            Arc::new(Latent::new(s, Duration::from_millis(2)))
        }))
        .await;
        run_conformance(&Dirs::new(|s| {
            Arc::new(Flaky::new(
                s,
                usize::MAX,
                SourceError::Other("never".into()),
            ))
        }))
        .await;
    }

    #[tokio::test]
    async fn missing_directory_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let source = LocalSource::new(dir.path().join("nope"));
        assert!(source.poll().await.unwrap().is_empty());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn unreadable_directory_is_an_io_error() {
        // A file where the directory should be.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = LocalSource::new(&file).poll().await.unwrap_err();
        assert_eq!(err.kind(), "io");
        assert!(err.to_string().contains("file"), "{err}");
    }

    /// A FIFO, a directory and a broken symlink named `*.json` are each skipped and
    /// reported; the poll does not block on the FIFO and keeps the good file.
    #[cfg(unix)]
    #[tokio::test]
    async fn special_files_are_reported_and_never_block() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("good.json"),
            br#"{"tmux_session":"good","status":"idle"}"#,
        )
        .unwrap();
        std::fs::create_dir(d.join("x.json")).unwrap();
        std::os::unix::fs::symlink(d.join("nowhere"), d.join("dangling.json")).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(d.join("y.json"))
            .status()
            .unwrap();
        assert!(status.success());

        // The read runs on its own thread so a regression fails the test instead of
        // hanging it.
        let path = d.to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(read_dir(&path));
        });
        let report = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("reading a directory with a FIFO must not block")
            .unwrap();

        let names: Vec<_> = report
            .sessions
            .iter()
            .map(|s| s.tmux_session.as_str())
            .collect();
        assert_eq!(names, ["good"]);
        let mut skipped: Vec<_> = report
            .skipped
            .iter()
            .map(|f| {
                let name = Path::new(&f.name).file_name().unwrap().to_string_lossy();
                (name.to_string(), f.reason.clone())
            })
            .collect();
        skipped.sort();
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        assert_eq!(skipped[0].0, "dangling.json");
        assert!(skipped[0].1.contains("broken symlink"), "{skipped:?}");
        assert!(skipped[0].1.contains("nowhere"), "{skipped:?}");
        assert_eq!(skipped[1].0, "x.json");
        assert!(skipped[1].1.contains("a directory"), "{skipped:?}");
        assert_eq!(skipped[2].0, "y.json");
        assert!(skipped[2].1.contains("a FIFO"), "{skipped:?}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_file_name_that_is_not_utf8_is_read() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.json");
        std::fs::write(dir.path().join(name), br#"{"status":"idle"}"#).unwrap();
        let report = read_dir(dir.path()).unwrap();
        assert_eq!(report.sessions.len(), 1, "{report:?}");
        assert_eq!(report.sessions[0].tmux_session, "caf\u{fffd}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn symlink_to_a_status_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real");
        std::fs::write(&target, br#"{"tmux_session":"linked","status":"done"}"#).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join("linked.json")).unwrap();
        let report = read_dir(dir.path()).unwrap();
        assert_eq!(report.sessions.len(), 1);
        assert_eq!(report.sessions[0].tmux_session, "linked");
        assert!(report.skipped.is_empty());
    }

    /// A session on a recorded server is attached there, from any terminal: plain
    /// outside tmux, nested (`$TMUX` unset) from a client of another server.
    #[tokio::test]
    async fn attach_addresses_the_recorded_server() {
        let source = LocalSource::new("/nonexistent");
        let s = SessionInfo {
            tmux_session: "api".into(),
            tmux: Some(navi_core::TmuxPlace {
                socket: Some("/tmp/tmux-0/work".into()),
                server_pid: Some(9),
                session_id: Some("$1".into()),
            }),
            ..Default::default()
        };
        let out = source.attach(&s, &AttachContext::default()).unwrap();
        assert_eq!(
            out.argv,
            [
                "tmux",
                "-S",
                "/tmp/tmux-0/work",
                "attach-session",
                "-t",
                "api"
            ]
        );
        assert_eq!(
            out.check.unwrap(),
            [
                "tmux",
                "-S",
                "/tmp/tmux-0/work",
                "has-session",
                "-t",
                "=api"
            ]
        );
        if std::env::var_os("TMUX").is_none() {
            let nested = source
                .attach(&s, &AttachContext { inside_tmux: true })
                .unwrap();
            assert_eq!(&nested.argv[..3], ["env", "-u", "TMUX"]);
        }
        let bad = SessionInfo {
            tmux_session: "../x".into(),
            ..Default::default()
        };
        assert!(source.attach(&bad, &AttachContext::default()).is_err());
    }

    #[tokio::test]
    async fn attach_is_tmux() {
        let source = LocalSource::new("/nonexistent");
        let s = SessionInfo {
            tmux_session: "my app".into(),
            ..Default::default()
        };
        let cmd = source.attach(&s, &AttachContext::default()).unwrap();
        assert_eq!(cmd.argv, ["tmux", "attach-session", "-t", "my app"]);
        let inside = source
            .attach(&s, &AttachContext { inside_tmux: true })
            .unwrap();
        assert_eq!(inside.argv, ["tmux", "switch-client", "-t", "my app"]);
    }
}

/// Liveness from each row's own tmux server, against real tmux servers on private
/// sockets (never the user's server): navi's own tmux (`with_tmux`) reaches an empty
/// socket, as a dashboard started outside tmux while the sessions live on `tmux -L work`.
#[cfg(test)]
mod liveness_tests {
    use super::*;
    use crate::test_tmux::Server;
    use navi_core::Liveness;

    fn source(dir: &Path, navi_tmux: &Path) -> LocalSource {
        LocalSource::new(dir)
            .with_tmux(vec![
                "tmux".into(),
                "-S".into(),
                navi_tmux.join("default").display().to_string(),
            ])
            .with_tmux_check()
    }

    fn liveness(report: &PollReport) -> Vec<(String, Liveness)> {
        let mut rows: Vec<_> = report
            .sessions
            .iter()
            .map(|s| (s.tmux_session.clone(), s.liveness.clone()))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    }

    #[tokio::test]
    async fn rows_are_ended_only_when_their_own_server_says_so() {
        let status = tempfile::tempdir().unwrap();
        let empty = tempfile::tempdir().unwrap();
        let work = Server::start(&["api", "web", "db"]);
        for name in ["api", "web", "db"] {
            work.hook_file(status.path(), name, "permission");
        }
        // A Go hook's file: no server recorded, and the server navi reaches has none.
        std::fs::write(status.path().join("legacy.json"), r#"{"status":"waiting"}"#).unwrap();
        let src = source(status.path(), empty.path());

        let report = src.poll_report().await.unwrap();
        let rows = liveness(&report);
        assert_eq!(rows[0], ("api".into(), Liveness::Live));
        assert_eq!(rows[1], ("db".into(), Liveness::Live));
        assert!(
            matches!(&rows[2].1, Liveness::Unknown(why) if why.contains("no answer")),
            "{rows:?}"
        );
        assert_eq!(rows[3], ("web".into(), Liveness::Live));

        // Killed on its recorded server while the server runs on: ended.
        work.tmux(&["kill-session", "-t", "=web"]);
        let rows = liveness(&src.poll_report().await.unwrap());
        assert_eq!(rows[3], ("web".into(), Liveness::Ended));

        // Renamed in tmux itself: the file and its marks follow the session.
        std::fs::create_dir_all(status.path().join(".navi/marks")).unwrap();
        std::fs::write(
            status.path().join(".navi/marks/db.json"),
            br#"{"bookmarked":true}"#,
        )
        .unwrap();
        work.tmux(&["rename-session", "-t", "=db", "store"]);
        let report = src.poll_report().await.unwrap();
        let rows = liveness(&report);
        assert!(rows.contains(&("store".into(), Liveness::Live)), "{rows:?}");
        assert!(!rows.iter().any(|r| r.0 == "db"), "{rows:?}");
        assert!(status.path().join("store.json").exists());
        assert!(!status.path().join("db.json").exists());
        assert!(status.path().join(".navi/marks/store.json").exists());
        let moved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(status.path().join("store.json")).unwrap())
                .unwrap();
        assert_eq!(moved["tmux_session"], "store");
        let store = report.sessions.iter().find(|s| s.tmux_session == "store");
        assert!(
            store.is_some_and(|s| s.marks.bookmarked),
            "the marks came along"
        );

        // The whole server ends (its last sessions killed): its pid is gone, so its
        // rows ended; the Go hook's row stays unknown.
        work.tmux(&["kill-server"]);
        // kill-server returns before the server process has exited.
        let mut rows = liveness(&src.poll_report().await.unwrap());
        for _ in 0..100 {
            if rows[0].1 != Liveness::Ended {
                std::thread::sleep(std::time::Duration::from_millis(50));
                rows = liveness(&src.poll_report().await.unwrap());
            }
        }
        assert_eq!(rows[0], ("api".into(), Liveness::Ended), "{rows:?}");
        assert!(matches!(rows[1].1, Liveness::Unknown(_)), "{rows:?}");

        // Every file is still there: nothing in a poll removes a status file.
        for f in ["api.json", "web.json", "store.json", "legacy.json"] {
            assert!(status.path().join(f).exists(), "{f}");
        }
    }

    /// A tmux that fails every command (a server from before an upgrade) is unknown
    /// with tmux's words; dismiss and the clean-up refuse, the file stays.
    #[tokio::test]
    async fn a_tmux_that_fails_is_unknown_and_nothing_is_removed() {
        let status = tempfile::tempdir().unwrap();
        let bin = tempfile::tempdir().unwrap();
        let stub = bin.path().join("tmux");
        std::fs::write(
            &stub,
            "#!/bin/sh\necho 'protocol version mismatch (client 8, server 7)' >&2\nexit 1\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(status.path().join("api.json"), r#"{"status":"waiting"}"#).unwrap();
        let src = LocalSource::new(status.path())
            .with_tmux(vec![stub.display().to_string()])
            .with_tmux_check();
        let report = src.poll_report().await.unwrap();
        let why = report.sessions[0]
            .liveness
            .reason()
            .unwrap_or_default()
            .to_string();
        assert!(why.contains("protocol version mismatch"), "{why}");
        for action in [Action::Dismiss, Action::Tidy] {
            let e = src.act("api", &action).await.unwrap_err();
            assert!(e.to_string().contains("protocol version mismatch"), "{e}");
        }
        assert!(status.path().join("api.json").exists());
    }
}
