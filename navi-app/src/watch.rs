//! `navi watch`: the sources, the notifications and the `navi status` summary with no
//! dashboard open. No terminal: it logs to stderr and runs until SIGINT, SIGTERM or
//! SIGHUP, fit for a tmux window, a systemd user unit or a launchd agent.
//!
//! It starts the very tasks the dashboard starts ([`crate::background::start`]); the
//! notifier lease makes it the one that notifies while a dashboard runs beside it.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use navi_core::{Snapshot, SourceState};
use tokio::sync::watch;

use crate::config::Loaded;
use crate::lease::Role;
use crate::sources::SourceSet;

/// Runs until `shutdown` resolves; a configuration with any problem is refused (a
/// daemon nobody watches must not run with half its notifications silently off).
pub async fn run(
    mut set: SourceSet,
    settings: Loaded,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    if set.demo {
        anyhow::bail!("navi watch follows real sessions; --demo is for the dashboard");
    }
    let (wiring, sounds_problem) = crate::notify::Wiring::headless();
    set.add_settings_errors(settings.errors);
    if let Some((file, message)) = sounds_problem {
        set.add_settings_errors([crate::notify::sounds_problem(file, message)]);
    }
    refuse_config_problems(&set)?;
    let handle = set.aggregator().spawn();
    // Nothing mutes a watcher; the sender stays so the channel stays open.
    let (_unmuted, muted) = watch::channel(false);
    let (notifications, background) = crate::background::start(
        &handle,
        &settings.settings.notify,
        wiring,
        muted,
        Role::Watch,
    );
    // No screen: the bell, the terminal's notification and the title are never shown.
    notifications.leave_screen();
    tracing::info!(
        sources = set.sources.len(),
        notifying = background.notifying(),
        "navi watch: started"
    );
    let states = tokio::spawn(log_source_states(handle.subscribe()));
    shutdown.await;
    states.abort();
    drop(notifications);
    // The summary is withdrawn, then the lease given back.
    drop(background);
    tracing::info!("navi watch: stopped");
    Ok(())
}

/// Every problem of remotes.yaml, config.yaml and sounds.yaml, or `Ok`.
fn refuse_config_problems(set: &SourceSet) -> anyhow::Result<()> {
    if set.config_errors.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = set
        .config_errors
        .iter()
        .map(|e| format!("  {}", navi_core::text::sanitize(&e.to_string())))
        .collect();
    anyhow::bail!(
        "navi watch does not start with configuration problems; fix these, then start it \
         again:\n{}",
        lines.join("\n")
    )
}

/// Logs one line per source whose state changes (connected, connecting, unavailable
/// with its reason), the first snapshot's included.
async fn log_source_states(mut snapshots: watch::Receiver<Arc<Snapshot>>) {
    let mut known: BTreeMap<String, (SourceState, Option<String>)> = BTreeMap::new();
    loop {
        let snapshot = snapshots.borrow_and_update().clone();
        for h in &snapshot.sources {
            let name = h.name.clone().unwrap_or_else(|| "local".into());
            let now = (h.state, h.reason.as_ref().map(ToString::to_string));
            if known.get(&name) == Some(&now) {
                continue;
            }
            match &now.1 {
                Some(reason) => {
                    tracing::warn!(source = %name, state = ?now.0, "source: {reason}")
                }
                None => tracing::info!(source = %name, state = ?now.0, "source"),
            }
            known.insert(name, now);
        }
        if snapshots.changed().await.is_err() {
            return;
        }
    }
}
