//! Whether the tmux server a status file names is gone from its remote.
//!
//! When a server's last session ends, tmux exits and removes its socket: its rows can no
//! longer be asked about, yet they ended. The hook records the server's pid, so navi asks
//! the remote whether that pid still runs: `/proc/PID` absent (or a zombie), on a remote
//! that has `/proc`, is the positive evidence core's rule takes
//! ([`TmuxView::gone_pids`](navi_core::statusdir::liveness::TmuxView::gone_pids)). Where
//! `/proc` is missing nothing is reported gone, so the rows stay unknown. A pid found gone
//! is remembered for the source's life: it is asked once.

use std::collections::BTreeSet;
use std::time::Duration;

use navi_core::statusdir::liveness::TmuxServer;

use crate::pool::Pool;

/// The check, run framed (what a login shell prints cannot pass for a pid); operands are
/// pids (navi formats them: digits only).
const BODY: &str = include_str!("scripts/gone.sh");

/// `pid_gone PID`, shared with the dismiss script.
pub(crate) const PID_GONE: &str = include_str!("scripts/pid_gone.sh");

/// Which of `pids` no longer run on the remote (see the module docs); empty when that
/// cannot be told.
pub(crate) async fn gone_pids(
    pool: &Pool,
    sessions_dir: &str,
    pids: &BTreeSet<i64>,
    timeout: Duration,
) -> BTreeSet<i64> {
    let nonce = crate::remote::new_nonce();
    let cmd = pids.iter().fold(
        crate::framed::command(
            &nonce,
            sessions_dir,
            &TmuxServer::Default,
            &format!("{PID_GONE}\n{BODY}"),
        ),
        |c, p| c.arg(p.to_string()),
    );
    match crate::framed::run(pool, &cmd, &nonce, b"", timeout, 64 * 1024).await {
        Ok(out) if out.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().parse::<i64>().ok())
            .filter(|p| pids.contains(p))
            .collect(),
        Ok(out) => {
            tracing::debug!("the tmux server check failed: {}", out.reason());
            BTreeSet::new()
        }
        Err(e) => {
            tracing::debug!("the tmux server check failed: {e}");
            BTreeSet::new()
        }
    }
}
