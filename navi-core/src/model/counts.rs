//! [`Counts`]: how many sessions of each kind a snapshot holds.

use std::sync::Arc;

use crate::{SessionInfo, Status};

/// Session counts over the whole snapshot (not just the filtered rows).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Every session.
    pub total: usize,
    /// Sessions on this machine.
    pub local: usize,
    /// Sessions on remotes.
    pub remote: usize,
    /// Live sessions that need the user (permission, waiting, or an agent waiting); stale
    /// rows are counted in `stale` only.
    pub attention: usize,
    /// Sessions working.
    pub working: usize,
    /// Last-known sessions of unavailable sources.
    pub stale: usize,
    /// Sessions whose status is `offline`.
    pub offline: usize,
    /// Rows currently shown.
    pub shown: usize,
}

impl Counts {
    /// The counts of `sessions` (`shown` left at 0).
    pub fn of(sessions: &[Arc<SessionInfo>]) -> Counts {
        let mut c = Counts::default();
        for s in sessions {
            c.total += 1;
            if s.remote.is_some() {
                c.remote += 1;
            } else {
                c.local += 1;
            }
            if s.stale || s.is_ended() {
                // Counted apart: last-known data of an unavailable source, or a file
                // whose tmux session has ended.
            } else if s.attention() {
                c.attention += 1;
            } else if s.status == Status::Working {
                c.working += 1;
            }
            if s.stale {
                c.stale += 1;
            }
            if s.status == Status::Offline {
                c.offline += 1;
            }
        }
        c
    }
}
