//! Running one action script on a remote with its output framed, as the poll's is.
//!
//! sshd hands every command to the remote user's login shell, and that shell may print
//! before it runs anything (`echo Welcome` in `.bashrc`, `config.fish` or `.zshenv`; to
//! stdout or stderr). An action that reads what its script printed (a status file to
//! rewrite, a marks file to compare, a pane) must never take that greeting for data.
//! So every action script is wrapped ([`command`]): after the login shell is done and
//! `sh` runs, the script prints a marker with a fresh random nonce to stdout and to
//! stderr, runs its body, and ends stdout with the body's exit status:
//!
//! ```text
//! stdout: <whatever the login shell printed>\nNAVI-<nonce> BEGIN\n<data>\nNAVI-<nonce> END <status>\n
//! stderr: <whatever the login shell printed>\nNAVI-<nonce> BEGIN\n<the body's messages>
//! ```
//!
//! [`run`] keeps only what follows the markers; output without them (a `nologin` shell,
//! a forced command, a connection cut short) is an error that says what the remote
//! printed instead. The nonce is an operand, so no file content can forge a marker.
//!
//! The wrapper also gives every body the same few things, so no script spells them
//! differently:
//!
//! * `$d`: the status directory (the configured path, `~` meaning the remote user's home).
//!   Every path a body touches is `"$d/$N"` with `$N` an operand from
//!   [`navi_core::statusdir::layout`] (never built from a name in shell).
//! * `tm`: tmux addressing the session's server: `tmux -S "$sock"` for a recorded socket
//!   ([`TmuxServer::Socket`], the socket an operand), plain `tmux` for the default one.
//! * `need TARGET`: returns when that session exists; else exits [`EXIT_NO_SESSION`]
//!   when the server answered without it, or [`EXIT_NO_TMUX`] with tmux's words on
//!   stderr when tmux could not be asked (no tmux on `PATH`, no server at the socket, a
//!   tmux that fails): an action never calls a session missing on a guess.
//!
//! The body's own operands are `"$1"`, `"$2"`, ... as usual (the wrapper's are shifted
//! away).

use std::time::Duration;

use navi_core::statusdir::liveness::TmuxServer;
use navi_core::SourceError;

use crate::pool::Pool;
use crate::shell::{set_home_path, summarize_remote_output, RemoteCommand};

/// The body refused what was asked (its stderr says why: a directory that does not
/// exist, a name already taken, a session still running).
pub(crate) const EXIT_REFUSED: u32 = 3;
/// The marks file changed since it was read (the compare-and-swap lost).
pub(crate) const EXIT_CONFLICT: u32 = 4;
/// The tmux server answered and does not hold the session.
pub(crate) const EXIT_NO_SESSION: u32 = 5;
/// tmux could not be asked; stderr has tmux's (or `sh`'s) words.
pub(crate) const EXIT_NO_TMUX: u32 = 6;
/// A new session's command ended at once (stdout: its exit status, then the pane).
pub(crate) const EXIT_ENDED: u32 = 7;
/// The session has no status file.
pub(crate) const EXIT_NO_STATUS: u32 = 8;

/// What every body runs inside, after the body as the function `body` and the line
/// setting `$d`. The wrapper's operands: `$1` the nonce, `$2` the status directory, `$3` the tmux socket (empty for
/// the default server).
const WRAPPER: &str = include_str!("scripts/framed.sh");

/// The command running `body` framed with `nonce`, in status directory `sessions_dir`,
/// tmux addressing `server`; add the body's operands with [`RemoteCommand::arg`].
pub(crate) fn command(
    nonce: &str,
    sessions_dir: &str,
    server: &TmuxServer,
    body: &str,
) -> RemoteCommand {
    // The body is navi's own script text (a constant of each action); every value
    // reaches it as an operand.
    let script = format!(
        "{}\nbody() {{\n{body}\n}}\n{WRAPPER}",
        set_home_path("d", 2)
    );
    let socket = match server {
        TmuxServer::Default => "",
        TmuxServer::Socket(s) => s.as_str(),
    };
    RemoteCommand::new(&script)
        .arg(nonce)
        .arg(sessions_dir)
        .arg(socket)
}

/// What a framed body printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Framed {
    /// The body's exit status.
    pub(crate) status: u32,
    /// Its stdout, nothing the login shell printed.
    pub(crate) stdout: Vec<u8>,
    /// Its stderr, likewise.
    pub(crate) stderr: Vec<u8>,
}

impl Framed {
    /// Exit status 0.
    pub(crate) fn success(&self) -> bool {
        self.status == 0
    }

    /// The body's stderr as one short line (empty when it said nothing).
    pub(crate) fn said(&self) -> String {
        summarize_remote_output(&self.stderr, 300)
    }

    /// The stderr line, or `exit status N` when the body said nothing.
    pub(crate) fn reason(&self) -> String {
        match self.said() {
            s if s.is_empty() => format!("exit status {}", self.status),
            s => s,
        }
    }
}

/// Room for the markers and a login shell's greeting on top of a body's own output.
const SLACK: usize = 64 * 1024;

/// Runs `cmd` (made by [`command`] with `nonce`) with `stdin`, within `timeout`; the
/// body may print up to `max` bytes.
pub(crate) async fn run(
    pool: &Pool,
    cmd: &RemoteCommand,
    nonce: &str,
    stdin: &[u8],
    timeout: Duration,
    max: usize,
) -> Result<Framed, SourceError> {
    let out = pool
        .run(cmd, stdin, timeout, max.saturating_add(SLACK))
        .await?;
    unframe(&out.stdout, &out.stderr, out.status, nonce)
}

/// The body's part of a framed command's output (see the module docs).
pub(crate) fn unframe(
    stdout: &[u8],
    stderr: &[u8],
    status: Option<u32>,
    nonce: &str,
) -> Result<Framed, SourceError> {
    let begin = format!("\nNAVI-{nonce} BEGIN\n").into_bytes();
    let end = format!("\nNAVI-{nonce} END ").into_bytes();
    let Some(start) = find(stdout, &begin, 0).map(|at| at + begin.len()) else {
        let printed = match summarize_remote_output(stdout, 200) {
            s if s.is_empty() => summarize_remote_output(stderr, 200),
            s => s,
        };
        let exit = status.map_or("none".into(), |s| s.to_string());
        return Err(SourceError::Remote(
            match printed.is_empty() {
                true => format!("the command did not run (exit status {exit}, no output)"),
                false => format!(
                    "the command did not run (exit status {exit}); the remote printed \"{printed}\" \
                     (a login shell that is not a shell, e.g. nologin, or a forced command?)"
                ),
            }
            .into(),
        ));
    };
    let Some(stop) = find(stdout, &end, start) else {
        return Err(SourceError::Remote(
            "the command's output was cut off before its end marker".into(),
        ));
    };
    let tail = &stdout[stop + end.len()..];
    let digits = tail.iter().take_while(|b| b.is_ascii_digit()).count();
    let body_status = std::str::from_utf8(&tail[..digits])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| SourceError::Remote("the command's end marker has no exit status".into()))?;
    let stderr = match find(stderr, &begin, 0) {
        Some(at) => &stderr[at + begin.len()..],
        None => &[][..],
    };
    Ok(Framed {
        status: body_status,
        stdout: stdout[start..stop].to_vec(),
        stderr: stderr.to_vec(),
    })
}

/// The first index of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() || from > hay.len() - needle.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|at| at + from)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    /// Runs `cmd` through a local `sh` as a login shell that greets on stdout and stderr
    /// would (the greeting first, then the command line), with `stdin`; the framed body.
    pub(crate) fn run_chatty(cmd: &RemoteCommand, nonce: &str, stdin: &[u8]) -> Framed {
        let line = cmd.to_command_line().unwrap();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "echo 'Welcome to the box'; echo 'motd on stderr' >&2; {line}"
            ))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let out = child.wait_with_output().unwrap();
        let status = out.status.code().map(|c| c as u32);
        unframe(&out.stdout, &out.stderr, status, nonce).unwrap()
    }

    #[test]
    fn only_the_body_output_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cmd = command(
            "abc123",
            dir.path().to_str().unwrap(),
            &TmuxServer::Default,
            r#"printf '%s|%s|%s' "$d" "$1" "$2"; echo oops >&2; cat; exit 3"#,
        )
        .arg("it's")
        .arg("");
        let f = run_chatty(&cmd, "abc123", b"IN");
        let want = format!("{}|it's|IN", dir.path().display());
        assert_eq!(String::from_utf8_lossy(&f.stdout), want);
        assert_eq!(f.stderr, b"oops\n");
        assert_eq!(f.status, 3);
        assert_eq!(f.reason(), "oops");
    }

    #[test]
    fn need_tells_a_missing_session_from_a_tmux_that_cannot_answer() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("sock");
        let server = TmuxServer::Socket(socket.to_str().unwrap().into());
        let need = |target: &str| {
            let cmd = command("n1", "/nonexistent", &server, r#"need "$1"; echo here"#).arg(target);
            run_chatty(&cmd, "n1", b"")
        };
        // No server at the socket: tmux cannot be asked, and says why.
        let f = need("=a");
        assert_eq!(f.status, EXIT_NO_TMUX, "{f:?}");
        assert!(f.said().contains("error connecting to"), "{f:?}");
        let tmux = |args: &[&str]| {
            Command::new("tmux")
                .arg("-S")
                .arg(&socket)
                .args(args)
                .env_remove("TMUX")
                .output()
                .unwrap()
        };
        assert!(tmux(&["new-session", "-d", "-s", "a", "sleep 60"])
            .status
            .success());
        let f = need("=a");
        assert_eq!((f.status, f.stdout.as_slice()), (0, &b"here\n"[..]));
        let f = need("=b");
        assert_eq!(f.status, EXIT_NO_SESSION, "{f:?}");
        tmux(&["kill-server"]);
    }

    #[test]
    fn output_without_the_markers_is_an_error_that_shows_it() {
        let e = unframe(b"This account is not available\n", b"", Some(1), "n").unwrap_err();
        assert_eq!(e.kind(), "remote");
        assert!(
            e.to_string().contains("This account is not available"),
            "{e}"
        );
        let e = unframe(b"x\nNAVI-n BEGIN\npartial", b"", None, "n").unwrap_err();
        assert!(e.to_string().contains("cut off"), "{e}");
        // Another nonce's markers are data.
        let e = unframe(b"\nNAVI-m BEGIN\n\nNAVI-m END 0\n", b"", Some(0), "n").unwrap_err();
        assert!(e.to_string().contains("did not run"), "{e}");
    }
}
