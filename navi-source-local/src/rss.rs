//! Memory per session on this machine (see [`navi_core::rss`]): on a poll, at most every
//! [`MEMORY_SAMPLE`], one `tmux list-panes -a` per tmux server the rows name and one
//! process table (Linux: `/proc/*/status`; elsewhere one `ps -A -o pid=,ppid=,rss=`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use navi_core::limits::{MEMORY_PS, MEMORY_SAMPLE};
use navi_core::rss::{self, MemoryBook, ProcTable, SessionPlace};
use navi_core::statusdir::liveness::TmuxView;
use navi_core::SessionInfo;

use crate::actions::Tmux;
use crate::process::output_within;

/// The values shown and when the last sample was taken.
#[derive(Debug, Default)]
pub(crate) struct Sampler {
    last: Option<Instant>,
    book: MemoryBook,
}

impl Sampler {
    /// Samples when the last sample is [`MEMORY_SAMPLE`] old (by `now`), then gives the
    /// rows of `sessions` the values held.
    pub(crate) fn attach(
        &mut self,
        tmux: &Tmux,
        sessions: &mut [std::sync::Arc<SessionInfo>],
        now: Instant,
    ) {
        let due = self
            .last
            .is_none_or(|t| now.saturating_duration_since(t) >= MEMORY_SAMPLE);
        if due && !sessions.is_empty() {
            self.last = Some(now);
            if let Some(sample) = sample(tmux, sessions) {
                self.book.take(sample, navi_core::now_seconds());
            }
        }
        self.book.attach(sessions);
    }
}

/// One sample of the sessions of every server `sessions` name; `None` when no process
/// table can be read (memory stays as it was).
fn sample(
    tmux: &Tmux,
    sessions: &[std::sync::Arc<SessionInfo>],
) -> Option<BTreeMap<SessionPlace, u64>> {
    let procs = process_table()?;
    let mut out = BTreeMap::new();
    for server in TmuxView::servers_to_ask(sessions) {
        let Ok(listing) =
            tmux.for_server(&server)
                .run(&["list-panes", "-a", "-F", rss::PANE_FORMAT])
        else {
            continue;
        };
        let panes = rss::parse_panes(&listing);
        for (name, bytes) in rss::session_rss(&panes, &procs) {
            out.insert((server.clone(), name), bytes);
        }
    }
    Some(out)
}

/// Every process of this machine: `/proc` where there is one, else `ps`.
pub(crate) fn process_table() -> Option<ProcTable> {
    let proc_fs = Path::new("/proc");
    if proc_fs.join("self/status").exists() {
        let mut table = ProcTable::new();
        for entry in std::fs::read_dir(proc_fs).ok()?.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            // A process that ended since the listing is simply not counted.
            if let Ok(text) = std::fs::read_to_string(entry.path().join("status")) {
                if let Some((pid, p)) = rss::parse_proc_status(&text) {
                    table.insert(pid, p);
                }
            }
        }
        return Some(table);
    }
    let mut ps = Command::new("ps");
    ps.args(["-A", "-o", "pid=", "-o", "ppid=", "-o", "rss="]);
    let out = output_within(ps, MEMORY_PS).ok()?;
    out.status
        .success()
        .then(|| rss::parse_ps(&String::from_utf8_lossy(&out.stdout)))
}
