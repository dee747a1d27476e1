//! Following a rename made in tmux itself (prefix-`$`, `tmux rename-session`) on a
//! remote: the status file (and its marks) move to the session's new name, as the local
//! source does (see [`navi_core::PollReport::decide_liveness`]).
//!
//! The move is the remote `Rename` action's: the file is read, rewritten here (the remote
//! has no JSON parser: only `tmux_session` changes, every other field is kept), and
//! written back by a compare-and-swap under the hook's lock. The swap writes the new
//! name's file only while the old one still holds exactly what was read (its `cksum`),
//! and never over a file the new name already has: it links the new file into place
//! (`ln` refuses an existing name), so even a writer that takes no lock is never
//! overwritten. The marks move the same way, only when the new name has none.
//!
//! Nothing here is fatal to the poll that found the rename: a failure is logged and the
//! next poll tries again (the row is live meanwhile, under its old name).

use std::time::Duration;

use navi_core::statusdir::layout;
use navi_core::{Follow, PollReport, SessionName, SourceError, MAX_STATUS_FILE_BYTES};

use crate::pool::Pool;
use crate::remote::{cksum, new_nonce, records};
use crate::shell::{set_home_path, summarize_remote_output, RemoteCommand};

/// Prints the status file `$2` framed by nonce `$3` (`F` record), nothing when there is
/// none; one byte past the cap, so an oversize file is seen.
const READ: &str = include_str!("scripts/follow_read.sh");

/// The swap. Operands: `$2`/`$3` the old and new status files, `$4`/`$5` their locks,
/// `$6` the old file's `cksum` as read (`CRC SIZE`), `$7`/`$8` the old and new marks
/// files, `$9` `1` to move the status file (stdin: its new content) then the marks, `0`
/// to move only the marks (the new name's file exists: the hook writes it already).
///
/// Exit 0: moved; 6: the old file is gone (nothing to follow); 5: the new name has a
/// file (never overwritten); 4: the old file changed since it was read; 7: no `cksum`
/// there; 3: a write failed.
const SWAP: &str = include_str!("scripts/follow_swap.sh");

/// Exit statuses of [`SWAP`].
const GONE: u32 = 6;
const TAKEN: u32 = 5;
const CHANGED: u32 = 4;
const NO_CKSUM: u32 = 7;

/// Sets `$d` to the status directory (`$1`, `~` meaning the remote user's home).
fn script(body: &str) -> String {
    format!("{}\n{body}", set_home_path("d", 1))
}

/// Moves the files of every `follows` entry on the remote whose status directory is
/// `sessions_dir`, and shows each moved row under its new name in `report`. Failures are
/// logged; the poll goes on.
pub(crate) async fn follow_renames(
    pool: &Pool,
    remote: &str,
    sessions_dir: &str,
    timeout: Duration,
    report: &mut PollReport,
    follows: &[Follow],
) {
    for f in follows {
        let (from, to) = (f.from.as_str(), f.to.as_str());
        let row = report.sessions.iter().find(|s| s.tmux_session == from);
        if !f.move_file && row.is_none_or(|s| s.marks.is_empty()) {
            // Only marks would move, and there are none: no command for the rows this
            // follow leaves over, poll after poll, until they are cleaned up.
            continue;
        }
        match follow(pool, sessions_dir, timeout, f).await {
            Ok(true) if f.move_file => {
                if let Some(s) = report.sessions.iter_mut().find(|s| s.tmux_session == from) {
                    std::sync::Arc::make_mut(s).tmux_session = to.to_string();
                }
                tracing::info!(remote, from, to, "followed a rename made in tmux");
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(remote, from, to, "cannot follow a rename made in tmux: {e}");
            }
        }
    }
}

/// One follow: `Ok(true)` when the files moved, `Ok(false)` when there was nothing to
/// move (the old file went, or the new name has one now: the next poll decides again).
async fn follow(
    pool: &Pool,
    sessions_dir: &str,
    timeout: Duration,
    f: &Follow,
) -> Result<bool, SourceError> {
    let (stdin, sum) = match f.move_file {
        false => (Vec::new(), String::new()),
        true => match read(pool, sessions_dir, timeout, &f.from).await? {
            None => return Ok(false),
            Some(old) => {
                let sum = format!("{} {}", cksum(&old), old.len());
                (rewrite(&old, &f.to), sum)
            }
        },
    };
    let cmd = RemoteCommand::new(&script(SWAP))
        .arg(sessions_dir)
        .arg(layout::status_rel(&f.from))
        .arg(layout::status_rel(&f.to))
        .arg(layout::lock_rel(&f.from))
        .arg(layout::lock_rel(&f.to))
        .arg(sum)
        .arg(layout::marks_rel(&f.from))
        .arg(layout::marks_rel(&f.to))
        .arg(if f.move_file { "1" } else { "0" });
    let out = pool.run(&cmd, &stdin, timeout, 64 * 1024).await?;
    match out.status {
        Some(0) => Ok(true),
        Some(GONE | TAKEN) => Ok(false),
        Some(CHANGED) => Err(SourceError::Remote(
            "the status file changed while it was moved; the next poll tries again".into(),
        )),
        Some(NO_CKSUM) => Err(SourceError::Remote(
            "the remote has no `cksum`, which the move needs to check the file".into(),
        )),
        status => {
            let said = summarize_remote_output(&out.stderr, 300);
            Err(SourceError::Remote(
                format!(
                    "the move failed (exit status {}){}",
                    status.map_or("none".into(), |s| s.to_string()),
                    if said.is_empty() {
                        String::new()
                    } else {
                        format!(": {said}")
                    }
                )
                .into(),
            ))
        }
    }
}

/// The status file of `name` as it is there, framed so nothing a login shell prints
/// reaches it; `None` when there is none.
async fn read(
    pool: &Pool,
    sessions_dir: &str,
    timeout: Duration,
    name: &SessionName,
) -> Result<Option<Vec<u8>>, SourceError> {
    let nonce = new_nonce();
    let cap = MAX_STATUS_FILE_BYTES + 1;
    let cmd = RemoteCommand::new(&script(READ))
        .arg(sessions_dir)
        .arg(layout::status_rel(name))
        .arg(&nonce)
        .arg(cap.to_string());
    let max = usize::try_from(cap).unwrap_or(usize::MAX) + 64 * 1024;
    let out = pool.run(&cmd, b"", timeout, max).await?;
    if !out.success() {
        return Err(SourceError::Remote(
            format!(
                "cannot read the status file: {}",
                summarize_remote_output(&out.stderr, 300)
            )
            .into(),
        ));
    }
    let body = records(&out.stdout, &nonce)
        .find(|(kind, _, _)| kind == "F")
        .map(|(_, _, body)| body.to_vec());
    if body
        .as_ref()
        .is_some_and(|b| b.len() as u64 > MAX_STATUS_FILE_BYTES)
    {
        return Err(SourceError::Remote(
            format!("the status file is over the {MAX_STATUS_FILE_BYTES}-byte limit").into(),
        ));
    }
    Ok(body)
}

/// `old` with `tmux_session` set to `to`, every other field kept; a file that is not a
/// JSON object (one the Go hook broke) moves as it is, navi's reader salvages it.
pub(crate) fn rewrite(old: &[u8], to: &SessionName) -> Vec<u8> {
    match serde_json::from_slice::<serde_json::Value>(old) {
        Ok(mut v @ serde_json::Value::Object(_)) => {
            v["tmux_session"] = serde_json::Value::String(to.as_str().to_string());
            serde_json::to_vec_pretty(&v).unwrap_or_else(|_| old.to_vec())
        }
        _ => old.to_vec(),
    }
}

#[cfg(test)]
mod tests;
