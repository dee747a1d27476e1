//! Shared support for navi's workspace-level integration tests.
//!
//! This is a member crate (not the root's `tests/` folder) because the root manifest is
//! virtual; the tests themselves live in one binary, `tests/it/`, so they link once.

pub mod blackhole;
pub mod mocks;
pub mod ssh_server;
pub mod sshd;
pub mod users;
