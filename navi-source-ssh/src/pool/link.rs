//! One authenticated SSH connection to one host ([`Link`]), shared by every pool that
//! reaches it through the [registry](super::registry). Made by
//! [`connect`](mod@super::connect); this module only holds what a link is, so the registry,
//! the host-key scan and the channels can name it without importing how it is made.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use russh::client::Handle;
use tokio::sync::Semaphore;

use crate::hostkey::HostKeyVerifier;

/// Channels open at once on one connection (sshd's default `MaxSessions`).
pub(crate) const MAX_CHANNELS: usize = 10;

/// One authenticated SSH connection to one host, shared by every pool that reaches it.
pub(crate) struct Link {
    pub(super) handle: Handle<HostKeyVerifier>,
    /// The link this one's transport runs through (its bastion), kept alive with it.
    upstream: Option<Arc<Link>>,
    dead: Arc<AtomicBool>,
    /// One permit per channel open at once ([`MAX_CHANNELS`]): sshd's limit is per
    /// connection, so pools sharing a link share it.
    pub(super) channels: Arc<Semaphore>,
}

impl Link {
    /// A link over `handle`, running through `upstream`; `dead` is the flag its
    /// [`HostKeyVerifier`] sets when the session ends.
    pub(super) fn new(
        handle: Handle<HostKeyVerifier>,
        upstream: Option<Arc<Link>>,
        dead: Arc<AtomicBool>,
    ) -> Link {
        Link {
            handle,
            upstream,
            dead,
            channels: Arc::new(Semaphore::new(MAX_CHANNELS)),
        }
    }

    /// Up: not ended, not given up on, and so is every link it runs through.
    pub(super) fn alive(&self) -> bool {
        !self.dead.load(Ordering::SeqCst)
            && !self.handle.is_closed()
            && self.upstream.as_ref().is_none_or(|u| u.alive())
    }

    /// Gives up on the link (it did not answer a ping): the next connect replaces it.
    pub(super) fn mark_dead(&self) {
        self.dead.store(true, Ordering::SeqCst);
    }
}
