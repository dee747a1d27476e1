//! navi's integration tests, in one binary.

mod aggregator;
mod ssh_inprocess;
mod sshd_real;
