//! The [`Aggregator`]: polls every source concurrently, each under its own timeout, and
//! merges the results into [`Snapshot`]s.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::source::{AttachCommand, AttachContext, DynSessionSource, PollReport, SkippedFile};
use crate::wrap::bounded_poll;
use crate::{sort_sessions_arc, Detail, SessionInfo, SourceError};

/// How the aggregator treats one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceOptions {
    /// The longest one poll may take; a poll still running then is cancelled and the
    /// source marked unavailable with reason `timeout`.
    pub timeout: Duration,
    /// Pause between the end of one poll and the start of the next (continuous mode).
    pub interval: Duration,
}

impl SourceOptions {
    /// Options with this poll timeout and interval. Each source crate says what suits
    /// it (the local directory polls often; a remote's come from its config).
    pub const fn new(timeout: Duration, interval: Duration) -> Self {
        SourceOptions { timeout, interval }
    }
}

/// A source's connection state as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceState {
    /// No poll has finished yet.
    Connecting,
    /// The last poll succeeded.
    Connected,
    /// The last poll failed or timed out; see [`SourceHealth::reason`].
    Unavailable,
}

impl SourceState {
    /// `connecting`, `connected` or `unavailable`.
    pub fn as_str(&self) -> &'static str {
        match self {
            SourceState::Connecting => "connecting",
            SourceState::Connected => "connected",
            SourceState::Unavailable => "unavailable",
        }
    }
}

/// One source's health, as of a snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceHealth {
    /// `None` for local, the remote's name otherwise.
    pub name: Option<String>,
    /// Connected, connecting or unavailable.
    pub state: SourceState,
    /// Why the source is unavailable (the last error), `None` when connected.
    pub reason: Option<SourceError>,
    /// Round-trip time of the last poll, when it succeeded (`None` while unavailable).
    pub latency: Option<Duration>,
    /// Wall-clock time of the last good poll.
    pub last_ok: Option<SystemTime>,
    /// Monotonic time of the last good poll (for ages; follows tokio's clock).
    pub last_ok_at: Option<Instant>,
    /// Monotonic time the last poll (good or not) finished.
    pub last_poll_at: Option<Instant>,
    /// Sessions the source holds in the snapshot (stale ones included).
    pub sessions: usize,
    /// Files skipped by the last good poll.
    pub skipped: Vec<SkippedFile>,
    /// The last good poll's note ([`PollReport::note`]).
    pub note: Option<String>,
    /// Polls that failed in a row (0 when connected).
    pub consecutive_failures: u32,
}

impl SourceHealth {
    /// The health of a source that has not finished a poll yet.
    pub fn connecting(name: Option<String>) -> Self {
        SourceHealth {
            name,
            state: SourceState::Connecting,
            reason: None,
            latency: None,
            last_ok: None,
            last_ok_at: None,
            last_poll_at: None,
            sessions: 0,
            skipped: Vec::new(),
            note: None,
            consecutive_failures: 0,
        }
    }

    /// The name to show: the remote's name or `local`.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("local")
    }

    /// How old the source's data is at `now`.
    pub fn data_age(&self, now: Instant) -> Option<Duration> {
        self.last_ok_at.map(|t| now.saturating_duration_since(t))
    }
}

/// The merged view at one moment: every session of every source, sorted, and one health
/// entry per source in the order the sources were added.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// All sessions, sorted by [`compare_sessions`](crate::compare_sessions). Sessions of
    /// an unavailable source are its last-known ones with `stale` set.
    pub sessions: Vec<Arc<SessionInfo>>,
    /// One entry per source.
    pub sources: Vec<SourceHealth>,
    /// Increases with every published snapshot.
    pub generation: u64,
}

/// The result of one poll attempt, as the aggregator records it.
#[derive(Debug)]
struct Outcome {
    result: Result<PollReport, SourceError>,
    elapsed: Duration,
    finished_at: Instant,
}

#[derive(Debug)]
struct Slot {
    source: DynSessionSource,
    options: SourceOptions,
    health: SourceHealth,
    /// Last good sessions, with `remote` already set; `stale` is set on failure.
    sessions: Vec<Arc<SessionInfo>>,
}

impl Slot {
    fn apply(&mut self, outcome: Outcome) {
        self.health.last_poll_at = Some(outcome.finished_at);
        match outcome.result {
            Ok(report) => {
                let label = self.source.label().map(str::to_owned);
                self.sessions = report
                    .sessions
                    .into_iter()
                    .map(|mut s| {
                        s.remote = label.clone();
                        s.stale = false;
                        Arc::new(s)
                    })
                    .collect();
                self.health.state = SourceState::Connected;
                self.health.reason = None;
                self.health.latency = Some(report.latency.unwrap_or(outcome.elapsed));
                self.health.last_ok = Some(SystemTime::now());
                self.health.last_ok_at = Some(outcome.finished_at);
                self.health.skipped = report.skipped;
                self.health.note = report.note;
                self.health.consecutive_failures = 0;
            }
            Err(error) => {
                tracing::debug!(source = self.health.display_name(), %error, "poll failed");
                if self.sessions.iter().any(|s| !s.stale) {
                    self.sessions = self
                        .sessions
                        .iter()
                        .map(|s| {
                            let mut s = SessionInfo::clone(s);
                            s.stale = true;
                            Arc::new(s)
                        })
                        .collect();
                }
                self.health.state = SourceState::Unavailable;
                // A failed attempt measures no round trip (a refusal or a backoff answers
                // in ~0 ms): an unavailable source shows no latency rather than a fake one.
                self.health.latency = None;
                self.health.reason = Some(error);
                self.health.consecutive_failures =
                    self.health.consecutive_failures.saturating_add(1);
            }
        }
        self.health.sessions = self.sessions.len();
    }
}

async fn poll_source(source: DynSessionSource, timeout: Duration) -> Outcome {
    let started = Instant::now();
    let result = bounded_poll(&*source, timeout).await;
    let finished_at = Instant::now();
    Outcome {
        result,
        elapsed: finished_at.saturating_duration_since(started),
        finished_at,
    }
}

/// Polls sources and merges their sessions.
///
/// Use [`poll_once`](Aggregator::poll_once) for a one-shot view (`navi list`), or
/// [`spawn`](Aggregator::spawn) for the dashboard: every source then runs in its own task
/// on its own interval and a slow or hung source never delays another.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use navi_core::{Aggregator, MemorySource, SessionInfo, SourceOptions, SourceState};
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let remote = MemorySource::new(Some("dev"), vec![SessionInfo { tmux_session: "api".into(), ..Default::default() }]);
/// let mut agg = Aggregator::new();
/// let options = SourceOptions::new(Duration::from_secs(10), Duration::from_secs(2));
/// agg.add_source(Arc::new(remote), options);
/// let snap = agg.poll_once().await;
/// assert_eq!(snap.sessions[0].remote.as_deref(), Some("dev"));
/// assert_eq!(snap.sources[0].state, SourceState::Connected);
/// # });
/// ```
#[derive(Debug, Default)]
pub struct Aggregator {
    slots: Vec<Slot>,
    generation: u64,
}

impl Aggregator {
    /// An aggregator with no sources.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source; its health starts as `connecting`.
    pub fn add_source(&mut self, source: DynSessionSource, options: SourceOptions) {
        let name = source.label().map(str::to_owned);
        self.slots.push(Slot {
            source,
            options,
            health: SourceHealth::connecting(name),
            sessions: Vec::new(),
        });
    }

    /// Builder form of [`add_source`](Aggregator::add_source).
    pub fn with_source(mut self, source: DynSessionSource, options: SourceOptions) -> Self {
        self.add_source(source, options);
        self
    }

    /// The sources, in the order they were added.
    pub fn sources(&self) -> Vec<DynSessionSource> {
        self.slots.iter().map(|s| s.source.clone()).collect()
    }

    /// Polls every source once, concurrently, each under its own timeout, and returns the
    /// merged snapshot. Returns no later than the largest timeout (plus scheduling).
    pub async fn poll_once(&mut self) -> Snapshot {
        let mut set = JoinSet::new();
        for (i, slot) in self.slots.iter().enumerate() {
            let (source, timeout) = (slot.source.clone(), slot.options.timeout);
            set.spawn(async move { (i, poll_source(source, timeout).await) });
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, outcome)) => {
                    if let Some(slot) = self.slots.get_mut(i) {
                        slot.apply(outcome);
                    }
                }
                Err(e) => tracing::warn!("a poll task failed: {e}"),
            }
        }
        self.snapshot()
    }

    /// The merged view of what the aggregator holds now.
    pub fn snapshot(&mut self) -> Snapshot {
        self.generation += 1;
        build_snapshot(&self.slots, self.generation)
    }

    /// Runs every source in its own task on its own interval and publishes a snapshot after
    /// each finished poll. Dropping the returned handle stops all tasks.
    pub fn spawn(self) -> AggregatorHandle {
        let Aggregator {
            mut slots,
            mut generation,
        } = self;
        let (refresh_tx, refresh_rx) = watch::channel(0u64);
        let (outcome_tx, mut outcome_rx) = mpsc::channel::<(usize, Outcome)>(64);
        generation += 1;
        let (snap_tx, snap_rx) = watch::channel(Arc::new(build_snapshot(&slots, generation)));
        let sources: Vec<DynSessionSource> = slots.iter().map(|s| s.source.clone()).collect();
        let mut tasks = Vec::with_capacity(slots.len() + 1);
        for (i, slot) in slots.iter().enumerate() {
            let source = slot.source.clone();
            let options = slot.options;
            let tx = outcome_tx.clone();
            let mut refresh = refresh_rx.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let outcome = poll_source(source.clone(), options.timeout).await;
                    if tx.send((i, outcome)).await.is_err() {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(options.interval) => {}
                        changed = refresh.changed() => if changed.is_err() { return },
                    }
                }
            }));
        }
        drop(outcome_tx);
        tasks.push(tokio::spawn(async move {
            while let Some((i, outcome)) = outcome_rx.recv().await {
                if let Some(slot) = slots.get_mut(i) {
                    slot.apply(outcome);
                }
                // Fold whatever else already arrived into the same snapshot.
                while let Ok((i, outcome)) = outcome_rx.try_recv() {
                    if let Some(slot) = slots.get_mut(i) {
                        slot.apply(outcome);
                    }
                }
                generation += 1;
                if snap_tx
                    .send(Arc::new(build_snapshot(&slots, generation)))
                    .is_err()
                {
                    return;
                }
            }
        }));
        AggregatorHandle {
            snapshots: snap_rx,
            refresh: refresh_tx,
            sources,
            tasks,
        }
    }
}

fn build_snapshot(slots: &[Slot], generation: u64) -> Snapshot {
    let total = slots.iter().map(|s| s.sessions.len()).sum();
    let mut sessions = Vec::with_capacity(total);
    for slot in slots {
        sessions.extend(slot.sessions.iter().cloned());
    }
    sort_sessions_arc(&mut sessions);
    Snapshot {
        sessions,
        sources: slots.iter().map(|s| s.health.clone()).collect(),
        generation,
    }
}

/// Finds the source a session came from (by label) and asks it for the attach command.
pub fn attach_command(
    sources: &[DynSessionSource],
    session: &SessionInfo,
    ctx: &AttachContext,
) -> Result<AttachCommand, SourceError> {
    let source = sources
        .iter()
        .find(|s| s.label() == session.remote.as_deref())
        .ok_or_else(|| {
            SourceError::Other(Detail::new(format!(
                "no source named {} for session {}",
                session.remote.as_deref().unwrap_or("local"),
                session.tmux_session
            )))
        })?;
    source.attach(session, ctx)
}

/// The running aggregator of [`Aggregator::spawn`]. Dropping it stops every task.
#[derive(Debug)]
pub struct AggregatorHandle {
    snapshots: watch::Receiver<Arc<Snapshot>>,
    refresh: watch::Sender<u64>,
    sources: Vec<DynSessionSource>,
    tasks: Vec<JoinHandle<()>>,
}

impl AggregatorHandle {
    /// The latest snapshot.
    pub fn latest(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }

    /// A receiver that is notified of every new snapshot.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.snapshots.clone()
    }

    /// Asks every source that is waiting for its next interval to poll now, and every
    /// source that backs off after failures to try again ([`SessionSource::retry_now`]).
    pub fn refresh(&self) {
        for source in &self.sources {
            source.retry_now();
        }
        self.refresh.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The sources, in the order they were added.
    pub fn sources(&self) -> &[DynSessionSource] {
        &self.sources
    }

    /// The command that attaches to `session`, from the source it came from.
    pub fn attach(
        &self,
        session: &SessionInfo,
        ctx: &AttachContext,
    ) -> Result<AttachCommand, SourceError> {
        attach_command(&self.sources, session, ctx)
    }
}

impl Drop for AggregatorHandle {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
