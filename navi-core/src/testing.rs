//! Test support (feature `testing`): [`MockSource`] and the conformance suite every
//! [`SessionSource`] should pass. Unstable: for tests, not for production code.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::{
    AttachCommand, AttachContext, DynSessionSource, PollReport, SessionInfo, SessionSource,
    SourceError, Status,
};

/// Poll options for tests: 10 s timeout, every 2 s.
pub const OPTIONS: crate::SourceOptions =
    crate::SourceOptions::new(Duration::from_secs(10), Duration::from_secs(2));

/// What a [`MockSource`] does on one poll.
#[derive(Debug, Clone, PartialEq)]
pub enum MockStep {
    /// Answer these sessions after `latency`.
    Ok {
        /// Sessions returned.
        sessions: Vec<SessionInfo>,
        /// Time before answering (on tokio's clock, so a paused clock makes it instant).
        latency: Duration,
    },
    /// Fail with `error` after `latency`.
    Err {
        /// The error returned.
        error: SourceError,
        /// Time before failing.
        latency: Duration,
    },
    /// Never answer.
    Hang,
}

/// A scripted source: each poll takes the next [`MockStep`]; the last step repeats.
#[derive(Debug)]
pub struct MockSource {
    label: Option<String>,
    steps: Mutex<VecDeque<MockStep>>,
    polls: AtomicUsize,
    retries: AtomicUsize,
}

impl MockSource {
    /// A source that plays `steps` in order and then repeats the last one.
    pub fn scripted(label: Option<&str>, steps: Vec<MockStep>) -> Self {
        MockSource {
            label: label.map(str::to_owned),
            steps: Mutex::new(steps.into()),
            polls: AtomicUsize::new(0),
            retries: AtomicUsize::new(0),
        }
    }

    /// Always answers `sessions` after `latency`.
    pub fn ok(label: Option<&str>, sessions: Vec<SessionInfo>, latency: Duration) -> Self {
        Self::scripted(label, vec![MockStep::Ok { sessions, latency }])
    }

    /// Always fails with `error` after `latency`.
    pub fn failing(label: Option<&str>, error: SourceError, latency: Duration) -> Self {
        Self::scripted(label, vec![MockStep::Err { error, latency }])
    }

    /// Never answers.
    pub fn hanging(label: Option<&str>) -> Self {
        Self::scripted(label, vec![MockStep::Hang])
    }

    /// How many polls have started.
    pub fn polls(&self) -> usize {
        self.polls.load(Ordering::SeqCst)
    }

    /// How many times [`SessionSource::retry_now`] was called.
    pub fn retries(&self) -> usize {
        self.retries.load(Ordering::SeqCst)
    }

    fn next_step(&self) -> MockStep {
        let mut steps = match self.steps.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if steps.len() > 1 {
            steps.pop_front().unwrap_or(MockStep::Hang)
        } else {
            steps.front().cloned().unwrap_or(MockStep::Hang)
        }
    }
}

#[async_trait]
impl SessionSource for MockSource {
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        match self.next_step() {
            MockStep::Ok { sessions, latency } => {
                tokio::time::sleep(latency).await;
                Ok(PollReport::from(sessions))
            }
            MockStep::Err { error, latency } => {
                tokio::time::sleep(latency).await;
                Err(error)
            }
            MockStep::Hang => std::future::pending().await,
        }
    }

    fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        Ok(AttachCommand::local_tmux(&s.tmux_session, ctx))
    }

    fn retry_now(&self) {
        self.retries.fetch_add(1, Ordering::SeqCst);
    }
}

/// A session with just a name, a status and a timestamp.
pub fn session(name: &str, status: &str, timestamp: i64) -> SessionInfo {
    SessionInfo {
        tmux_session: name.into(),
        status: Status::from_hook(status),
        timestamp,
        ..SessionInfo::default()
    }
}

/// Builds a source over a given set of status files, for [`run_conformance`].
#[async_trait]
pub trait ConformanceFixture: Send + Sync {
    /// A fresh source whose status directory holds exactly `files` (`name`, bytes).
    async fn source_with(&self, files: &[(String, Vec<u8>)]) -> DynSessionSource;

    /// Writes `bytes` as the file `name` into the status directory of the source the
    /// last [`source_with`](Self::source_with) made, as a hook would; `false` when this
    /// fixture cannot (the suite then skips the check that a change wakes
    /// [`SessionSource::wait_change`]).
    async fn write(&self, _name: &str, _bytes: &[u8]) -> bool {
        false
    }
}

fn fixture_files() -> Vec<(String, Vec<u8>)> {
    crate::fixtures::FILES
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect()
}

fn names<S: std::borrow::Borrow<SessionInfo>>(sessions: &[S]) -> Vec<String> {
    let mut v: Vec<String> = (sessions.iter())
        .map(|s| s.borrow().tmux_session.clone())
        .collect();
    v.sort();
    v
}

/// The behaviour every source that reads status files owes navi. Panics with a message
/// naming the failed case. Call it from the source's own tests:
///
/// ```text
/// navi_core::testing::run_conformance(&MyFixture::new()).await;
/// ```
pub async fn run_conformance<F: ConformanceFixture>(fixture: &F) {
    let source = fixture.source_with(&fixture_files()).await;
    let sessions = check_fixtures(&source).await;
    check_repeatable(&source, &sessions).await;
    check_empty(fixture).await;
    let (source, report) = check_broken_files(fixture).await;
    check_attach(&source, &report);
    check_actions(&source).await;
    let source = fixture.source_with(&fixture_files()).await;
    check_cancel_safety(&source).await;
    check_wait_change(fixture, &source).await;
}

/// 7. Cancel-safety: a poll dropped at any point (the aggregator's timeout, a refresh)
///    leaves the source whole; the next poll answers in full. The source has answered
///    once first: a connection cut short while it is being made may count as a failed
///    attempt (a remote source then waits out its reconnect backoff, by design).
async fn check_cancel_safety(source: &DynSessionSource) {
    source
        .poll()
        .await
        .unwrap_or_else(|e| panic!("cancel-safety: first poll failed: {e}"));
    // Dropped before its first step, then after ever more of them: one yield at a time.
    for steps in 0..24 {
        let mut poll = std::pin::pin!(source.poll());
        for _ in 0..steps {
            if futures_poll_once(poll.as_mut()).await.is_some() {
                break;
            }
        }
    }
    let again = source
        .poll()
        .await
        .unwrap_or_else(|e| panic!("cancel-safety: poll after dropped polls failed: {e}"));
    assert_eq!(
        names(&again),
        ["api", "deploy", "hyperion", "legacy", "notes"],
        "cancel-safety: dropped polls cost nothing"
    );
}

/// Polls `fut` once (then yields): its output if it finished.
async fn futures_poll_once<F: std::future::Future + ?Sized>(
    fut: std::pin::Pin<&mut F>,
) -> Option<F::Output> {
    let mut fut = Some(fut);
    let out = std::future::poll_fn(|cx| {
        let f = fut.take();
        std::task::Poll::Ready(f.and_then(|f| match f.poll(cx) {
            std::task::Poll::Ready(v) => Some(v),
            std::task::Poll::Pending => None,
        }))
    })
    .await;
    tokio::task::yield_now().await;
    out
}

/// How long the suite waits for a change to wake `wait_change` (a bound against a hang,
/// not a speed target: the sources answer in milliseconds).
const CHANGE_BOUND: Duration = Duration::from_secs(20);

/// 8. `wait_change`: dropped while waiting (the aggregator's interval came first) it
///    costs nothing; a status file written while it waits wakes it, and the next poll
///    shows the new session.
async fn check_wait_change<F: ConformanceFixture>(fixture: &F, source: &DynSessionSource) {
    for _ in 0..3 {
        let _ = crate::Deadline::after(Duration::from_millis(20))
            .run(source.wait_change())
            .await;
    }
    let body =
        br#"{"tmux_session":"later","status":"waiting","message":"","cwd":"/tmp","timestamp":9}"#;
    let waiting = async {
        source.wait_change().await;
    };
    let write = async {
        // The wait is armed first: it is polled before the write happens.
        tokio::task::yield_now().await;
        fixture.write("later.json", body).await
    };
    let (woke, wrote) = tokio::join!(crate::Deadline::after(CHANGE_BOUND).run(waiting), write);
    if !wrote {
        return;
    }
    assert!(
        woke.is_ok(),
        "wait_change: a status file written while it waits wakes it"
    );
    let mut seen = Vec::new();
    let until = tokio::time::Instant::now() + CHANGE_BOUND;
    while tokio::time::Instant::now() < until {
        seen = source
            .poll()
            .await
            .unwrap_or_else(|e| panic!("wait_change: poll after the change failed: {e}"));
        if seen.iter().any(|s| s.tmux_session == "later") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("wait_change: the new session is polled: {:?}", names(&seen));
}

/// Step 6, actions: one the source does not claim is refused as unsupported; one it
/// claims refuses bad input (a name tmux rejects, two lines of input) before touching
/// tmux.
async fn check_actions(source: &DynSessionSource) {
    let caps = source.supports();
    let bad = [
        (
            "a.b",
            crate::Action::New {
                dir: "~".into(),
                command: Vec::new(),
                create_dir: false,
            },
        ),
        ("api", crate::Action::Rename { to: "a:b".into() }),
        (
            "api",
            crate::Action::Send {
                text: "two\nlines".into(),
            },
        ),
        (
            "api",
            crate::Action::Keys {
                keys: vec!["Escape".into(), "rm -rf".into()],
            },
        ),
        (
            "api",
            crate::Action::Answer {
                choice: crate::permission::Choice::Approve,
                expect: "not a dialog".into(),
            },
        ),
    ];
    for (name, action) in bad {
        let result = source.act(name, &action).await;
        match (caps.allows(&action), result) {
            (false, Err(SourceError::Unsupported(_))) => {}
            (false, other) => panic!("actions: {} is not claimed, got {other:?}", action.name()),
            (true, Err(e)) => assert!(
                !e.to_string().is_empty() && !e.to_string().contains('\n'),
                "actions: {} refuses bad input in one line: {e}",
                action.name()
            ),
            (true, Ok(out)) => panic!("actions: {} accepted bad input: {out:?}", action.name()),
        }
    }
}

/// 1. The five fixtures, every field block, the unknown status kept.
async fn check_fixtures(source: &DynSessionSource) -> Vec<SessionInfo> {
    let sessions = source
        .poll()
        .await
        .unwrap_or_else(|e| panic!("fixtures: poll failed: {e}"));
    assert_eq!(
        names(&sessions),
        ["api", "deploy", "hyperion", "legacy", "notes"],
        "fixtures: every fixture file is one session"
    );
    let by_name = |n: &str| sessions.iter().find(|s| s.tmux_session == n).cloned();
    let legacy = by_name("legacy").unwrap_or_default();
    assert_eq!(
        legacy.status,
        Status::Unknown("compacting".into()),
        "fixtures: unknown status kept"
    );
    let hyperion = by_name("hyperion").unwrap_or_default();
    assert_eq!(
        hyperion.status,
        Status::Working,
        "fixtures: hyperion working"
    );
    assert_eq!(hyperion.timestamp, 1764032280, "fixtures: timestamp read");
    assert!(
        hyperion.git.is_some() && hyperion.metrics.is_some(),
        "fixtures: git + metrics read"
    );
    assert_eq!(
        by_name("api").unwrap_or_default().status,
        Status::Permission
    );
    assert!(
        by_name("api").unwrap_or_default().team.is_some(),
        "fixtures: team read"
    );
    assert!(
        by_name("deploy").unwrap_or_default().agents.is_some(),
        "fixtures: agents read"
    );
    let label = source.label().map(str::to_owned);
    for s in &sessions {
        assert!(
            s.remote.is_none() || s.remote == label,
            "remote field is the source's label"
        );
        assert!(!s.stale, "a fresh poll is never stale");
    }

    sessions
}

/// 2. Polling is repeatable.
async fn check_repeatable(source: &DynSessionSource, sessions: &[SessionInfo]) {
    let again = source
        .poll()
        .await
        .unwrap_or_else(|e| panic!("second poll failed: {e}"));
    assert_eq!(
        names(&again),
        names(sessions),
        "a second poll returns the same sessions"
    );
}

/// 3. An empty directory is zero sessions, not an error.
async fn check_empty<F: ConformanceFixture>(fixture: &F) {
    let empty = fixture.source_with(&[]).await;
    let none = empty
        .poll()
        .await
        .unwrap_or_else(|e| panic!("empty: poll failed: {e}"));
    assert!(none.is_empty(), "empty: no sessions");
}

/// Files a status directory may hold besides good status files: broken, non-`.json`,
/// spaced, quoted and hostile ones (the over-1-MiB one is built by
/// [`fixtures_with_broken_files`]).
const BROKEN_FILES: &[(&str, &[u8])] = &[
    ("broken.json", b"{\"tmux_sess"),
    ("garbage.json", &[0xff, 0xfe, 0x00, b'{']),
    ("array.json", b"[1,2,3]"),
    (".tmp.Ab12Cd", br#"{"tmux_session":"tmp","status":"working"}"#),
    ("README.md", b"# not a status file"),
    ("my session.json", br#"{"tmux_session":"my session","status":"idle","message":"","cwd":"/tmp","timestamp":1}"#),
    ("quoted.json", br#"{"tmux_session":"quoted","status":"waiting","message":"Run "make" now","cwd":"/tmp","timestamp":2}"#),
    ("hostile.json", b"{\"tmux_session\":\"hostile\",\"status\":\"error\",\"message\":\"\\u001b[2J\\u001b]0;owned\\u0007\",\"cwd\":\"/tmp\",\"timestamp\":3}"),
];

/// The fixtures plus [`BROKEN_FILES`] and a file over the 1 MiB cap.
fn fixtures_with_broken_files() -> Vec<(String, Vec<u8>)> {
    let mut files = fixture_files();
    files.extend(
        BROKEN_FILES
            .iter()
            .map(|(n, b)| (n.to_string(), b.to_vec())),
    );
    let huge = format!(
        "{{\"tmux_session\":\"huge\",\"status\":\"done\",\"message\":\"{}\"}}",
        "x".repeat(1024 * 1024 + 10)
    );
    files.push(("huge.json".into(), huge.into_bytes()));
    files
}

/// 4. Broken files cost only themselves; only *.json is read; names with spaces work;
///    the hooks' unescaped quote is salvaged.
async fn check_broken_files<F: ConformanceFixture>(
    fixture: &F,
) -> (DynSessionSource, crate::PollReport) {
    let files = fixtures_with_broken_files();
    let source = fixture.source_with(&files).await;
    let report = source
        .poll_report()
        .await
        .unwrap_or_else(|e| panic!("broken files: poll failed: {e}"));
    assert_eq!(
        names(&report.sessions),
        [
            "api",
            "deploy",
            "hostile",
            "hyperion",
            "legacy",
            "my session",
            "notes",
            "quoted"
        ],
        "broken files: the good sessions survive, broken and non-.json files do not appear"
    );
    let mut skipped: Vec<&str> = report.skipped.iter().map(|s| s.name.as_str()).collect();
    skipped.sort();
    for bad in ["array.json", "broken.json", "garbage.json", "huge.json"] {
        assert!(
            skipped.iter().any(|s| s.ends_with(bad)),
            "broken files: {bad} is reported as skipped (skipped: {skipped:?})"
        );
    }
    let quoted = report.sessions.iter().find(|s| s.tmux_session == "quoted");
    assert_eq!(
        quoted.map(|s| s.status.clone()),
        Some(Status::Waiting),
        "unescaped quote: status recovered"
    );

    (source, report)
}

/// 5. Attach names the session.
fn check_attach(source: &DynSessionSource, report: &crate::PollReport) {
    if let Some(s) = report
        .sessions
        .iter()
        .find(|s| s.tmux_session == "my session")
    {
        let cmd = source
            .attach(s, &AttachContext::default())
            .unwrap_or_else(|e| panic!("attach failed: {e}"));
        assert!(!cmd.argv.is_empty(), "attach: argv not empty");
        assert!(
            cmd.argv.iter().any(|a| a.contains("my session")),
            "attach: the session name is in the argv: {:?}",
            cmd.argv
        );
    }
}
