//! `Dismiss` on a remote: the status file goes only when its session ended on positive
//! evidence.
//!
//! Two checks, both required:
//!
//! 1. a fresh snapshot (the push loop scans first, see [`Pool::settle`]) decided by core's
//!    one rule ([`navi_core::PollReport::decide_liveness`]): the row must be ended
//!    ([`Liveness::allows_removal`](navi_core::Liveness::allows_removal)); a live row, or
//!    one whose server could not be asked, is refused with the reason;
//! 2. right before `rm`, the remote asks the row's own server once more (`tmux -S` for a
//!    recorded socket): it must answer, and without the session. No tmux on `PATH`, no
//!    server, any tmux error, or the session back under that name refuses, with what
//!    tmux said.
//!
//! The user's dismiss removes the marks too. A name with no status file is an error
//! ("no session named X on dev"), never a success.

use navi_core::statusdir::layout;
use navi_core::statusdir::liveness::TmuxServer;
use navi_core::{limits, ActionOutput, SessionName, SourceError};

use crate::pool::Pool;
use crate::shell::{set_home_path, summarize_remote_output, RemoteCommand};

/// Exit status of a refusal (stderr says why).
const EXIT_REFUSED: u32 = 3;

/// Operands: `$1` the status directory, `$2`..`$5` the status file, its lock, the marks
/// file and its lock (relative), `$6` the exact target `=NAME`, `$7` the recorded socket
/// (empty: the default server), `$8` the name and `$9` the server, for messages, `$10`
/// the recorded server's pid (empty: none), `$11` `keep-marks` for navi's clean-up.
/// A recorded server that does not answer counts as gone only when its pid no longer
/// runs there (`/proc` must exist to tell).
const REMOVE: &str = include_str!("scripts/dismiss.sh");

/// The removal as run: `$d` set from `$1`, `pid_gone`, then [`REMOVE`].
fn remove_script() -> String {
    format!(
        "{}\n{}\n{REMOVE}",
        set_home_path("d", 1),
        crate::gone::PID_GONE
    )
}

/// Dismisses `session` of the remote `remote` (see the module docs).
pub(crate) async fn dismiss(
    pool: &Pool,
    remote: &str,
    sessions_dir: &str,
    session: &str,
    keep_marks: bool,
) -> Result<ActionOutput, SourceError> {
    let refused = |why: String| SourceError::Other(format!("cannot dismiss {why}").into());
    let name = SessionName::existing(session).map_err(|e| refused(format!("on {remote}: {e}")))?;
    // A fresh snapshot: the push loop scans (tmux included) before it is read.
    pool.settle().await;
    let mut report = pool
        .poll(navi_core::Deadline::after(limits::REMOTE_DISMISS))
        .await?;
    if let Some(view) = report.tmux.as_ref() {
        let pids = view.pids_to_check(&report.sessions);
        if !pids.is_empty() {
            let gone =
                crate::gone::gone_pids(pool, sessions_dir, &pids, limits::REMOTE_DISMISS).await;
            if let Some(view) = report.tmux.as_mut() {
                view.gone_pids = gone;
            }
        }
    }
    report.decide_liveness();
    let Some(row) = report.sessions.iter().find(|s| s.tmux_session == session) else {
        let file = format!("/{}", layout::status_rel(&name));
        if let Some(k) = report.skipped.iter().find(|k| k.name.ends_with(&file)) {
            return Err(refused(format!(
                "{session} on {remote}: its status file cannot be read ({}); remove {} by hand",
                k.reason, k.name
            )));
        }
        return Err(no_status_file(&name, remote, sessions_dir));
    };
    if let Err(why) = row.liveness.allows_removal() {
        let hint = match row.liveness.is_live() {
            true => "; kill it instead (x) to end it",
            false => "; nothing was removed",
        };
        return Err(refused(format!("{session} on {remote}: {why}{hint}")));
    }
    let server = TmuxServer::of(row);
    let (socket, at) = match &server {
        TmuxServer::Default => (String::new(), "the default tmux server".to_string()),
        TmuxServer::Socket(s) => (s.clone(), format!("the tmux server at {s}")),
    };
    let cmd = RemoteCommand::new(&remove_script())
        .arg(sessions_dir)
        .arg(layout::status_rel(&name))
        .arg(layout::lock_rel(&name))
        .arg(layout::marks_rel(&name))
        .arg(layout::marks_lock_rel(&name))
        .arg(name.target())
        .arg(socket)
        .arg(session)
        .arg(at)
        .arg(
            row.tmux
                .as_ref()
                .and_then(|t| t.server_pid)
                .filter(|_| server != TmuxServer::Default)
                .map(|p| p.to_string())
                .unwrap_or_default(),
        )
        .arg(if keep_marks { "keep-marks" } else { "" });
    let out = pool
        .run(&cmd, b"", limits::REMOTE_DISMISS, 64 * 1024)
        .await?;
    if out.success() {
        return Ok(ActionOutput::Done(format!(
            "dismissed {session} on {remote}"
        )));
    }
    let said = summarize_remote_output(&out.stderr, 300);
    let said = match said.is_empty() {
        true => format!(
            "exit status {}",
            out.status.map_or("none".into(), |s| s.to_string())
        ),
        false => said,
    };
    Err(match out.status {
        Some(EXIT_REFUSED) if said.starts_with("no session named") => {
            no_status_file(&name, remote, sessions_dir)
        }
        Some(EXIT_REFUSED) => refused(format!("{session} on {remote}: {said}")),
        _ => SourceError::Remote(format!("cannot dismiss {session} on {remote}: {said}").into()),
    })
}

/// A name without a status file: said as `mark` and the local source say it.
fn no_status_file(name: &SessionName, remote: &str, sessions_dir: &str) -> SourceError {
    SourceError::Other(
        format!(
            "no session named {name} on {remote}: no status file {name}.json in {sessions_dir}"
        )
        .into(),
    )
}

#[cfg(test)]
mod tests;
