//! Following a remote pane for the preview: one long-lived channel per connection runs
//! the pane follow loop (`src/scripts/pane_follow.sh`), started by the first
//! [`Pool::wait_pane_change`]. On the remote a read-only tmux control client attached to
//! the followed session is read by ONE awk that keeps only the output of the session's
//! active pane (the pane a preview captures) and says `C <gen>` — one short line, never
//! the pane's bytes — once per request: navi asks again (`A`) when it waits for the next
//! change, so at most one line is on its way, and changes are at least
//! [`PANE_CHANGE_EVERY`](limits::PANE_CHANGE_EVERY) apart (20 a second). A change made while
//! navi was not asking is kept (a flag file on the remote) and said at the next `A`.
//!
//! Following another session replaces the client (`F`, a new generation: a late line
//! of the old one is ignored); nobody waiting for
//! [`PANE_WATCH_LINGER`](limits::PANE_WATCH_LINGER) ends it (`X`). A remote whose tmux has
//! no control mode with client flags (before 3.2) answers `NO`: every wait is then
//! [`PaneChange::Unsupported`] on that connection. The loop dies with the connection;
//! closing the channel ends it and its client (the command's wrapper ends its group).

use std::sync::{Arc, Mutex as StdMutex};

use navi_core::statusdir::liveness::TmuxServer;
use navi_core::{limits, Deadline, PaneChange, SessionName, SourceError};
use russh::ChannelMsg;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::channel::{start_request_loop, OwnedChannel};
use super::preview::request;
use super::{Live, Pool};
use crate::remote::new_nonce;

/// The loop: `tmux_events.sh` first for its `ctl_version_ok`.
const FOLLOW_LOOP: &str = concat!(
    include_str!("../scripts/tmux_events.sh"),
    include_str!("../scripts/pane_follow.sh")
);

/// The most bytes kept of a line not yet ended (a login shell's greeting).
const MAX_LINE: usize = 4096;

/// A running follow loop: dropping it ends the task and closes the channel.
pub(super) struct PaneFollow {
    state: Arc<StdMutex<State>>,
    wake: Arc<Notify>,
    lines: mpsc::UnboundedSender<String>,
    task: JoinHandle<()>,
}

impl Drop for PaneFollow {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the task and the waiters share.
#[derive(Debug, Default)]
struct State {
    /// `OK` or `NO` came: whether the remote can follow panes.
    supported: Option<bool>,
    /// The channel ended.
    ended: bool,
    /// The follow's generation, and what it follows.
    generation: u64,
    key: Option<(TmuxServer, String)>,
    /// The remote will say the next change (an `F` or `A` is out and no `C` came since).
    armed: bool,
    /// A change came that no wait has returned yet.
    changed: bool,
    /// The followed session ended (`E`): nothing to ask again.
    session_ended: bool,
    /// Calls waiting now, and since when nobody waits.
    waiters: usize,
    idle_since: Option<Instant>,
    /// When the last change was returned.
    last_change: Option<Instant>,
}

/// A follow loop's state, wake-up and the lines to send it.
type Followed = (
    Arc<StdMutex<State>>,
    Arc<Notify>,
    mpsc::UnboundedSender<String>,
);

/// Counts a waiter while it waits (cancel-safe: dropped with the future).
struct Waiting(Arc<StdMutex<State>>);

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Ok(mut st) = self.0.lock() {
            st.waiters = st.waiters.saturating_sub(1);
            if st.waiters == 0 {
                st.idle_since = Some(Instant::now());
            }
        }
    }
}

impl Pool {
    /// Resolves when the active pane of session `name` on `server` may have changed
    /// since the last call for it (see the module docs).
    pub(crate) async fn wait_pane_change(
        &self,
        server: &TmuxServer,
        name: &SessionName,
    ) -> PaneChange {
        let follow = match self.pane_follow(Deadline::after(self.remote.timeout)).await {
            Ok(f) => f,
            Err(e) => {
                tracing::debug!(remote = %self.remote.name, "cannot follow panes: {e}");
                return PaneChange::Unsupported;
            }
        };
        let (state, wake, lines) = follow;
        let Some(_waiting) = ask(&state, &lines, server, name) else {
            return PaneChange::Unsupported;
        };
        wait(&state, &wake).await
    }

    /// The connection's follow loop (started if needed), once it said whether it can
    /// follow: its state and wake-up.
    async fn pane_follow(&self, time: Deadline) -> Result<Followed, SourceError> {
        let conn = self.get(time).await?;
        let mut slot = Deadline::until(time.instant(), conn.pane_follow.lock())
            .await
            .map_err(|_| {
                SourceError::timeout_while(time.budget(), "waiting for the pane follow")
            })?;
        // A loop that said `NO` stays in the slot: this connection's remote cannot follow
        // panes, and asking again would exec the loop once more per preview shown.
        let dead = match &*slot {
            Some(f) => f
                .state
                .lock()
                .map(|s| s.ended && s.supported != Some(false))
                .unwrap_or(true),
            None => true,
        };
        if dead {
            *slot = Some(self.start_follow(&conn, time).await?);
        }
        let Some(f) = slot.as_ref() else {
            return Err(SourceError::Other("no pane follow".into()));
        };
        Ok((f.state.clone(), f.wake.clone(), f.lines.clone()))
    }

    async fn start_follow(
        &self,
        conn: &Arc<Live>,
        time: Deadline,
    ) -> Result<PaneFollow, SourceError> {
        let ch = start_request_loop(
            &conn.conn,
            &self.target,
            time,
            FOLLOW_LOOP,
            "pane follow loop",
        )
        .await?;
        let nonce = new_nonce();
        ch.send(format!("{nonce}\n").as_bytes())
            .await
            .map_err(|e| SourceError::Remote(format!("the pane follow loop failed: {e}").into()))?;
        let state = Arc::new(StdMutex::new(State::default()));
        let wake = Arc::new(Notify::new());
        let (lines, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(ch, nonce, state.clone(), wake.clone(), rx));
        let follow = PaneFollow {
            state,
            wake,
            lines,
            task,
        };
        // Its first answer: OK or NO (or the end).
        let said = Deadline::until(time.instant(), async {
            loop {
                let notified = follow.wake.notified();
                if let Ok(st) = follow.state.lock() {
                    if st.supported.is_some() || st.ended {
                        return;
                    }
                }
                notified.await;
            }
        })
        .await;
        said.map_err(|_| {
            SourceError::timeout_while(time.budget(), "waiting for the pane follow loop")
        })?;
        Ok(follow)
    }
}

/// Follows `name` (a new generation) or asks for the next change of what is followed;
/// `None` when this remote cannot follow. The guard counts the caller as waiting.
fn ask(
    state: &Arc<StdMutex<State>>,
    lines: &mpsc::UnboundedSender<String>,
    server: &TmuxServer,
    name: &SessionName,
) -> Option<Waiting> {
    let mut st = state.lock().ok()?;
    if st.supported != Some(true) || st.ended {
        return None;
    }
    let key = (server.clone(), name.as_str().to_string());
    let line = if st.key.as_ref() != Some(&key) {
        st.generation += 1;
        st.key = Some(key);
        st.changed = false;
        st.session_ended = false;
        st.armed = true;
        let socket = match server {
            TmuxServer::Default => None,
            TmuxServer::Socket(s) => Some(s.as_str()),
        };
        let head = format!("F {}", st.generation);
        Some(request(&head, socket, &name.target(), &name.pane_target()))
    } else if !st.armed && !st.changed && !st.session_ended {
        st.armed = true;
        Some("A\n".to_string())
    } else {
        None
    };
    if let Some(line) = line {
        lines.send(line).ok()?;
    }
    st.waiters += 1;
    st.idle_since = None;
    Some(Waiting(state.clone()))
}

/// Waits for a change (no sooner than PANE_CHANGE_EVERY after the last one returned), or
/// the loop's end (then the pane cannot be followed: `Unsupported`). Cancel-safe: a
/// change is taken only when it is returned.
async fn wait(state: &Arc<StdMutex<State>>, wake: &Notify) -> PaneChange {
    loop {
        let notified = wake.notified();
        let not_before = {
            let Ok(mut st) = state.lock() else {
                return PaneChange::Unsupported;
            };
            if st.ended {
                return PaneChange::Unsupported;
            }
            if st.changed {
                let now = Instant::now();
                let next = st.last_change.map(|t| t + limits::PANE_CHANGE_EVERY);
                match next {
                    Some(next) if next > now => Some(next),
                    _ => {
                        st.changed = false;
                        st.last_change = Some(now);
                        return PaneChange::Changed;
                    }
                }
            } else {
                None
            }
        };
        match not_before {
            Some(t) => tokio::time::sleep_until(t).await,
            None => notified.await,
        }
    }
}

/// The task: reads the loop's lines into the state, writes the requests, and ends the
/// follow once nobody waited for PANE_WATCH_LINGER.
async fn run(
    mut ch: OwnedChannel,
    nonce: String,
    state: Arc<StdMutex<State>>,
    wake: Arc<Notify>,
    mut rx: mpsc::UnboundedReceiver<String>,
) {
    let mut partial: Vec<u8> = Vec::new();
    let mut idle = tokio::time::interval(limits::PANE_WATCH_LINGER / 2);
    let prefix = format!("NAVI-{nonce} ");
    loop {
        tokio::select! {
            m = ch.wait() => match m {
                Some(ChannelMsg::Data { data }) => {
                    for line in lines_of(&mut partial, &data) {
                        if let Some(rest) = line.strip_prefix(prefix.as_str()) {
                            on_line(&state, rest);
                        }
                    }
                    wake.notify_waiters();
                }
                Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                    ch.mark_closed();
                    break;
                }
                Some(_) => {}
            },
            line = rx.recv() => {
                let Some(line) = line else { break };
                if ch.send(line.as_bytes()).await.is_err() {
                    break;
                }
            }
            _ = idle.tick() => {
                if stale(&state) && ch.send(b"X\n").await.is_err() {
                    break;
                }
            }
        }
    }
    if let Ok(mut st) = state.lock() {
        st.ended = true;
    }
    wake.notify_waiters();
}

/// Whether a follow is on that nobody waited for PANE_WATCH_LINGER (then it is
/// forgotten: the next wait follows again).
fn stale(state: &StdMutex<State>) -> bool {
    let Ok(mut st) = state.lock() else {
        return false;
    };
    let idle = st
        .idle_since
        .is_some_and(|t| t.elapsed() >= limits::PANE_WATCH_LINGER);
    if st.key.is_none() || st.waiters > 0 || !idle {
        return false;
    }
    st.key = None;
    st.armed = false;
    st.changed = false;
    true
}

/// One line of the loop (after `NAVI-<nonce> `).
fn on_line(state: &StdMutex<State>, rest: &str) {
    let Ok(mut st) = state.lock() else {
        return;
    };
    let mut words = rest.split(' ');
    let kind = words.next().unwrap_or("");
    let generation = words.next().and_then(|g| g.trim().parse::<u64>().ok());
    match kind.trim() {
        "OK" => st.supported = Some(true),
        "NO" => st.supported = Some(false),
        "C" | "E" if generation == Some(st.generation) && st.key.is_some() => {
            st.changed = true;
            st.armed = false;
            if kind == "E" {
                st.session_ended = true;
            }
        }
        _ => {}
    }
}

/// The whole lines `data` completes (after what `partial` held); keeps the rest, at most
/// MAX_LINE bytes of it.
fn lines_of(partial: &mut Vec<u8>, data: &[u8]) -> Vec<String> {
    partial.extend_from_slice(data);
    let mut out = Vec::new();
    if let Some(last) = partial.iter().rposition(|&b| b == b'\n') {
        let done: Vec<u8> = partial.drain(..=last).collect();
        out.extend(
            done.split(|&b| b == b'\n')
                .map(|l| String::from_utf8_lossy(l).into_owned()),
        );
    }
    if partial.len() > MAX_LINE {
        let cut = partial.len() - MAX_LINE;
        partial.drain(..cut);
    }
    out
}
