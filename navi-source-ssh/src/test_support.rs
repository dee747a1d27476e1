//! Helpers shared by the crate's unit tests.

use std::time::Duration;

use crate::Remote;

/// A remote with fixed, explicit settings (nothing read from this machine).
pub(crate) fn remote(name: &str, host: &str) -> Remote {
    Remote {
        name: name.into(),
        host: host.into(),
        host_alias: host.into(),
        port: 22,
        user: "sean".into(),
        keys: vec!["/home/sean/.ssh/id_rsa".into()],
        jump: None,
        further_jumps: Vec::new(),
        jump_options: Vec::new(),
        options: crate::SshOptions::default(),
        known_hosts: "/home/sean/.ssh/known_hosts".into(),
        other_known_hosts: Vec::new(),
        sessions_dir: "~/.claude-sessions".into(),
        timeout: Duration::from_secs(10),
        poll_interval: Duration::from_secs(2),
    }
}
