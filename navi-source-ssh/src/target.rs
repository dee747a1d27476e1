//! [`Target`]: whom a connection step talks to, for messages.

use std::fmt;

use navi_core::Detail;

use crate::config::{host_port, JumpHost, Remote};

/// The remote a step belongs to and the place it talks to: the remote itself
/// (`user@host:port`) or its jump host (`jump host user@host:port`).
///
/// Errors carry the two apart ([`Target::detail`]) so the remote's name is shown once,
/// and left out where the name is already on screen; [`Display`](fmt::Display) gives
/// `remote NAME (PLACE)` for sentences that name the target in passing ("waiting for
/// the poll's answer from remote dev (sean@dev:22)").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The remote's name (from remotes.yaml).
    pub(crate) remote: String,
    /// `user@host:port`, or `jump host user@host:port`.
    pub(crate) place: String,
}

impl Target {
    /// The remote itself.
    pub(crate) fn remote(r: &Remote) -> Target {
        Target {
            remote: r.name.clone(),
            place: r.destination(),
        }
    }

    /// The remote's bastion `j`.
    pub(crate) fn jump(r: &Remote, j: &JumpHost) -> Target {
        Target {
            remote: r.name.clone(),
            place: format!("jump host {}@{}", j.user, host_port(&j.host, j.port)),
        }
    }

    /// `message`, about this target.
    pub(crate) fn detail(&self, message: impl Into<String>) -> Detail {
        Detail::new(message).on(&self.remote).at(&self.place)
    }

    /// `doing: message` (or `message` when `doing` is empty), about this target.
    pub(crate) fn step(&self, doing: &str, message: impl fmt::Display) -> Detail {
        if doing.is_empty() {
            self.detail(message.to_string())
        } else {
            self.detail(format!("{doing}: {message}"))
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "remote {} ({})", self.remote, self.place)
    }
}
