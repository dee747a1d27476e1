//! What runs beside the sources whether or not a dashboard is on screen: the notifier and
//! the `navi status` summary publisher, both tasks subscribed to the aggregator, gated by
//! the notifier lease ([`crate::lease`]) so that of a dashboard and `navi watch` on one
//! machine only one notifies and publishes. The dashboard and `navi watch` both start
//! them here.

use navi_core::AggregatorHandle;
use tokio::sync::watch;

use crate::cmd::status::Publishing;
use crate::lease::{Duty, Role};
use crate::notify::settings::NotifySettings;
use crate::notify::{Notifications, Notifier, Wiring};

/// The publisher and the lease, kept for as long as the process runs. Dropping it
/// withdraws the summary first, then gives the lease back (so a process taking over
/// never has its fresh summary removed by the one that left).
#[derive(Debug)]
pub struct Background {
    _publishing: Option<Publishing>,
    duty: Duty,
}

impl Background {
    /// Whether this process notifies now (it holds the lease).
    pub fn notifying(&self) -> bool {
        self.duty.holds()
    }
}

/// Starts the notifier over `wiring` and the summary publisher, both following `handle`'s
/// snapshots and `muted`, each acting only while this process holds the notifier lease
/// (taken for `role` now, or later when its holder ends). Returns the notifier's screen
/// end (the dashboard shows it; `navi watch` has no screen).
pub fn start(
    handle: &AggregatorHandle,
    notify: &NotifySettings,
    wiring: Wiring,
    muted: watch::Receiver<bool>,
    role: Role,
) -> (Notifications, Background) {
    let duty = Duty::start(crate::paths::notifier_lease(), role);
    let notifications = Notifier::new(notify, wiring)
        .on_duty(duty.receiver())
        .spawn(handle.subscribe(), muted.clone());
    let publishing = crate::cmd::status::summary_path()
        .map(|path| crate::cmd::status::publish(path, handle.subscribe(), muted, duty.receiver()));
    let background = Background {
        _publishing: publishing,
        duty,
    };
    (notifications, background)
}
