//! navi's core: what a session is, where sessions come from, and how they are merged.
//!
//! Claude Code hooks write one JSON status file per tmux session. A [`SessionSource`]
//! reads such files from somewhere: the local status directory (`navi-source-local`), a
//! remote machine over SSH (`navi-source-ssh`), memory ([`MemorySource`], used by
//! `navi --demo`), or a mock ([`testing::MockSource`]).
//!
//! # Why poll and merge
//!
//! The [`Aggregator`] polls every source concurrently, each under its own timeout, and
//! merges the answers into a [`Snapshot`]: all sessions, sorted, plus one
//! [`SourceHealth`] per source. A source that fails or hangs costs only its own timeout;
//! its last-known sessions stay in the snapshot marked stale. The [`Model`] the UI reads
//! is built from snapshots and does not know how a session was fetched: a remote session
//! is an ordinary [`SessionInfo`] whose `remote` names its machine.
//!
//! # Testing
//!
//! With the `testing` feature, [`testing`] offers a scripted mock source and
//! [`testing::run_conformance`], the behaviour suite every source runs in its own tests.

mod action;
mod aggregate;
pub mod cost;
mod deadline;
mod error;
pub mod events;
pub mod fixtures;
pub mod git;
pub mod keys;
pub mod limits;
mod marks;
mod memory;
mod model;
pub mod permission;
pub mod plugin;
pub mod rss;
mod session;
mod source;
pub mod statusdir;
pub mod text;
mod wrap;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use action::{
    acknowledged, check_send_text, check_session_name, new_session_command, Action, ActionOutput,
    Capabilities,
};
pub use aggregate::{
    attach_command, Aggregator, AggregatorHandle, Snapshot, SourceHealth, SourceOptions,
    SourceState,
};
pub use deadline::{Deadline, Elapsed};
pub use error::{format_duration, Cause, Detail, Result, SourceError};
pub use marks::{
    check_note, check_ops, check_tag, describe_marks, marks_file_name, normalize_tag, now_seconds,
    this_host, MarkOp, Marks, MARKS_DIR, MAX_MARKS_FILE_BYTES,
};
pub use memory::{AttachFn, MemorySource};
pub use model::{matches_query, Counts, Filter, Model, SortMode};
pub use session::{
    compare_sessions, sort_sessions_arc, AgentState, FileRss, GitInfo, Metrics, ModelTokens,
    ParseError, ResourceMetrics, SessionInfo, SessionKey, Status, Team, TeamAgent, TimeMetrics,
    TmuxPlace, Tokens, ToolMetrics, MAX_STATUS_FILE_BYTES,
};
pub use source::{
    tmux_arg, tmux_target, AttachCommand, AttachContext, DynSessionSource, Follow, PaneChange,
    PollMode, PollNote, PollReport, PushWatch, SessionSource, SkippedFile, EXIT_NO_SUCH_SESSION,
};
pub use statusdir::liveness::Liveness;
pub use statusdir::{NameError, SessionName};
pub use wrap::{bounded_act, bounded_poll, Bounded, Flaky, Latent};
