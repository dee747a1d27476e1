//! A poll's snapshot over a pooled connection: over its long-lived loop channel, or
//! over a fresh exec channel when the loop cannot run.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use navi_core::{Deadline, PollReport, SourceError};
use tokio::time::Instant;

use super::channel::{open_channel, read_channel, OwnedChannel, ReadEnd};
use super::connect::Connection;
use super::{Live, Pool};
use crate::budget::Buffer;
use crate::error::russh_error;
use crate::remote::{decode_snapshot, end_marker, exec_command, loop_command, new_nonce};

/// Loop channels that never answered before a connection gives up on them.
const LOOP_GIVE_UP: u32 = 2;

/// The long-lived snapshot loop of a connection.
pub(crate) struct LoopChannel {
    ch: OwnedChannel,
    /// Requests it has answered (0: not yet known to work).
    answered: u64,
}

impl LoopChannel {
    /// Until when this request may wait: a loop that has never answered gets half of
    /// the time left, so the exec fallback still fits before `deadline`.
    fn wait_until(&self, deadline: Deadline) -> Instant {
        if self.answered == 0 {
            deadline.halfway().instant()
        } else {
            deadline.instant()
        }
    }
}

/// Marks the connection suspect if a poll is dropped mid-answer (cancel safety: the
/// aggregator drops a poll future on timeout). A cancelled poll says nothing about
/// whether the loop works, so it is not counted as a loop failure: an unverified loop's
/// own deadline (half the time left) always comes before the poll's.
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
pub(super) enum LoopError {
    /// A real failure of the poll.
    Fatal(SourceError),
    /// Use per-poll exec for this poll.
    Fallback(String),
}

fn with_latency(mut report: PollReport, latency: Duration) -> PollReport {
    report.latency = Some(latency);
    report
}

impl Pool {
    /// A snapshot over the connection's long-lived loop channel.
    pub(super) async fn loop_snapshot(
        &self,
        conn: &Arc<Live>,
        time: Deadline,
    ) -> Result<PollReport, LoopError> {
        if conn.loop_failures.load(Ordering::SeqCst) >= LOOP_GIVE_UP {
            return Err(LoopError::Fallback(
                "the loop failed before on this connection".into(),
            ));
        }
        let mut slot = Deadline::until(time.instant(), conn.loop_channel.lock())
            .await
            .map_err(|_| {
                LoopError::Fatal(SourceError::timeout_while(
                    time.budget(),
                    format!("waiting for the poll loop of {}", self.target),
                ))
            })?;
        let mut loop_channel = match slot.take() {
            Some(loop_channel) => loop_channel,
            None => self.start_loop(conn, time).await?,
        };
        let mut guard = InFlight { conn, armed: true };
        let nonce = new_nonce();
        let start = Instant::now();
        if let Err(e) = loop_channel.ch.send(format!("{nonce}\n").as_bytes()).await {
            guard.armed = false;
            if loop_channel.answered == 0 {
                conn.loop_failures.fetch_add(1, Ordering::SeqCst);
            }
            return Err(self.channel_failed(conn, e));
        }
        let end = end_marker(&nonce);
        let (mut out, mut stderr) = (Buffer::new(), Vec::new());
        let wait_until = loop_channel.wait_until(time);
        let ch = &mut loop_channel.ch;
        let read = read_channel(ch, &self.target, &mut out, &mut stderr, Some(&end));
        let read = Deadline::until(wait_until, read).await;
        guard.armed = false;
        let unverified = loop_channel.answered == 0;
        match read {
            Ok(Ok(ReadEnd::Complete)) => {}
            Ok(Ok(ReadEnd::PeerEnded { exit, refused })) => {
                return Err(self.loop_ended(conn, unverified, exit, refused, &stderr))
            }
            Ok(Err(e)) => return Err(LoopError::Fatal(e)),
            Err(_) => return Err(self.loop_timed_out(conn, unverified, time.budget())),
        }
        let latency = start.elapsed();
        loop_channel.answered += 1;
        conn.loop_failures.store(0, Ordering::SeqCst);
        let decoded = decode_snapshot(&out, &nonce, &self.remote.sessions_dir);
        // The answer was complete: the channel is in step, keep it.
        *slot = Some(loop_channel);
        decoded
            .map(|r| with_latency(r, latency))
            .map_err(|e| LoopError::Fatal(self.name_remote(e)))
    }

    /// A fresh loop channel running [`loop_command`].
    async fn start_loop(&self, conn: &Arc<Live>, time: Deadline) -> Result<LoopChannel, LoopError> {
        let mut ch = open_channel(&conn.conn, &self.target, time.instant(), time.budget())
            .await
            .map_err(LoopError::Fatal)?;
        let command = loop_command(&self.remote.sessions_dir)
            .map_err(|e| LoopError::Fatal(self.bad_command(e)))?;
        if let Err(e) = ch.exec(command).await {
            return Err(self.channel_failed(conn, e));
        }
        Ok(LoopChannel { ch, answered: 0 })
    }

    /// A command line that cannot be built (a NUL in `sessions_dir`, or far too long).
    pub(super) fn bad_command(&self, e: crate::shell::RemoteCommandError) -> SourceError {
        use crate::shell::RemoteCommandError::NulInOperand;
        // The status directory is the scripts' only configured operand ($1).
        let why = match e {
            NulInOperand { index: 1 } => "it contains a NUL byte; fix it in remotes.yaml".into(),
            e => e.to_string(),
        };
        SourceError::Config(self.target.detail(format!("sessions_dir: {why}")))
    }

    /// The loop did not answer in time (the channel is dropped: its output would be out
    /// of step). `unverified`: it never answered before.
    fn loop_timed_out(&self, conn: &Live, unverified: bool, allowed: Duration) -> LoopError {
        conn.suspect.store(true, Ordering::SeqCst);
        if unverified {
            conn.loop_failures.fetch_add(1, Ordering::SeqCst);
            return LoopError::Fallback("the loop did not answer its first request".into());
        }
        LoopError::Fatal(SourceError::timeout_while(
            allowed,
            format!("waiting for the poll's answer from {}", self.target),
        ))
    }

    /// The loop channel ended before answering.
    fn loop_ended(
        &self,
        conn: &Live,
        unverified: bool,
        exit: Option<u32>,
        refused: bool,
        stderr: &[u8],
    ) -> LoopError {
        if unverified {
            conn.loop_failures.fetch_add(1, Ordering::SeqCst);
        }
        if !conn.alive() {
            return LoopError::Fatal(SourceError::Disconnected(
                self.target.detail("the connection was lost"),
            ));
        }
        LoopError::Fallback(format!(
            "the loop channel ended (exit {exit:?}, exec refused: {refused}, stderr: {})",
            crate::shell::summarize_remote_output(stderr, 200)
        ))
    }

    /// A snapshot over a fresh exec channel.
    pub(super) async fn exec_snapshot(
        &self,
        conn: &Arc<Live>,
        time: Deadline,
    ) -> Result<PollReport, SourceError> {
        let start = Instant::now();
        let mut ch = open_channel(&conn.conn, &self.target, time.instant(), time.budget()).await?;
        let mut guard = InFlight { conn, armed: true };
        let nonce = new_nonce();
        let command = match exec_command(&self.remote.sessions_dir, &nonce) {
            Ok(c) => c,
            Err(e) => {
                guard.armed = false;
                return Err(self.bad_command(e));
            }
        };
        if let Err(e) = ch.exec(command).await {
            guard.armed = false;
            return Err(russh_error(
                e,
                &self.target,
                "starting the poll command",
                self.remote.timeout,
            ));
        }
        let (mut out, mut stderr) = (Buffer::new(), Vec::new());
        let read = read_channel(&mut ch, &self.target, &mut out, &mut stderr, None);
        let read = Deadline::until(time.instant(), read).await;
        guard.armed = false;
        let (exit, refused) = match read {
            Err(_) => {
                conn.suspect.store(true, Ordering::SeqCst);
                return Err(SourceError::timeout_while(
                    time.budget(),
                    format!("waiting for the poll's answer from {}", self.target),
                ));
            }
            Ok(Err(e)) => return Err(e),
            Ok(Ok(ReadEnd::PeerEnded { exit, refused })) => (exit, refused),
            Ok(Ok(ReadEnd::Complete)) => (None, false),
        };
        let latency = start.elapsed();
        if refused {
            return Err(SourceError::Remote(self.target.detail(
                "the server refused to run the poll command (exec request denied)",
            )));
        }
        match decode_snapshot(&out, &nonce, &self.remote.sessions_dir) {
            Ok(r) => Ok(with_latency(r, latency)),
            Err(SourceError::Remote(m)) => Err(self.exec_failed(&m, exit, &stderr)),
            Err(e) => Err(e),
        }
    }

    /// A poll command's unreadable answer, with its exit status and stderr.
    fn exec_failed(&self, m: &navi_core::Detail, exit: Option<u32>, stderr: &[u8]) -> SourceError {
        let err = String::from_utf8_lossy(stderr);
        let err = navi_core::text::sanitize(err.trim()).into_owned();
        let mut m = m.to_string();
        if let Some(code) = exit {
            m.push_str(&format!(" (exit status {code})"));
        }
        if !err.is_empty() {
            m.push_str(&format!("; stderr: {err}"));
        }
        SourceError::Remote(self.target.detail(m))
    }

    fn channel_failed(&self, conn: &Connection, e: russh::Error) -> LoopError {
        if conn.alive() {
            LoopError::Fallback(format!("the loop channel failed: {e}"))
        } else {
            LoopError::Fatal(russh_error(e, &self.target, "", self.remote.timeout))
        }
    }

    /// A decoding error, naming the remote.
    fn name_remote(&self, e: SourceError) -> SourceError {
        match e {
            SourceError::Remote(m) => SourceError::Remote(self.target.detail(m.to_string())),
            other => other,
        }
    }
}
