//! The [`SessionSource`] contract.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::{Action, ActionOutput, Capabilities, Deadline, SessionInfo, SourceError};

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
    /// The sessions read. `remote` need not be set: the aggregator sets it. Shared: a
    /// source that keeps what it read (a pushing remote) hands out the same rows until
    /// they change, so an unchanged row costs no copy and compares by address.
    pub sessions: Vec<Arc<SessionInfo>>,
    /// Files that could not be read.
    pub skipped: Vec<SkippedFile>,
    /// The source's own round-trip measurement (e.g. the network round trip of a remote
    /// poll); `None` lets the aggregator use the poll's wall time.
    pub latency: Option<Duration>,
    /// Something the user should know although the poll succeeded, e.g. that the status
    /// directory does not exist (a typo is otherwise invisible).
    pub note: Option<PollNote>,
    /// What the machine's tmux servers said in this poll (`None`: the source did not ask
    /// tmux; its rows stay live). [`decide_liveness`](Self::decide_liveness) turns it
    /// into each row's [`Liveness`](crate::Liveness).
    pub tmux: Option<crate::statusdir::liveness::TmuxView>,
    /// How the source gets its data, for the health line (`push (inotify)`, `poll`,
    /// ...); `None` when it has only one way.
    pub mode: Option<PollMode>,
}

/// What [`wait_pane_change`](SessionSource::wait_pane_change) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneChange {
    /// The previewed pane may have changed: capture it again now.
    Changed,
    /// This source cannot tell when a pane changes (no tmux control mode there, or not
    /// built): refresh the preview on a timer instead.
    Unsupported,
}

/// How a source gets its data. Its text (`poll`, `watch`, `push (inotify)`) is what the
/// health line, `navi remotes health` and `--json` show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollMode {
    /// Every poll reads everything: a remote's snapshot, or a local directory no watch
    /// could be set on.
    Poll,
    /// The local status directory is watched (a slow poll as a safety net).
    Watch,
    /// The remote's push loop sends what changed, finding it as [`PushWatch`] says.
    Push(PushWatch),
}

/// How a remote's push loop finds changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushWatch {
    /// `inotifywait`: nothing runs while nothing changes.
    Inotify,
    /// A check made of shell builtins, a few times a second.
    Scan,
    /// A word a newer loop may say, shown as it came (cleaned of control characters
    /// by the source).
    Other(String),
}

impl PushWatch {
    /// The loop's word for how it watches (`inotify`, `scan`).
    pub fn from_word(word: &str) -> PushWatch {
        match word {
            "inotify" => PushWatch::Inotify,
            "scan" => PushWatch::Scan,
            other => PushWatch::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for PushWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PushWatch::Inotify => f.write_str("inotify"),
            PushWatch::Scan => f.write_str("scan"),
            PushWatch::Other(word) => f.write_str(word),
        }
    }
}

impl std::fmt::Display for PollMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollMode::Poll => f.write_str("poll"),
            PollMode::Watch => f.write_str("watch"),
            PollMode::Push(how) => write!(f, "push ({how})"),
        }
    }
}

/// Something the user should know although a poll succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollNote {
    /// The status directory does not exist (a typo is otherwise invisible).
    MissingDir {
        /// The directory as the source names it (`~/.claude-sessions`, a path).
        dir: String,
        /// The remote it is missing on, whose `navi remotes setup` creates it; `None`
        /// on this machine.
        remote: Option<String>,
    },
}

impl std::fmt::Display for PollNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PollNote::MissingDir { dir, remote: None } => write!(f, "{dir} does not exist"),
            PollNote::MissingDir {
                dir,
                remote: Some(name),
            } => write!(
                f,
                "{dir} does not exist on {name} (`navi remotes setup {name}` creates it)"
            ),
        }
    }
}

/// A status file to move after a rename made in tmux itself (its session id is alive
/// under another name), found by [`PollReport::decide_liveness`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Follow {
    /// The name the file has.
    pub from: crate::SessionName,
    /// The name the session has now.
    pub to: crate::SessionName,
    /// `true`: move the status file (and its marks); `false`: the hook already writes
    /// `to`'s file, so only the marks move, when `to` has none.
    pub move_file: bool,
}

impl PollReport {
    /// Decides every row's liveness from [`tmux`](Self::tmux) with the one rule of
    /// [`statusdir::liveness`](crate::statusdir::liveness) (nothing when tmux was not
    /// asked), and returns the files a tmux-side rename left behind: the source moves
    /// them (they are live rows).
    pub fn decide_liveness(&mut self) -> Vec<Follow> {
        let Some(view) = &self.tmux else {
            return Vec::new();
        };
        let verdicts: Vec<_> = (self.sessions.iter())
            .map(|s| crate::statusdir::liveness::decide(s, view))
            .collect();
        // The rows' names, only when a rename needs them (this runs on every poll).
        let names: std::collections::HashSet<String> =
            match verdicts.iter().any(|v| v.renamed_to.is_some()) {
                true => (self.sessions.iter())
                    .map(|s| s.tmux_session.clone())
                    .collect(),
                false => std::collections::HashSet::new(),
            };
        let mut follows = Vec::new();
        for (s, verdict) in self.sessions.iter_mut().zip(verdicts) {
            if s.liveness != verdict.liveness {
                Arc::make_mut(s).liveness = verdict.liveness;
            }
            let Some(to) = verdict.renamed_to else {
                continue;
            };
            let (Ok(from), Ok(to_name)) = (
                crate::SessionName::existing(&s.tmux_session),
                crate::SessionName::existing(&to),
            ) else {
                continue;
            };
            let move_file = !names.contains(&to);
            if !move_file && s.liveness != crate::Liveness::Ended {
                // The hook writes the new name's file already: this one is left over.
                Arc::make_mut(s).liveness = crate::Liveness::Ended;
            }
            follows.push(Follow {
                from,
                to: to_name,
                move_file,
            });
        }
        follows
    }
}

impl PollReport {
    /// Gives every session the marks read for its tmux session, and the others none (a
    /// row is copied only when its marks change).
    pub fn attach_marks(&mut self, marks: &std::collections::HashMap<String, crate::Marks>) {
        let none = crate::Marks::default();
        for s in &mut self.sessions {
            let m = marks.get(&s.tmux_session).unwrap_or(&none);
            if s.marks != *m {
                Arc::make_mut(s).marks = m.clone();
            }
        }
    }
}

impl PollReport {
    /// The sessions as values (copied only where still shared).
    pub fn into_sessions(self) -> Vec<SessionInfo> {
        self.sessions
            .into_iter()
            .map(Arc::unwrap_or_clone)
            .collect()
    }
}

impl From<Vec<SessionInfo>> for PollReport {
    fn from(sessions: Vec<SessionInfo>) -> Self {
        PollReport {
            sessions: sessions.into_iter().map(Arc::new).collect(),
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
/// It is an argv, never a shell string: the app executes it directly and parses nothing.
///
/// Exactness is the source's job: tmux resolves a bare `-t NAME` by prefix when no session
/// has exactly that name, so attaching to `api` after it ended would land in `api-v2`.
/// A source either fills [`check`](AttachCommand::check) (an argv that exits 0 only while
/// exactly that session exists; the app runs it first) or makes `argv` itself exit with
/// [`EXIT_NO_SUCH_SESSION`] when the session is gone. Either way the app reports "that
/// session has ended" and never lands elsewhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachCommand {
    /// `argv[0]` is the program, looked up in `PATH`.
    pub argv: Vec<String>,
    /// Run first when set: a non-zero exit means the session no longer exists.
    pub check: Option<Vec<String>>,
}

impl AttachCommand {
    /// An attach command that checks existence itself (exit [`EXIT_NO_SUCH_SESSION`]).
    pub fn new(argv: Vec<String>) -> AttachCommand {
        AttachCommand { argv, check: None }
    }

    /// The local tmux command for a session: `tmux attach-session -t NAME`, or
    /// `tmux switch-client -t NAME` when navi already runs inside tmux, checked first with
    /// `tmux has-session -t =NAME` ([`tmux_target`]).
    pub fn local_tmux(name: &str, ctx: &AttachContext) -> AttachCommand {
        let verb = if ctx.inside_tmux {
            "switch-client"
        } else {
            "attach-session"
        };
        AttachCommand {
            argv: vec!["tmux".into(), verb.into(), "-t".into(), tmux_arg(name)],
            check: Some(vec![
                "tmux".into(),
                "has-session".into(),
                "-t".into(),
                tmux_target(name),
            ]),
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
    tmux_arg(&format!("={name}"))
}

/// `arg` as tmux must receive it in its argv: tmux splits its argv into commands at an
/// argument that ENDS with `;` (so `tmux new -s 'ab;'` runs `new -s ab` and an empty
/// command), so a trailing `;` is escaped as `\;`, which tmux turns back into `;`.
/// Every name, target and literal text navi passes to tmux goes through this.
pub fn tmux_arg(arg: &str) -> String {
    match arg.strip_suffix(';') {
        Some(head) => format!("{head}\\;"),
        None => arg.to_string(),
    }
}

/// The exit status an attach command uses to say "that tmux session does not exist" (it
/// ended, or no tmux server runs there), so the app can say so instead of showing a bare
/// exit status. A failing [`AttachCommand::check`] means the same.
pub const EXIT_NO_SUCH_SESSION: i32 = 113;

/// A place sessions come from: the local status directory, one SSH remote, a mock.
///
/// # Contract
///
/// * [`label`](SessionSource::label) is `None` for the local machine and the remote's
///   name otherwise; the aggregator copies it into every session's `remote` field, so a
///   source never needs to set that field itself.
/// * [`poll_report`](SessionSource::poll_report) reads the current sessions once, with the
///   entries it had to skip and its own latency measurement. It may take as long as it
///   needs: the one owner of a poll's time is [`Bounded`](crate::Bounded) (the aggregator
///   wraps every source in it), which cancels the poll (drops the future) when the time
///   is up, so a poll must be cancel-safe. The deadline is passed in:
///   [`poll_within`](SessionSource::poll_within) receives it, so a source can report a
///   more precise error at that instant. Bad entries cost only themselves.
/// * [`act_within`](SessionSource::act_within) runs an action by its deadline, enforced
///   the same way by [`bounded_act`](crate::bounded_act).
/// * An empty result is a healthy, empty source. An `Err` marks the source unavailable
///   with that reason; the aggregator keeps the last good sessions, marked stale.
/// * [`attach`](SessionSource::attach) returns the command that attaches to exactly one of
///   the source's sessions in the current terminal, existence check included: when the
///   session has ended it exits with [`EXIT_NO_SUCH_SESSION`] (never a prefix match).
///
/// # Required and provided methods
///
/// `label`, `poll_report` and `attach` are required. `poll` (just the sessions) is a
/// convenience over `poll_report`; `retry_now` (a no-op by default) lets a source with a
/// reconnect backoff honour a manual refresh; `wait_change` (never resolves by default)
/// lets a source that watches or is pushed to ask for a poll before its interval. Wrappers forward every method through one
/// macro that denies `clippy::missing_trait_methods`, so a new method cannot be dropped
/// by a wrapper.
///
/// # Errors
///
/// [`SourceError`]'s variant is the reason class shown to the user (`dns`, `refused`,
/// `timeout`, `auth`, `host-key`, ...); its detail should say what to do.
///
/// # Example: a source in one small file
///
/// ```
/// use async_trait::async_trait;
/// use navi_core::{AttachCommand, AttachContext, PollReport, SessionInfo, SessionSource, SourceError, Status};
///
/// #[derive(Debug)]
/// struct OneSession;
///
/// #[async_trait]
/// impl SessionSource for OneSession {
///     fn label(&self) -> Option<&str> {
///         None
///     }
///
///     async fn poll_report(&self) -> Result<PollReport, SourceError> {
///         Ok(PollReport::from(vec![SessionInfo {
///             tmux_session: "build".into(),
///             status: Status::Working,
///             ..SessionInfo::default()
///         }]))
///     }
///
///     fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
///         Ok(AttachCommand::local_tmux(&s.tmux_session, ctx))
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

    /// Reads the current sessions once, with the entries that were skipped and the
    /// source's own latency measurement.
    async fn poll_report(&self) -> Result<PollReport, SourceError>;

    /// Reads the current sessions once (the sessions of
    /// [`poll_report`](SessionSource::poll_report)).
    async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError> {
        self.poll_report().await.map(PollReport::into_sessions)
    }

    /// [`poll_report`](SessionSource::poll_report) as part of an operation that must end
    /// by `deadline` (the aggregator's bounded poll). A source whose poll has steps of its
    /// own (connect, wait for an answer) overrides this to give up a step at the deadline
    /// with a precise error ("waiting for the poll's answer from dev") before the bound
    /// cancels what is still running. The default ignores the deadline: the bound
    /// ([`bounded_poll`](crate::bounded_poll)) enforces it anyway.
    async fn poll_within(&self, deadline: Deadline) -> Result<PollReport, SourceError> {
        let _ = deadline;
        self.poll_report().await
    }

    /// The command that attaches to `session` in the current terminal.
    fn attach(
        &self,
        session: &SessionInfo,
        ctx: &AttachContext,
    ) -> Result<AttachCommand, SourceError>;

    /// Resolves when the source may have new data, so the aggregator polls it before its
    /// interval is up (a watched directory changed, a remote pushed a change). Must be
    /// cancel-safe: the aggregator drops it when the interval or a refresh comes first.
    /// The default never resolves: the interval alone drives the polls.
    async fn wait_change(&self) {
        std::future::pending::<()>().await
    }

    /// Resolves when the pane a preview shows for `session` may have changed since the
    /// previous call for the same session (at most about 20 times a second), so the
    /// preview is captured again at once instead of on a timer. Following a pane may start
    /// a watcher (a read-only tmux control client); the source ends it once no call waits
    /// for that session any more. Must be cancel-safe. The default (and a source that
    /// cannot follow panes) returns [`PaneChange::Unsupported`] at once.
    async fn wait_pane_change(&self, session: &str) -> PaneChange {
        let _ = session;
        PaneChange::Unsupported
    }

    /// The user asked for fresh data now (`r`): a source that is waiting out a reconnect
    /// backoff should try again on its next poll. The default does nothing.
    fn retry_now(&self) {}

    /// The actions this source can run (default: none).
    fn supports(&self) -> Capabilities {
        Capabilities::default()
    }

    /// Runs `action` on the tmux session `session` of this source (for
    /// [`Action::New`], the name of the session to create). The default refuses:
    /// [`SourceError::Unsupported`].
    async fn act(&self, session: &str, action: &Action) -> Result<ActionOutput, SourceError> {
        let _ = session;
        Err(SourceError::Unsupported(
            format!("this source cannot {}", action.name()).into(),
        ))
    }

    /// [`act`](SessionSource::act), to be finished by `deadline`: a source with remote or
    /// blocking steps overrides this to stop them in time. The default ignores the
    /// deadline: the bound ([`bounded_act`](crate::bounded_act)) enforces it anyway.
    async fn act_within(
        &self,
        session: &str,
        action: &Action,
        deadline: Deadline,
    ) -> Result<ActionOutput, SourceError> {
        let _ = deadline;
        self.act(session, action).await
    }
}

/// Polls `source` with `deadline` when there is one, plainly otherwise: what a wrapper
/// passes on.
pub(crate) async fn poll_inner<S: SessionSource + ?Sized>(
    source: &S,
    deadline: Option<Deadline>,
) -> Result<PollReport, SourceError> {
    match deadline {
        Some(d) => source.poll_within(d).await,
        None => source.poll_report().await,
    }
}

/// A shared, type-erased source.
pub type DynSessionSource = Arc<dyn SessionSource>;

/// Implements [`SessionSource`] for a type that wraps another source, forwarding every
/// method to `$inner`; with `poll = |deadline| body`, the two polls run `body` instead,
/// `deadline` being `Some` for [`poll_within`](SessionSource::poll_within) and `None` for
/// [`poll_report`](SessionSource::poll_report). It carries
/// `#[deny(clippy::missing_trait_methods)]`: a method added to the trait fails the lint
/// until every wrapper forwards it.
macro_rules! forward_source {
    (impl[$($g:tt)*] $ty:ty, |$me:ident| $inner:expr) => {
        forward_source!(impl[$($g)*] $ty, |$me| $inner, poll = |deadline| {
            $crate::source::poll_inner(&$inner, deadline).await
        });
    };
    (impl[$($g:tt)*] $ty:ty, |$me:ident| $inner:expr, poll = |$d:ident| $poll:block) => {
        #[async_trait::async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<$($g)*> $crate::SessionSource for $ty {
            fn label(&self) -> Option<&str> {
                let $me = self;
                $inner.label()
            }
            async fn poll_report(&self) -> Result<$crate::PollReport, $crate::SourceError> {
                let ($me, $d) = (self, None::<$crate::Deadline>);
                $poll
            }
            async fn poll(&self) -> Result<Vec<$crate::SessionInfo>, $crate::SourceError> {
                self.poll_report().await.map(PollReport::into_sessions)
            }
            async fn poll_within(
                &self,
                deadline: $crate::Deadline,
            ) -> Result<$crate::PollReport, $crate::SourceError> {
                let ($me, $d) = (self, Some(deadline));
                $poll
            }
            fn attach(
                &self,
                session: &$crate::SessionInfo,
                ctx: &$crate::AttachContext,
            ) -> Result<$crate::AttachCommand, $crate::SourceError> {
                let $me = self;
                $inner.attach(session, ctx)
            }
            async fn wait_pane_change(&self, session: &str) -> $crate::PaneChange {
                let $me = self;
                $inner.wait_pane_change(session).await
            }
            fn retry_now(&self) {
                let $me = self;
                $inner.retry_now()
            }
            async fn wait_change(&self) {
                let $me = self;
                $inner.wait_change().await
            }
            fn supports(&self) -> $crate::Capabilities {
                let $me = self;
                $inner.supports()
            }
            async fn act(
                &self,
                session: &str,
                action: &$crate::Action,
            ) -> Result<$crate::ActionOutput, $crate::SourceError> {
                let $me = self;
                $inner.act(session, action).await
            }
            async fn act_within(
                &self,
                session: &str,
                action: &$crate::Action,
                deadline: $crate::Deadline,
            ) -> Result<$crate::ActionOutput, $crate::SourceError> {
                let $me = self;
                $inner.act_within(session, action, deadline).await
            }
        }
    };
}
pub(crate) use forward_source;

forward_source!(impl[S: SessionSource + ?Sized] Arc<S>, |me| (**me));
forward_source!(impl[S: SessionSource + ?Sized] Box<S>, |me| (**me));

#[cfg(test)]
mod poll_text_tests {
    use super::*;

    /// The health line, `navi remotes health` and `--json` show these words.
    #[test]
    fn modes_and_notes_read_as_before() {
        let texts = [
            (PollMode::Poll, "poll"),
            (PollMode::Watch, "watch"),
            (
                PollMode::Push(PushWatch::from_word("inotify")),
                "push (inotify)",
            ),
            (PollMode::Push(PushWatch::from_word("scan")), "push (scan)"),
            (
                PollMode::Push(PushWatch::from_word("fanotify")),
                "push (fanotify)",
            ),
        ];
        for (mode, text) in texts {
            assert_eq!(mode.to_string(), text);
        }
        assert_eq!(PushWatch::from_word("scan"), PushWatch::Scan);
        let here = PollNote::MissingDir {
            dir: "/home/me/.claude-sessions".into(),
            remote: None,
        };
        assert_eq!(here.to_string(), "/home/me/.claude-sessions does not exist");
        let there = PollNote::MissingDir {
            dir: "~/nowhere".into(),
            remote: Some("dev".into()),
        };
        assert_eq!(
            there.to_string(),
            "~/nowhere does not exist on dev (`navi remotes setup dev` creates it)"
        );
    }
}
