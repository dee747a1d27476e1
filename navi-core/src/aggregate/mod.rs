//! The [`Aggregator`]: polls every source concurrently, each under its own timeout, and
//! merges the results into [`Snapshot`]s.
//!
//! Work happens only when something changed: a source is polled on its interval or when
//! it says it has news ([`SessionSource::wait_change`](crate::SessionSource::wait_change));
//! a poll whose rows and state are what they were publishes nothing (its latency and
//! age ride along with the next snapshot, or go out after [`HEALTH_REFRESH`]); changes
//! that come faster than [`SNAPSHOT_EVERY`] (busy remotes) go out together in the next
//! snapshot; and a snapshot merges only the changed sources' rows into the sorted list.

mod slot;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::source::{AttachCommand, AttachContext, DynSessionSource, PollReport, SkippedFile};
use crate::wrap::bounded_poll;
use crate::{compare_sessions, Deadline, Detail, SessionInfo, SourceError};
use slot::{Change, Slot};

use crate::limits::{HEALTH_REFRESH, SNAPSHOT_EVERY};

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
    pub note: Option<crate::PollNote>,
    /// Polls that failed in a row (0 when connected).
    pub consecutive_failures: u32,
    /// How the source gets its data, when it says ([`PollReport::mode`]).
    pub mode: Option<crate::PollMode>,
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
            mode: None,
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

async fn poll_source(source: DynSessionSource, timeout: Duration) -> Outcome {
    let started = Instant::now();
    let result = bounded_poll(&*source, Deadline::after(timeout)).await;
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
        self.slots.push(Slot::new(source, options));
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
                        let _ = slot.apply(outcome);
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
                        () = source.wait_change() => {}
                        changed = refresh.changed() => if changed.is_err() { return },
                    }
                }
            }));
        }
        drop(outcome_tx);
        tasks.push(tokio::spawn(async move {
            let mut publisher = Publisher::new(&slots, generation);
            loop {
                // A visible change held back by SNAPSHOT_EVERY goes out when it is due,
                // with whatever arrives meanwhile.
                let held = publisher.held_until();
                tokio::select! {
                    got = outcome_rx.recv() => {
                        let Some((i, outcome)) = got else { return };
                        publisher.record(&mut slots, i, outcome);
                        // Fold whatever else already arrived into the same snapshot.
                        while let Ok((i, outcome)) = outcome_rx.try_recv() {
                            publisher.record(&mut slots, i, outcome);
                        }
                    }
                    () = tokio::time::sleep_until(held.unwrap_or_else(Instant::now)),
                        if held.is_some() => {}
                }
                if let Some(snapshot) = publisher.publish(&slots) {
                    if snap_tx.send(Arc::new(snapshot)).is_err() {
                        return;
                    }
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
    Snapshot {
        sessions: all_rows(slots).into_iter().map(|(_, s)| s).collect(),
        sources: slots.iter().map(|s| s.health.clone()).collect(),
        generation,
    }
}

/// Rows with the index of the source they came from.
type Tagged = Vec<(usize, Arc<SessionInfo>)>;

/// `a` and source `i`'s rows `b`, both sorted by [`compare_sessions`], as one sorted
/// list: linear, no re-sort.
/// Every source's rows, sorted, each tagged with its source's index.
fn all_rows(slots: &[Slot]) -> Tagged {
    let mut rows = Vec::new();
    for (i, slot) in slots.iter().enumerate() {
        rows = merge_sorted(rows, i, &slot.sessions);
    }
    rows
}

/// Merges source `i`'s sorted rows `b` into the sorted rows `a`.
fn merge_sorted(a: Tagged, i: usize, b: &[Arc<SessionInfo>]) -> Tagged {
    merge_two(a, b.iter().map(|s| (i, s.clone())).collect())
}

/// Merges two sorted lists; of rows that compare equal, `a`'s come first.
fn merge_two(a: Tagged, b: Tagged) -> Tagged {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let mut b = b.into_iter().peekable();
    for (j, s) in a {
        while let Some(next) = b.next_if(|(_, n)| compare_sessions(n, &s).is_lt()) {
            out.push(next);
        }
        out.push((j, s));
    }
    out.extend(b);
    out
}

/// Turns the outcomes of the spawned aggregator into snapshots, only when they changed
/// something: the rows of a source whose rows changed are merged into the last sorted
/// list (the others are not touched); health-only changes wait for the next snapshot or
/// [`HEALTH_REFRESH`]; visible changes go out at most once per [`SNAPSHOT_EVERY`].
struct Publisher {
    generation: u64,
    /// The published rows, sorted, with their source.
    rows: Tagged,
    /// Sources whose rows changed since the last snapshot.
    changed_rows: Vec<bool>,
    /// The strongest change since the last snapshot.
    pending: Change,
    last_published: Instant,
}

impl Publisher {
    fn new(slots: &[Slot], generation: u64) -> Publisher {
        Publisher {
            generation,
            rows: all_rows(slots),
            changed_rows: vec![false; slots.len()],
            pending: Change::None,
            // The first change goes out at once.
            last_published: Instant::now()
                .checked_sub(SNAPSHOT_EVERY)
                .unwrap_or_else(Instant::now),
        }
    }

    fn record(&mut self, slots: &mut [Slot], i: usize, outcome: Outcome) {
        let Some(slot) = slots.get_mut(i) else {
            return;
        };
        let before = (slot.sessions.as_ptr(), slot.sessions.len());
        let change = slot.apply(outcome);
        if (slot.sessions.as_ptr(), slot.sessions.len()) != before {
            if let Some(flag) = self.changed_rows.get_mut(i) {
                *flag = true;
            }
        }
        self.pending = self.pending.max(change);
    }

    /// When a visible change that is not due yet ([`SNAPSHOT_EVERY`]) goes out.
    fn held_until(&self) -> Option<Instant> {
        (self.pending == Change::Visible).then(|| self.last_published + SNAPSHOT_EVERY)
    }

    /// The snapshot to publish now, if any.
    fn publish(&mut self, slots: &[Slot]) -> Option<Snapshot> {
        let since = self.last_published.elapsed();
        let due = match self.pending {
            Change::None => false,
            Change::Health => since >= HEALTH_REFRESH,
            Change::Visible => since >= SNAPSHOT_EVERY,
        };
        if !due {
            return None;
        }
        if self.changed_rows.contains(&true) {
            let changed = std::mem::replace(&mut self.changed_rows, vec![false; slots.len()]);
            let flagged = |i: usize| changed.get(i).copied().unwrap_or(false);
            let mut rows = std::mem::take(&mut self.rows);
            rows.retain(|(i, _)| !flagged(*i));
            // The changed sources' rows sorted together and merged in once: one pass
            // over the list however many sources changed (a busy fleet: most of them).
            let mut incoming: Tagged = (slots.iter().enumerate())
                .filter(|(i, _)| flagged(*i))
                .flat_map(|(i, slot)| slot.sessions.iter().map(move |s| (i, s.clone())))
                .collect();
            crate::session::sort_by_priority(&mut incoming, |(_, s)| s);
            self.rows = merge_two(rows, incoming);
        }
        self.generation += 1;
        self.pending = Change::None;
        self.last_published = Instant::now();
        Some(Snapshot {
            sessions: self.rows.iter().map(|(_, s)| s.clone()).collect(),
            sources: slots.iter().map(|s| s.health.clone()).collect(),
            generation: self.generation,
        })
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

#[cfg(test)]
mod tests;
