//! Running one command on the remote over the pooled connection: what `navi remotes
//! setup` (and every future action) does. The command line is always a
//! [`RemoteCommand`], so it means the same under every login shell.

use std::time::Duration;

use navi_core::SourceError;
use navi_core::{limits, Deadline};
use russh::ChannelMsg;

use super::channel::{open_channel, OwnedChannel};
use super::Pool;
use crate::budget::Buffer;
use crate::error::russh_error;
use crate::shell::{summarize_remote_output, RemoteCommand, Stdin, EXIT_LIMIT, LIMIT_MESSAGE};
use crate::target::Target;

/// What a remote command printed and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteOutput {
    /// Its exit status (`None` when the server sent none, e.g. killed by a signal).
    pub status: Option<u32>,
    /// Its stdout, up to the cap given to [`crate::SshSource::run`].
    pub stdout: Vec<u8>,
    /// Its stderr, up to 64 KiB.
    pub stderr: Vec<u8>,
}

impl RemoteOutput {
    /// Exit status 0.
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    /// stderr (else stdout) shortened for a message: never the script, never escapes.
    pub fn summary(&self) -> String {
        let text = match self.stderr.iter().all(u8::is_ascii_whitespace) {
            true => &self.stdout,
            false => &self.stderr,
        };
        summarize_remote_output(text, 300)
    }
}

const MAX_STDERR: usize = 64 * 1024;
/// stdin is written in pieces of this size (the channel's window paces them).
const STDIN_CHUNK: usize = 32 * 1024;

impl Pool {
    /// Runs `command` with `stdin` on a fresh exec channel of the pooled connection
    /// (connecting if needed), within `timeout`; stdout beyond `max_stdout` bytes is an
    /// error (the channel is closed).
    pub(crate) async fn run(
        &self,
        command: &RemoteCommand,
        stdin: &[u8],
        timeout: Duration,
        max_stdout: usize,
    ) -> Result<RemoteOutput, SourceError> {
        // The remote ends the command by itself a second before navi would give up, so
        // a hung command fails with the remote's own words; with no input, the end of
        // the channel's stdin (navi gone) ends it at once.
        let unused = stdin.is_empty();
        let command = command
            .clone()
            .within(Some(remote_limit(timeout)))
            .stdin(match unused {
                true => Stdin::Unused,
                false => Stdin::Input,
            });
        let line = command.to_command_line().map_err(|e| {
            SourceError::Other(self.target.detail(format!("cannot build the command: {e}")))
        })?;
        let time = Deadline::after(timeout);
        let conn = self.get(time).await?;
        let mut ch = open_channel(&conn.conn, &self.target, time.instant(), timeout).await?;
        ch.exec(line)
            .await
            .map_err(|e| russh_error(e, &self.target, "starting a command", timeout))?;
        let target = self.target.clone();
        let work = async move {
            // stdin is fed while the output is read: a command that ends early (its
            // write failed on the remote: disk full, read-only) is reported at once in
            // its own words, instead of navi waiting on a channel that takes no more.
            let writer = ch.writer();
            let mut feed = std::pin::pin!(async move {
                for chunk in stdin.chunks(STDIN_CHUNK) {
                    writer.data(chunk).await?;
                }
                // With no input the channel's stdin stays open until navi is done: its
                // end tells the remote that navi is gone.
                match unused {
                    true => Ok(()),
                    false => writer.eof().await,
                }
            });
            let mut read = std::pin::pin!(read_output(&mut ch, max_stdout, &target));
            let mut fed = None;
            loop {
                tokio::select! {
                    r = &mut feed, if fed.is_none() => fed = Some(r),
                    out = &mut read => {
                        let out = out?;
                        // A connection lost while sending: say so, not "no exit status".
                        return match fed {
                            Some(Err(e)) if out.status.is_none() => {
                                Err(russh_error(e, &target, "sending input", timeout))
                            }
                            _ => Ok(out),
                        };
                    }
                }
            }
        };
        match Deadline::until(time.instant(), work).await {
            Ok(r) => r,
            Err(_) => Err(SourceError::timeout_while(
                timeout,
                format!("waiting for a command on {}", self.target),
            )),
        }
    }
}

/// Reads a command's output until the server closes the channel; stdout beyond
/// `max_stdout` bytes is an error.
async fn read_output(
    ch: &mut OwnedChannel,
    max_stdout: usize,
    target: &Target,
) -> Result<RemoteOutput, SourceError> {
    let mut out = RemoteOutput::default();
    let mut stdout = Buffer::new();
    loop {
        match ch.wait().await {
            Some(ChannelMsg::Data { data }) => {
                if stdout.len() + data.len() > max_stdout {
                    return Err(SourceError::Remote(target.detail(format!(
                        "the command printed more than {max_stdout} bytes; navi stopped reading"
                    ))));
                }
                stdout.extend(&data).map_err(|e| e.on(target))?;
            }
            Some(ChannelMsg::ExtendedData { data, .. }) => {
                let room = MAX_STDERR.saturating_sub(out.stderr.len());
                out.stderr.extend_from_slice(&data[..data.len().min(room)]);
            }
            Some(ChannelMsg::ExitStatus { exit_status }) => out.status = Some(exit_status),
            Some(ChannelMsg::Failure) => {
                return Err(SourceError::Remote(
                    target.detail("the server refused to run the command"),
                ))
            }
            Some(ChannelMsg::Close) | None => {
                ch.mark_closed();
                out.stdout = stdout.into_vec();
                return stopped_by_limit(out, target);
            }
            Some(_) => {}
        }
    }
}

/// The time limit a command run within `timeout` gets on the remote: a second less (at
/// least one second), so the remote's own message arrives before navi gives up.
fn remote_limit(timeout: Duration) -> Duration {
    timeout
        .saturating_sub(limits::REMOTE_LIMIT_MARGIN)
        .max(limits::REMOTE_LIMIT_MARGIN)
}

/// `out`, or the error of a command its remote time limit ended (what it said last
/// included, e.g. a tmux that did not answer).
fn stopped_by_limit(out: RemoteOutput, target: &Target) -> Result<RemoteOutput, SourceError> {
    let text = String::from_utf8_lossy(&out.stderr);
    if out.status != Some(EXIT_LIMIT) || !text.contains(LIMIT_MESSAGE) {
        return Ok(out);
    }
    Err(SourceError::Remote(target.detail(format!(
        "the command was stopped on the remote by its time limit (a hung tmux or a \
         command that did not end?); its processes were ended there: {}",
        summarize_remote_output(&out.stderr, 300)
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_limit_is_a_second_short_of_the_timeout() {
        assert_eq!(
            remote_limit(Duration::from_secs(20)),
            Duration::from_secs(19)
        );
        assert_eq!(
            remote_limit(Duration::from_millis(1500)),
            Duration::from_secs(1)
        );
        assert_eq!(remote_limit(Duration::ZERO), Duration::from_secs(1));
    }
}
