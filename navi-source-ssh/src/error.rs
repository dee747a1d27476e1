//! The crate's private error, and how every failure becomes a [`SourceError`] whose
//! variant is the reason class the UI shows (dns, refused, timeout, auth, host-key, ...)
//! and whose [`Detail`](navi_core::Detail) names the remote and the place
//! ([`Target`]) once.

use std::io;
use std::time::Duration;

use navi_core::SourceError;

use crate::target::Target;

/// What the russh client handler can fail with: russh's own errors, or a host key navi
/// refused (with the full message for the user).
#[derive(Debug, thiserror::Error)]
pub(crate) enum SshError {
    #[error(transparent)]
    Russh(#[from] russh::Error),
    /// The host is not in known_hosts (the message says how to trust it).
    #[error("{0}")]
    UnknownHostKey(String),
    /// The key changed, is a certificate, or could not be checked.
    #[error("{0}")]
    HostKey(String),
}

impl SshError {
    /// The error of step `doing` (may be empty) with `target`. A refused host key's
    /// message names the host itself.
    pub(crate) fn into_source(
        self,
        target: &Target,
        doing: &str,
        timeout: Duration,
    ) -> SourceError {
        match self {
            SshError::UnknownHostKey(m) | SshError::HostKey(m) => SourceError::HostKey(m.into()),
            SshError::Russh(e) => russh_error(e, target, doing, timeout),
        }
    }
}

/// `(remote NAME (PLACE): doing)`: what a timeout of that step was waiting for.
fn waiting_for(target: &Target, doing: &str) -> String {
    if doing.is_empty() {
        format!("({target})")
    } else {
        format!("({target}: {doing})")
    }
}

/// Maps a russh error of step `doing` (may be empty) with `target`.
pub(crate) fn russh_error(
    e: russh::Error,
    target: &Target,
    doing: &str,
    timeout: Duration,
) -> SourceError {
    use russh::Error as E;
    let step = |message: &dyn std::fmt::Display| target.step(doing, message);
    match e {
        E::IO(io) => io_error(io, target, doing, timeout),
        E::Disconnect | E::HUP | E::SendError | E::RecvError => {
            SourceError::Disconnected(step(&"the connection was closed"))
        }
        E::KeepaliveTimeout => {
            SourceError::Disconnected(step(&"the server stopped answering keepalives"))
        }
        E::InactivityTimeout | E::ConnectionTimeout | E::Elapsed(_) => {
            SourceError::timeout_while(timeout, waiting_for(target, doing))
        }
        E::UnknownKey => SourceError::HostKey(step(&"the server's host key is not known")),
        E::KeyChanged { line } => SourceError::HostKey(step(&format!(
            "the server's host key CHANGED (known_hosts line {line})"
        ))),
        E::ChannelOpenFailure(f) => SourceError::Remote(step(&format!(
            "the server refused to open a channel ({f:?}); too many sessions (sshd MaxSessions)?"
        ))),
        e @ E::NoCommonAlgo { .. } => {
            SourceError::Remote(step(&"no algorithm in common with the server").caused_by(e))
        }
        other => SourceError::Remote(step(&other)),
    }
}

/// Maps a socket error of step `doing` (may be empty) with `target`.
pub(crate) fn io_error(
    e: io::Error,
    target: &Target,
    doing: &str,
    timeout: Duration,
) -> SourceError {
    use io::ErrorKind as K;
    let step = |message: &str| target.step(doing, message);
    match e.kind() {
        K::ConnectionRefused => {
            SourceError::Refused(step("nothing listens on that port (is sshd running?)"))
        }
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
            SourceError::Refused(step("host unreachable").caused_by(e))
        }
        K::TimedOut => SourceError::timeout_while(timeout, waiting_for(target, doing)),
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
            SourceError::Disconnected(step("the server closed the connection").caused_by(e))
        }
        _ => SourceError::Io(target.step(doing, e)),
    }
}

/// `e` with `note` after its message; a timeout is shown as it is (its context already
/// says what it waited for).
pub(crate) fn with_retry_note(e: &SourceError, note: &str) -> SourceError {
    match e {
        SourceError::Timeout { .. } => e.clone(),
        other => other.clone().with_note(note),
    }
}
