//! One memory budget for what navi holds of remotes' output while reading it.
//!
//! Each read is capped on its own ([`MAX_POLL_OUTPUT`](crate::remote::MAX_POLL_OUTPUT),
//! 16 MiB), but hundreds of remotes answering at once could together hold that many
//! times over (3.2 GiB at 200 remotes). Every read buffer — a poll's snapshot, a preview,
//! a push loop's batch in progress, a command's output — draws its bytes from one
//! process-wide [`Budget`] of [`REMOTE_OUTPUT_BUDGET`] and gives them back when it is
//! dropped. A read that would pass the budget stops with an error naming its remote and
//! the budget: that remote is unavailable for that poll, the others read on, and the
//! next poll tries again.

use std::fmt;
use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};

use navi_core::SourceError;

use crate::target::Target;

/// What all remotes' read buffers may hold together (64 MiB): four whole capped polls,
/// thousands of ordinary ones (a poll's answer is a few KB per session).
pub(crate) const REMOTE_OUTPUT_BUDGET: usize = 64 * 1024 * 1024;

/// The capacity a [`Buffer`] keeps when it shrinks: enough for an ordinary change batch
/// or heartbeat, so the steady state reallocates nothing.
pub(crate) const KEPT_CAPACITY: usize = 4096;

/// The budget every remote's reads draw from.
pub(crate) static REMOTE_OUTPUT: Budget = Budget::new(REMOTE_OUTPUT_BUDGET);

/// Bytes that may be held at once, shared by every [`Buffer`] drawing from it.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    pub(crate) const fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Bytes held now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::SeqCst)
    }

    /// Takes `n` bytes, unless that would pass the limit.
    fn take(&self, n: usize) -> Result<(), Exhausted> {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(n).filter(|&total| total <= self.limit)
            })
            .map(|_| ())
            .map_err(|_| Exhausted { limit: self.limit })
    }

    fn give(&self, n: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                Some(used.saturating_sub(n))
            });
    }
}

/// The budget was used up: nothing was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Exhausted {
    limit: usize,
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "navi's memory budget for remote output ({}, all remotes together) is used up \
             by reads in progress; navi stopped reading this answer and asks again on the \
             next poll",
            size(self.limit)
        )
    }
}

impl Exhausted {
    /// The error of a read from `target` the budget stopped.
    pub(crate) fn on(&self, target: &Target) -> SourceError {
        SourceError::Other(target.detail(self.to_string()))
    }
}

/// `n` bytes for a message: whole MiB when it is some, else bytes.
fn size(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    match n >= MIB && n.is_multiple_of(MIB) {
        true => format!("{} MiB", n / MIB),
        false => format!("{n} bytes"),
    }
}

/// Bytes read from a remote, drawn from a [`Budget`] and given back when dropped.
#[derive(Debug)]
pub(crate) struct Buffer {
    bytes: Vec<u8>,
    budget: &'static Budget,
}

impl Buffer {
    /// An empty buffer drawing from [`REMOTE_OUTPUT`].
    pub(crate) fn new() -> Buffer {
        Buffer::within(&REMOTE_OUTPUT)
    }

    /// An empty buffer drawing from `budget`.
    pub(crate) fn within(budget: &'static Budget) -> Buffer {
        Buffer {
            bytes: Vec::new(),
            budget,
        }
    }

    /// Appends `data`, or nothing when the budget has no room for it.
    pub(crate) fn extend(&mut self, data: &[u8]) -> Result<(), Exhausted> {
        self.budget.take(data.len())?;
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    /// Takes the first `n` bytes out (their budget given back). A buffer that once
    /// held a large read (a full snapshot, a burst of changes) and now holds a quarter
    /// of its capacity or less shrinks to [`KEPT_CAPACITY`] (or what it holds): a
    /// long-lived reader per remote would otherwise keep its largest read's memory for
    /// good, and the budget counts only the bytes held.
    pub(crate) fn take_front(&mut self, n: usize) -> Vec<u8> {
        let n = n.min(self.bytes.len());
        let front: Vec<u8> = self.bytes.drain(..n).collect();
        self.budget.give(n);
        let (len, capacity) = (self.bytes.len(), self.bytes.capacity());
        if capacity > KEPT_CAPACITY && len <= capacity / 4 {
            self.bytes.shrink_to(len.max(KEPT_CAPACITY));
        }
        front
    }

    /// Bytes the buffer can hold without reallocating.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        self.bytes.capacity()
    }

    /// The bytes, no longer counted: the read is over and the caller owns them.
    pub(crate) fn into_vec(mut self) -> Vec<u8> {
        let bytes = std::mem::take(&mut self.bytes);
        self.budget.give(bytes.len());
        bytes
    }
}

impl Deref for Buffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        self.budget.give(self.bytes.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_share_one_budget_and_give_it_back() {
        static SMALL: Budget = Budget::new(10);
        let mut a = Buffer::within(&SMALL);
        let mut b = Buffer::within(&SMALL);
        a.extend(b"123456").unwrap();
        b.extend(b"1234").unwrap();
        assert_eq!(SMALL.used(), 10);
        let full = b.extend(b"5").unwrap_err();
        assert_eq!(&*b, b"1234", "nothing added past the budget");
        assert_eq!(
            full.to_string(),
            "navi's memory budget for remote output (10 bytes, all remotes together) is \
             used up by reads in progress; navi stopped reading this answer and asks again \
             on the next poll"
        );
        assert_eq!(a.take_front(4), b"1234");
        assert_eq!(SMALL.used(), 6);
        b.extend(b"5678").unwrap();
        drop(b);
        assert_eq!(SMALL.used(), 2, "a dropped buffer gives its bytes back");
        assert_eq!(a.into_vec(), b"56");
        assert_eq!(SMALL.used(), 0);
    }

    #[test]
    fn a_buffer_gives_back_the_memory_of_a_large_read() {
        static BIG: Budget = Budget::new(1 << 24);
        let mut b = Buffer::within(&BIG);
        b.extend(&vec![b'x'; 1 << 20]).unwrap();
        b.extend(b"tail").unwrap();
        assert!(b.capacity() >= (1 << 20) + 4);
        assert_eq!(b.take_front(1 << 20).len(), 1 << 20);
        assert_eq!(&*b, b"tail", "what was not taken stays");
        assert!(
            b.capacity() <= KEPT_CAPACITY,
            "shrunk after the large read: {}",
            b.capacity()
        );
        // Small reads keep their capacity: no reallocation per batch.
        b.extend(&[b'y'; 3000]).unwrap();
        let kept = b.capacity();
        b.take_front(3000);
        assert_eq!(b.capacity(), kept);
        assert_eq!(BIG.used(), 4);
    }

    #[test]
    fn the_error_names_the_remote_and_the_budget() {
        let e = Exhausted {
            limit: REMOTE_OUTPUT_BUDGET,
        };
        let r = crate::test_support::remote("dev", "dev.example");
        let e = e.on(&Target::remote(&r)).to_string();
        assert!(e.contains("dev"), "{e}");
        assert!(e.contains("(64 MiB, all remotes together)"), "{e}");
    }
}
