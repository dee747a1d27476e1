//! Push mode: one long-lived channel per connection runs the push loop
//! ([`push_command`]); a task reads its batches into a [`PushState`] and wakes the
//! aggregator ([`Pool::wait_change`]) when something changed. A poll then only reads
//! that state: no network at all.
//!
//! The task also sends the heartbeat (every [`HEARTBEAT`]; its round trip is the
//! remote's latency, and no answer within the remote's `timeout` makes the remote
//! unavailable with `timeout`, as a poll that timed out did), asks for a tmux check
//! every [`TMUX_EVERY`] heartbeats (every [`TMUX_EVERY_WITH_EVENTS`] where the loop follows
//! tmux events: its control clients ask for the check), for a memory sample every [`MEMORY_SAMPLE`] (once a minute while the remote is idle; the
//! loop answers only when a value changed noticeably), and for the resync digest every
//! [`RESYNC`]: a digest that differs from what navi holds brings a full snapshot.
//!
//! When the loop cannot start (no private temp directory, the exec refused, no answer
//! in half the poll's time), the poll falls back to the snapshot loop of
//! [`snapshot`](super::snapshot) for that poll; after [`PUSH_GIVE_UP`] such failures on
//! a connection, that connection polls. A polled remote has no memory sample: its
//! sessions' memory stays unknown.
//!
//! [`MEMORY_SAMPLE`]: limits::MEMORY_SAMPLE

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use navi_core::{limits, Deadline, PollMode, PollReport, PushWatch, SourceError};
use russh::ChannelMsg;
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

use super::channel::{open_channel, OwnedChannel};
use super::snapshot::LoopError;
use super::{Live, Pool};
use crate::remote::{new_nonce, push_command, Batch, BatchReader, PushState};

/// Every this many heartbeats the loop also checks the tmux sessions.
pub(crate) const TMUX_EVERY: u64 = 2;
/// ... or this many, where the loop follows tmux events (its `EVENTS` batch): a safety
/// check every 5 minutes, for a server whose control client could not attach.
pub(crate) const TMUX_EVERY_WITH_EVENTS: u64 = 60;
/// The ticker's period where the remote has no `inotifywait`.
pub(crate) const TICK: &str = "0.5";
/// Push loops that failed to start before a connection polls instead.
const PUSH_GIVE_UP: u32 = 2;

/// A connection's push loop, while it runs, and how often it failed to start.
#[derive(Default)]
pub(crate) struct PushSlot {
    handle: Option<PushHandle>,
    failures: u32,
}

/// What a pushing remote's task shares with the polls.
#[derive(Debug, Default)]
struct Shared {
    state: PushState,
    /// `inotify` or `scan`.
    mode: String,
    /// The loop follows tmux events (its control clients say when sessions change).
    tmux_events: bool,
    latency: Option<Duration>,
    /// Why the loop stopped: the task has ended.
    failed: Option<SourceError>,
}

/// Something an action asks of the loop.
#[derive(Debug)]
pub(crate) enum Nudge {
    /// Scan now, tmux included, and say when every change it found was applied (after
    /// an action, so the next poll shows its effect).
    Settle(tokio::sync::oneshot::Sender<()>),
}

/// A running push loop: dropping it stops the task, which closes the channel.
pub(crate) struct PushHandle {
    shared: Arc<StdMutex<Shared>>,
    nudges: mpsc::UnboundedSender<Nudge>,
    task: JoinHandle<()>,
}

impl Drop for PushHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The task's own state.
struct Driver {
    ch: OwnedChannel,
    reader: BatchReader,
    nonce: String,
    shared: Arc<StdMutex<Shared>>,
    changes: Arc<Notify>,
    /// The heartbeat in flight: its token and when it went.
    pending: Option<(String, Instant)>,
    /// Actions waiting for their scan to be applied, by the token that follows it.
    settling: Vec<(String, tokio::sync::oneshot::Sender<()>)>,
    beats: u64,
    timeout: Duration,
    target: String,
    memory: MemoryPace,
    /// The differences of the digests before that differed, and how many there were
    /// (see [`digest_verdict`]).
    doubt: Option<(BTreeSet<String>, u8)>,
}

/// The push loop's script goes to the remote in pieces of this many bytes (see
/// `start_push`).
const SCRIPT_PIECE: usize = 4096;

/// How many digests in a row may differ from what navi holds, each naming other
/// bytes, before navi asks for a snapshot anyway (see [`digest_verdict`]).
const DIGEST_RECHECKS: u8 = 2;

/// What a digest that navi compared with what it holds calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// It agrees.
    Agrees,
    /// It differs, but a change may have been on its way (written on the remote after
    /// the loop's last scan, its record not yet here): ask for the digest again.
    AskAgain,
    /// It differs for good: ask for a snapshot.
    Resend,
}

/// Judges a digest by its differences `now` (see `PushState::differences`) and those of
/// the digests before it that differed (`doubt`: their differences and how many): a
/// difference that the digest before named the same (the same bytes on the remote
/// twice, navi still holding others) is for good; a difference of files still changing
/// is asked again, at most [`DIGEST_RECHECKS`] times in a row. Returns the verdict and
/// the doubt to keep.
fn digest_verdict(
    doubt: Option<(BTreeSet<String>, u8)>,
    now: BTreeSet<String>,
) -> (Verdict, Option<(BTreeSet<String>, u8)>) {
    if now.is_empty() {
        return (Verdict::Agrees, None);
    }
    match doubt {
        Some((before, n)) if before.is_disjoint(&now) && n < DIGEST_RECHECKS => {
            (Verdict::AskAgain, Some((now, n + 1)))
        }
        Some(_) => (Verdict::Resend, None),
        None => (Verdict::AskAgain, Some((now, 1))),
    }
}

/// When the loop is asked for a memory sample: on the first tick, then every
/// [`MEMORY_SAMPLE`](limits::MEMORY_SAMPLE) tick after a change of the remote's sessions
/// (or memory), else once per [`MEMORY_SAMPLE_IDLE`](limits::MEMORY_SAMPLE_IDLE): a
/// sample reads the remote's whole process table, which an idle remote should not pay
/// for every 10 s.
#[derive(Debug, Default)]
struct MemoryPace {
    last: Option<Instant>,
    changed: bool,
}

impl MemoryPace {
    /// The remote's sessions (or their memory) changed.
    fn changed(&mut self) {
        self.changed = true;
    }

    /// Whether a sample is due at `now` (and, if so, counts it as taken).
    fn due(&mut self, now: Instant) -> bool {
        let due = match self.last {
            None => true,
            Some(t) => self.changed || now.duration_since(t) >= limits::MEMORY_SAMPLE_IDLE,
        };
        if due {
            self.last = Some(now);
            self.changed = false;
        }
        due
    }
}

impl Pool {
    /// A report from the connection's push loop (started if needed).
    pub(super) async fn push_report(
        &self,
        conn: &Arc<Live>,
        time: Deadline,
    ) -> Result<PollReport, LoopError> {
        let mut slot = Deadline::until(time.instant(), conn.push.lock())
            .await
            .map_err(|_| {
                LoopError::Fatal(SourceError::timeout_while(
                    time.budget(),
                    format!("waiting for the push loop of {}", self.target),
                ))
            })?;
        if let Some(handle) = &slot.handle {
            match self.read_state(handle) {
                Ok(report) => return Ok(report),
                Err(e) => {
                    slot.handle = None;
                    if let Ok(mut n) = self.nudges.lock() {
                        *n = None;
                    }
                    if matches!(e, SourceError::Timeout { .. }) || !conn.alive() {
                        conn.suspect.store(true, Ordering::SeqCst);
                        return Err(LoopError::Fatal(e));
                    }
                    tracing::info!(remote = %self.remote.name, "push loop ended ({e}); restarting it");
                }
            }
        }
        if slot.failures >= PUSH_GIVE_UP {
            return Err(LoopError::Fallback("the push loop failed before".into()));
        }
        match self.start_push(conn, time).await {
            Ok(handle) => {
                let report = self.read_state(&handle).map_err(LoopError::Fatal);
                if let Ok(mut n) = self.nudges.lock() {
                    *n = Some(handle.nudges.clone());
                }
                slot.handle = Some(handle);
                slot.failures = 0;
                report
            }
            Err(e @ LoopError::Fatal(_)) => Err(e),
            Err(LoopError::Fallback(why)) => {
                slot.failures += 1;
                Err(LoopError::Fallback(why))
            }
        }
    }

    /// The report of what the loop has sent so far, or why it stopped.
    fn read_state(&self, handle: &PushHandle) -> Result<PollReport, SourceError> {
        let mut shared = handle
            .shared
            .lock()
            .map_err(|_| SourceError::Other("the push state was poisoned".into()))?;
        if let Some(e) = &shared.failed {
            return Err(e.clone());
        }
        let remote = &self.remote;
        let mut report = (shared.state).report(&remote.sessions_dir, &remote.name)?;
        report.latency = shared.latency;
        report.mode = Some(PollMode::Push(PushWatch::from_word(&shared.mode)));
        Ok(report)
    }

    /// Opens the channel, starts the loop and waits for its first full snapshot.
    async fn start_push(&self, conn: &Arc<Live>, time: Deadline) -> Result<PushHandle, LoopError> {
        let mut ch = open_channel(&conn.conn, &self.target, time.instant(), time.budget())
            .await
            .map_err(LoopError::Fatal)?;
        let (command, script) = push_command(&self.remote.sessions_dir, TICK)
            .map_err(|e| LoopError::Fatal(self.bad_command(e)))?;
        let fallback = |why: String| LoopError::Fallback(why);
        ch.exec(command)
            .await
            .map_err(|e| fallback(format!("starting the push loop: {e}")))?;
        let nonce = new_nonce();
        let start = Instant::now();
        // The loop's script first (it reads it from stdin), then the first requests. In
        // pieces, letting the connection's task write each out before the next: russh
        // gathers what is queued into one buffer that keeps its largest size for good
        // (the whole script at once cost every connection ~74 KiB).
        let mut first = script;
        first.extend_from_slice(format!("{nonce}\n{nonce}:s\n").as_bytes());
        for piece in first.chunks(SCRIPT_PIECE) {
            ch.send(piece)
                .await
                .map_err(|e| fallback(format!("writing to the push loop: {e}")))?;
            tokio::task::yield_now().await;
        }
        let wait_until = time.halfway().instant();
        let mut reader = BatchReader::new(&nonce);
        let mut shared = Shared::default();
        let first = Deadline::until(
            wait_until,
            first_snapshot(&mut ch, &mut reader, &mut shared),
        )
        .await;
        match first {
            Ok(Ok(())) => {}
            Ok(Err(why)) => return Err(fallback(why)),
            Err(_) => return Err(fallback("the push loop did not answer in time".into())),
        }
        shared.latency = Some(start.elapsed());
        tracing::info!(remote = %self.remote.name, mode = %shared.mode, "push loop running");
        let shared = Arc::new(StdMutex::new(shared));
        let (nudges, rx) = mpsc::unbounded_channel();
        let driver = Driver {
            ch,
            reader,
            nonce,
            shared: shared.clone(),
            changes: self.changes.clone(),
            pending: None,
            settling: Vec::new(),
            beats: 0,
            timeout: self.remote.timeout,
            target: self.target.to_string(),
            memory: MemoryPace::default(),
            doubt: None,
        };
        let task = tokio::spawn(driver.run(rx));
        Ok(PushHandle {
            shared,
            nudges,
            task,
        })
    }
}

/// Reads until the first full snapshot; `Err` says why the loop cannot be used.
async fn first_snapshot(
    ch: &mut OwnedChannel,
    reader: &mut BatchReader,
    shared: &mut Shared,
) -> Result<(), String> {
    loop {
        match ch.wait().await {
            Some(ChannelMsg::Data { data }) => {
                for batch in reader.push(&data)? {
                    match batch {
                        Batch::Mode(m) => shared.mode = m,
                        Batch::Events(e) => shared.tmux_events = e == "tmux",
                        Batch::Fail(why) => return Err(why),
                        Batch::Full(records) => {
                            shared.state = PushState::from_full(records);
                            return Ok(());
                        }
                        _ => {}
                    }
                }
            }
            Some(ChannelMsg::Failure) => return Err("the server refused the push loop".into()),
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                ch.mark_closed();
                return Err("the push loop ended before its first snapshot".into());
            }
            Some(_) => {}
        }
    }
}

/// One thing the task woke up for.
enum Step {
    Msg(Option<ChannelMsg>),
    Beat,
    Memory,
    Resync,
    Nudge(Option<Nudge>),
}

impl Driver {
    async fn run(mut self, mut nudges: mpsc::UnboundedReceiver<Nudge>) {
        let now = Instant::now();
        let mut heartbeat = interval_at(now + limits::HEARTBEAT, limits::HEARTBEAT);
        heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut resync = interval_at(now + limits::RESYNC, limits::RESYNC);
        resync.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // The first memory sample at once, then at most one per MEMORY_SAMPLE (see
        // MemoryPace).
        let mut memory = interval_at(now, limits::MEMORY_SAMPLE);
        memory.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                m = self.ch.wait() => Step::Msg(m),
                _ = heartbeat.tick() => Step::Beat,
                _ = resync.tick() => Step::Resync,
                _ = memory.tick() => Step::Memory,
                n = nudges.recv() => Step::Nudge(n),
            };
            let line = match step {
                Step::Msg(m) => match self.on_message(m) {
                    Ok(line) => line,
                    Err(e) => return self.fail(e),
                },
                Step::Beat => match self.on_beat() {
                    Ok(line) => line,
                    Err(e) => return self.fail(e),
                },
                Step::Resync => Some("d".to_string()),
                Step::Memory => self.memory.due(Instant::now()).then(|| "r".to_string()),
                Step::Nudge(Some(Nudge::Settle(done))) => {
                    // The loop answers in order: once this token's answer is in, so
                    // is every change the scan before it found.
                    self.beats += 1;
                    let token = format!("s{:x}", self.beats);
                    self.settling.push((token.clone(), done));
                    Some(format!("t\n{}:h{token}", self.nonce))
                }
                // The handle is gone: dropping the channel ends the loop.
                Step::Nudge(None) => return,
            };
            if let Some(line) = line {
                let bytes = format!("{}:{line}\n", self.nonce);
                match Deadline::within(self.timeout, self.ch.send(bytes.as_bytes())).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => {
                        let e = SourceError::Disconnected(
                            format!("writing to the push loop of {}: {e}", self.target).into(),
                        );
                        return self.fail(e);
                    }
                    Err(_) => {
                        let e = SourceError::timeout_while(
                            self.timeout,
                            format!("writing to the push loop of {}", self.target),
                        );
                        return self.fail(e);
                    }
                }
            }
        }
    }

    /// A message of the channel: the line to send back, if any.
    fn on_message(&mut self, m: Option<ChannelMsg>) -> Result<Option<String>, SourceError> {
        match m {
            Some(ChannelMsg::Data { data }) => {
                let batches = self
                    .reader
                    .push(&data)
                    .map_err(|e| SourceError::Remote(format!("{}: {e}", self.target).into()))?;
                let mut reply = None;
                for batch in batches {
                    if let Some(line) = self.on_batch(batch)? {
                        reply = Some(line);
                    }
                }
                Ok(reply)
            }
            Some(ChannelMsg::Eof | ChannelMsg::Close) | None => {
                self.ch.mark_closed();
                Err(SourceError::Disconnected(
                    format!("the push loop of {} ended", self.target).into(),
                ))
            }
            Some(_) => Ok(None),
        }
    }

    /// Applies one batch; the line to send back, if any.
    fn on_batch(&mut self, batch: Batch) -> Result<Option<String>, SourceError> {
        let mut shared = self
            .shared
            .lock()
            .map_err(|_| SourceError::Other("the push state was poisoned".into()))?;
        let changed = match batch {
            Batch::Mode(m) => {
                tracing::info!(remote = %self.target, mode = %m, "push loop watches by {m}");
                shared.mode = m;
                true
            }
            Batch::Events(e) => {
                tracing::info!(remote = %self.target, events = %e, "push loop follows tmux events");
                shared.tmux_events = e == "tmux";
                false
            }
            Batch::Full(records) => {
                let state = PushState::from_full_after(records, &shared.state);
                let changed = state != shared.state;
                shared.state = state;
                changed
            }
            Batch::Delta(records) => {
                let changed = shared.state.apply_delta(records);
                if shared.state.take_resend() {
                    // A difference that did not apply: the snapshot heals it.
                    tracing::info!(remote = %self.target, "a status file's difference does not apply to what navi holds; asking for a snapshot");
                    drop(shared);
                    if changed {
                        self.changes.notify_one();
                    }
                    return Ok(Some("s".to_string()));
                }
                changed
            }
            Batch::Heartbeat(token) => {
                if let Some(i) = self.settling.iter().position(|(t, _)| *t == token) {
                    let (_, done) = self.settling.swap_remove(i);
                    let _ = done.send(());
                }
                if let Some((sent_token, sent)) = &self.pending {
                    if *sent_token == token {
                        shared.latency = Some(sent.elapsed());
                        self.pending = None;
                    }
                }
                false
            }
            Batch::Sums { files, marks } => {
                let now = shared.state.differences(&files, &marks);
                let (verdict, doubt) = digest_verdict(self.doubt.take(), now);
                self.doubt = doubt;
                match verdict {
                    Verdict::Agrees => {}
                    Verdict::AskAgain => {
                        tracing::debug!(remote = %self.target, "resync: the digest differs from what navi holds; asking again (a change may be on its way)");
                        return Ok(Some("d".to_string()));
                    }
                    Verdict::Resend => {
                        tracing::info!(remote = %self.target, "resync: the remote differs from what navi holds; asking for a snapshot");
                        return Ok(Some("s".to_string()));
                    }
                }
                false
            }
            Batch::Fail(why) => {
                return Err(SourceError::Remote(
                    format!("{}: the push loop failed: {why}", self.target).into(),
                ))
            }
        };
        drop(shared);
        if changed {
            self.memory.changed();
            self.changes.notify_one();
        }
        Ok(None)
    }

    /// The heartbeat's tick: the next heartbeat line (none while one is still out), or
    /// the timeout of the one that is out.
    fn on_beat(&mut self) -> Result<Option<String>, SourceError> {
        if let Some((_, sent)) = &self.pending {
            if sent.elapsed() >= self.timeout {
                return Err(SourceError::timeout_while(
                    self.timeout,
                    format!("waiting for the heartbeat of {}", self.target),
                ));
            }
            return Ok(None);
        }
        self.beats += 1;
        let token = format!("{:x}", self.beats);
        self.pending = Some((token.clone(), Instant::now()));
        if self.beats.is_multiple_of(self.tmux_every()) {
            // The tmux check rides on the same write.
            return Ok(Some(format!("h{token}\n{}:t", self.nonce)));
        }
        Ok(Some(format!("h{token}")))
    }

    /// How many heartbeats apart navi asks for the tmux check: rarely where the loop
    /// follows tmux events.
    fn tmux_every(&self) -> u64 {
        match self.shared.lock() {
            Ok(s) if s.tmux_events => TMUX_EVERY_WITH_EVENTS,
            _ => TMUX_EVERY,
        }
    }

    /// Records why the loop stopped and wakes the aggregator to report it.
    fn fail(self, e: SourceError) {
        tracing::warn!(remote = %self.target, "push loop stopped: {e}");
        if let Ok(mut shared) = self.shared.lock() {
            shared.failed = Some(e);
        }
        self.changes.notify_one();
    }
}

#[cfg(test)]
mod memory_pace_tests {
    use super::*;

    /// A sample at the first tick; then every tick while the sessions change, and only
    /// once per MEMORY_SAMPLE_IDLE while they do not.
    #[test]
    fn an_idle_remote_is_sampled_once_a_minute_a_changing_one_every_tick() {
        let start = Instant::now();
        let at = |ticks: u32| start + limits::MEMORY_SAMPLE * ticks;
        let mut pace = MemoryPace::default();
        assert!(pace.due(at(0)), "the first sample at once");
        let idle_ticks =
            (limits::MEMORY_SAMPLE_IDLE.as_secs() / limits::MEMORY_SAMPLE.as_secs()) as u32;
        for k in 1..idle_ticks {
            assert!(!pace.due(at(k)), "idle tick {k}: no sample");
        }
        assert!(pace.due(at(idle_ticks)), "a minute later: a sample");
        for k in 1..=3 {
            pace.changed();
            assert!(
                pace.due(at(idle_ticks + k)),
                "a change: sampled at the next tick"
            );
        }
        assert!(!pace.due(at(idle_ticks + 4)), "no change since: none");
    }
}

#[cfg(test)]
mod digest_verdict_tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    /// A digest that agrees clears any doubt; one that differs is asked again; the same
    /// difference twice (the same bytes on the remote, navi holding others) is a
    /// snapshot; differences that keep changing (a file still being written) are asked
    /// again at most DIGEST_RECHECKS times, then a snapshot all the same.
    #[test]
    fn a_digest_that_differs_is_asked_again_before_a_snapshot() {
        let (v, d) = digest_verdict(None, set(&[]));
        assert_eq!((v, d), (Verdict::Agrees, None));

        let (v, d) = digest_verdict(None, set(&["F a.json 1 10"]));
        assert_eq!(v, Verdict::AskAgain);
        // The change arrived in the meantime: the next digest agrees.
        let (v, d2) = digest_verdict(d.clone(), set(&[]));
        assert_eq!((v, d2), (Verdict::Agrees, None));
        // The same bytes on the remote again: for good.
        let (v, d3) = digest_verdict(d, set(&["F a.json 1 10", "F b.json -"]));
        assert_eq!((v, d3), (Verdict::Resend, None));

        // A file rewritten between every digest: asked again DIGEST_RECHECKS times.
        let mut doubt = None;
        let mut verdicts = Vec::new();
        for k in 0..=DIGEST_RECHECKS {
            let (v, d) = digest_verdict(doubt, set(&[&format!("F a.json {k} 10")]));
            verdicts.push(v);
            doubt = d;
        }
        let mut want = vec![Verdict::AskAgain; usize::from(DIGEST_RECHECKS)];
        want.push(Verdict::Resend);
        assert_eq!(verdicts, want);
        assert_eq!(doubt, None);
    }
}
