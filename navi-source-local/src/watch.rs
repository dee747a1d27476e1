//! Watching the status directory, so a local change is on screen at once instead of at the
//! next poll.
//!
//! # Design
//!
//! * One [`DirWatch`] per [`LocalSource`](crate::LocalSource) (shared by its clones through
//!   an `Arc`). Nothing is set up until the first poll (or the first
//!   [`wait`](DirWatch::wait)): a source made only to run an action never watches.
//! * It watches, non-recursively (inotify on Linux, kqueue on macOS and the BSDs, through
//!   the `notify` crate), the status directory and its `.navi/marks/` (or `.navi/` until
//!   `marks/` exists, so its creation is seen). A status directory that does not exist yet
//!   (a fresh install, before the first hook run) is waited for by watching its nearest
//!   existing parent.
//! * The watcher's own thread only filters events and raises a [`Signal`]: a pending flag
//!   plus a [`Notify`]. Relevant are the `*.json` files of both directories (created,
//!   written, renamed in or out, removed) and the directories themselves; hidden names
//!   (`.tmp.*` written before a rename, `.*.lock`) and reads (`Access`) are not, so the
//!   poll's own reads never wake it. An event with no path (an inotify queue overflow) or
//!   an error counts as a change.
//! * [`wait`](DirWatch::wait) resolves once the flag is set, then waits [`COALESCE`] for the
//!   rest of a burst (a write, its rename, the marks) and clears the flag, so one burst is
//!   one poll. The flag is cleared only when the wait completes: a wait dropped by the
//!   aggregator (its interval or a refresh won) loses nothing, and a change made while
//!   nobody waited makes the next wait return at once.
//! * Every poll calls [`ensure`](DirWatch::ensure) before it reads. It works out which
//!   directories should be watched (and their device and inode, so a directory removed
//!   and created again gets a new watch) and rebuilds the watcher when that changed (the
//!   directory appeared, `.navi/marks/` appeared, the directory was removed). Rebuilding
//!   before the read means nothing written in between is missed.
//! * When no watcher can be set up (the inotify limits are reached, a file system without
//!   events), it says so once (`tracing::warn!`), reports the mode `poll`, and
//!   [`wait`](DirWatch::wait) becomes a [`UNWATCHED_POLL`] timer: the polls come as often as
//!   before watching existed. It tries again every [`WATCH_RETRY`].
//! * While watching, the source's own interval ([`WATCHED_POLL`](navi_core::limits::WATCHED_POLL)) is only a safety net:
//!   it also refreshes the tmux session list, which no file event reveals.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use navi_core::PollMode;
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::Notify;

use crate::marks::marks_dir;
use navi_core::limits::{UNWATCHED_POLL, WATCH_COALESCE, WATCH_RETRY};

/// How the source gets its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The directory is watched; the interval is a safety net.
    Watch,
    /// No watch could be set up: the directory is polled every [`UNWATCHED_POLL`].
    Poll,
}

impl Mode {
    /// The mode the health line shows (`watch` or `poll`).
    pub fn poll_mode(self) -> PollMode {
        match self {
            Mode::Watch => PollMode::Watch,
            Mode::Poll => PollMode::Poll,
        }
    }
}

/// "Something changed": raised by the watcher's thread, consumed by a completed wait.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    pending: AtomicBool,
    notify: Notify,
}

impl Signal {
    pub(crate) fn raise(&self) {
        self.pending.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// Consumes a raise (the waiter that completed does this).
    pub(crate) fn clear(&self) {
        self.pending.store(false, Ordering::SeqCst);
    }

    /// Resolves once the flag is set (at once if it already is). Cancel-safe: it clears
    /// nothing.
    pub(crate) async fn raised(&self) {
        loop {
            let notified = self.notify.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the flag is read, so a raise in between is not missed.
            notified.as_mut().enable();
            if self.pending.load(Ordering::SeqCst) {
                return;
            }
            notified.await;
        }
    }
}

/// A watched directory and its identity (device, inode) when the watch was set up.
type Target = (PathBuf, (u64, u64));

#[derive(Default)]
struct State {
    watcher: Option<RecommendedWatcher>,
    targets: Vec<Target>,
    /// `None` until the first [`DirWatch::ensure`].
    mode: Option<Mode>,
    failed_at: Option<Instant>,
    warned: bool,
    /// Never watch (tests of the fallback).
    disabled: bool,
}

/// The watch over one status directory (see the module documentation).
pub struct DirWatch {
    dir: PathBuf,
    signal: Arc<Signal>,
    state: Mutex<State>,
}

impl fmt::Debug for DirWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DirWatch")
            .field("dir", &self.dir)
            .field("mode", &self.lock().mode)
            .finish_non_exhaustive()
    }
}

impl DirWatch {
    /// A watch over `dir`, not set up yet.
    pub fn new(dir: &Path) -> Self {
        // Absolute, so the paths of events compare with it whatever the working directory.
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        DirWatch {
            dir,
            signal: Arc::default(),
            state: Mutex::default(),
        }
    }

    /// A watch that never sets up a watcher: always [`Mode::Poll`].
    #[cfg(test)]
    pub fn disabled(dir: &Path) -> Self {
        let watch = DirWatch::new(dir);
        watch.lock().disabled = true;
        watch
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets up the watcher, or rebuilds it when the directories to watch changed; called
    /// before each read (it stats a few directories). The mode it leaves.
    pub fn ensure(&self) -> Mode {
        let mut st = self.lock();
        if st.disabled {
            st.mode = Some(Mode::Poll);
            return Mode::Poll;
        }
        if st.failed_at.is_some_and(|t| t.elapsed() < WATCH_RETRY) {
            return Mode::Poll;
        }
        let targets = targets(&self.dir);
        if st.watcher.is_some() && st.targets == targets {
            return Mode::Watch;
        }
        // The old watcher goes first: it frees its inotify instance and its thread.
        st.watcher = None;
        match self.build(&targets) {
            Ok(watcher) => {
                tracing::debug!(dir = %self.dir.display(), watched = ?targets, "watching");
                st.watcher = Some(watcher);
                st.targets = targets;
                st.failed_at = None;
                st.mode = Some(Mode::Watch);
            }
            Err(e) => {
                if !st.warned {
                    st.warned = true;
                    tracing::warn!(
                        dir = %self.dir.display(),
                        error = %e,
                        "cannot watch the status directory; polling it every {} ms",
                        UNWATCHED_POLL.as_millis()
                    );
                }
                st.targets.clear();
                st.failed_at = Some(Instant::now());
                st.mode = Some(Mode::Poll);
            }
        }
        st.mode.unwrap_or(Mode::Poll)
    }

    fn build(&self, targets: &[Target]) -> notify::Result<RecommendedWatcher> {
        if targets.is_empty() {
            return Err(notify::Error::path_not_found().add_path(self.dir.clone()));
        }
        let signal = Arc::clone(&self.signal);
        let dir = self.dir.clone();
        let handler = move |event: notify::Result<Event>| {
            if relevant(&dir, &event) {
                signal.raise();
            }
        };
        let mut watcher = RecommendedWatcher::new(handler, notify::Config::default())?;
        for (path, _) in targets {
            watcher.watch(path, RecursiveMode::NonRecursive)?;
        }
        Ok(watcher)
    }

    /// The mode of the last [`ensure`](Self::ensure) (`None` before the first).
    pub fn mode(&self) -> Option<Mode> {
        self.lock().mode
    }

    /// Resolves after a relevant change (a burst counts once), or after [`UNWATCHED_POLL`]
    /// when the directory is not watched. Cancel-safe: a change is consumed only when this
    /// completes.
    pub async fn wait(&self) {
        let mode = match self.mode() {
            Some(mode) => mode,
            None => self.ensure(),
        };
        if mode == Mode::Poll {
            tokio::time::sleep(UNWATCHED_POLL).await;
            return;
        }
        self.signal.raised().await;
        tokio::time::sleep(WATCH_COALESCE).await;
        self.signal.pending.store(false, Ordering::SeqCst);
    }
}

/// What to watch for `dir`: itself and `.navi/marks` (or `.navi`, or nothing of it, until
/// they exist); or, while `dir` does not exist, its nearest existing parent.
fn targets(dir: &Path) -> Vec<Target> {
    let Some(id) = dir_id(dir) else {
        return dir
            .ancestors()
            .skip(1)
            .find_map(|a| dir_id(a).map(|id| vec![(a.to_path_buf(), id)]))
            .unwrap_or_default();
    };
    let mut targets = vec![(dir.to_path_buf(), id)];
    let marks = marks_dir(dir);
    let navi = marks.parent().unwrap_or(dir);
    if let Some(id) = dir_id(&marks) {
        targets.push((marks, id));
    } else if let Some(id) = dir_id(navi) {
        targets.push((navi.to_path_buf(), id));
    }
    targets
}

/// The device and inode of `path` when it is a directory (symlinks followed).
fn dir_id(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok().filter(|m| m.is_dir())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Some((meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        Some((0, 0))
    }
}

/// Whether an event of the watcher is worth a poll.
fn relevant(dir: &Path, event: &notify::Result<Event>) -> bool {
    let Ok(event) = event else {
        return true;
    };
    if matches!(event.kind, EventKind::Access(_)) {
        return false;
    }
    event.paths.is_empty() || event.paths.iter().any(|p| relevant_path(dir, p))
}

fn relevant_path(dir: &Path, path: &Path) -> bool {
    let marks = marks_dir(dir);
    // The directory, `.navi`, `.navi/marks` or a parent of them: created, removed, moved.
    if marks.starts_with(path) {
        return true;
    }
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return false;
    };
    if parent != dir && parent != marks {
        return false;
    }
    let name = name.to_string_lossy();
    !name.starts_with('.') && name.ends_with(".json")
}

#[cfg(test)]
mod tests;
