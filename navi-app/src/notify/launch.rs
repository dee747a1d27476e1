//! Starting the programs the off-screen channels use (notify-send, osascript, a sound
//! player, a speech engine, the user's command, `tmux display-message`): an argv and an
//! environment, never a shell line; started without waiting, reaped in the background,
//! with stdin, stdout and stderr on /dev/null (the dashboard owns the terminal).

use std::process::{Command, Stdio};
#[cfg(test)]
use std::sync::{Arc, Mutex};

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
        let spawned = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match spawned {
            Ok(mut child) => {
                // Reaped when it ends, however long it takes; never waited for here.
                let reaper = std::thread::Builder::new()
                    .name("navi-notify-reap".into())
                    .spawn(move || {
                        let _ = child.wait();
                    });
                if let Err(e) = reaper {
                    tracing::warn!(program, "cannot start a thread to reap it: {e}");
                }
            }
            Err(e) => tracing::warn!(program, "notification: cannot run it: {e}"),
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
