//! Previews over a long-lived channel: one `sh` loop per connection that answers
//! requests with the pane's text, so a preview refresh costs one round trip and one
//! `tmux capture-pane`, not a new session channel (sshd's session set-up is most of an
//! exec's cost). Any failure drops the channel; the caller falls back to an exec.
//!
//! A request is one line: a hex nonce, then the tmux socket (`-` for the default
//! server), the session target (`=NAME`) and the pane target (`=NAME:`), each written as
//! `\0ddd` octal escapes (only digits and backslashes), decoded by `printf %b`. The
//! answer is framed by that nonce, so what the login shell printed when the loop started
//! (a greeting) is never part of a pane:
//!
//! ```text
//! \nNAVI-<nonce> P\n<the pane>[\nNAVI-<nonce> X <status>\n<tmux's words>]\nNAVI-<nonce> END\n
//! ```
//!
//! `X` comes when the pane could not be read: status 5 when the server answered without
//! the session, 6 when tmux could not be asked (its words follow), 1 otherwise (the exit
//! statuses of [`crate::framed`]).

use std::fmt::Write as _;
use std::sync::Arc;

use navi_core::statusdir::liveness::TmuxServer;
use navi_core::{Deadline, SessionName, SourceError};

use super::channel::{read_channel, start_request_loop, OwnedChannel, ReadEnd};
use super::{Live, Pool};
use crate::budget::Buffer;
use crate::remote::{end_marker, new_nonce};

/// The loop (see the module docs); a pane is its screen and the 50 lines of scrollback
/// above it (`-S -50`, the Go navi's preview), with its colours (`-e`, kept as SGR only
/// by [`navi_core::text::clean_pane_sgr`]). `dec` keeps trailing newlines (`$(...)` would drop
/// them) by decoding with an `x` after the value.
const PREVIEW_LOOP: &str = include_str!("../scripts/preview_loop.sh");

/// What the preview loop answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PaneAnswer {
    /// The pane's text.
    Text(String),
    /// The pane could not be read: an exit status of [`crate::framed`] and tmux's words.
    Failed { status: u32, said: String },
}

/// The preview loop of one connection.
pub(crate) struct PreviewChannel {
    ch: OwnedChannel,
}

impl Pool {
    /// The active pane of session `name` on tmux server `server`, through the
    /// connection's preview loop.
    pub(crate) async fn preview(
        &self,
        server: &TmuxServer,
        name: &SessionName,
        timeout: std::time::Duration,
    ) -> Result<PaneAnswer, SourceError> {
        let time = Deadline::after(timeout);
        let conn = self.get(time).await?;
        let mut slot = Deadline::until(time.instant(), conn.preview_channel.lock())
            .await
            .map_err(|_| SourceError::timeout_while(timeout, "waiting for the preview loop"))?;
        let mut channel = match slot.take() {
            Some(c) => c,
            None => self.start_preview(&conn, time).await?,
        };
        let nonce = new_nonce();
        let socket = match server {
            TmuxServer::Default => None,
            TmuxServer::Socket(s) => Some(s.as_str()),
        };
        let line = request(&nonce, socket, &name.target(), &name.pane_target());
        let sent = channel.ch.send(line.as_bytes()).await;
        sent.map_err(|e| SourceError::Remote(format!("the preview loop failed: {e}").into()))?;
        let end = end_marker(&nonce);
        let (mut out, mut stderr) = (Buffer::new(), Vec::new());
        let ch = &mut channel.ch;
        let read = Deadline::until(
            time.instant(),
            read_channel(ch, &self.target, &mut out, &mut stderr, Some(&end)),
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
        answer(&out, &nonce)
    }

    async fn start_preview(
        &self,
        conn: &Arc<Live>,
        time: Deadline,
    ) -> Result<PreviewChannel, SourceError> {
        let ch = start_request_loop(&conn.conn, &self.target, time, PREVIEW_LOOP, "preview loop")
            .await?;
        Ok(PreviewChannel { ch })
    }
}

/// One request line (see the module docs); `socket` `None` for the default server.
pub(super) fn request(nonce: &str, socket: Option<&str>, target: &str, pane: &str) -> String {
    let encode = |line: &mut String, s: &str| {
        for b in s.bytes() {
            let _ = write!(line, "\\0{b:03o}");
        }
    };
    let mut line = format!("{nonce} ");
    match socket {
        None => line.push('-'),
        Some(s) => encode(&mut line, s),
    }
    line.push(' ');
    encode(&mut line, target);
    line.push(' ');
    encode(&mut line, pane);
    line.push('\n');
    line
}

/// The loop's answer to request `nonce` in `out` (which ends with its end marker); what
/// came before the answer's start (a greeting) is dropped.
fn answer(out: &[u8], nonce: &str) -> Result<PaneAnswer, SourceError> {
    let start = format!("\nNAVI-{nonce} P\n").into_bytes();
    let failed = format!("\nNAVI-{nonce} X ").into_bytes();
    let end = end_marker(nonce);
    let find = |needle: &[u8], from: usize| {
        out.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|at| at + from)
    };
    let (Some(begin), Some(stop)) = (find(&start, 0), find(&end, 0)) else {
        return Err(SourceError::Remote(
            "the preview loop answered without its markers".into(),
        ));
    };
    let body_start = begin + start.len();
    if stop < body_start {
        return Err(SourceError::Remote(
            "the preview loop answered out of order".into(),
        ));
    }
    let body = &out[body_start..stop];
    let Some(at) = find(&failed, body_start).filter(|&at| at < stop) else {
        return Ok(PaneAnswer::Text(String::from_utf8_lossy(body).into_owned()));
    };
    let rest = &out[at + failed.len()..stop];
    let (code, said) = match rest.iter().position(|&b| b == b'\n') {
        Some(nl) => (&rest[..nl], &rest[nl + 1..]),
        None => (rest, &rest[rest.len()..]),
    };
    let status = std::str::from_utf8(code)
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or(1);
    Ok(PaneAnswer::Failed {
        status,
        said: crate::shell::summarize_remote_output(said, 300),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::RemoteCommand;
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    /// Runs the loop through a local `sh` behind a login shell that greets, with the
    /// given request lines; its stdout.
    fn run_loop(requests: &[String]) -> Vec<u8> {
        let line = RemoteCommand::new(PREVIEW_LOOP).to_command_line().unwrap();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("echo Welcome; echo err >&2; {line}"))
            .env_remove("TMUX")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        for r in requests {
            stdin.write_all(r.as_bytes()).unwrap();
        }
        drop(stdin);
        child.wait_with_output().unwrap().stdout
    }

    #[test]
    fn the_loop_answers_each_request_framed_on_the_server_asked() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("s 'q'\n");
        let socket = socket.to_str().unwrap();
        let tmux = |args: &[&str]| {
            Command::new("tmux")
                .arg("-S")
                .arg(socket)
                .args(args)
                .env_remove("TMUX")
                .output()
                .unwrap()
        };
        let name = SessionName::existing("a;b 'x'").unwrap();
        let made = tmux(&[
            "new-session",
            "-d",
            "-s",
            "a;b 'x'",
            "echo hello-pane; sleep 60",
        ]);
        assert!(made.status.success(), "{made:?}");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let missing = SessionName::existing("nothere").unwrap();
        let nobody = dir.path().join("nobody");
        let reqs = [
            request("aa", Some(socket), &name.target(), &name.pane_target()),
            request(
                "bb",
                Some(socket),
                &missing.target(),
                &missing.pane_target(),
            ),
            request("cc", nobody.to_str(), &name.target(), &name.pane_target()),
        ];
        let out = run_loop(&reqs);
        tmux(&["kill-server"]);
        match answer(&out, "aa").unwrap() {
            PaneAnswer::Text(t) => {
                assert!(t.starts_with("hello-pane"), "{t:?}");
                assert!(!t.contains("Welcome"), "{t:?}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            answer(&out, "bb").unwrap(),
            PaneAnswer::Failed {
                status: 5,
                said: String::new()
            }
        );
        match answer(&out, "cc").unwrap() {
            PaneAnswer::Failed { status: 6, said } => {
                assert!(said.contains("error connecting to"), "{said}")
            }
            other => panic!("{other:?}"),
        }
    }
}
