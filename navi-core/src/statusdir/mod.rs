//! The status directory's protocol, owned in one place: every writer (`navi hook`, the
//! local and SSH actions, the remote scripts) and every reader (both sources, the app)
//! takes its rules from here.
//!
//! * [`SessionName`]: a tmux session name, validated once. A name is never a path and
//!   never a tmux target by itself: paths come from [`layout`], targets from
//!   [`SessionName::target`] / [`SessionName::pane_target`].
//! * [`layout`]: where a session's status file, lock, temp files and marks live.
//! * [`hook_events`]: which Claude Code event sets which status, and which events
//!   `navi hooks install` installs (the hook and the installer both read that table).
//! * [`agents`]: the coding agents (Claude Code, Codex, Gemini CLI, OpenCode) and each
//!   one's event table.
//! * [`liveness`]: whether a row's tmux session is live, ended (positive evidence only),
//!   unknown (tmux could not be asked, with the reason) or stale, decided by one function
//!   for every source.

pub mod agents;
pub mod hook_events;
pub mod layout;
pub mod liveness;
mod name;

pub use name::{NameError, SessionName};
