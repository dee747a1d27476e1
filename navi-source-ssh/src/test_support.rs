//! Test support (feature `testing`; unstable): [`RemoteBuilder`], so tests name only the
//! settings they care about instead of writing every field of a [`Remote`].
//!
//! A built remote is not validated: tests use it to check how invalid hosts and users are
//! refused further on. Production remotes come from [`load_remotes`](crate::load_remotes)
//! (host and user checked) or [`Remote::new`].

use std::path::PathBuf;
use std::time::Duration;

use crate::{JumpHost, Remote};

/// A [`Remote`] with fixed, explicit settings: nothing is read from this machine.
///
/// Defaults: port 22, user `sean`, key `/home/sean/.ssh/id_rsa`, known_hosts
/// `/home/sean/.ssh/known_hosts`, no jump host, `~/.claude-sessions`, 10 s timeout, 2 s
/// poll interval; `host_alias` is the host.
#[derive(Debug, Clone)]
pub struct RemoteBuilder {
    remote: Remote,
}

impl RemoteBuilder {
    /// The remote `name` at `host`, with the defaults above.
    pub fn new(name: impl Into<String>, host: impl Into<String>) -> RemoteBuilder {
        let host = host.into();
        RemoteBuilder {
            remote: Remote {
                name: name.into(),
                host_alias: host.clone(),
                host,
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
                push: true,
            },
        }
    }

    /// The `host` as written in remotes.yaml (an ssh_config alias).
    pub fn host_alias(mut self, alias: impl Into<String>) -> RemoteBuilder {
        self.remote.host_alias = alias.into();
        self
    }

    /// The other known_hosts files checked (never written).
    pub fn other_known_hosts(mut self, files: impl IntoIterator<Item = PathBuf>) -> RemoteBuilder {
        self.remote.other_known_hosts = files.into_iter().collect();
        self
    }

    /// The sshd port.
    pub fn port(mut self, port: u16) -> RemoteBuilder {
        self.remote.port = port;
        self
    }

    /// The login user.
    pub fn user(mut self, user: impl Into<String>) -> RemoteBuilder {
        self.remote.user = user.into();
        self
    }

    /// The key files, in order (replacing the default one).
    pub fn keys<P: Into<PathBuf>>(mut self, keys: impl IntoIterator<Item = P>) -> RemoteBuilder {
        self.remote.keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The bastion to connect through.
    pub fn jump(mut self, jump: JumpHost) -> RemoteBuilder {
        self.remote.jump = Some(jump);
        // One set of connection options per hop, as the loader gives.
        self.remote.jump_options = vec![crate::SshOptions::default()];
        self
    }

    /// The known_hosts file.
    pub fn known_hosts(mut self, path: impl Into<PathBuf>) -> RemoteBuilder {
        self.remote.known_hosts = path.into();
        self
    }

    /// The status directory on the remote.
    pub fn sessions_dir(mut self, dir: impl Into<String>) -> RemoteBuilder {
        self.remote.sessions_dir = dir.into();
        self
    }

    /// The bound on connecting and on each poll.
    pub fn timeout(mut self, timeout: Duration) -> RemoteBuilder {
        self.remote.timeout = timeout;
        self
    }

    /// `push: false`: poll a snapshot every `poll_interval` instead of the push loop.
    pub fn polling(mut self) -> RemoteBuilder {
        self.remote.push = false;
        self
    }

    /// The time between polls.
    pub fn poll_interval(mut self, interval: Duration) -> RemoteBuilder {
        self.remote.poll_interval = interval;
        self
    }

    /// The remote.
    pub fn build(self) -> Remote {
        self.remote
    }
}

/// `RemoteBuilder::new(name, host).build()`: the crate's unit tests' usual remote.
#[cfg(test)]
pub(crate) fn remote(name: &str, host: &str) -> Remote {
    RemoteBuilder::new(name, host).build()
}

/// The exec string of the push loop over `sessions_dir` with no ticker, exactly as navi
/// sends it (through the login-shell-neutral builder), and the bytes navi writes to its
/// stdin first (the loop's script): tests drive it with the system `ssh` and count what
/// it pushes.
pub fn push_loop_command(
    sessions_dir: &str,
) -> Result<(String, Vec<u8>), crate::RemoteCommandError> {
    crate::remote::push_command(sessions_dir, "0")
        .map(|(c, script)| (c.as_str().to_string(), script))
}
