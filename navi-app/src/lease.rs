//! The notifier lease: one navi process at a time notifies and publishes the `navi
//! status` summary, so a dashboard opened beside `navi watch` does not notify twice.
//!
//! The lease is an exclusive lock (`flock`) on `notifier.lock` in navi's runtime
//! directory ([`crate::paths::notifier_lease`]), held for as long as the process keeps
//! the file open. The kernel releases it when the holder exits or dies however it dies,
//! so a stale holder can never block the others and a reused pid can never pass for the
//! holder. The file also says who holds it (pid and start time, role), for the logs of
//! the process that waits; that line is believed only while [`Writer::is_running`] says
//! the process still runs, as `navi status` checks its writer.
//!
//! `navi watch` takes the lease first when it can; a process that finds it held follows
//! every snapshot without announcing ([`Duty`]), and tries again every
//! [`NOTIFY_LEASE_RETRY`]: when the holder goes, the next one takes over.

use std::fs::File;
use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use navi_core::limits::NOTIFY_LEASE_RETRY;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::cmd::status::{ensure_private_dir, Writer};

/// Which kind of navi process holds (or wants) the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// `navi watch`.
    Watch,
    /// The dashboard.
    Dashboard,
}

/// What the lease file says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// The process.
    pub writer: Writer,
    /// What it is.
    pub role: Role,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.role {
            Role::Watch => "navi watch",
            Role::Dashboard => "a navi dashboard",
        };
        write!(f, "{what} (pid {})", self.writer.pid)
    }
}

/// The lease, held while this value lives.
#[derive(Debug)]
pub struct Lease {
    file: File,
}

/// Taking the lease: held, held by another, or not possible here.
#[derive(Debug)]
pub enum Take {
    /// This process holds it now.
    Taken(Lease),
    /// Another process holds it (who, if the file says and that process runs).
    Held(Option<Holder>),
}

impl Lease {
    /// Takes the lease at `path` for this process, without waiting.
    pub fn try_take(path: &Path, role: Role) -> Result<Take, String> {
        let dir = path
            .parent()
            .ok_or_else(|| format!("{} has no directory", path.display()))?;
        ensure_private_dir(dir).map_err(|e| format!("{e:#}"))?;
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(Take::Held(holder(path))),
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock {}: {e}", path.display()))
            }
        }
        let me = Holder {
            writer: Writer::this_process(),
            role,
        };
        let line = serde_json::to_vec(&me).map_err(|e| e.to_string())?;
        // Who holds it is information only; the lock is what counts.
        let written = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| file.write_all(&line));
        if let Err(e) = written {
            tracing::debug!(file = %path.display(), "cannot say who holds the lease: {e}");
        }
        Ok(Take::Taken(Lease { file }))
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // The holder line goes first, so no one reads a holder that has let go; the
        // lock goes when the file is closed.
        let _ = self.file.set_len(0);
    }
}

/// The holder the lease file names, while that process runs.
pub fn holder(path: &Path) -> Option<Holder> {
    let bytes = std::fs::read(path).ok()?;
    let holder: Holder = serde_json::from_slice(&bytes).ok()?;
    holder.writer.is_running().then_some(holder)
}

/// Whether this process is the one that notifies: the lease, taken at start or later
/// (the task tries again every [`NOTIFY_LEASE_RETRY`] until it has it). Dropping it gives
/// the lease back.
#[derive(Debug)]
pub struct Duty {
    on: watch::Receiver<bool>,
    lease: Arc<Mutex<Option<Lease>>>,
    task: Option<JoinHandle<()>>,
}

impl Duty {
    /// Takes the lease at `path` for `role` now if it can, else keeps trying. Without a
    /// place for the lease, or where it cannot be taken for another reason than another
    /// holder, this process notifies: a notification twice is better than none.
    pub fn start(path: Option<PathBuf>, role: Role) -> Duty {
        let lease = Arc::new(Mutex::new(None));
        let Some(path) = path else {
            tracing::warn!("no runtime directory for the notifier lease; notifying regardless");
            return Duty::on_duty(lease);
        };
        match Lease::try_take(&path, role) {
            Ok(Take::Taken(l)) => {
                tracing::info!(file = %path.display(), "notifying (holding the notifier lease)");
                store(&lease, l);
                Duty::on_duty(lease)
            }
            Ok(Take::Held(holder)) => {
                match &holder {
                    Some(h) => tracing::info!("not notifying: {h} does; taking over when it ends"),
                    None => tracing::info!(
                        file = %path.display(),
                        "not notifying: another navi holds the notifier lease; taking over when it ends"
                    ),
                }
                let (tx, on) = watch::channel(false);
                let task = tokio::spawn(take_over(path, role, lease.clone(), tx));
                Duty {
                    on,
                    lease,
                    task: Some(task),
                }
            }
            Err(e) => {
                tracing::warn!("notifier lease: {e}; notifying regardless");
                Duty::on_duty(lease)
            }
        }
    }

    fn on_duty(lease: Arc<Mutex<Option<Lease>>>) -> Duty {
        let (_, on) = watch::channel(true);
        Duty {
            on,
            lease,
            task: None,
        }
    }

    /// Follows whether this process notifies.
    pub fn receiver(&self) -> watch::Receiver<bool> {
        self.on.clone()
    }

    /// Whether this process notifies now.
    pub fn holds(&self) -> bool {
        *self.on.borrow()
    }
}

fn store(slot: &Mutex<Option<Lease>>, lease: Lease) {
    *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(lease);
}

/// Tries the lease every [`NOTIFY_LEASE_RETRY`] until this process has it.
async fn take_over(
    path: PathBuf,
    role: Role,
    slot: Arc<Mutex<Option<Lease>>>,
    on: watch::Sender<bool>,
) {
    let mut complained = false;
    loop {
        tokio::time::sleep(NOTIFY_LEASE_RETRY).await;
        match Lease::try_take(&path, role) {
            Ok(Take::Taken(lease)) => {
                store(&slot, lease);
                tracing::info!("took over notifying (the previous holder of the lease ended)");
                let _ = on.send(true);
                return;
            }
            Ok(Take::Held(_)) => {}
            Err(e) if !complained => {
                complained = true;
                tracing::warn!("notifier lease: {e}; trying again");
            }
            Err(_) => {}
        }
    }
}

impl Drop for Duty {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
        drop(self.lease.lock().unwrap_or_else(|e| e.into_inner()).take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_holder_at_a_time_and_the_next_takes_over_when_it_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("navi/notifier.lock");
        let Take::Taken(first) = Lease::try_take(&path, Role::Watch).unwrap() else {
            panic!("nobody held it");
        };
        // A second open file description is a second holder, as another process is.
        match Lease::try_take(&path, Role::Dashboard).unwrap() {
            Take::Held(Some(h)) => {
                assert_eq!(h.role, Role::Watch);
                assert_eq!(h.writer, Writer::this_process());
                assert_eq!(
                    h.to_string(),
                    format!("navi watch (pid {})", std::process::id())
                );
            }
            other => panic!("expected held by watch, got {other:?}"),
        }
        drop(first);
        assert_eq!(holder(&path), None, "no holder line once let go");
        assert!(matches!(
            Lease::try_take(&path, Role::Dashboard).unwrap(),
            Take::Taken(_)
        ));
    }

    #[test]
    fn a_holder_line_of_a_process_that_is_gone_names_no_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notifier.lock");
        let gone = Holder {
            writer: Writer {
                pid: u32::MAX - 1,
                started: Some(1),
            },
            role: Role::Watch,
        };
        std::fs::write(&path, serde_json::to_vec(&gone).unwrap()).unwrap();
        assert_eq!(holder(&path), None);
        // Nor does the stale line hold anything: the lock is free.
        assert!(matches!(
            Lease::try_take(&path, Role::Dashboard).unwrap(),
            Take::Taken(_)
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_duty_that_waits_takes_over_once_the_holder_drops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("navi/notifier.lock");
        let watch = Duty::start(Some(path.clone()), Role::Watch);
        assert!(watch.holds());
        let dashboard = Duty::start(Some(path.clone()), Role::Dashboard);
        assert!(!dashboard.holds());
        let mut on = dashboard.receiver();
        tokio::time::sleep(NOTIFY_LEASE_RETRY * 3).await;
        assert!(!dashboard.holds(), "still held by watch");
        drop(watch);
        on.wait_for(|on| *on).await.unwrap();
        assert!(dashboard.holds());
        assert_eq!(holder(&path).map(|h| h.role), Some(Role::Dashboard));
    }

    #[test]
    fn without_a_place_for_the_lease_a_process_notifies() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let _guard = rt.enter();
        assert!(Duty::start(None, Role::Dashboard).holds());
    }
}
