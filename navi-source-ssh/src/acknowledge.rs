//! The Go navi's acknowledge (`d`) of a remote session: its status file rewritten with
//! `status: working`, the message cleared ([`navi_core::acknowledged`]).
//!
//! The remote has no JSON parser, so, as for the marks ([`crate::marks`]), one command
//! reads the file, the change is made here, and a second command replaces the file only
//! if it still holds exactly what was read — under the hook's own lock (`flock` on
//! `.NAME.lock`, the lock `navi hook` on that machine holds while it writes) when the
//! `flock` utility exists there. A file that changed meanwhile (the hook wrote) is read
//! again, so the hook's write is never lost under the acknowledge.

use navi_core::statusdir::layout;
use navi_core::{acknowledged, now_seconds, ActionOutput, SessionName, SourceError};

use crate::actions::On;
use crate::framed::EXIT_CONFLICT;

/// Attempts before giving up on a file that keeps changing.
const ATTEMPTS: u32 = 8;
/// The largest status file acknowledged (it is an operand of the swap; status files are
/// a few KB).
const MAX_FILE: usize = 96 * 1024;

/// Prints `x` and the status file `$d/$1` (up to `$2` bytes); exit 8 without one.
const READ: &str = include_str!("scripts/acknowledge_read.sh");

/// `$1` the status file, `$2` the hook's lock, `$3` a temp name (all relative to `$d`),
/// `$4` the content expected; stdin the new content. Exit 4: the file changed; 8: it is
/// gone.
const SWAP: &str = include_str!("scripts/acknowledge_swap.sh");

/// Acknowledges `session` on the remote (see the module docs).
pub(crate) async fn acknowledge(
    on: &On<'_>,
    session: &SessionName,
) -> Result<ActionOutput, SourceError> {
    let what = format!("acknowledge {session}");
    let status = layout::status_rel(session);
    let cap = (MAX_FILE + 1).to_string();
    for attempt in 0..ATTEMPTS {
        let read = on
            .run_framed(
                READ,
                &[status.as_bytes(), cap.as_bytes()],
                b"",
                MAX_FILE + 2,
            )
            .await?;
        if !read.success() {
            return Err(on.failure(&what, session, &read));
        }
        let old = read.stdout.strip_prefix(b"x").unwrap_or_default();
        if old.len() > MAX_FILE || old.contains(&0) {
            return Err(SourceError::Other(
                format!(
                    "cannot {what} on {}: its status file is too large or not text",
                    on.remote
                )
                .into(),
            ));
        }
        let new = acknowledged(old, now_seconds()).map_err(|e| {
            SourceError::Other(format!("cannot {what} on {}: {e}", on.remote).into())
        })?;
        let out = on
            .run_framed(
                SWAP,
                &[
                    status.as_bytes(),
                    layout::lock_rel(session).as_bytes(),
                    layout::temp_rel("ack").as_bytes(),
                    old,
                ],
                &new,
                4096,
            )
            .await?;
        match out.status {
            0 => {
                return Ok(ActionOutput::Done(format!(
                    "acknowledged {session} on {}",
                    on.remote
                )))
            }
            EXIT_CONFLICT => {
                let pause = 10 + (crate::remote::random_u64() % 40) * u64::from(attempt + 1);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            _ => return Err(on.failure(&what, session, &out)),
        }
    }
    Err(SourceError::Remote(
        format!(
            "cannot {what} on {}: the status file kept changing ({ATTEMPTS} attempts)",
            on.remote
        )
        .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framed::{command, tests::run_chatty};
    use navi_core::statusdir::liveness::TmuxServer;

    fn name() -> SessionName {
        SessionName::existing("a b").unwrap()
    }

    /// Runs `body` with `operands` through a local `sh` behind a greeting login shell.
    fn run(
        dir: &std::path::Path,
        body: &str,
        operands: &[&[u8]],
        stdin: &[u8],
    ) -> crate::framed::Framed {
        let cmd = operands.iter().fold(
            command("n0", dir.to_str().unwrap(), &TmuxServer::Default, body),
            |c, a| c.arg(a),
        );
        run_chatty(&cmd, "n0", stdin)
    }

    #[test]
    fn read_then_swap_replaces_only_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a b.json");
        let old = b"{\"status\":\"permission\",\"message\":\"Bash?\"}\n\n";
        std::fs::write(&file, old).unwrap();
        let status = layout::status_rel(&name());
        let read = run(dir.path(), READ, &[status.as_bytes(), b"1000"], b"");
        assert_eq!(
            read.stdout.strip_prefix(b"x").unwrap(),
            old,
            "trailing newlines kept"
        );
        let lock = layout::lock_rel(&name());
        let swap = |expected: &[u8], new: &[u8]| {
            let ops: [&[u8]; 4] = [status.as_bytes(), lock.as_bytes(), b".tmp-ack", expected];
            run(dir.path(), SWAP, &ops, new).status
        };
        // The hook wrote meanwhile: nothing is replaced.
        assert_eq!(swap(b"{}", b"new"), EXIT_CONFLICT);
        assert_eq!(std::fs::read(&file).unwrap(), old);
        let new = acknowledged(old, 5).unwrap();
        assert_eq!(swap(old, &new), 0);
        assert_eq!(std::fs::read(&file).unwrap(), new);
        std::fs::remove_file(&file).unwrap();
        assert_eq!(swap(&new, b"x"), crate::framed::EXIT_NO_STATUS);
        let read = run(dir.path(), READ, &[status.as_bytes(), b"1000"], b"");
        assert_eq!(read.status, crate::framed::EXIT_NO_STATUS);
    }
}
