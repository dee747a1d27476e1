//! The live preview: [`wait_pane_change`](navi_core::SessionSource::wait_pane_change) of
//! the local source.
//!
//! # Design
//!
//! * One read-only control client per previewed session (`-f ignore-size`, on the server
//!   its status file records), started by the first wait for it.
//! * The preview captures the session's active pane (`=NAME:`); the client asks tmux for
//!   its id (`display-message -p -t '$ID' '#{pane_id}'`) when it attaches and again after
//!   every event that may change it (`%session-window-changed`, `%window-pane-changed`,
//!   `%layout-change`). `%output` of that pane (of any pane while the id is not known yet)
//!   and those events raise the watcher's signal.
//! * A wait returns [`PaneChange::Changed`] once the signal is raised, at most once per
//!   [`PANE_CHANGE_EVERY`] (a busy pane's output is coalesced); the first wait returns as
//!   soon as the client has attached, so nothing between the first capture and the attach
//!   is missed. Cancel-safe: the signal is consumed only by a wait that completes.
//! * A client that cannot attach (tmux before 3.2, the session is gone) or takes longer
//!   than [`CONTROL_ATTACH`] gives [`PaneChange::Unsupported`]: the preview refreshes on
//!   its timer. A client that ends later (its session ended) gives one last `Changed`.
//! * When no wait has been running for [`PANE_WATCH_LINGER`], the client is dropped
//!   (killed and reaped).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use navi_core::limits::{CONTROL_ATTACH, PANE_CHANGE_EVERY, PANE_WATCH_LINGER};
use navi_core::statusdir::liveness::TmuxServer;
use navi_core::PaneChange;
use tokio::time::Instant;

use crate::actions::Tmux;
use crate::control::{Client, Commands, Line};
use crate::tmux_events::is_session_id;
use crate::watch::Signal;

type Key = (TmuxServer, String);

/// The pane watchers of one source (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct PaneWatches {
    watchers: Mutex<HashMap<Key, Arc<Watcher>>>,
}

/// One previewed session's client and what it said.
#[derive(Debug)]
struct Watcher {
    client: Client,
    signal: Arc<Signal>,
    waiting: AtomicUsize,
    /// When the last wait ended (for the linger), and the last `Changed`.
    idle_since: Mutex<Option<Instant>>,
    last_change: Mutex<Option<Instant>>,
}

/// What the client's thread keeps: the session id and its active pane.
#[derive(Debug, Default)]
struct Seen {
    session: Option<String>,
    active: Option<String>,
}

impl PaneWatches {
    /// Waits for a change of `name`'s active pane on `server` (see the module
    /// documentation).
    pub(crate) async fn wait(
        self: &Arc<Self>,
        tmux: &Tmux,
        server: TmuxServer,
        name: &str,
    ) -> PaneChange {
        let key = (server, name.to_string());
        let Some(watcher) = self.watcher(tmux, &key) else {
            return PaneChange::Unsupported;
        };
        let _waiting = Waiting::new(Arc::downgrade(self), key.clone(), Arc::clone(&watcher));
        let attach_by = navi_core::Deadline::after(CONTROL_ATTACH);
        while !watcher.client.attached() && !watcher.client.ended() {
            if attach_by.run(watcher.signal.raised()).await.is_err() {
                break;
            }
        }
        if !watcher.client.attached() {
            self.forget(&key, &watcher);
            return PaneChange::Unsupported;
        }
        if watcher.client.ended() {
            // Its session ended (or its server): one last capture shows it.
            self.forget(&key, &watcher);
            return PaneChange::Changed;
        }
        watcher.signal.raised().await;
        let last = *lock(&watcher.last_change);
        if let Some(last) = last {
            tokio::time::sleep_until(last + PANE_CHANGE_EVERY).await;
        }
        watcher.signal.clear();
        *lock(&watcher.last_change) = Some(Instant::now());
        PaneChange::Changed
    }

    /// The running watcher for `key`, or a new one; `None` when no client can start.
    fn watcher(&self, tmux: &Tmux, key: &Key) -> Option<Arc<Watcher>> {
        let mut watchers = lock(&self.watchers);
        if let Some(w) = watchers.get(key) {
            if !w.client.ended() || w.client.attached() {
                return Some(Arc::clone(w));
            }
        }
        let watcher = Arc::new(Watcher::start(&tmux.for_server(&key.0), &key.1)?);
        watchers.insert(key.clone(), Arc::clone(&watcher));
        Some(watcher)
    }

    /// Drops `watcher` (its client is killed) if it is still the one for `key`.
    fn forget(&self, key: &Key, watcher: &Arc<Watcher>) {
        let mut watchers = lock(&self.watchers);
        if watchers.get(key).is_some_and(|w| Arc::ptr_eq(w, watcher)) {
            watchers.remove(key);
        }
    }

    /// Drops `key`'s watcher when no wait ran for [`PANE_WATCH_LINGER`].
    fn reap(&self, key: &Key) {
        let mut watchers = lock(&self.watchers);
        let idle = watchers.get(key).is_some_and(|w| {
            w.waiting.load(Ordering::SeqCst) == 0
                && lock(&w.idle_since).is_some_and(|t| t.elapsed() >= PANE_WATCH_LINGER)
        });
        if idle {
            watchers.remove(key);
        }
    }

    /// The pids of the running clients (tests).
    #[cfg(test)]
    pub(crate) fn clients(&self) -> Vec<u32> {
        lock(&self.watchers)
            .values()
            .map(|w| w.client.pid())
            .collect()
    }
}

impl Watcher {
    fn start(tmux: &Tmux, name: &str) -> Option<Watcher> {
        let signal = Arc::new(Signal::default());
        let raise = Arc::clone(&signal);
        let mut seen = Seen::default();
        let on_line = move |line: Option<Line>, commands: &Commands| {
            if seen.on(line, commands) {
                raise.raise();
            }
        };
        let target = navi_core::tmux_target(name);
        match Client::spawn(&tmux.argv, &target, "ignore-size", on_line) {
            Ok(client) => Some(Watcher {
                client,
                signal,
                waiting: AtomicUsize::new(0),
                idle_since: Mutex::new(None),
                last_change: Mutex::new(None),
            }),
            Err(e) => {
                tracing::debug!(error = %e, "cannot start a tmux control client for the preview");
                None
            }
        }
    }
}

impl Seen {
    /// Takes in one line; `true` when the previewed pane may have changed.
    fn on(&mut self, line: Option<Line>, commands: &Commands) -> bool {
        let Some(line) = line else {
            return true;
        };
        match line {
            Line::Output { pane } => self.active.as_ref().is_none_or(|a| *a == pane),
            Line::SessionChanged { id } => {
                self.session = Some(id);
                self.ask_active(commands);
                true
            }
            Line::SessionWindowChanged { .. } | Line::WindowPaneChanged | Line::LayoutChange => {
                self.ask_active(commands);
                true
            }
            Line::Reply {
                ok: true,
                ours: true,
                lines,
            } => {
                if let [pane] = lines.as_slice() {
                    if pane.starts_with('%') {
                        self.active = Some(pane.clone());
                    }
                }
                false
            }
            Line::Exit => true,
            _ => false,
        }
    }

    /// Asks which pane is the session's active one (the answer is a [`Line::Reply`]).
    fn ask_active(&self, commands: &Commands) {
        if let Some(id) = self.session.as_deref().filter(|id| is_session_id(id)) {
            commands.send(&format!("display-message -p -t '{id}' '#{{pane_id}}'"));
        }
    }
}

/// One running wait; the last one to end starts the linger.
struct Waiting {
    watches: Weak<PaneWatches>,
    key: Key,
    watcher: Arc<Watcher>,
}

impl Waiting {
    fn new(watches: Weak<PaneWatches>, key: Key, watcher: Arc<Watcher>) -> Waiting {
        watcher.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting {
            watches,
            key,
            watcher,
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.watcher.waiting.fetch_sub(1, Ordering::SeqCst) != 1 {
            return;
        }
        *lock(&self.watcher.idle_since) = Some(Instant::now());
        let (watches, key) = (self.watches.clone(), self.key.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    tokio::time::sleep(PANE_WATCH_LINGER).await;
                    if let Some(watches) = watches.upgrade() {
                        watches.reap(&key);
                    }
                });
            }
            Err(_) => {
                if let Some(watches) = watches.upgrade() {
                    lock(&watches.watchers).remove(&key);
                }
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
