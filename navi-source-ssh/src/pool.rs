//! One pooled russh connection per remote, and the two ways a poll runs over it.
//!
//! # The connection
//!
//! [`Pool`] owns at most one live [`Connection`] (in-process, like OpenSSH's
//! ControlMaster): every poll of the remote is a channel on it. A `tokio::sync::Mutex`
//! around the pool state makes the check-then-connect atomic, so while a connection is
//! alive or being established no second one is opened. At most [`MAX_CHANNELS`]
//! channels are open at once per connection (a semaphore; sshd's `MaxSessions` is 10).
//! Connecting is bounded by the remote's `timeout`; keepalives (every
//! [`KEEPALIVE_INTERVAL`], [`KEEPALIVE_MAX`] unanswered = dead) and TCP_NODELAY are on.
//!
//! A dead connection (session ended, keepalive failure, I/O error) is noticed on the
//! next poll and re-established. Failed attempts back off exponentially (1 s doubling to
//! a 60 s cap, with jitter); while backing off a poll returns the last error at once,
//! with "(retrying in Ns)", instead of hammering the host. A poll that was cancelled or
//! timed out mid-answer marks the connection *suspect*: the next poll pings it first and
//! reconnects if the ping gets no answer. Nothing is written to disk.
//!
//! With a jump host the bastion is connected and authenticated first, a `direct-tcpip`
//! channel to the target is opened on it, and the target's SSH session runs over that
//! channel (its own host key, checked under its own `host`/`port`, and its own login).
//! The bastion's handle lives as long as the target's.
//!
//! # The poll: one long-lived channel, per-poll exec as fallback
//!
//! sshd spends ~85 ms setting up every session channel, so a pooled connection that
//! opens an exec channel per poll is still ~90 ms a poll. Instead each connection keeps
//! ONE long-lived channel running [`remote::loop_command`]: a POSIX `sh` loop that reads
//! a nonce line from stdin and answers with one framed snapshot. A poll writes one line
//! and reads until the snapshot's end marker — one network round trip plus one remote
//! `wc` and one `awk`, however many files there are.
//!
//! The loop channel is dropped and a fresh one opened on the next poll whenever it dies,
//! errors, or a poll is cancelled mid-answer (its output would be out of step: the
//! channel is *poisoned*); the drop guard closes it. When the loop cannot run (the exec
//! is refused, it exits at once, or it never answers its first request within half the
//! poll budget) the poll falls back to [`remote::exec_command`] on a fresh exec channel
//! in the same poll; after two such failures on a connection, that connection uses exec
//! only.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use navi_core::{PollReport, SourceError};
use russh::client::{self, Handle};
use russh::{ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::{timeout_at, Instant};

use crate::auth::{authenticate, Login};
use crate::config::{check_host, check_user, host_port, Remote};
use crate::error::{io_error, russh_error, with_note, SshError};
use crate::hostkey::{Client, HostCheck, KeyPolicy, ScannedHostKey};
use crate::remote::{
    decode_snapshot, end_marker, ends_snapshot, exec_command, loop_command, new_nonce, random_u64,
    MAX_POLL_OUTPUT,
};

/// Channels open at once on one connection (sshd's default `MaxSessions`).
pub(crate) const MAX_CHANNELS: usize = 10;
/// Idle time before a keepalive is sent.
pub(crate) const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(15);
/// Unanswered keepalives before the connection counts as dead.
pub(crate) const KEEPALIVE_MAX: usize = 3;
/// First reconnect delay after a failed attempt; doubles per failure.
pub(crate) const BACKOFF_START: Duration = Duration::from_secs(1);
/// Longest reconnect delay.
pub(crate) const BACKOFF_CAP: Duration = Duration::from_secs(60);
/// How long a suspect connection gets to answer a ping.
const PING_WAIT: Duration = Duration::from_secs(3);
/// Loop channels that never answered before a connection gives up on them.
const LOOP_GIVE_UP: u32 = 2;
/// stderr kept for error messages.
const MAX_STDERR: usize = 4096;

/// The pool of one remote: its connection, backoff state and counters.
pub(crate) struct Pool {
    remote: Remote,
    state: Mutex<State>,
    opened: AtomicU64,
}

#[derive(Default)]
struct State {
    conn: Option<Arc<Connection>>,
    backoff: Backoff,
}

/// When the next connection attempt may be made.
///
/// An attempt is counted as failed when it STARTS and forgiven when it succeeds, so a
/// connect the aggregator cancels (a hung host) backs off like one that failed.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// Consecutive failed (or abandoned) attempts.
    failures: u32,
    /// No new attempt before this.
    retry_at: Option<Instant>,
    last_error: Option<SourceError>,
}

impl Backoff {
    /// `Err` (the last error, with "(retrying in Ns)") while backing off.
    pub(crate) fn check(&self, now: Instant) -> Result<(), SourceError> {
        match (self.retry_at, &self.last_error) {
            (Some(at), Some(e)) if now < at => Err(with_note(e, &retry_note(at - now))),
            _ => Ok(()),
        }
    }

    /// An attempt starts; until it ends it counts as failed with `pending`.
    pub(crate) fn attempt(&mut self, now: Instant, pending: SourceError) {
        self.failures = self.failures.saturating_add(1);
        self.retry_at = Some(now + backoff_delay(self.failures));
        self.last_error = Some(pending);
    }

    /// The attempt failed at `now`: returns the error to show. The attempt's own error
    /// is shown as it is (a one-shot `navi list` never retries); polls that come while
    /// backing off get it with "(retrying in Ns)" from [`check`](Backoff::check).
    pub(crate) fn failed(&mut self, now: Instant, e: SourceError) -> SourceError {
        let delay = backoff_delay(self.failures);
        self.retry_at = Some(now + delay);
        self.last_error = Some(e.clone());
        e
    }

    pub(crate) fn succeeded(&mut self) {
        *self = Backoff::default();
    }

    /// Allow an attempt now.
    pub(crate) fn clear_wait(&mut self) {
        self.retry_at = None;
    }
}

/// One live SSH session to the target (through its bastion, if any).
pub(crate) struct Connection {
    handle: Handle<Client>,
    /// Kept alive as long as the target: the target's transport runs through it.
    _bastion: Option<Handle<Client>>,
    dead: Arc<AtomicBool>,
    suspect: AtomicBool,
    channels: Arc<Semaphore>,
    looper: Mutex<Option<LoopChannel>>,
    loop_failures: AtomicU32,
}

impl Connection {
    fn alive(&self) -> bool {
        !self.dead.load(Ordering::SeqCst) && !self.handle.is_closed()
    }

    fn mark_dead(&self) {
        self.dead.store(true, Ordering::SeqCst);
    }
}

/// A channel that closes itself when dropped (a plain russh `Channel` does not), so an
/// abandoned or cancelled poll never leaves a session open on the server.
///
/// It holds one of the connection's channel slots until the server has let go of the
/// session: sshd counts a session against `MaxSessions` until its command exits, so
/// releasing the slot the moment a poll is abandoned would let a burst of cancelled
/// polls open more sessions than sshd allows. russh ignores the server's close of a
/// channel the client closed first, so an abandoned channel is ended from the remote
/// side: EOF on its stdin (the poll loop exits on it; a snapshot command ends by
/// itself; a channel that never started a command runs `exit`), then the channel is
/// drained until the server closes it.
/// Only if that takes longer than [`CLOSE_GRACE`] (a hung remote) does navi close the
/// channel itself.
struct OwnedChannel {
    /// `None` only while being dropped.
    read: Option<ChannelReadHalf>,
    write: Arc<ChannelWriteHalf<client::Msg>>,
    permit: Option<OwnedSemaphorePermit>,
    /// A command was started on it.
    started: bool,
    /// The server closed it: nothing left to close.
    closed: bool,
}

/// How long an abandoned channel's command gets to end before navi closes it.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

impl OwnedChannel {
    fn new(ch: russh::Channel<client::Msg>, permit: OwnedSemaphorePermit) -> Self {
        let (read, write) = ch.split();
        OwnedChannel {
            read: Some(read),
            write: Arc::new(write),
            permit: Some(permit),
            started: false,
            closed: false,
        }
    }

    /// Starts `command` on the channel.
    async fn exec(&mut self, command: String) -> Result<(), russh::Error> {
        self.started = true;
        self.write.exec(true, command).await
    }

    /// The next message, `None` once the channel is gone.
    async fn wait(&mut self) -> Option<ChannelMsg> {
        match self.read.as_mut() {
            Some(r) => r.wait().await,
            None => None,
        }
    }
}

impl Drop for OwnedChannel {
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let (Some(mut read), Some(permit)) = (self.read.take(), self.permit.take()) else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let write = self.write.clone();
        let started = self.started;
        rt.spawn(async move {
            // Make the server end the session: EOF ends the poll loop (a snapshot
            // command ends by itself); a channel that never ran a command runs `exit`
            // (sshd keeps a command-less session open after our close).
            let asked = if started {
                write.eof().await
            } else {
                write.exec(false, "exit 0").await
            };
            let mut ended = false;
            if asked.is_ok() {
                // Keep reading: an unread channel stalls the whole connection.
                ended = tokio::time::timeout(CLOSE_GRACE, async {
                    while let Some(msg) = read.wait().await {
                        if matches!(msg, ChannelMsg::Close) {
                            break;
                        }
                    }
                })
                .await
                .is_ok();
            }
            if !ended {
                let _ = write.close().await;
            }
            drop(permit);
        });
    }
}

/// The long-lived snapshot loop of a connection.
struct LoopChannel {
    ch: OwnedChannel,
    /// Requests it has answered (0: not yet known to work).
    answered: u64,
}

/// Marks the connection suspect if a poll is dropped mid-answer (cancel safety: the
/// aggregator drops a poll future on timeout). A cancelled poll says nothing about
/// whether the loop works, so it is not counted as a loop failure: an unverified loop's
/// own deadline (half the budget) always comes before the aggregator's.
struct InFlight<'a> {
    conn: &'a Connection,
    armed: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.conn.suspect.store(true, Ordering::SeqCst);
        }
    }
}

/// Why the loop could not answer this poll.
enum LoopError {
    /// A real failure of the poll.
    Fatal(SourceError),
    /// Use per-poll exec for this poll.
    Fallback(String),
}

/// How reading a channel ended.
enum ReadEnd {
    /// The end marker arrived (loop mode).
    Complete,
    /// The server ended the channel (or refused the exec request).
    PeerEnded { exit: Option<u32>, refused: bool },
}

impl Pool {
    pub(crate) fn new(remote: Remote) -> Self {
        Pool {
            remote,
            state: Mutex::new(State::default()),
            opened: AtomicU64::new(0),
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

    fn what(&self) -> String {
        format!(
            "remote {} ({})",
            self.remote.name,
            self.remote.destination()
        )
    }

    /// One poll: a snapshot over the long-lived channel, or over exec.
    pub(crate) async fn poll(&self) -> Result<PollReport, SourceError> {
        let deadline = Instant::now() + budget(self.remote.timeout);
        let conn = self.get(deadline).await?;
        let res = match self.loop_snapshot(&conn, deadline).await {
            Ok(r) => Ok(r),
            Err(LoopError::Fatal(e)) => Err(e),
            Err(LoopError::Fallback(why)) => {
                tracing::debug!(remote = %self.remote.name, %why, "poll loop unavailable; using exec");
                self.exec_snapshot(&conn, deadline).await
            }
        };
        res.map_err(|e| {
            if conn.alive() {
                e
            } else {
                match e {
                    e @ SourceError::Disconnected(_) => e,
                    other => SourceError::Disconnected(
                        format!(
                            "{}: the connection was lost ({other}); reconnecting on the next poll",
                            self.what()
                        )
                        .into(),
                    ),
                }
            }
        })
    }

    /// The live connection, or a new one (unless backing off).
    async fn get(&self, deadline: Instant) -> Result<Arc<Connection>, SourceError> {
        let timeout = self.remote.timeout;
        let mut st = timeout_at(deadline, self.state.lock()).await.map_err(|_| {
            SourceError::timeout_while(timeout, "waiting for another poll of this remote")
        })?;
        if let Some(conn) = st.conn.clone() {
            if conn.alive() && conn.suspect.load(Ordering::SeqCst) {
                let ping_deadline = deadline.min(Instant::now() + PING_WAIT);
                match timeout_at(ping_deadline, conn.handle.send_ping()).await {
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
            self.what()
        );
        st.backoff.attempt(
            Instant::now(),
            SourceError::timeout_while(timeout, connecting.clone()),
        );
        let res = match timeout_at(deadline, self.connect()).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::timeout_while(timeout, connecting)),
        };
        match res {
            Ok(conn) => {
                st.backoff.succeeded();
                st.conn = Some(conn.clone());
                Ok(conn)
            }
            Err(e) => Err(st.backoff.failed(Instant::now(), e)),
        }
    }

    /// TCP (or the bastion's tunnel), handshake with host key check, login.
    async fn connect(&self) -> Result<Arc<Connection>, SourceError> {
        let r = &self.remote;
        let what = self.what();
        check_host(&r.host).map_err(|m| SourceError::Config(format!("{what}: host {m}").into()))?;
        check_user(&r.user).map_err(|m| SourceError::Config(format!("{what}: user {m}").into()))?;
        let dead = Arc::new(AtomicBool::new(false));
        let agent = agent_socket();
        let target = HostCheck {
            host: r.host.clone(),
            port: r.port,
            known_hosts: r.known_hosts.clone(),
            remote: r.name.clone(),
            is_jump: false,
        };
        let (mut handle, bastion) = match &r.jump {
            None => {
                let tcp = dial(&r.host, r.port, &what, r.timeout).await?;
                self.opened.fetch_add(1, Ordering::SeqCst);
                let h = handshake(
                    tcp,
                    KeyPolicy::Verify(target),
                    dead.clone(),
                    &what,
                    r.timeout,
                )
                .await?;
                (h, None)
            }
            Some(_) => {
                let (bastion, jwhat) = connect_bastion(r, dead.clone(), agent.clone()).await?;
                let ch = bastion
                    .channel_open_direct_tcpip(r.host.clone(), u32::from(r.port), "127.0.0.1", 0)
                    .await
                    .map_err(|e| forward_error(&e, &jwhat, r))?;
                self.opened.fetch_add(1, Ordering::SeqCst);
                let h = handshake(
                    ch.into_stream(),
                    KeyPolicy::Verify(target),
                    dead.clone(),
                    &what,
                    r.timeout,
                )
                .await?;
                (h, Some(bastion))
            }
        };
        let login = Login {
            user: &r.user,
            place: what,
            remote: &r.name,
        };
        authenticate(&mut handle, &login, &r.keys, agent).await?;
        tracing::info!(remote = %r.name, "connected");
        Ok(Arc::new(Connection {
            handle,
            _bastion: bastion,
            dead,
            suspect: AtomicBool::new(false),
            channels: Arc::new(Semaphore::new(MAX_CHANNELS)),
            looper: Mutex::new(None),
            loop_failures: AtomicU32::new(0),
        }))
    }

    /// A new session channel (holding one of the connection's channel slots).
    ///
    /// The open runs in its own task: if this poll is dropped while the server is still
    /// confirming the channel, the task closes the channel it gets instead of leaving a
    /// session slot open on the server.
    async fn open_channel(
        &self,
        conn: &Arc<Connection>,
        deadline: Instant,
    ) -> Result<OwnedChannel, SourceError> {
        let timeout = self.remote.timeout;
        let permit = timeout_at(deadline, conn.channels.clone().acquire_owned())
            .await
            .map_err(|_| {
                SourceError::timeout_while(
                    timeout,
                    format!("waiting for a free channel to {}", self.what()),
                )
            })?
            .map_err(|_| SourceError::Other("the connection's channel limit was closed".into()))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let opener = conn.clone();
        tokio::spawn(async move {
            let res = opener
                .handle
                .channel_open_session()
                .await
                .map(|ch| OwnedChannel::new(ch, permit));
            // If the poll is gone, dropping the channel here closes it.
            let _ = tx.send(res);
        });
        match timeout_at(deadline, rx).await {
            Err(_) => {
                conn.suspect.store(true, Ordering::SeqCst);
                Err(SourceError::timeout_while(
                    timeout,
                    format!("opening a channel to {}", self.what()),
                ))
            }
            Ok(Err(_)) => Err(SourceError::Disconnected(
                format!(
                    "{}: the connection closed while opening a channel",
                    self.what()
                )
                .into(),
            )),
            Ok(Ok(r)) => r.map_err(|e| {
                russh_error(&e, &format!("{}: opening a channel", self.what()), timeout)
            }),
        }
    }

    /// A snapshot over the connection's long-lived loop channel.
    async fn loop_snapshot(
        &self,
        conn: &Arc<Connection>,
        deadline: Instant,
    ) -> Result<PollReport, LoopError> {
        let timeout = self.remote.timeout;
        if conn.loop_failures.load(Ordering::SeqCst) >= LOOP_GIVE_UP {
            return Err(LoopError::Fallback(
                "the loop failed before on this connection".into(),
            ));
        }
        let mut slot = timeout_at(deadline, conn.looper.lock())
            .await
            .map_err(|_| {
                LoopError::Fatal(SourceError::timeout_while(
                    timeout,
                    format!("waiting for the poll loop of {}", self.what()),
                ))
            })?;
        let mut lc = match slot.take() {
            Some(lc) => lc,
            None => {
                let mut ch = self
                    .open_channel(conn, deadline)
                    .await
                    .map_err(LoopError::Fatal)?;
                if let Err(e) = ch.exec(loop_command(&self.remote.sessions_dir)).await {
                    return Err(self.channel_failed(conn, &e));
                }
                LoopChannel { ch, answered: 0 }
            }
        };
        let mut guard = InFlight { conn, armed: true };
        let nonce = new_nonce();
        let start = Instant::now();
        let request = format!("{nonce}\n");
        if let Err(e) = lc.ch.write.data(request.as_bytes()).await {
            guard.armed = false;
            if lc.answered == 0 {
                conn.loop_failures.fetch_add(1, Ordering::SeqCst);
            }
            return Err(self.channel_failed(conn, &e));
        }
        // A loop that has never answered gets half the budget, so exec still fits.
        let wait_until = if lc.answered == 0 {
            let now = Instant::now();
            now + deadline.saturating_duration_since(now) / 2
        } else {
            deadline
        };
        let end = end_marker(&nonce);
        let mut out = Vec::new();
        let mut stderr = Vec::new();
        let read = timeout_at(
            wait_until,
            read_channel(&mut lc.ch, &mut out, &mut stderr, Some(&end)),
        )
        .await;
        guard.armed = false;
        let unverified = lc.answered == 0;
        match read {
            Err(_) if unverified => {
                conn.loop_failures.fetch_add(1, Ordering::SeqCst);
                conn.suspect.store(true, Ordering::SeqCst);
                Err(LoopError::Fallback(
                    "the loop did not answer its first request".into(),
                ))
            }
            Err(_) => {
                conn.suspect.store(true, Ordering::SeqCst);
                Err(LoopError::Fatal(SourceError::timeout_while(
                    timeout,
                    format!("waiting for the poll's answer from {}", self.what()),
                )))
            }
            Ok(Err(e)) => Err(LoopError::Fatal(e)),
            Ok(Ok(ReadEnd::PeerEnded { exit, refused })) => {
                if unverified {
                    conn.loop_failures.fetch_add(1, Ordering::SeqCst);
                }
                if !conn.alive() {
                    return Err(LoopError::Fatal(SourceError::Disconnected(
                        format!("{}: the connection was lost", self.what()).into(),
                    )));
                }
                Err(LoopError::Fallback(format!(
                    "the loop channel ended (exit {exit:?}, exec refused: {refused}, stderr: {})",
                    String::from_utf8_lossy(&stderr).trim()
                )))
            }
            Ok(Ok(ReadEnd::Complete)) => {
                let latency = start.elapsed();
                lc.answered += 1;
                conn.loop_failures.store(0, Ordering::SeqCst);
                let decoded = decode_snapshot(&out, &nonce, &self.remote.sessions_dir);
                // The answer was complete: the channel is in step, keep it.
                *slot = Some(lc);
                decoded
                    .map(|mut r| {
                        r.latency = Some(latency);
                        r
                    })
                    .map_err(|e| LoopError::Fatal(self.name_remote(e)))
            }
        }
    }

    /// A snapshot over a fresh exec channel.
    async fn exec_snapshot(
        &self,
        conn: &Arc<Connection>,
        deadline: Instant,
    ) -> Result<PollReport, SourceError> {
        let timeout = self.remote.timeout;
        let start = Instant::now();
        let mut ch = self.open_channel(conn, deadline).await?;
        let mut guard = InFlight { conn, armed: true };
        let nonce = new_nonce();
        if let Err(e) = ch
            .exec(exec_command(&self.remote.sessions_dir, &nonce))
            .await
        {
            guard.armed = false;
            return Err(russh_error(
                &e,
                &format!("{}: starting the poll command", self.what()),
                timeout,
            ));
        }
        let mut out = Vec::new();
        let mut stderr = Vec::new();
        let read = timeout_at(deadline, read_channel(&mut ch, &mut out, &mut stderr, None)).await;
        guard.armed = false;
        let (exit, refused) = match read {
            Err(_) => {
                conn.suspect.store(true, Ordering::SeqCst);
                return Err(SourceError::timeout_while(
                    timeout,
                    format!("waiting for the poll's answer from {}", self.what()),
                ));
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(ReadEnd::PeerEnded { exit, refused })) => (exit, refused),
            Ok(Ok(ReadEnd::Complete)) => (None, false),
        };
        let latency = start.elapsed();
        if refused {
            return Err(SourceError::Remote(
                format!(
                    "{}: the server refused to run the poll command (exec request denied)",
                    self.what()
                )
                .into(),
            ));
        }
        match decode_snapshot(&out, &nonce, &self.remote.sessions_dir) {
            Ok(mut r) => {
                r.latency = Some(latency);
                Ok(r)
            }
            Err(SourceError::Remote(m)) => {
                let err = String::from_utf8_lossy(&stderr);
                let err = navi_core::text::sanitize(err.trim()).into_owned();
                let mut m = format!("{}: {m}", self.what());
                if let Some(code) = exit {
                    m.push_str(&format!(" (exit status {code})"));
                }
                if !err.is_empty() {
                    m.push_str(&format!("; stderr: {err}"));
                }
                Err(SourceError::Remote(m.into()))
            }
            Err(e) => Err(e),
        }
    }

    fn channel_failed(&self, conn: &Connection, e: &russh::Error) -> LoopError {
        if conn.alive() {
            LoopError::Fallback(format!("the loop channel failed: {e}"))
        } else {
            LoopError::Fatal(russh_error(e, &self.what(), self.remote.timeout))
        }
    }

    fn name_remote(&self, e: SourceError) -> SourceError {
        match e {
            SourceError::Remote(m) => SourceError::Remote(format!("{}: {m}", self.what()).into()),
            other => other,
        }
    }
}

/// Reads a channel into `out` (capped at [`MAX_POLL_OUTPUT`]) until `end` arrives, or
/// (with `end == None`) until the server closes it. stderr is kept apart, capped.
async fn read_channel(
    ch: &mut OwnedChannel,
    out: &mut Vec<u8>,
    stderr: &mut Vec<u8>,
    end: Option<&[u8]>,
) -> Result<ReadEnd, SourceError> {
    let mut exit = None;
    loop {
        match ch.wait().await {
            Some(ChannelMsg::Data { data }) => {
                if out.len() + data.len() > MAX_POLL_OUTPUT {
                    // Dropping the channel (the caller's) closes it: stop reading.
                    return Err(SourceError::Remote(
                        format!(
                            "the poll output is over the {} MiB cap; navi stopped reading \
                         (too many or too large files in the status directory?)",
                            MAX_POLL_OUTPUT / (1024 * 1024)
                        )
                        .into(),
                    ));
                }
                let from = out.len();
                out.extend_from_slice(&data);
                if let Some(end) = end {
                    if ends_snapshot(out, from, end) {
                        return Ok(ReadEnd::Complete);
                    }
                }
            }
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                let room = MAX_STDERR.saturating_sub(stderr.len());
                stderr.extend_from_slice(&data[..data.len().min(room)]);
            }
            Some(ChannelMsg::ExitStatus { exit_status }) => exit = Some(exit_status),
            Some(ChannelMsg::Failure) => {
                return Ok(ReadEnd::PeerEnded {
                    exit,
                    refused: true,
                })
            }
            // In loop mode the loop's end is the channel's end; an exec keeps draining
            // (exit status and the last data may come after EOF).
            Some(ChannelMsg::Eof) if end.is_some() => {
                return Ok(ReadEnd::PeerEnded {
                    exit,
                    refused: false,
                })
            }
            Some(ChannelMsg::Close) | None => {
                ch.closed = true;
                return Ok(ReadEnd::PeerEnded {
                    exit,
                    refused: false,
                });
            }
            Some(_) => {}
        }
    }
}

/// `jump host user@host:port (of remote NAME)` and the bastion's host key check.
fn bastion_parts(r: &Remote) -> Result<(&crate::config::JumpHost, String, HostCheck), SourceError> {
    let Some(j) = &r.jump else {
        return Err(SourceError::Config(
            format!("remote {} has no jump host", r.name).into(),
        ));
    };
    let jwhat = format!(
        "jump host {}@{} (of remote {})",
        j.user,
        host_port(&j.host, j.port),
        r.name
    );
    check_host(&j.host).map_err(|m| SourceError::Config(format!("{jwhat}: host {m}").into()))?;
    check_user(&j.user).map_err(|m| SourceError::Config(format!("{jwhat}: user {m}").into()))?;
    let check = HostCheck {
        host: j.host.clone(),
        port: j.port,
        known_hosts: r.known_hosts.clone(),
        remote: r.name.clone(),
        is_jump: true,
    };
    Ok((j, jwhat, check))
}

/// The bastion's session, authenticated with its own keys (if any), then the remote's.
async fn connect_bastion(
    r: &Remote,
    dead: Arc<AtomicBool>,
    agent: Option<PathBuf>,
) -> Result<(Handle<Client>, String), SourceError> {
    let (j, jwhat, check) = bastion_parts(r)?;
    let tcp = dial(&j.host, j.port, &jwhat, r.timeout).await?;
    let mut b = handshake(tcp, KeyPolicy::Verify(check), dead, &jwhat, r.timeout).await?;
    login_bastion(&mut b, r, &j.user, &jwhat, agent).await?;
    Ok((b, jwhat))
}

async fn login_bastion(
    b: &mut Handle<Client>,
    r: &Remote,
    user: &str,
    jwhat: &str,
    agent: Option<PathBuf>,
) -> Result<(), SourceError> {
    let login = Login {
        user,
        place: jwhat.to_string(),
        remote: &r.name,
    };
    let keys = match &r.jump {
        Some(j) => j.keys_with(&r.keys),
        None => r.keys.clone(),
    };
    authenticate(b, &login, &keys, agent).await
}

fn forward_error(e: &russh::Error, jwhat: &str, r: &Remote) -> SourceError {
    let target = host_port(&r.host, r.port);
    match e {
        russh::Error::ChannelOpenFailure(russh::ChannelOpenFailure::ConnectFailed) => {
            SourceError::Refused(format!("{jwhat}: could not connect to {target}").into())
        }
        russh::Error::ChannelOpenFailure(russh::ChannelOpenFailure::AdministrativelyProhibited) => {
            SourceError::Refused(format!(
                "{jwhat}: refused to forward to {target} (AllowTcpForwarding/PermitOpen on the bastion?)"
            ).into())
        }
        other => russh_error(other, &format!("{jwhat}: forwarding to {target}"), r.timeout),
    }
}

/// Resolves and dials `host:port` (TCP_NODELAY on).
pub(crate) async fn dial(
    host: &str,
    port: u16,
    what: &str,
    timeout: Duration,
) -> Result<TcpStream, SourceError> {
    let addrs: Vec<_> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| SourceError::Dns(format!("{what}: {host}: {e}").into()))?
        .collect();
    if addrs.is_empty() {
        return Err(SourceError::Dns(
            format!("{what}: {host} has no address").into(),
        ));
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e) => io_error(&e, what, timeout),
        None => SourceError::Refused(format!("{what}: no address could be reached").into()),
    })
}

/// The SSH handshake over `stream`, verifying (or scanning) the host key.
pub(crate) async fn handshake<S>(
    stream: S,
    policy: KeyPolicy,
    dead: Arc<AtomicBool>,
    what: &str,
    timeout: Duration,
) -> Result<Handle<Client>, SourceError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let config = client_config(&policy).await;
    client::connect_stream(config, stream, Client::new(policy, dead))
        .await
        .map_err(|e| e.into_source(what, timeout))
}

/// Keepalives on, no inactivity timeout, TCP_NODELAY, host key types known for the
/// host preferred.
pub(crate) async fn client_config(policy: &KeyPolicy) -> Arc<client::Config> {
    let mut c = client::Config {
        keepalive_interval: Some(KEEPALIVE_INTERVAL),
        keepalive_max: KEEPALIVE_MAX,
        inactivity_timeout: None,
        nodelay: true,
        ..client::Config::default()
    };
    if let KeyPolicy::Verify(check) = policy {
        let check = check.clone();
        if let Ok(pref) = tokio::task::spawn_blocking(move || check.preferred()).await {
            c.preferred = pref;
        }
    }
    Arc::new(c)
}

/// The scan for `navi remotes trust`: the target's key (through a verified, logged-in
/// bastion), or the bastion's own key while the bastion is not yet trusted.
pub(crate) async fn scan(r: &Remote) -> Result<ScannedHostKey, SourceError> {
    let what = format!("remote {} ({})", r.name, r.destination());
    check_host(&r.host).map_err(|m| SourceError::Config(format!("{what}: host {m}").into()))?;
    if r.jump.is_none() {
        let tcp = dial(&r.host, r.port, &what, r.timeout).await?;
        return scan_stream(tcp, &r.host, r.port, r, &what).await;
    }
    let (j, jwhat, check) = bastion_parts(r)?;
    let tcp = dial(&j.host, j.port, &jwhat, r.timeout).await?;
    let policy = KeyPolicy::Verify(check);
    let config = client_config(&policy).await;
    let client = Client::new(policy, Arc::new(AtomicBool::new(false)));
    let seen = client.seen();
    let mut bastion = match client::connect_stream(config, tcp, client).await {
        Ok(b) => b,
        Err(SshError::UnknownHostKey(m)) => {
            // The bastion must be trusted first (an unverified bastion could fake the
            // target's key): hand back its key.
            return match take_seen(&seen) {
                Some(key) => Ok(ScannedHostKey::new(&j.host, j.port, &key, &r.known_hosts)),
                None => Err(SourceError::HostKey(m.into())),
            };
        }
        Err(e) => return Err(e.into_source(&jwhat, r.timeout)),
    };
    login_bastion(&mut bastion, r, &j.user, &jwhat, agent_socket()).await?;
    let ch = bastion
        .channel_open_direct_tcpip(r.host.clone(), u32::from(r.port), "127.0.0.1", 0)
        .await
        .map_err(|e| forward_error(&e, &jwhat, r))?;
    scan_stream(ch.into_stream(), &r.host, r.port, r, &what).await
}

fn take_seen(
    seen: &std::sync::Mutex<Option<russh::keys::PublicKey>>,
) -> Option<russh::keys::PublicKey> {
    match seen.lock() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

async fn scan_stream<S>(
    stream: S,
    host: &str,
    port: u16,
    r: &Remote,
    what: &str,
) -> Result<ScannedHostKey, SourceError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let client = Client::new(KeyPolicy::Scan, Arc::new(AtomicBool::new(false)));
    let seen = client.seen();
    let config = client_config(&KeyPolicy::Scan).await;
    let res = client::connect_stream(config, stream, client).await;
    match (take_seen(&seen), res) {
        (Some(key), _) => Ok(ScannedHostKey::new(host, port, &key, &r.known_hosts)),
        (None, Err(e)) => Err(e.into_source(what, r.timeout)),
        (None, Ok(_)) => Err(SourceError::HostKey(
            format!("{what}: the server presented no plain host key (a certificate?)").into(),
        )),
    }
}

fn agent_socket() -> Option<PathBuf> {
    std::env::var_os("SSH_AUTH_SOCK")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}

/// The part of the remote's timeout a poll may use: a little less than the whole, so
/// the poll reports its own (more precise) error before the aggregator's deadline.
fn budget(timeout: Duration) -> Duration {
    timeout.saturating_sub((timeout / 10).min(Duration::from_millis(500)))
}

/// `BACKOFF_START` doubling per failure up to `BACKOFF_CAP`, times a jitter in
/// [0.8, 1.2), never over the cap. Zero before the first failure.
pub(crate) fn backoff_delay(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let exp = failures.saturating_sub(1).min(16);
    let base = BACKOFF_START.saturating_mul(1u32 << exp).min(BACKOFF_CAP);
    let r = (random_u64() % 10_000) as f64 / 10_000.0;
    base.mul_f64(0.8 + 0.4 * r).min(BACKOFF_CAP)
}

fn retry_note(d: Duration) -> String {
    let secs = ((d.as_millis() + 500) / 1000).max(1);
    format!("(retrying in {secs}s)")
}
