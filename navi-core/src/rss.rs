//! Memory per session: the resident memory (RSS) of every process of the session's tmux
//! panes and their descendants (Claude and its children), in the Go navi's meaning of
//! `metrics.resource.rss_bytes` (its PBI-57 sums the RSS of each pane's process tree).
//!
//! It is sampled on the session's machine, at most every
//! [`MEMORY_SAMPLE`](crate::limits::MEMORY_SAMPLE): by the local source for this machine,
//! by a remote's push loop for that remote (one pane listing per tmux server, one
//! process table: Linux `/proc/*/status` here, `/proc/*/stat` on a remote, else `ps -A -o
//! pid= -o ppid= -o rss=`). A new
//! value replaces the one held only when it changed [`noticeably`](noticeable), so an idle
//! remote sends nothing and the dashboard is not redrawn for a few pages.
//!
//! This module holds what both sides share: the pane format, the readers of a process
//! table, the attribution of processes to sessions, the change rule, and the
//! [`MemoryBook`] that holds the values shown.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::statusdir::liveness::TmuxServer;
use crate::SessionInfo;

/// The `-F` format of `tmux list-panes -a` that [`parse_panes`] reads: the pane's pid,
/// then its session's name (last: a name may hold spaces; tmux escapes control
/// characters, so one pane is one line).
pub const PANE_FORMAT: &str = "#{pane_pid} #{session_name}";

/// A change of more than this many bytes is noticeable (32 MiB).
pub const NOTICEABLE_BYTES: u64 = 32 * 1024 * 1024;
/// A change of more than this percentage of the value held is noticeable.
pub const NOTICEABLE_PERCENT: u64 = 10;

/// One session's memory as sampled on its machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemorySample {
    /// RSS of the panes' process trees, bytes.
    pub rss_bytes: u64,
    /// Unix seconds the value was taken (a later sample within the change rule keeps it).
    pub sampled_at: i64,
}

/// Whether `now` differs from `held` by more than [`NOTICEABLE_BYTES`] or
/// [`NOTICEABLE_PERCENT`] of `held`.
pub fn noticeable(held: u64, now: u64) -> bool {
    let d = u128::from(held.abs_diff(now));
    d > u128::from(NOTICEABLE_BYTES) || d * 100 > u128::from(held) * u128::from(NOTICEABLE_PERCENT)
}

/// One process: its parent and its resident memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proc {
    /// Parent pid.
    pub ppid: u32,
    /// Resident memory, bytes.
    pub rss_bytes: u64,
}

/// The machine's processes by pid.
pub type ProcTable = HashMap<u32, Proc>;

/// Reads `ps -A -o pid= -o ppid= -o rss=` (RSS in KiB): lines of three numbers; any
/// other line is ignored.
pub fn parse_ps(text: &str) -> ProcTable {
    let mut table = ProcTable::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (Some(pid), Some(ppid), Some(rss), None) = (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let (Ok(pid), Ok(ppid), Ok(kib)) = (pid.parse(), ppid.parse(), rss.parse::<u64>()) else {
            continue;
        };
        table.insert(
            pid,
            Proc {
                ppid,
                rss_bytes: kib.saturating_mul(1024),
            },
        );
    }
    table
}

/// Reads one `/proc/PID/status`: its `Pid`, `PPid` and `VmRSS` (kB; none for a kernel
/// thread: 0). `None` without a pid or parent.
pub fn parse_proc_status(text: &str) -> Option<(u32, Proc)> {
    let (mut pid, mut ppid, mut kib) = (None, None, 0u64);
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let (key, value) = (f.next(), f.next().and_then(|v| v.parse::<u64>().ok()));
        match (key, value) {
            (Some("Pid:"), Some(v)) => pid = u32::try_from(v).ok(),
            (Some("PPid:"), Some(v)) => ppid = u32::try_from(v).ok(),
            (Some("VmRSS:"), Some(v)) => kib = v,
            _ => {}
        }
    }
    Some((
        pid?,
        Proc {
            ppid: ppid?,
            rss_bytes: kib.saturating_mul(1024),
        },
    ))
}

/// Reads a `tmux list-panes -a -F PANE_FORMAT` answer: `(pane pid, session name)` each;
/// lines that do not fit are ignored.
pub fn parse_panes(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|line| {
            let (pid, name) = line.split_once(' ')?;
            Some((pid.parse().ok()?, name.to_string()))
        })
        .collect()
}

/// The deepest process tree walked up from a process to its pane (a loop in a table
/// read while processes come and go must not hang the walk).
const MAX_DEPTH: usize = 256;

/// The RSS of each session of `panes`: every process of `procs` counts for the pane it
/// descends from (the nearest one, the pane's own process included). A session none of
/// whose pane processes is in the table is left out (unknown, not zero).
pub fn session_rss(panes: &[(u32, String)], procs: &ProcTable) -> BTreeMap<String, u64> {
    let owner: HashMap<u32, &str> = panes.iter().map(|(p, s)| (*p, s.as_str())).collect();
    let mut out: BTreeMap<String, u64> = BTreeMap::new();
    for (pid, s) in panes {
        if procs.contains_key(pid) {
            out.entry(s.clone()).or_insert(0);
        }
    }
    for (pid, proc_) in procs {
        let mut at = *pid;
        for _ in 0..MAX_DEPTH {
            if let Some(session) = owner.get(&at) {
                if let Some(sum) = out.get_mut(*session) {
                    *sum = sum.saturating_add(proc_.rss_bytes);
                }
                break;
            }
            match procs.get(&at) {
                Some(p) if p.ppid != at && p.ppid > 0 => at = p.ppid,
                _ => break,
            }
        }
    }
    out
}

/// A session as the sampler names it: its tmux server and its name there.
pub type SessionPlace = (TmuxServer, String);

/// The memory values shown, one per session, changed only noticeably.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryBook {
    held: BTreeMap<SessionPlace, MemorySample>,
}

impl MemoryBook {
    /// Takes a whole sample made at `at` (unix seconds): a value held is replaced only
    /// when the new one is noticeably different; a session the sample lacks is dropped.
    /// `true` when anything shown changed.
    pub fn take(&mut self, sample: BTreeMap<SessionPlace, u64>, at: i64) -> bool {
        let before = self.held.len();
        self.held.retain(|k, _| sample.contains_key(k));
        let mut changed = self.held.len() != before;
        for (place, rss_bytes) in sample {
            match self.held.get(&place) {
                Some(h) if !noticeable(h.rss_bytes, rss_bytes) => {}
                _ => {
                    self.held.insert(
                        place,
                        MemorySample {
                            rss_bytes,
                            sampled_at: at,
                        },
                    );
                    changed = true;
                }
            }
        }
        changed
    }

    /// Sets (`Some`) or forgets (`None`) one session's value, as a remote sent it.
    pub fn set(&mut self, place: SessionPlace, rss_bytes: Option<u64>, at: i64) {
        match rss_bytes {
            Some(rss_bytes) => {
                self.held.insert(
                    place,
                    MemorySample {
                        rss_bytes,
                        sampled_at: at,
                    },
                );
            }
            None => {
                self.held.remove(&place);
            }
        }
    }

    /// The value held for the session of row `s` (its recorded server, its name).
    pub fn get(&self, s: &SessionInfo) -> Option<MemorySample> {
        self.held
            .get(&(TmuxServer::of(s), s.tmux_session.clone()))
            .copied()
    }

    /// Gives every row of `sessions` its value, when one is held (a row is copied only
    /// when its value changes).
    pub fn attach(&self, sessions: &mut [std::sync::Arc<SessionInfo>]) {
        for s in sessions {
            if let Some(m) = self.get(s) {
                if s.memory != Some(m) {
                    std::sync::Arc::make_mut(s).set_memory(m);
                }
            }
        }
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_change_rule() {
        const MIB: u64 = 1024 * 1024;
        assert!(!noticeable(100 * MIB, 109 * MIB));
        assert!(noticeable(100 * MIB, 111 * MIB));
        assert!(noticeable(100 * MIB, 89 * MIB));
        assert!(!noticeable(1000 * MIB, 1030 * MIB), "3 % and 30 MiB");
        assert!(noticeable(1000 * MIB, 1033 * MIB), "over 32 MiB");
        assert!(noticeable(0, 1));
        assert!(!noticeable(u64::MAX, u64::MAX));
    }

    #[test]
    fn processes_count_for_their_nearest_pane() {
        // 10 (pane of a) -> 11 -> 12; 20 (pane of b) -> 21; 30 unrelated; 40 a loop.
        let ps = "  10  1  100\n 11 10 2000\n12 11 300\n20 1 50\n21 20 7\n30 1 9999\n\
                  40 41 5\n41 40 5\nPID PPID RSS\n1 2 x\n13 12\n";
        let procs = parse_ps(ps);
        assert_eq!(procs.len(), 8);
        let panes = parse_panes("10 a\n20 b c\n99 gone\nx y\n21 nested\n");
        let got = session_rss(&panes, &procs);
        let want: BTreeMap<String, u64> = [
            ("a".to_string(), 2400 * 1024),
            ("b c".to_string(), 50 * 1024),
            ("nested".to_string(), 7 * 1024),
        ]
        .into();
        assert_eq!(got, want, "a session whose pane is gone is left out");
    }

    #[test]
    fn proc_status_is_read() {
        let text = "Name:\tPid: 99 ) x\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t7\n\
                    Pid:\t7\nPPid:\t3\nVmRSS:\t   1234 kB\n";
        assert_eq!(
            parse_proc_status(text),
            Some((
                7,
                Proc {
                    ppid: 3,
                    rss_bytes: 1234 * 1024
                }
            ))
        );
        let kernel = "Name:\tkthreadd\nPid:\t2\nPPid:\t0\n";
        assert_eq!(parse_proc_status(kernel).map(|p| p.1.rss_bytes), Some(0));
        assert_eq!(parse_proc_status("Name:\tx\n"), None);
    }

    #[test]
    fn the_book_keeps_a_value_until_it_changes_noticeably() {
        const MIB: u64 = 1024 * 1024;
        let place = (TmuxServer::Default, "api".to_string());
        let mut book = MemoryBook::default();
        assert!(book.take([(place.clone(), 100 * MIB)].into(), 5));
        assert!(!book.take([(place.clone(), 105 * MIB)].into(), 15));
        let row = SessionInfo {
            tmux_session: "api".into(),
            ..SessionInfo::default()
        };
        assert_eq!(
            book.get(&row),
            Some(MemorySample {
                rss_bytes: 100 * MIB,
                sampled_at: 5
            })
        );
        assert!(book.take([(place.clone(), 200 * MIB)].into(), 25));
        assert_eq!(book.get(&row).map(|m| m.sampled_at), Some(25));
        assert!(book.take(BTreeMap::new(), 35), "gone");
        assert!(book.is_empty());
    }
}
