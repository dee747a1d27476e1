//! navi's integration tests, in one binary.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod aggregator;
mod login_shells;
mod push_real;
mod remote_action_failures;
mod remote_action_truth;
mod remote_actions;
mod remote_answer;
mod remote_bounded;
mod remote_git;
mod remote_liveness;
mod remote_marks;
mod remote_memory;
mod remote_tokens;
mod ssh_config_real;
mod ssh_inprocess;
mod sshd_real;
mod tmux_events_real;
