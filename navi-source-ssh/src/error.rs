//! The crate's private error, and how every failure becomes a [`SourceError`] whose
//! variant is the reason class the UI shows (dns, refused, timeout, auth, host-key, ...).

use std::io;
use std::time::Duration;

use navi_core::SourceError;

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
    /// `what` says which step failed and where ("ssh handshake with dev (host:22)").
    pub(crate) fn into_source(self, what: &str, timeout: Duration) -> SourceError {
        match self {
            SshError::UnknownHostKey(m) | SshError::HostKey(m) => SourceError::HostKey(m.into()),
            SshError::Russh(e) => russh_error(&e, what, timeout),
        }
    }
}

/// Maps a russh error of step `what`.
pub(crate) fn russh_error(e: &russh::Error, what: &str, timeout: Duration) -> SourceError {
    use russh::Error as E;
    match e {
        E::IO(io) => io_error(io, what, timeout),
        E::Disconnect | E::HUP | E::SendError | E::RecvError => {
            SourceError::Disconnected(format!("{what}: the connection was closed").into())
        }
        E::KeepaliveTimeout => SourceError::Disconnected(format!(
            "{what}: the server stopped answering keepalives"
        ).into()),
        E::InactivityTimeout | E::ConnectionTimeout | E::Elapsed(_) => {
            SourceError::timeout_while(timeout, format!("({what})"))
        }
        E::UnknownKey => SourceError::HostKey(format!("{what}: the server's host key is not known").into()),
        E::KeyChanged { line } => SourceError::HostKey(format!(
            "{what}: the server's host key CHANGED (known_hosts line {line})"
        ).into()),
        E::ChannelOpenFailure(f) => SourceError::Remote(format!(
            "{what}: the server refused to open a channel ({f:?}); too many sessions (sshd MaxSessions)?"
        ).into()),
        E::NoCommonAlgo { .. } => SourceError::Remote(format!(
            "{what}: no algorithm in common with the server ({e})"
        ).into()),
        _ => SourceError::Remote(format!("{what}: {e}").into()),
    }
}

/// Maps a socket error of step `what`.
pub(crate) fn io_error(e: &io::Error, what: &str, timeout: Duration) -> SourceError {
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionRefused => SourceError::Refused(
            format!("{what}: nothing listens on that port (is sshd running?)").into(),
        ),
        K::HostUnreachable | K::NetworkUnreachable | K::AddrNotAvailable => {
            SourceError::Refused(format!("{what}: host unreachable ({e})").into())
        }
        K::TimedOut => SourceError::timeout_while(timeout, format!("({what})")),
        K::UnexpectedEof | K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => {
            SourceError::Disconnected(
                format!("{what}: the server closed the connection ({e})").into(),
            )
        }
        _ => SourceError::Io(format!("{what}: {e}").into()),
    }
}

/// `e` with `note` appended to its message (kept as is for variants without text).
pub(crate) fn with_note(e: &SourceError, note: &str) -> SourceError {
    match e {
        SourceError::Dns(m) => SourceError::Dns(format!("{m} {note}").into()),
        SourceError::Refused(m) => SourceError::Refused(format!("{m} {note}").into()),
        SourceError::Auth(m) => SourceError::Auth(format!("{m} {note}").into()),
        SourceError::HostKey(m) => SourceError::HostKey(format!("{m} {note}").into()),
        SourceError::Disconnected(m) => SourceError::Disconnected(format!("{m} {note}").into()),
        SourceError::Io(m) => SourceError::Io(format!("{m} {note}").into()),
        SourceError::Remote(m) => SourceError::Remote(format!("{m} {note}").into()),
        SourceError::Config(m) => SourceError::Config(format!("{m} {note}").into()),
        SourceError::Unsupported(m) => SourceError::Unsupported(format!("{m} {note}").into()),
        SourceError::Other(m) => SourceError::Other(format!("{m} {note}").into()),
        other => other.clone(),
    }
}
