//! Writing a remote session's marks: a compare-and-swap over the pooled connection.
//!
//! The remote has no JSON parser, so the operation is applied here: one command reads
//! `.navi/marks/<name>.json`, the operations are applied to what it printed, and a
//! second command replaces the file with the result only if the file still holds exactly
//! what was read. That check and the rename run under the session's marks lock
//! (`flock` on `.navi/marks/.<name>.lock`, the lock a local `navi mark` on that machine
//! takes too) when the `flock` utility exists there; otherwise under a directory lock
//! (`mkdir` of `.navi/marks/.<name>.lock.d`, holding its owner's pid: a lock whose
//! owner is gone is broken, a wait is bounded and its end an error naming the lock).
//! That lock keeps navis writing over SSH from losing each other's writes; it is not
//! the `flock` a `navi mark` run on that machine itself takes. A write that finds the file
//! changed exits [`EXIT_CONFLICT`] and is retried from a fresh read, so no other
//! writer's operation is ever overwritten (see [`navi_core::Marks`]).
//!
//! Both commands are framed ([`crate::framed`]): a login shell's greeting is never
//! taken for the file's content (which would make every comparison fail). Marks belong
//! to a session navi shows: both refuse a session without a status file, so no orphan
//! marks file is ever made.

use navi_core::statusdir::layout;
use navi_core::{
    check_ops, describe_marks, now_seconds, this_host, ActionOutput, MarkOp, Marks, SessionName,
    SourceError, MAX_MARKS_FILE_BYTES,
};

use crate::actions::On;
use crate::framed::EXIT_CONFLICT;

/// Compare-and-swap attempts before giving up.
const ATTEMPTS: u32 = 12;

/// Prints `x` and the marks file (`$d/$2`, up to `$3` bytes) when there is one, nothing
/// when there is none; refuses (exit 8) when the session has no status file (`$d/$1`):
/// marks belong to a session navi shows.
const READ: &str = include_str!("scripts/marks_read.sh");

/// Operands: `$1` the marks directory, `$2` the marks file, `$3` its lock, `$4` a temp
/// name (all relative to `$d`), `$5` the mode, `$6` the expected content, `$7` the
/// status file. Mode `1`: the file must still hold exactly `$6`; `0`: there must still
/// be none; `2`: it was over the cap or held a NUL (replaced whatever it holds: only such
/// a broken file is written without the comparison). stdin: the new content, empty to
/// remove the file. Exit 4: the file changed; 8: the status file went meanwhile.
const SWAP: &str = include_str!("scripts/marks_swap.sh");

/// Applies `ops` to `session`'s marks on the remote (see the module docs).
pub(crate) async fn apply(
    on: &On<'_>,
    session: &SessionName,
    ops: &[MarkOp],
) -> Result<ActionOutput, SourceError> {
    check_ops(session.as_str(), ops).map_err(|e| SourceError::Other(e.into()))?;
    let what = format!("mark {session}");
    let host = this_host();
    let status = layout::status_rel(session);
    let marks = layout::marks_rel(session);
    for attempt in 0..ATTEMPTS {
        let old = read(on, session, &what).await?;
        // Compared byte for byte when the shell can hold it (no NUL, within the cap);
        // an unreadable file counts as no marks (`Marks::apply_to_file`).
        let comparable = old
            .as_deref()
            .map(|b| b.len() as u64 <= MAX_MARKS_FILE_BYTES && !b.contains(&0));
        let new = Marks::apply_to_file(old.as_deref(), ops, now_seconds(), &host).map_err(|e| {
            SourceError::Other(format!("cannot {what} on {}: {e}", on.remote).into())
        })?;
        let (mode, expected) = match comparable {
            None => ("0", Vec::new()),
            Some(true) => ("1", old.unwrap_or_default()),
            Some(false) => ("2", Vec::new()),
        };
        let stdin = new.clone().unwrap_or_default();
        let out = on
            .run_framed(
                SWAP,
                &[
                    layout::MARKS_DIR.as_bytes(),
                    marks.as_bytes(),
                    layout::marks_lock_rel(session).as_bytes(),
                    layout::temp_rel("marks").as_bytes(),
                    mode.as_bytes(),
                    &expected,
                    status.as_bytes(),
                ],
                &stdin,
                4096,
            )
            .await?;
        match out.status {
            0 => {
                let marks = new.and_then(|b| Marks::parse(&b).ok()).unwrap_or_default();
                let done = describe_marks(session.as_str(), &marks);
                return Ok(ActionOutput::Done(format!("{done} on {}", on.remote)));
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
            "cannot {what} on {}: the marks file kept changing ({ATTEMPTS} attempts)",
            on.remote
        )
        .into(),
    ))
}

/// The marks file's bytes (up to one past the cap), `None` when there is none.
async fn read(
    on: &On<'_>,
    session: &SessionName,
    what: &str,
) -> Result<Option<Vec<u8>>, SourceError> {
    let cap = (MAX_MARKS_FILE_BYTES + 1).to_string();
    let max = usize::try_from(MAX_MARKS_FILE_BYTES).unwrap_or(usize::MAX) + 2;
    let out = on
        .run_framed(
            READ,
            &[
                layout::status_rel(session).as_bytes(),
                layout::marks_rel(session).as_bytes(),
                cap.as_bytes(),
            ],
            b"",
            max,
        )
        .await?;
    if !out.success() {
        return Err(on.failure(what, session, &out));
    }
    Ok(out.stdout.strip_prefix(b"x").map(<[u8]>::to_vec))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framed::{command, tests::run_chatty};
    use navi_core::statusdir::liveness::TmuxServer;

    /// Runs the swap script through a local `sh` behind a greeting login shell, as the
    /// remote would; the body's exit status.
    fn swap(dir: &std::path::Path, mode: &str, expected: &[u8], new: &[u8]) -> u32 {
        let name = SessionName::existing("a b").unwrap();
        let cmd = command("n0", dir.to_str().unwrap(), &TmuxServer::Default, SWAP)
            .arg(layout::MARKS_DIR)
            .arg(layout::marks_rel(&name))
            .arg(layout::marks_lock_rel(&name))
            .arg(layout::temp_rel("marks"))
            .arg(mode)
            .arg(expected)
            .arg(layout::status_rel(&name));
        run_chatty(&cmd, "n0", new).status
    }

    fn read(dir: &std::path::Path) -> (u32, Vec<u8>) {
        let name = SessionName::existing("a b").unwrap();
        let cmd = command("n1", dir.to_str().unwrap(), &TmuxServer::Default, READ)
            .arg(layout::status_rel(&name))
            .arg(layout::marks_rel(&name))
            .arg("100");
        let f = run_chatty(&cmd, "n1", b"");
        (f.status, f.stdout)
    }

    #[test]
    fn the_swap_writes_only_over_what_was_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".navi/marks/a b.json");
        // No status file: no marks (an orphan marks file is never made).
        assert_eq!(swap(dir.path(), "0", b"", b"one\n"), 8);
        assert_eq!(read(dir.path()).0, 8);
        assert!(!file.exists());
        std::fs::write(dir.path().join("a b.json"), "{}").unwrap();
        assert_eq!(read(dir.path()), (0, Vec::new()));
        assert_eq!(swap(dir.path(), "0", b"", b"one\n"), 0);
        assert_eq!(std::fs::read(&file).unwrap(), b"one\n");
        // What a greeting login shell printed is not part of what was read.
        assert_eq!(read(dir.path()), (0, b"xone\n".to_vec()));
        // Someone wrote since: "there was none" and a stale content both conflict.
        assert_eq!(swap(dir.path(), "0", b"", b"two\n"), 4);
        assert_eq!(swap(dir.path(), "1", b"one", b"two\n"), 4);
        assert_eq!(std::fs::read(&file).unwrap(), b"one\n");
        assert_eq!(swap(dir.path(), "1", b"one\n", b"two\n"), 0);
        assert_eq!(std::fs::read(&file).unwrap(), b"two\n");
        // Empty new content removes the file; a broken file is replaced unconditionally.
        assert_eq!(swap(dir.path(), "1", b"two\n", b""), 0);
        assert!(!file.exists());
        std::fs::write(&file, "x").unwrap();
        assert_eq!(swap(dir.path(), "2", b"", b"three\n"), 0);
        assert_eq!(std::fs::read(&file).unwrap(), b"three\n");
        let hidden: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .chain(std::fs::read_dir(dir.path().join(".navi/marks")).unwrap())
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".tmp"))
            .collect();
        assert!(hidden.is_empty(), "no temp file left: {hidden:?}");
    }
}
