//! The process-wide registry of live SSH connections ([`Link`]s), so that one host is
//! ONE authenticated connection however many remotes reach it: a bastion shared by
//! several remotes, or a remote that is also another remote's bastion.
//!
//! A link is found by its [`LinkKey`]: the route to it (the hops before it), who logs
//! in where (user, host, port), with what (key files, `IdentitiesOnly`, agent socket),
//! and which known_hosts files verify it (a link verified against other files is never
//! handed to a remote that would not trust it). The registry holds links weakly: a link
//! lives while a pool or a link riding on it holds it, and a dead one is replaced by the
//! next connect. Connecting to one key is serialised, so two pools that need the same
//! bastion at the same time open it once.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, Weak};

use navi_core::SourceError;

use super::link::Link;

/// Who a link logs in as where, along which route, with what, verified against what.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct LinkKey {
    /// The hops before this one (`user`, `host`, `port`), first first. A host name is
    /// only meaningful from where it is dialled.
    pub(crate) route: Vec<(String, String, u16)>,
    pub(crate) user: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The key files offered, in order.
    pub(crate) keys: Vec<PathBuf>,
    pub(crate) identities_only: bool,
    /// The agent socket asked for keys.
    pub(crate) agent: Option<PathBuf>,
    /// The known_hosts files the host key is verified against.
    pub(crate) known_hosts: Vec<PathBuf>,
}

type Slot = Arc<tokio::sync::Mutex<Weak<Link>>>;

/// Live links by key.
#[derive(Default)]
pub(crate) struct Registry {
    slots: Mutex<HashMap<LinkKey, Slot>>,
}

/// The registry every pool of the process shares.
pub(crate) static LINKS: LazyLock<Registry> = LazyLock::new(Registry::default);

impl Registry {
    /// The live link for `key`, or a new one from `connect` (then `true`). Waits while
    /// another caller is connecting the same key, and uses its link.
    pub(crate) async fn get_or_connect<F, Fut>(
        &self,
        key: LinkKey,
        connect: F,
    ) -> Result<(Arc<Link>, bool), SourceError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Arc<Link>, SourceError>>,
    {
        let slot = {
            let mut slots = match self.slots.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            prune(&mut slots);
            slots.entry(key).or_default().clone()
        };
        let mut current = slot.lock().await;
        if let Some(link) = current.upgrade().filter(|l| l.alive()) {
            return Ok((link, false));
        }
        let link = connect().await?;
        *current = Arc::downgrade(&link);
        Ok((link, true))
    }
}

/// Drops the slots nobody waits on whose link is gone.
fn prune(slots: &mut HashMap<LinkKey, Slot>) {
    slots.retain(|_, slot| {
        Arc::strong_count(slot) > 1
            || slot
                .try_lock()
                .map(|w| w.strong_count() > 0)
                .unwrap_or(true)
    });
}
