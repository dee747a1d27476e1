//! When the dashboard draws: only after something visible changed, and at most once per
//! [`FRAME`] (a burst of snapshots becomes one frame). Keys draw at once: they come at
//! the user's pace.

pub use navi_core::limits::FRAME;
use navi_core::Snapshot;
use tokio::time::Instant;

/// Whether a frame is owed, and when the last one was drawn.
#[derive(Debug)]
pub struct Pacer {
    /// Something visible changed since the last frame.
    dirty: bool,
    /// The change answers the user (a key, a resize): draw without waiting.
    urgent: bool,
    last: Option<Instant>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

impl Pacer {
    /// A pacer that owes the first frame.
    pub fn new() -> Pacer {
        Pacer {
            dirty: true,
            urgent: true,
            last: None,
        }
    }

    /// Something visible changed: draw within [`FRAME`] of the last frame.
    pub fn changed(&mut self) {
        self.dirty = true;
    }

    /// The user did something: draw now.
    pub fn changed_now(&mut self) {
        self.dirty = true;
        self.urgent = true;
    }

    /// Whether to draw at `now`.
    pub fn due(&self, now: Instant) -> bool {
        self.dirty && (self.urgent || self.last.is_none_or(|t| now >= t + FRAME))
    }

    /// When the frame held back by the cap is due (`None`: none is owed).
    pub fn next_frame(&self) -> Option<Instant> {
        if !self.dirty {
            return None;
        }
        self.last.map(|t| t + FRAME)
    }

    /// A frame was drawn at `now`.
    pub fn drawn(&mut self, now: Instant) {
        self.dirty = false;
        self.urgent = false;
        self.last = Some(now);
    }
}

/// Whether `a` and `b` show the same: the same sessions (by content) and the same
/// source health. The generation is not compared.
pub fn same_content(a: &Snapshot, b: &Snapshot) -> bool {
    a.sources == b.sources
        && a.sessions.len() == b.sessions.len()
        && a.sessions
            .iter()
            .zip(&b.sessions)
            .all(|(x, y)| std::sync::Arc::ptr_eq(x, y) || x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn frames_are_owed_after_changes_and_capped() {
        let mut p = Pacer::new();
        let t0 = Instant::now();
        assert!(p.due(t0));
        p.drawn(t0);
        assert!(!p.due(t0 + FRAME * 5), "nothing changed");
        assert_eq!(p.next_frame(), None);
        p.changed();
        let soon = t0 + Duration::from_millis(30);
        assert!(!p.due(soon), "within a frame of the last one");
        assert_eq!(p.next_frame(), Some(t0 + FRAME));
        assert!(p.due(t0 + FRAME));
        p.changed_now();
        assert!(p.due(soon), "a key draws at once");
        p.drawn(soon);
        assert!(!p.due(soon + FRAME));
    }
}
