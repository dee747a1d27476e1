//! [`SourceError`]: why a source could not deliver sessions.

use std::time::Duration;

/// Why a poll (or an attach) failed. Each variant carries a message that names the file,
/// host or field involved and, where there is one, what the user can do about it.
///
/// The variant is the *reason class* the UI shows next to an unavailable source
/// ([`SourceError::kind`]); it is `Clone` so a source's health can keep its last error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The host name could not be resolved.
    #[error("cannot resolve host: {0}")]
    Dns(String),
    /// The TCP connection was refused or the network is unreachable.
    #[error("connection refused: {0}")]
    Refused(String),
    /// The source did not answer in time; `context` says what it was waiting for
    /// (e.g. `connecting to remote dev (sean@dev:22)`), empty when unknown.
    #[error("timed out after {}{}", format_duration(*.after), context_suffix(.context))]
    Timeout {
        /// The time allowed.
        after: Duration,
        /// What was being waited for.
        context: String,
    },
    /// Key authentication failed (missing key, encrypted key without agent, rejected key).
    #[error("authentication failed: {0}")]
    Auth(String),
    /// The server's host key is unknown or changed.
    #[error("host key verification failed: {0}")]
    HostKey(String),
    /// An established connection was lost.
    #[error("connection lost: {0}")]
    Disconnected(String),
    /// A local I/O error (e.g. the status directory cannot be read).
    #[error("{0}")]
    Io(String),
    /// The remote command failed or returned output navi cannot read.
    #[error("remote error: {0}")]
    Remote(String),
    /// The source's configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The operation is not supported by this source.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// Anything else.
    #[error("{0}")]
    Other(String),
}

impl SourceError {
    /// A short, stable name for the reason class: `dns`, `refused`, `timeout`, `auth`,
    /// `host-key`, `disconnected`, `io`, `remote`, `config`, `unsupported`, `other`.
    pub fn kind(&self) -> &'static str {
        match self {
            SourceError::Dns(_) => "dns",
            SourceError::Refused(_) => "refused",
            SourceError::Timeout { .. } => "timeout",
            SourceError::Auth(_) => "auth",
            SourceError::HostKey(_) => "host-key",
            SourceError::Disconnected(_) => "disconnected",
            SourceError::Io(_) => "io",
            SourceError::Remote(_) => "remote",
            SourceError::Config(_) => "config",
            SourceError::Unsupported(_) => "unsupported",
            SourceError::Other(_) => "other",
        }
    }
}

impl SourceError {
    /// A [`SourceError::Timeout`] without context.
    pub fn timeout(after: Duration) -> Self {
        SourceError::Timeout {
            after,
            context: String::new(),
        }
    }

    /// A [`SourceError::Timeout`] saying what was being waited for.
    pub fn timeout_while(after: Duration, context: impl Into<String>) -> Self {
        SourceError::Timeout {
            after,
            context: context.into(),
        }
    }
}

fn context_suffix(context: &str) -> String {
    if context.is_empty() {
        String::new()
    } else {
        format!(" {context}")
    }
}

/// `1.5s`, `250ms`, `2m05s`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        let s = d.as_secs_f64();
        if (s - s.round()).abs() < 0.05 {
            format!("{}s", s.round() as u64)
        } else {
            format!("{s:.1}s")
        }
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// `Result` with [`SourceError`] as the default error.
pub type Result<T, E = SourceError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_messages() {
        assert_eq!(
            SourceError::timeout(Duration::from_secs(3)).to_string(),
            "timed out after 3s"
        );
        let e = SourceError::timeout_while(Duration::from_millis(1500), "connecting to dev");
        assert_eq!(e.to_string(), "timed out after 1.5s connecting to dev");
        assert_eq!(e.kind(), "timeout");
    }
}
