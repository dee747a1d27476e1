//! The [`SessionSource`] contract.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::{SessionInfo, SourceError};

/// A file (or remote entry) a source could not read. It costs only itself: the rest of the
/// poll is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    /// The file name (or path) that was skipped.
    pub name: String,
    /// Why it was skipped (invalid JSON, too large, unreadable).
    pub reason: String,
}

/// What one successful poll produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollReport {
    /// The sessions read. `remote` need not be set: the aggregator sets it.
    pub sessions: Vec<SessionInfo>,
    /// Files that could not be read.
    pub skipped: Vec<SkippedFile>,
    /// The source's own round-trip measurement (e.g. the network round trip of a remote
    /// poll); `None` lets the aggregator use the poll's wall time.
    pub latency: Option<Duration>,
}

impl From<Vec<SessionInfo>> for PollReport {
    fn from(sessions: Vec<SessionInfo>) -> Self {
        PollReport {
            sessions,
            ..PollReport::default()
        }
    }
}

/// Where navi runs when it attaches, so a source can pick the right command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AttachContext {
    /// navi itself runs inside tmux (`$TMUX` is set).
    pub inside_tmux: bool,
}

/// A command to run in the foreground, with the terminal, to attach to a session.
/// It is an argv, never a shell string: the app executes it directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachCommand {
    /// `argv[0]` is the program, looked up in `PATH`.
    pub argv: Vec<String>,
}

impl AttachCommand {
    /// The local tmux command for a session: `tmux attach-session -t NAME`, or
    /// `tmux switch-client -t NAME` when navi already runs inside tmux.
    ///
    /// tmux resolves a bare `NAME` by prefix when no session has exactly that name, so
    /// the app checks first that the session exists ([`tmux_target`]).
    pub fn local_tmux(name: &str, ctx: &AttachContext) -> AttachCommand {
        let verb = if ctx.inside_tmux {
            "switch-client"
        } else {
            "attach-session"
        };
        AttachCommand {
            argv: vec!["tmux".into(), verb.into(), "-t".into(), name.into()],
        }
    }
}

/// The `-t` argument that names exactly the tmux session `name`: `=name`.
///
/// Without the `=`, tmux falls back to the first session whose name *starts with* `name`
/// (then to a glob match) when no session has that exact name, so attaching to `api`
/// after it ended would silently land in `api-v2`. With it, a missing session is an
/// error (`can't find session`): `tmux has-session -t =name` tells whether `name` itself
/// still exists.
pub fn tmux_target(name: &str) -> String {
    format!("={name}")
}

/// The exit status an attach command uses to say "that tmux session does not exist" (it
/// ended, or no tmux server runs there), so the app can say so instead of showing a bare
/// exit status. Remote attach commands check with `tmux has-session -t =NAME` first.
pub const EXIT_NO_SUCH_SESSION: i32 = 113;

/// A place sessions come from: the local status directory, one SSH remote, a mock.
///
/// # Contract
///
/// * [`label`](SessionSource::label) is `None` for the local machine and the remote's
///   name otherwise; the aggregator copies it into every session's `remote` field, so a
///   source never needs to set that field itself.
/// * [`poll`](SessionSource::poll) reads the current sessions once. It may take as long
///   as it needs: the aggregator bounds every poll with the source's own timeout and
///   cancels it (drops the future) when the time is up, so a poll must be cancel-safe.
///   Bad entries cost only themselves; report them through
///   [`poll_report`](SessionSource::poll_report) when the source can tell.
/// * An empty result is a healthy, empty source. An `Err` marks the source unavailable
///   with that reason; the aggregator keeps the last good sessions, marked stale.
/// * [`attach`](SessionSource::attach) returns the argv that attaches to one of the
///   source's sessions in the current terminal.
///
/// # Required and provided methods
///
/// `label`, `poll` and `attach` are required. `poll_report` has a default that wraps
/// `poll`; override it to report skipped files or a network latency. `retry_now` (a
/// no-op by default) lets a source with a reconnect backoff honour a manual refresh.
///
/// # Errors
///
/// [`SourceError`]'s variant is the reason class shown to the user (`dns`, `refused`,
/// `timeout`, `auth`, `host-key`, ...); its message should say what to do.
///
/// # Example: a source in one small file
///
/// ```
/// use async_trait::async_trait;
/// use navi_core::{AttachCommand, AttachContext, SessionInfo, SessionSource, SourceError, Status};
///
/// #[derive(Debug)]
/// struct OneSession;
///
/// #[async_trait]
/// impl SessionSource for OneSession {
///     fn label(&self) -> Option<&str> {
///         Some("lab")
///     }
///
///     async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError> {
///         Ok(vec![SessionInfo {
///             tmux_session: "build".into(),
///             status: Status::Working,
///             ..SessionInfo::default()
///         }])
///     }
///
///     fn attach(&self, s: &SessionInfo, _: &AttachContext) -> Result<AttachCommand, SourceError> {
///         // ssh hands its arguments to the remote shell: quote every remote word.
///         let target = navi_core::shell_quote(&s.tmux_session);
///         Ok(AttachCommand { argv: vec!["ssh".into(), "-t".into(), "lab".into(),
///             "tmux".into(), "attach-session".into(), "-t".into(), target] })
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let source: std::sync::Arc<dyn SessionSource> = std::sync::Arc::new(OneSession);
/// let sessions = source.poll().await.unwrap();
/// assert_eq!(sessions[0].tmux_session, "build");
/// # });
/// ```
#[async_trait]
pub trait SessionSource: Send + Sync + Debug {
    /// `None` for the local machine, the remote's name otherwise.
    fn label(&self) -> Option<&str>;

    /// Reads the current sessions once.
    async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError>;

    /// Reads the current sessions once, with the files that were skipped and the source's
    /// own latency measurement. The default wraps [`poll`](SessionSource::poll).
    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        self.poll().await.map(PollReport::from)
    }

    /// The command that attaches to `session` in the current terminal.
    fn attach(
        &self,
        session: &SessionInfo,
        ctx: &AttachContext,
    ) -> Result<AttachCommand, SourceError>;

    /// The user asked for fresh data now (`r`): a source that is waiting out a reconnect
    /// backoff should try again on its next poll. The default does nothing.
    fn retry_now(&self) {}
}

/// A shared, type-erased source.
pub type DynSessionSource = Arc<dyn SessionSource>;

macro_rules! forward_impl {
    ($t:ty) => {
        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<S: SessionSource + ?Sized> SessionSource for $t {
            fn label(&self) -> Option<&str> {
                (**self).label()
            }
            async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError> {
                (**self).poll().await
            }
            async fn poll_report(&self) -> Result<PollReport, SourceError> {
                (**self).poll_report().await
            }
            fn attach(
                &self,
                session: &SessionInfo,
                ctx: &AttachContext,
            ) -> Result<AttachCommand, SourceError> {
                (**self).attach(session, ctx)
            }
            fn retry_now(&self) {
                (**self).retry_now()
            }
        }
    };
}

forward_impl!(Arc<S>);
forward_impl!(Box<S>);
