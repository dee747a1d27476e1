//! Starting the programs the off-screen channels use (notify-send, osascript, a sound
//! player, a speech engine, the user's command, `tmux display-message`): an argv and an
//! environment, never a shell line; started without waiting, with stdin, stdout and
//! stderr on /dev/null (the dashboard owns the terminal), each in its own process group.
//!
//! One [`Reaper`] thread waits for all of them: each has [`NOTIFY_LAUNCH`] to end, and one
//! that runs past it (a player stuck on a device, a user command that never exits) is
//! killed with its process group. Nothing navi starts here outlives its limit, and a
//! thousand notifications cost one thread, not a thousand.

use navi_core::limits::{NOTIFY_LAUNCH, NOTIFY_REAP_EVERY};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
#[cfg(test)]
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Starts a program and does not wait for it.
pub trait Launcher: Send + Sync {
    /// Starts `argv` with `env` added to navi's environment. Failures are logged, never
    /// returned: a notification that cannot be shown must not disturb the dashboard.
    fn launch(&self, argv: &[String], env: &[(String, String)]);
}

/// Starts real processes.
#[derive(Debug, Default)]
pub struct Processes;

impl Launcher for Processes {
    fn launch(&self, argv: &[String], env: &[(String, String)]) {
        let Some((program, args)) = argv.split_first() else {
            return;
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own group, so the reaper can end what it started too.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        match cmd.spawn() {
            Ok(child) => match Reaper::shared() {
                Some(reaper) => reaper.watch(child, Instant::now() + NOTIFY_LAUNCH),
                None => tracing::warn!(program, "notification: no reaper; not waited for"),
            },
            Err(e) => tracing::warn!(program, "notification: cannot run it: {e}"),
        }
    }
}

/// One thread that waits for every launched program and kills (with its process group)
/// any that runs past its deadline.
#[derive(Debug)]
pub struct Reaper {
    children: mpsc::Sender<(Child, Instant)>,
}

impl Reaper {
    /// Starts the reaper's thread; it ends once the reaper is dropped and every child it
    /// holds has ended or been killed.
    pub fn start() -> std::io::Result<Reaper> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("navi-notify-reap".into())
            .spawn(move || reap(&rx))?;
        Ok(Reaper { children: tx })
    }

    /// The process's one reaper (started on first use); `None` when its thread cannot be
    /// started.
    fn shared() -> Option<&'static Reaper> {
        static SHARED: OnceLock<Option<Reaper>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                Reaper::start()
                    .map_err(|e| tracing::warn!("cannot start the notification reaper: {e}"))
                    .ok()
            })
            .as_ref()
    }

    /// Waits for `child` until `deadline`, then kills it with its process group.
    pub fn watch(&self, child: Child, deadline: Instant) {
        if let Err(mpsc::SendError((mut child, _))) = self.children.send((child, deadline)) {
            navi_source_local::process::kill_group(&mut child);
        }
    }
}

/// The reaper's loop: takes new children, reaps the ended, kills the overdue.
fn reap(new: &mpsc::Receiver<(Child, Instant)>) {
    let mut children: Vec<(Child, Instant)> = Vec::new();
    let mut open = true;
    while open || !children.is_empty() {
        let next = if children.is_empty() {
            new.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
        } else {
            let soonest = children.iter().map(|(_, d)| *d).min();
            let until = soonest.map_or(NOTIFY_REAP_EVERY, |d| {
                d.saturating_duration_since(Instant::now())
            });
            new.recv_timeout(until.min(NOTIFY_REAP_EVERY))
        };
        match next {
            Ok(child) => children.push(child),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                open = false;
                if !children.is_empty() {
                    std::thread::sleep(NOTIFY_REAP_EVERY);
                }
            }
        }
        children.extend(new.try_iter());
        let now = Instant::now();
        children.retain_mut(|(child, deadline)| still_running(child, *deadline, now));
    }
}

/// Whether `child` is still to be waited for; one past `deadline` is killed with its
/// process group (and reaped).
fn still_running(child: &mut Child, deadline: Instant, now: Instant) -> bool {
    match child.try_wait() {
        Ok(Some(_)) => false,
        Ok(None) if now < deadline => true,
        Ok(None) => {
            tracing::warn!(
                pid = child.id(),
                "notification: still running at its time limit; stopped it"
            );
            navi_source_local::process::kill_group(child);
            false
        }
        Err(e) => {
            tracing::warn!(pid = child.id(), "notification: cannot wait for it: {e}");
            navi_source_local::process::kill_group(child);
            false
        }
    }
}

/// One recorded launch: the argv and the environment added.
#[cfg(test)]
pub type Launch = (Vec<String>, Vec<(String, String)>);

/// Records launches instead of starting anything (tests).
#[cfg(test)]
#[derive(Debug, Clone, Default)]
pub struct Recorder {
    /// Every launch, in order.
    pub launches: Arc<Mutex<Vec<Launch>>>,
}

#[cfg(test)]
impl Recorder {
    /// The launches so far.
    pub fn taken(&self) -> Vec<Launch> {
        self.launches.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[cfg(test)]
impl Launcher for Recorder {
    fn launch(&self, argv: &[String], env: &[(String, String)]) {
        if let Ok(mut l) = self.launches.lock() {
            l.push((argv.to_vec(), env.to_vec()));
        }
    }
}
