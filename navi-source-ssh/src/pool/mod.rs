//! One pooled russh connection per remote, and the two ways a poll runs over it.
//!
//! # The connection
//!
//! [`Pool`] owns at most one live [`Connection`] (in-process, like OpenSSH's
//! ControlMaster): every poll of the remote is a channel on it. A `tokio::sync::Mutex`
//! around the pool state makes the check-then-connect atomic, so while a connection is
//! alive or being established no second one is opened.
//!
//! The SSH connections themselves ([`Link`](link::Link)s) live in a process-wide
//! [`registry`]: a host reached by several remotes (a shared bastion, or a remote that
//! is also another's bastion) is ONE authenticated connection, found by route, user,
//! host, port, keys and known_hosts files. At most
//! [`MAX_CHANNELS`](link::MAX_CHANNELS) channels are open at once per SSH connection
//! (a semaphore; sshd's `MaxSessions` is 10). Connecting is bounded by the poll's
//! deadline (see *Time*) and by `ConnectTimeout`; keepalives (`ServerAliveInterval`,
//! default 15 s; `ServerAliveCountMax` unanswered, default 3, = dead) and TCP_NODELAY
//! are on.
//!
//! A dead connection (session ended, keepalive failure, I/O error, or a link it runs
//! through gone) is noticed on the next poll and re-established. Failed attempts back off exponentially (1 s doubling to
//! a 60 s cap, with jitter); while backing off a poll returns the last error at once,
//! with "(retrying in Ns)", instead of hammering the host. A connect cut off by the
//! poll's deadline is a failed attempt; one dropped before it (its caller gave up) is
//! none, and reports no timeout. A poll that was cancelled or
//! timed out mid-answer marks the connection *suspect*: the next poll pings it first and
//! reconnects if the ping gets no answer. Nothing is written to disk.
//!
//! With jump hosts (`ProxyJump a,b`) each is connected and authenticated in turn, the
//! next one's SSH session running over a `direct-tcpip` channel on the one before, and
//! the target's over the last (each host key checked under its own `host`/`port`, each
//! its own login). A link holds the one it runs through.
//!
//! # The poll: one long-lived channel, per-poll exec as fallback
//!
//! sshd spends ~85 ms setting up every session channel, so a pooled connection that
//! opens an exec channel per poll is still ~90 ms a poll. Instead each connection keeps
//! ONE long-lived channel running [`loop_command`](crate::remote::loop_command): a POSIX
//! `sh` loop that reads a nonce line from stdin and answers with one framed snapshot. A
//! poll writes one line and reads until the snapshot's end marker — one network round
//! trip plus one remote `wc` and one `awk`, however many files there are.
//!
//! The loop channel is dropped and a fresh one opened on the next poll whenever it dies,
//! errors, or a poll is cancelled mid-answer (its output would be out of step: the
//! channel is *poisoned*); the drop guard closes it. When the loop cannot run (the exec
//! is refused, it exits at once, or it never answers its first request within half the
//! time left) the poll falls back to [`exec_command`](crate::remote::exec_command) on a
//! fresh exec channel in the same poll; after two such failures on a connection, that
//! connection uses exec only.
//!
//! # Time
//!
//! A poll runs until the deadline it is given (the aggregator's bounded poll passes its
//! own through [`SessionSource::poll_within`](navi_core::SessionSource::poll_within); a
//! direct call gets the remote's `timeout`). Every step waits until that
//! same deadline, so a step that overruns reports its own error ("waiting for the poll's
//! answer from ...") at the instant the bound would cancel the poll.
//!
//! # Modules
//!
//! * [`backoff`]: when the next connection attempt may be made;
//! * [`link`]: one authenticated SSH connection ([`Link`](link::Link));
//! * [`connect`]: the [`Connection`], dialling, the jump hosts, handshake and login;
//! * [`registry`]: the live SSH connections every pool shares;
//! * [`channel`]: session channels that close themselves, and reading them;
//! * [`snapshot`]: the loop and exec snapshots;
//! * [`push`]: the push loop;
//! * [`preview`]: the preview loop;
//! * [`follow_pane`]: the pane follow loop (when a previewed pane changes);
//! * [`scan`]: the host-key scan of `navi remotes trust`;
//! * [`run`]: one command on the remote (`navi remotes setup`, actions).
//!
//! They import each other in one direction only: `link` <- `registry` <- `connect` <-
//! `channel` <- the channel kinds (`snapshot`, `preview`, `run`, and `push`, which
//! falls back to `snapshot`); `scan` uses `connect` and `link`. Each channel kind adds
//! its methods to [`Pool`] here. What a remote runs on its connection (its loops) is
//! kept beside the connection, in [`Live`], so the connection knows no channel kind.

mod backoff;
mod channel;
mod connect;
mod follow_pane;
mod link;
mod preview;
mod push;
mod registry;
mod run;
mod scan;
mod snapshot;

#[cfg(test)]
mod tests;

use std::ops::Deref;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use navi_core::{limits, Deadline, PollMode, PollReport, SourceError};
use tokio::sync::{mpsc, Mutex, Notify};
use tokio::time::Instant;

use crate::config::Remote;
use crate::target::Target;
use backoff::{Attempt, Backoff};
use connect::{connect, Connection};
use preview::PreviewChannel;
use push::PushSlot;
use snapshot::{LoopChannel, LoopError};

pub(crate) use preview::PaneAnswer;
pub use run::RemoteOutput;
pub(crate) use scan::scan;

/// The pool of one remote: its connection, backoff state and counters.
pub(crate) struct Pool {
    remote: Remote,
    /// The remote, for messages.
    target: Target,
    state: Mutex<State>,
    opened: AtomicU64,
    /// Woken by the push loop when the remote changed (or the loop stopped).
    changes: Arc<Notify>,
    /// The running push loop's inbox (after an action: scan now).
    nudges: StdMutex<Option<mpsc::UnboundedSender<push::Nudge>>>,
}

#[derive(Default)]
struct State {
    conn: Option<Arc<Live>>,
    backoff: Backoff,
}

/// The pool's connection and what this remote runs on it, replaced together: the
/// loops die with the connection they run on.
pub(super) struct Live {
    conn: Arc<Connection>,
    /// The long-lived snapshot loop, while it works.
    loop_channel: Mutex<Option<LoopChannel>>,
    /// Loop channels that failed before their first answer.
    loop_failures: AtomicU32,
    /// The long-lived preview loop, while it works.
    preview_channel: Mutex<Option<PreviewChannel>>,
    /// The push loop, while it runs.
    push: Mutex<PushSlot>,
    /// The pane follow loop, once a preview followed a pane.
    pane_follow: Mutex<Option<follow_pane::PaneFollow>>,
}

impl Live {
    fn new(conn: Arc<Connection>) -> Live {
        Live {
            conn,
            loop_channel: Mutex::new(None),
            loop_failures: AtomicU32::new(0),
            preview_channel: Mutex::new(None),
            push: Mutex::new(PushSlot::default()),
            pane_follow: Mutex::new(None),
        }
    }
}

impl Deref for Live {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl Pool {
    pub(crate) fn new(remote: Remote) -> Self {
        Pool {
            target: Target::remote(&remote),
            remote,
            state: Mutex::new(State::default()),
            opened: AtomicU64::new(0),
            changes: Arc::new(Notify::new()),
            nudges: StdMutex::new(None),
        }
    }

    pub(crate) fn connections_opened(&self) -> u64 {
        self.opened.load(Ordering::SeqCst)
    }

    /// Forgets the backoff so the next poll connects at once (after `trust`, say).
    pub(crate) fn retry_now(&self) {
        if let Ok(mut st) = self.state.try_lock() {
            st.backoff.clear_wait();
        }
    }

    /// Whether a connection is currently up.
    pub(crate) fn is_connected(&self) -> bool {
        match self.state.try_lock() {
            Ok(st) => st.conn.as_ref().is_some_and(|c| c.alive()),
            Err(_) => false,
        }
    }

    /// Resolves when the push loop saw a change (or stopped): time to poll.
    pub(crate) async fn wait_change(&self) {
        self.changes.notified().await;
    }

    /// After an action: asks the push loop, if one runs, to look for changes now, and
    /// waits (at most [`SETTLE_WAIT`]) until what it found is applied, so the next poll
    /// shows the action's effect (a new or ended tmux session, a mark).
    pub(crate) async fn settle(&self) {
        let (done, settled) = tokio::sync::oneshot::channel();
        let sent = match self.nudges.lock() {
            Ok(n) => n
                .as_ref()
                .is_some_and(|tx| tx.send(push::Nudge::Settle(done)).is_ok()),
            Err(_) => false,
        };
        if sent {
            let _ = Deadline::within(limits::SETTLE_WAIT, settled).await;
        }
    }

    /// One poll: what the push loop holds (no network), else a snapshot over the
    /// long-lived channel, or over exec.
    pub(crate) async fn poll(&self, deadline: Deadline) -> Result<PollReport, SourceError> {
        let time = deadline;
        let conn = self.get(time).await?;
        if self.remote.push {
            match self.push_report(&conn, time).await {
                Ok(r) => return Ok(r),
                Err(LoopError::Fatal(e)) => return Err(self.lost(&conn, e)),
                Err(LoopError::Fallback(why)) => {
                    tracing::info!(remote = %self.remote.name, %why, "push loop unavailable; polling");
                }
            }
        }
        let res = match self.loop_snapshot(&conn, time).await {
            Ok(r) => Ok(r),
            Err(LoopError::Fatal(e)) => Err(e),
            Err(LoopError::Fallback(why)) => {
                tracing::debug!(remote = %self.remote.name, %why, "poll loop unavailable; using exec");
                self.exec_snapshot(&conn, time).await
            }
        };
        res.map(|mut r| {
            r.mode = Some(PollMode::Poll);
            r
        })
        .map_err(|e| self.lost(&conn, e))
    }

    /// `e`, or "the connection was lost" when it was.
    fn lost(&self, conn: &Connection, e: SourceError) -> SourceError {
        if conn.alive() {
            return e;
        }
        match e {
            e @ SourceError::Disconnected(_) => e,
            other => SourceError::Disconnected(self.target.detail(format!(
                "the connection was lost ({other}); reconnecting on the next poll"
            ))),
        }
    }

    /// The live connection, or a new one (unless backing off).
    async fn get(&self, time: Deadline) -> Result<Arc<Live>, SourceError> {
        let (deadline, timeout) = (time.instant(), time.budget());
        let mut st = Deadline::until(deadline, self.state.lock())
            .await
            .map_err(|_| {
                SourceError::timeout_while(timeout, "waiting for another poll of this remote")
            })?;
        if let Some(conn) = st.conn.clone() {
            if conn.alive() && conn.suspect.load(Ordering::SeqCst) {
                let ping_deadline = deadline.min(Instant::now() + limits::PING_WAIT);
                match Deadline::until(ping_deadline, conn.handle.send_ping()).await {
                    Ok(Ok(())) => conn.suspect.store(false, Ordering::SeqCst),
                    _ => {
                        tracing::info!(remote = %self.remote.name, "connection did not answer a ping; reconnecting");
                        conn.mark_dead();
                    }
                }
            }
            if conn.alive() {
                return Ok(conn);
            }
            tracing::info!(remote = %self.remote.name, "connection lost; reconnecting");
            st.conn = None;
        }
        st.backoff.check(Instant::now())?;
        let connecting = format!(
            "connecting to {} (TCP, SSH handshake or login)",
            self.target
        );
        let state = &mut *st;
        let attempt = Attempt::start(
            &mut state.backoff,
            deadline,
            SourceError::timeout_while(timeout, connecting.clone()),
        );
        // Boxed: the handshake's future is deep, and would otherwise sit on the stack of
        // every future that may connect (an action's, a poll's).
        let dial = Box::pin(connect(&self.remote, &self.target, &self.opened));
        let res = match Deadline::until(deadline, dial).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::timeout_while(timeout, connecting)),
        };
        match res {
            Ok(conn) => {
                attempt.succeeded();
                let conn = Arc::new(Live::new(conn));
                state.conn = Some(conn.clone());
                Ok(conn)
            }
            Err(e) => Err(attempt.failed(Instant::now(), e)),
        }
    }
}
