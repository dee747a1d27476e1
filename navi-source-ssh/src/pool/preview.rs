//! Previews over a long-lived channel: one `sh` loop per connection that answers
//! `NONCE TARGET` lines with the pane's text, so a preview refresh costs one round trip
//! and one `tmux capture-pane`, not a new session channel (sshd's session set-up is
//! most of an exec's cost). Any failure drops the channel; the caller falls back to
//! an exec.

use std::fmt::Write as _;
use std::sync::Arc;

use navi_core::SourceError;
use tokio::time::{timeout_at, Instant};

use super::channel::{open_channel, read_channel, OwnedChannel, ReadEnd};
use super::connect::Connection;
use super::{PollTime, Pool};
use crate::remote::{end_marker, new_nonce};
use crate::shell::RemoteCommand;

/// The loop: a request is a hex nonce, a space, and the tmux target written as `\0ddd`
/// octal escapes (only digits and backslashes on the line), decoded by `printf %b`.
const PREVIEW_LOOP: &str = r#"exec 2>/dev/null
while IFS= read -r line; do
  n=${line%% *}; enc=${line#* }
  case $n in ''|*[!0-9a-f]*) continue;; esac
  t=$(printf %b "$enc")
  printf '\nNAVI-%s P\n' "$n"
  tmux capture-pane -p -J -t "$t"
  printf '\nNAVI-%s END\n' "$n"
done"#;

/// The preview loop of one connection.
pub(crate) struct PreviewChannel {
    ch: OwnedChannel,
}

impl Pool {
    /// The text of tmux target `target` through the connection's preview loop.
    pub(crate) async fn preview(
        &self,
        target: &str,
        timeout: std::time::Duration,
    ) -> Result<String, SourceError> {
        let time = PollTime {
            deadline: Instant::now() + timeout,
            allowed: timeout,
        };
        let conn = self.get(time).await?;
        let mut slot = timeout_at(time.deadline, conn.preview_channel.lock())
            .await
            .map_err(|_| SourceError::timeout_while(timeout, "waiting for the preview loop"))?;
        let mut channel = match slot.take() {
            Some(c) => c,
            None => self.start_preview(&conn, time).await?,
        };
        let nonce = new_nonce();
        let mut line = format!("{nonce} ");
        for b in target.bytes() {
            let _ = write!(line, "\\0{b:03o}");
        }
        line.push('\n');
        let sent = channel.ch.send(line.as_bytes()).await;
        sent.map_err(|e| SourceError::Remote(format!("the preview loop failed: {e}").into()))?;
        let end = end_marker(&nonce);
        let (mut out, mut stderr) = (Vec::new(), Vec::new());
        let read = timeout_at(
            time.deadline,
            read_channel(&mut channel.ch, &mut out, &mut stderr, Some(&end)),
        )
        .await;
        match read {
            Ok(Ok(ReadEnd::Complete)) => {}
            Ok(Ok(ReadEnd::PeerEnded { .. })) => {
                return Err(SourceError::Remote("the preview loop ended".into()))
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(SourceError::timeout_while(
                    timeout,
                    format!("waiting for a preview from {}", self.target),
                ))
            }
        }
        // In step: keep the channel for the next refresh.
        *slot = Some(channel);
        let start = format!("\nNAVI-{nonce} P\n").into_bytes();
        let text = out
            .windows(start.len())
            .position(|w| w == start.as_slice())
            .map(|at| &out[at + start.len()..out.len() - end.len()])
            .unwrap_or_default();
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    async fn start_preview(
        &self,
        conn: &Arc<Connection>,
        time: PollTime,
    ) -> Result<PreviewChannel, SourceError> {
        let mut ch = open_channel(conn, &self.target, time.deadline, time.allowed).await?;
        let line = RemoteCommand::new(PREVIEW_LOOP)
            .to_command_line()
            .map_err(|e| SourceError::Other(e.to_string().into()))?;
        ch.exec(line).await.map_err(|e| {
            SourceError::Remote(format!("cannot start the preview loop: {e}").into())
        })?;
        Ok(PreviewChannel { ch })
    }
}
