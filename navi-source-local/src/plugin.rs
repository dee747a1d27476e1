//! [`PluginSource`]: a program that speaks navi's plugin protocol
//! (`docs/plugin-protocol.md`, [`navi_core::plugin`]) as a [`SessionSource`].
//!
//! The program is started from its argv (no shell) in its own process group, on this
//! machine, which is why it lives beside the local source. Its output is untrusted as a
//! remote's is: lines are bounded ([`MAX_LINE`]), what navi holds of it is bounded
//! ([`navi_core::plugin::MAX_STATE_BYTES`]), text is sanitised. Whatever goes wrong
//! (it cannot start, crashes, exits, hangs, floods, writes garbage, says another protocol
//! version) makes it one unavailable source with the reason; its process group is killed
//! and reaped, and it is started again after a backoff that doubles per failure. Dropping
//! the source kills and reaps the group: nothing it started outlives navi's use of it.
//!
//! I/O runs on plain threads (one reader per pipe, one writer), so an attach request can
//! be answered while the caller waits synchronously ([`SessionSource::attach`] is not
//! async) on any runtime.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use navi_core::plugin::{action_output, Applied, Health, PluginState, Reply, Request, MAX_LINE};
use navi_core::{
    limits, Action, ActionOutput, AttachCommand, AttachContext, Capabilities, Deadline, Detail,
    PollReport, SessionInfo, SessionSource, SourceError, SourceOptions,
};
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

/// The most stderr lines of one run that reach the log (the rest are read and dropped).
const MAX_STDERR_LINES: usize = 200;
/// The longest stderr line logged (longer ones are cut).
const MAX_STDERR_LINE: usize = 2048;
/// Requests waiting to be written to a plugin that is not reading them.
const MAX_QUEUED_REQUESTS: usize = 64;
/// Requests waiting for an answer at once.
const MAX_PENDING: usize = 256;
/// How much of stdout is read at a time.
const CHUNK: usize = 64 * 1024;

type AnswerResult = Result<Reply, String>;

enum Waiter {
    Async(oneshot::Sender<AnswerResult>),
    Blocking(mpsc::SyncSender<AnswerResult>),
}

impl Waiter {
    fn send(self, result: AnswerResult) {
        match self {
            Waiter::Async(tx) => {
                let _ = tx.send(result);
            }
            Waiter::Blocking(tx) => {
                let _ = tx.try_send(result);
            }
        }
    }
}

/// What the reader threads and the source share about the current run.
#[derive(Default)]
struct Shared {
    run: u64,
    plugin: PluginState,
    /// Why the run ended (it exited, flooded, broke the protocol), once it has.
    ended: Option<String>,
    lines: u64,
    waiters: HashMap<u64, Waiter>,
}

struct Pipes {
    shared: Mutex<Shared>,
    changed: Notify,
    /// The most bytes of one unfinished line the reader ever held (for tests: what a
    /// flood cost).
    peak_line: AtomicUsize,
}

impl Pipes {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        match self.shared.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
}

/// A running plugin: dropping it kills and reaps its process group.
struct Run {
    child: Child,
    requests: mpsc::SyncSender<String>,
    started: Instant,
    heard: Instant,
    lines_seen: u64,
}

impl Drop for Run {
    fn drop(&mut self) {
        crate::process::kill_group(&mut self.child);
    }
}

#[derive(Default)]
struct Lifecycle {
    run: Option<Run>,
    failures: u32,
    /// No start before this (the backoff after a failure).
    not_before: Option<Instant>,
    last_error: Option<SourceError>,
}

/// A source plugin: the program `argv` speaking navi's plugin protocol.
pub struct PluginSource {
    name: String,
    argv: Vec<String>,
    pipes: Arc<Pipes>,
    life: Mutex<Lifecycle>,
    caps: Mutex<(Capabilities, bool)>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for PluginSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginSource")
            .field("name", &self.name)
            .field("argv", &self.argv)
            .finish_non_exhaustive()
    }
}

impl PluginSource {
    /// Poll timeout and interval of a plugin source.
    pub const OPTIONS: SourceOptions =
        SourceOptions::new(limits::PLUGIN_TIMEOUT, limits::PLUGIN_POLL_INTERVAL);

    /// The plugin `name` (its label: `[name]` on its rows), run as `argv` (not empty;
    /// `argv[0]` looked up in `PATH`). Nothing starts until the first poll.
    pub fn new(name: impl Into<String>, argv: Vec<String>) -> PluginSource {
        PluginSource {
            name: name.into(),
            argv,
            pipes: Arc::new(Pipes {
                shared: Mutex::new(Shared::default()),
                changed: Notify::new(),
                peak_line: AtomicUsize::new(0),
            }),
            life: Mutex::new(Lifecycle::default()),
            caps: Mutex::new((Capabilities::default(), false)),
            next_id: AtomicU64::new(1),
        }
    }

    /// Whether its hello declared attach.
    pub fn supports_attach(&self) -> bool {
        lock(&self.caps).1
    }

    /// The most bytes of one unfinished output line navi held so far (bounded by
    /// [`MAX_LINE`] plus one read): what a flood cost.
    pub fn peak_line_bytes(&self) -> usize {
        self.pipes.peak_line.load(Ordering::SeqCst)
    }

    /// The bytes of session objects held now.
    pub fn held_bytes(&self) -> usize {
        self.pipes.lock().plugin.bytes()
    }

    /// The process id of the running plugin, if one runs.
    pub fn pid(&self) -> Option<u32> {
        self.life().run.as_ref().map(|r| r.child.id())
    }

    /// Closes the plugin's stdin, as navi's exit does, and waits until `deadline` for it
    /// to exit: whether it did. The run ends either way (its process group is killed).
    pub async fn close_and_wait(&self, deadline: Deadline) -> bool {
        match self.life().run.as_mut() {
            // The writer thread ends with its queue and closes stdin.
            Some(run) => run.requests = mpsc::sync_channel(1).0,
            None => return true,
        }
        loop {
            let exited = match self.life().run.as_mut() {
                Some(run) => matches!(run.child.try_wait(), Ok(Some(_))),
                None => true,
            };
            if exited || deadline.passed() {
                self.life().run = None;
                return exited;
            }
            tokio::time::sleep(limits::PLUGIN_EXIT_CHECK).await;
        }
    }

    /// How many times in a row it failed (the backoff grows with it).
    pub fn failures(&self) -> u32 {
        self.life().failures
    }

    /// Sends `request` without waiting for its answer (`navi plugin check` uses it to
    /// send what navi itself never would).
    pub async fn request(
        &self,
        request: Request,
        deadline: Deadline,
    ) -> Result<Reply, SourceError> {
        let rx = self.send(request, Waiter::Async)?;
        deadline
            .bound(
                async {
                    match rx.await {
                        Ok(r) => r.map_err(|e| SourceError::Rejected(e.into())),
                        Err(_) => Err(self.ended_before_answer()),
                    }
                },
                &format!("waiting for plugin {}'s answer", self.name),
            )
            .await
    }

    /// Writes `line` to the plugin as it is, waiting for nothing (`navi plugin check`
    /// sends broken lines with it: a plugin must skip them).
    pub fn send_line(&self, line: &str) -> Result<(), SourceError> {
        let life = self.life();
        let Some(run) = life.run.as_ref() else {
            return Err(self.error("not running"));
        };
        run.requests
            .try_send(line.to_string())
            .map_err(|_| self.error("it does not read its requests"))
    }

    /// Whether the current run ended (it exited, flooded, broke the protocol): the
    /// reason.
    pub fn ended(&self) -> Option<String> {
        self.pipes.lock().ended.clone()
    }

    /// What the plugin's last snapshot said it could not read (its `skipped`), as
    /// opposed to lines navi could not read.
    pub fn declared_skipped(&self) -> Vec<navi_core::SkippedFile> {
        self.pipes.lock().plugin.declared_skipped().to_vec()
    }

    fn ended_before_answer(&self) -> SourceError {
        SourceError::Disconnected(format!("plugin {} ended before answering", self.name).into())
    }

    fn life(&self) -> MutexGuard<'_, Lifecycle> {
        match self.life.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn error(&self, reason: &str) -> SourceError {
        SourceError::Remote(Detail::new(format!(
            "plugin {}: {}",
            self.name,
            navi_core::text::sanitize(reason)
        )))
    }

    /// Writes a request and registers its waiter; `Err` when no plugin runs or it does
    /// not keep up.
    fn send(
        &self,
        request: Request,
        waiter: impl FnOnce(oneshot::Sender<AnswerResult>) -> Waiter,
    ) -> Result<oneshot::Receiver<AnswerResult>, SourceError> {
        let (tx, rx) = oneshot::channel();
        self.send_with(request, waiter(tx))?;
        Ok(rx)
    }

    fn send_with(&self, request: Request, waiter: Waiter) -> Result<(), SourceError> {
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let life = self.life();
        let Some(run) = life.run.as_ref() else {
            return Err(self.error("not running"));
        };
        {
            let mut shared = self.pipes.lock();
            if shared.waiters.len() >= MAX_PENDING {
                return Err(self.error("too many requests without an answer"));
            }
            shared.waiters.insert(id, waiter);
        }
        if run.requests.try_send(request.to_line(id)).is_err() {
            self.pipes.lock().waiters.remove(&id);
            return Err(self.error("it does not read its requests"));
        }
        Ok(())
    }

    /// Starts the plugin when none runs and the backoff allows; ends a run that failed.
    fn check_run(&self) -> Result<(), SourceError> {
        let mut life = self.life();
        let ended = self.pipes.lock().ended.clone();
        if let (Some(reason), Some(_)) = (ended, life.run.as_ref()) {
            return Err(self.fail(&mut life, self.error(&reason)));
        }
        if let Some(run) = life.run.as_mut() {
            if !self.heard(run) && run.heard.elapsed() >= limits::PLUGIN_SILENCE {
                let e = SourceError::timeout_while(
                    limits::PLUGIN_SILENCE,
                    format!(
                        "plugin {}: it said nothing (hung?); restarting it",
                        self.name
                    ),
                );
                return Err(self.fail(&mut life, e));
            }
            return Ok(());
        }
        if let Some(at) = life.not_before {
            if Instant::now() < at {
                let wait = at.saturating_duration_since(Instant::now());
                let last = life
                    .last_error
                    .clone()
                    .unwrap_or_else(|| self.error("not running"));
                return Err(last.with_note(format!(
                    "(restarting in {})",
                    navi_core::format_duration(wait)
                )));
            }
        }
        match self.start() {
            Ok(run) => {
                life.run = Some(run);
                Ok(())
            }
            Err(e) => Err(self.fail(&mut life, e)),
        }
    }

    /// Notes when the plugin was last heard (a poll's view of time: the reader threads
    /// only count lines); whether it said something since the last look.
    fn heard(&self, run: &mut Run) -> bool {
        let lines = self.pipes.lock().lines;
        let new = lines != run.lines_seen;
        if new {
            run.lines_seen = lines;
            run.heard = Instant::now();
        }
        new
    }

    /// Ends the run (killing its group) and schedules the next start.
    fn fail(&self, life: &mut Lifecycle, e: SourceError) -> SourceError {
        life.run = None;
        let shift = life.failures.min(16);
        let delay = limits::PLUGIN_BACKOFF_START
            .saturating_mul(1u32 << shift)
            .min(limits::PLUGIN_BACKOFF_CAP);
        life.failures = life.failures.saturating_add(1);
        life.not_before = Some(Instant::now() + delay);
        life.last_error = Some(e.clone());
        tracing::warn!(plugin = %self.name, "{e}; restarting in {}", navi_core::format_duration(delay));
        let mut shared = self.pipes.lock();
        for (_, w) in shared.waiters.drain() {
            w.send(Err(format!("plugin {} ended before answering", self.name)));
        }
        e
    }

    fn start(&self) -> Result<Run, SourceError> {
        let Some((program, args)) = self.argv.split_first() else {
            return Err(SourceError::Config(
                format!("plugin {}: `command` is empty", self.name).into(),
            ));
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd.spawn().map_err(|e| {
            SourceError::Io(Detail::new(format!(
                "plugin {}: cannot start {program:?} ({e}); check `command` in config.yaml",
                self.name
            )))
        })?;
        let run_id = {
            let mut shared = self.pipes.lock();
            shared.run += 1;
            shared.plugin = PluginState::default();
            shared.ended = None;
            shared.lines = 0;
            shared.run
        };
        let (requests, queue) = mpsc::sync_channel::<String>(MAX_QUEUED_REQUESTS);
        if let Some(stdin) = child.stdin.take() {
            std::thread::spawn(move || write_requests(stdin, queue));
        }
        if let Some(stdout) = child.stdout.take() {
            let pipes = self.pipes.clone();
            std::thread::spawn(move || read_output(stdout, &pipes, run_id));
        }
        if let Some(stderr) = child.stderr.take() {
            let name = self.name.clone();
            // The log navi's caller set up (a scoped one too) gets the plugin's lines.
            let log = tracing::dispatcher::get_default(|d| d.clone());
            std::thread::spawn(move || {
                tracing::dispatcher::with_default(&log, || log_stderr(stderr, &name))
            });
        }
        tracing::info!(plugin = %self.name, pid = child.id(), "plugin started");
        let now = Instant::now();
        Ok(Run {
            child,
            requests,
            started: now,
            heard: now,
            lines_seen: 0,
        })
    }

    /// Waits (until `deadline` and the start limit) for the hello and first snapshot.
    async fn wait_ready(&self, deadline: Deadline) -> Result<(), SourceError> {
        let started = match self.life().run.as_ref() {
            Some(r) => r.started,
            None => return Err(self.error("not running")),
        };
        let start_by = Deadline::at(started + limits::PLUGIN_START, limits::PLUGIN_START);
        let by = match start_by.instant() < deadline.instant() {
            true => start_by,
            false => deadline,
        };
        loop {
            let notified = self.pipes.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let shared = self.pipes.lock();
                if let Some(reason) = &shared.ended {
                    let e = self.error(reason);
                    drop(shared);
                    return Err(self.fail(&mut self.life(), e));
                }
                if shared.plugin.is_ready() {
                    return Ok(());
                }
            }
            if by.run(notified).await.is_err() {
                let e = by.timed_out(&format!(
                    "waiting for plugin {}'s hello and first snapshot",
                    self.name
                ));
                if by == start_by {
                    return Err(self.fail(&mut self.life(), e));
                }
                return Err(e);
            }
        }
    }

    fn report(&self) -> Result<PollReport, SourceError> {
        let mut shared = self.pipes.lock();
        if let Some(hello) = shared.plugin.hello() {
            *lock(&self.caps) = (hello.actions, hello.attach);
        }
        match shared.plugin.health() {
            Health::Unavailable(reason) => Err(SourceError::Remote(Detail::new(format!(
                "plugin {}: {reason}",
                self.name
            )))),
            Health::Ok => {
                let report = PollReport {
                    sessions: shared.plugin.sessions().into_iter().map(Arc::new).collect(),
                    skipped: shared.plugin.take_skipped(),
                    ..PollReport::default()
                };
                drop(shared);
                let mut life = self.life();
                // A good poll of a run that stayed up a while is a recovery: the backoff
                // starts over. A run that fails soon after (one snapshot, then a crash)
                // keeps doubling it.
                if life
                    .run
                    .as_ref()
                    .is_some_and(|r| r.started.elapsed() >= limits::PLUGIN_STABLE)
                {
                    life.failures = 0;
                }
                life.last_error = None;
                Ok(report)
            }
        }
    }

    fn check_input(session: &str, action: &Action) -> Result<(), SourceError> {
        let checked = match action {
            Action::New { .. } => navi_core::check_session_name(session),
            Action::Rename { to } => navi_core::check_session_name(to),
            Action::Send { text } => navi_core::check_send_text(text),
            _ => Ok(()),
        };
        checked.map_err(|e| SourceError::Rejected(e.into()))
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

#[async_trait]
impl SessionSource for PluginSource {
    fn label(&self) -> Option<&str> {
        Some(&self.name)
    }

    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        self.poll_within(Deadline::after(limits::PLUGIN_TIMEOUT))
            .await
    }

    async fn poll_within(&self, deadline: Deadline) -> Result<PollReport, SourceError> {
        self.check_run()?;
        self.wait_ready(deadline).await?;
        if let Some(run) = self.life().run.as_mut() {
            self.heard(run);
        }
        self.report()
    }

    fn attach(
        &self,
        session: &SessionInfo,
        ctx: &AttachContext,
    ) -> Result<AttachCommand, SourceError> {
        if !lock(&self.caps).1 {
            return Err(SourceError::Unsupported(
                format!("plugin {} does not attach", self.name).into(),
            ));
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let request = Request::Attach {
            session: session.tmux_session.clone(),
            inside_tmux: ctx.inside_tmux,
        };
        self.send_with(request, Waiter::Blocking(tx))?;
        // attach is not async: this thread waits; the plugin's answer is read by the
        // reader thread, so any runtime (even a current-thread one) gets it.
        let answer = match rx.recv_timeout(limits::PLUGIN_ATTACH) {
            Ok(a) => a,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(SourceError::timeout_while(
                    limits::PLUGIN_ATTACH,
                    format!("waiting for plugin {}'s attach command", self.name),
                ))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return Err(self.ended_before_answer()),
        };
        match answer {
            Ok(Reply {
                argv: Some(argv), ..
            }) if !argv.is_empty() => Ok(AttachCommand::new(argv)),
            Ok(_) => Err(self.error("its attach answer has no argv")),
            Err(e) => Err(SourceError::Rejected(e.into())),
        }
    }

    async fn wait_change(&self) {
        self.pipes.changed.notified().await
    }

    fn retry_now(&self) {
        self.life().not_before = None;
        // The plugin hears it too (it may have a backoff of its own); its answer is
        // not waited for.
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        if let Some(run) = self.life().run.as_ref() {
            let _ = run.requests.try_send(Request::RetryNow.to_line(id));
        }
    }

    fn supports(&self) -> Capabilities {
        lock(&self.caps).0
    }

    async fn act(&self, session: &str, action: &Action) -> Result<ActionOutput, SourceError> {
        self.act_within(session, action, Deadline::after(limits::ACTION))
            .await
    }

    async fn act_within(
        &self,
        session: &str,
        action: &Action,
        deadline: Deadline,
    ) -> Result<ActionOutput, SourceError> {
        if !self.supports().allows(action) {
            return Err(SourceError::Unsupported(
                format!("plugin {} cannot {}", self.name, action.name()).into(),
            ));
        }
        Self::check_input(session, action)?;
        let request = Request::Action {
            session: session.to_string(),
            action: action.clone(),
        };
        let reply = self.request(request, deadline).await?;
        Ok(action_output(action, reply))
    }
}

/// Writes queued request lines to the plugin's stdin until it closes or the run ends.
fn write_requests(mut stdin: std::process::ChildStdin, queue: mpsc::Receiver<String>) {
    for line in queue {
        if stdin.write_all(line.as_bytes()).is_err()
            || stdin.write_all(b"\n").is_err()
            || stdin.flush().is_err()
        {
            return;
        }
    }
}

/// Reads the plugin's stdout, line by line (each at most [`MAX_LINE`]), into the shared
/// state, until it closes, floods or breaks the protocol; then says why the run ended.
fn read_output(mut out: impl Read, pipes: &Pipes, run: u64) {
    let mut line: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; CHUNK];
    let reason = loop {
        let n = match out.read(&mut chunk) {
            Ok(0) => break "it exited (its output closed)".to_string(),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => break format!("reading its output failed: {e}"),
        };
        let mut rest = &chunk[..n];
        let mut fatal = None;
        while let Some(at) = rest.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(&rest[..at]);
            rest = &rest[at + 1..];
            if let Some(f) = apply(pipes, run, &line) {
                fatal = Some(f);
                break;
            }
            line.clear();
        }
        if let Some(f) = fatal {
            break f;
        }
        line.extend_from_slice(rest);
        pipes.peak_line.fetch_max(line.len(), Ordering::SeqCst);
        if line.len() > MAX_LINE {
            break format!("it wrote a line over {MAX_LINE} bytes (flooding?)");
        }
    };
    let mut shared = pipes.lock();
    if shared.run == run && shared.ended.is_none() {
        shared.ended = Some(reason);
    }
    drop(shared);
    pipes.changed.notify_waiters();
}

/// Applies one line; `Some(reason)` when the run cannot go on.
fn apply(pipes: &Pipes, run: u64, line: &[u8]) -> Option<String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut shared = pipes.lock();
    if shared.run != run {
        return Some("replaced".into());
    }
    shared.lines += 1;
    match shared.plugin.apply(line) {
        Applied::Fatal(reason) => return Some(reason),
        Applied::Answer(a) => {
            if let Some(w) = shared.waiters.remove(&a.id) {
                w.send(a.result);
            }
            return None;
        }
        Applied::Hello | Applied::Changed => {}
        Applied::Nothing | Applied::Garbage(_) => return None,
    }
    drop(shared);
    pipes.changed.notify_waiters();
    None
}

/// Logs the plugin's stderr, labelled, each line cut to [`MAX_STDERR_LINE`], the first
/// [`MAX_STDERR_LINES`] of a run; the rest is read and dropped (a plugin blocked on a full
/// stderr pipe would hang).
fn log_stderr(mut err: impl Read, name: &str) {
    let mut logged = 0;
    let mut line: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 8192];
    let log = |line: &[u8], logged: &mut usize| {
        *logged += 1;
        if *logged <= MAX_STDERR_LINES {
            let text = String::from_utf8_lossy(line);
            tracing::warn!(plugin = %name, "stderr: {}", navi_core::text::sanitize(&text));
        } else if *logged == MAX_STDERR_LINES + 1 {
            tracing::warn!(plugin = %name, "stderr: more lines dropped");
        }
    };
    loop {
        let n = match err.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &chunk[..n] {
            if b == b'\n' {
                log(&line, &mut logged);
                line.clear();
            } else if line.len() < MAX_STDERR_LINE {
                line.push(b);
            }
        }
    }
    if !line.is_empty() {
        log(&line, &mut logged);
    }
}

#[cfg(test)]
mod tests;
