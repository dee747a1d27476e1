//! Session channels of a pooled connection: opened holding one of the connection's
//! channel slots, closed by themselves when dropped ([`OwnedChannel`]), and read into a
//! capped buffer ([`read_channel`]).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use navi_core::SourceError;
use navi_core::{limits, Deadline};
use russh::client;
use russh::{ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;

use super::connect::Connection;
use crate::budget::Buffer;
use crate::error::russh_error;
use crate::remote::{ends_snapshot, MAX_POLL_OUTPUT};
use crate::shell::{CommandLine, RemoteCommand, Stdin};
use crate::target::Target;

/// stderr kept for error messages.
const MAX_STDERR: usize = 4096;

/// A channel on `conn` running `script` as a long-lived loop that reads one request a
/// line from its stdin (the preview loop, the pane follow); `what` names it in errors.
pub(super) async fn start_request_loop(
    conn: &Arc<Connection>,
    target: &Target,
    time: Deadline,
    script: &str,
    what: &str,
) -> Result<OwnedChannel, SourceError> {
    let mut ch = open_channel(conn, target, time.instant(), time.budget()).await?;
    let line = RemoteCommand::new(script)
        .stdin(Stdin::Requests)
        .within(None)
        .to_command_line()
        .map_err(|e| SourceError::Other(e.to_string().into()))?;
    ch.exec(line)
        .await
        .map_err(|e| SourceError::Remote(format!("cannot start the {what}: {e}").into()))?;
    Ok(ch)
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
pub(super) struct OwnedChannel {
    /// `None` only while being dropped.
    read: Option<ChannelReadHalf>,
    write: Arc<ChannelWriteHalf<client::Msg>>,
    permit: Option<OwnedSemaphorePermit>,
    /// A command was started on it.
    started: bool,
    /// The server closed it: nothing left to close.
    closed: bool,
}

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

    /// Starts `command` on the channel: only a [`CommandLine`] of the login-shell-neutral
    /// builder, never a string.
    pub(super) async fn exec(&mut self, command: CommandLine) -> Result<(), russh::Error> {
        self.started = true;
        self.write.exec(true, command.into_bytes()).await
    }

    /// The server closed the channel: nothing to close on drop.
    pub(super) fn mark_closed(&mut self) {
        self.closed = true;
    }

    /// Writes `data` to the command's stdin.
    pub(super) async fn send(&self, data: &[u8]) -> Result<(), russh::Error> {
        self.write.data(data).await
    }

    /// The channel's writing half, to feed stdin while its output is read.
    pub(super) fn writer(&self) -> Arc<ChannelWriteHalf<client::Msg>> {
        self.write.clone()
    }

    /// The next message, `None` once the channel is gone.
    pub(super) async fn wait(&mut self) -> Option<ChannelMsg> {
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
                match crate::shell::RemoteCommand::new("exit 0").to_command_line() {
                    Ok(line) => write.exec(false, line.into_bytes()).await,
                    Err(_) => write.eof().await,
                }
            };
            let mut ended = false;
            if asked.is_ok() {
                // Keep reading: an unread channel stalls the whole connection.
                ended = Deadline::within(limits::CHANNEL_CLOSE_GRACE, async {
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

/// A new session channel on `conn` (holding one of its channel slots), or an error
/// about `target` (`timeout` is the time reported when `deadline` passes).
///
/// The open runs in its own task: if this poll is dropped while the server is still
/// confirming the channel, the task closes the channel it gets instead of leaving a
/// session slot open on the server.
pub(super) async fn open_channel(
    conn: &Arc<Connection>,
    target: &Target,
    deadline: Instant,
    timeout: Duration,
) -> Result<OwnedChannel, SourceError> {
    let permit = Deadline::until(deadline, conn.channels.clone().acquire_owned())
        .await
        .map_err(|_| {
            SourceError::timeout_while(timeout, format!("waiting for a free channel to {target}"))
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
    match Deadline::until(deadline, rx).await {
        Err(_) => {
            conn.suspect.store(true, Ordering::SeqCst);
            Err(SourceError::timeout_while(
                timeout,
                format!("opening a channel to {target}"),
            ))
        }
        Ok(Err(_)) => Err(SourceError::Disconnected(
            target.detail("the connection closed while opening a channel"),
        )),
        Ok(Ok(r)) => r.map_err(|e| russh_error(e, target, "opening a channel", timeout)),
    }
}

/// How reading a channel ended.
pub(super) enum ReadEnd {
    /// The end marker arrived (loop mode).
    Complete,
    /// The server ended the channel (or refused the exec request).
    PeerEnded { exit: Option<u32>, refused: bool },
}

/// Reads a channel into `out` (capped at [`MAX_POLL_OUTPUT`], and by the budget of all
/// remotes' output, [`crate::budget`]) until `end` arrives, or (with `end == None`)
/// until the server closes it. stderr is kept apart, capped. Errors name `target`.
pub(super) async fn read_channel(
    ch: &mut OwnedChannel,
    target: &Target,
    out: &mut Buffer,
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
                out.extend(&data).map_err(|e| e.on(target))?;
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
