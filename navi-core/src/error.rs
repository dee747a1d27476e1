//! [`SourceError`]: why a source could not deliver sessions.
//!
//! The variant is the reason class; the [`Detail`] it carries keeps the parts of the
//! message apart (which source, which host, what happened, the underlying cause, a note
//! such as "(retrying in 4s)"), so the message is composed once, where it is printed:
//! [`Display`](std::fmt::Display) gives the whole sentence, [`SourceError::reason`] the
//! same without the source's name for places that already show it (the header's
//! `dev: …`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// The underlying error of a failure, shared so a [`SourceError`] stays `Clone`.
pub type Cause = Arc<dyn std::error::Error + Send + Sync>;

/// What went wrong, where, and because of what. Build it from a message
/// (`"no key".into()`) and add context with the `at`/`on`/`caused_by`/`note` methods.
#[derive(Clone, Default)]
pub struct Detail(Box<Parts>);

#[derive(Clone, Default)]
struct Parts {
    message: String,
    source: Option<String>,
    place: Option<String>,
    cause: Option<Cause>,
    note: Option<String>,
}

impl Detail {
    /// A detail with this message and no context.
    pub fn new(message: impl Into<String>) -> Self {
        Detail(Box::new(Parts {
            message: message.into(),
            ..Parts::default()
        }))
    }

    /// Names the source (a remote's name) the failure belongs to.
    pub fn on(mut self, source: impl Into<String>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// Names the place: a destination (`sean@dev:22`), a jump host, a file.
    pub fn at(mut self, place: impl Into<String>) -> Self {
        self.0.place = Some(place.into());
        self
    }

    /// Keeps the underlying error; its text follows the message.
    pub fn caused_by(mut self, cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.cause = Some(Arc::new(cause));
        self
    }

    /// Adds a trailing note, e.g. `(retrying in 4s)`.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.0.note = Some(note.into());
        self
    }

    /// What happened, without context.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The source named, if any.
    pub fn source_name(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// The place named, if any.
    pub fn place(&self) -> Option<&str> {
        self.0.place.as_deref()
    }

    /// The underlying error, if kept.
    pub fn cause(&self) -> Option<&Cause> {
        self.0.cause.as_ref()
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, with_source: bool) -> fmt::Result {
        let source = self.0.source.as_deref().filter(|_| with_source);
        match (source, self.0.place.as_deref()) {
            (Some(s), Some(p)) => write!(f, "remote {s} ({p}): ")?,
            (Some(s), None) => write!(f, "remote {s}: ")?,
            (None, Some(p)) => write!(f, "{p}: ")?,
            (None, None) => {}
        }
        f.write_str(&self.0.message)?;
        if let Some(c) = &self.0.cause {
            if self.0.message.is_empty() {
                write!(f, "{c}")?;
            } else {
                write!(f, " ({c})")?;
            }
        }
        if let Some(n) = &self.0.note {
            write!(f, " {n}")?;
        }
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.0.message.is_empty()
            && self.0.source.is_none()
            && self.0.place.is_none()
            && self.0.cause.is_none()
            && self.0.note.is_none()
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, true)
    }
}

impl fmt::Debug for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl PartialEq for Detail {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Detail {}

impl From<String> for Detail {
    fn from(message: String) -> Self {
        Detail::new(message)
    }
}

impl From<&str> for Detail {
    fn from(message: &str) -> Self {
        Detail::new(message)
    }
}

/// Why a poll (or an attach) failed. The variant is the *reason class* the UI shows next
/// to an unavailable source ([`SourceError::kind`]); the [`Detail`] names the source,
/// host or file involved and, where there is one, what the user can do about it. It is
/// `Clone` so a source's health can keep its last error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The host name could not be resolved.
    #[error("cannot resolve host: {0}")]
    Dns(Detail),
    /// The TCP connection was refused or the network is unreachable.
    #[error("connection refused: {0}")]
    Refused(Detail),
    /// The source did not answer in time; `context` says what it was waiting for.
    #[error("timed out after {}{}", format_duration(*.after), timeout_context(.context, true))]
    Timeout {
        /// The time allowed.
        after: Duration,
        /// What was being waited for.
        context: Detail,
    },
    /// Key authentication failed (missing key, encrypted key without agent, rejected key).
    #[error("authentication failed: {0}")]
    Auth(Detail),
    /// The server's host key is unknown, changed or revoked.
    #[error("host key verification failed: {0}")]
    HostKey(Detail),
    /// An established connection was lost.
    #[error("connection lost: {0}")]
    Disconnected(Detail),
    /// A local I/O error (e.g. the status directory cannot be read).
    #[error("{0}")]
    Io(Detail),
    /// The remote command failed or returned output navi cannot read.
    #[error("remote error: {0}")]
    Remote(Detail),
    /// The source's configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(Detail),
    /// The operation is not supported by this source.
    #[error("not supported: {0}")]
    Unsupported(Detail),
    /// The session (or its status file) an action names does not exist there.
    #[error("{0}")]
    NotFound(Detail),
    /// The action was refused before anything changed: a name that is not a session
    /// name, a live session to dismiss, a session whose liveness is unknown.
    #[error("{0}")]
    Rejected(Detail),
    /// Anything else.
    #[error("{0}")]
    Other(Detail),
}

/// The [`Detail`] of a `SourceError` (shared or mutable, by match ergonomics).
macro_rules! detail_of {
    ($e:expr) => {
        match $e {
            SourceError::Dns(d)
            | SourceError::Refused(d)
            | SourceError::Auth(d)
            | SourceError::HostKey(d)
            | SourceError::Disconnected(d)
            | SourceError::Io(d)
            | SourceError::Remote(d)
            | SourceError::Config(d)
            | SourceError::Unsupported(d)
            | SourceError::NotFound(d)
            | SourceError::Rejected(d)
            | SourceError::Other(d) => d,
            SourceError::Timeout { context, .. } => context,
        }
    };
}

fn timeout_context(d: &Detail, with_source: bool) -> String {
    if d.is_empty() {
        return String::new();
    }
    struct Show<'a>(&'a Detail, bool);
    impl fmt::Display for Show<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.write(f, self.1)
        }
    }
    format!(" {}", Show(d, with_source))
}

impl SourceError {
    /// A short, stable name for the reason class: `dns`, `refused`, `timeout`, `auth`,
    /// `host-key`, `disconnected`, `io`, `remote`, `config`, `unsupported`, `not-found`,
    /// `rejected`, `other`.
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
            SourceError::NotFound(_) => "not-found",
            SourceError::Rejected(_) => "rejected",
            SourceError::Other(_) => "other",
        }
    }

    /// A [`SourceError::Timeout`] without context.
    pub fn timeout(after: Duration) -> Self {
        SourceError::Timeout {
            after,
            context: Detail::default(),
        }
    }

    /// A [`SourceError::Timeout`] saying what was being waited for.
    pub fn timeout_while(after: Duration, context: impl Into<Detail>) -> Self {
        SourceError::Timeout {
            after,
            context: context.into(),
        }
    }

    /// The error's detail.
    pub fn detail(&self) -> &Detail {
        detail_of!(self)
    }

    fn detail_mut(&mut self) -> &mut Detail {
        detail_of!(self)
    }

    /// The same error with `note` after its message (replacing an earlier note).
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.detail_mut().0.note = Some(note.into());
        self
    }

    /// The same error, naming `source` unless it already names one.
    pub fn on_source(mut self, source: &str) -> Self {
        let d = self.detail_mut();
        if d.0.source.is_none() {
            d.0.source = Some(source.to_owned());
        }
        self
    }

    /// The message without the source's name, for a place that already shows it (the
    /// header's `dev: …`, `navi remotes`' row of `dev`).
    pub fn reason(&self) -> String {
        let d = self.detail();
        if d.0.source.is_none() {
            return self.to_string();
        }
        let mut plain = self.clone();
        plain.detail_mut().0.source = None;
        if let SourceError::Timeout { after, context } = &plain {
            return format!(
                "timed out after {}{}",
                format_duration(*after),
                timeout_context(context, false)
            );
        }
        plain.to_string()
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

    #[test]
    fn context_is_composed_once_and_the_source_can_be_left_out() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = SourceError::Refused(
            Detail::new("nothing listens on that port")
                .on("dev")
                .at("sean@dev:22")
                .caused_by(io),
        )
        .with_note("(retrying in 4s)")
        .with_note("(retrying in 2s)");
        assert_eq!(
            e.to_string(),
            "connection refused: remote dev (sean@dev:22): nothing listens on that port \
             (refused) (retrying in 2s)"
        );
        assert_eq!(
            e.reason(),
            "connection refused: sean@dev:22: nothing listens on that port (refused) \
             (retrying in 2s)"
        );
        assert!(e.detail().cause().is_some());
        assert_eq!(
            e.clone().on_source("other").detail().source_name(),
            Some("dev")
        );
        let t = SourceError::timeout_while(
            Duration::from_secs(3),
            Detail::new("connecting").on("mute").at("root@h:22"),
        );
        assert_eq!(
            t.to_string(),
            "timed out after 3s remote mute (root@h:22): connecting"
        );
        assert_eq!(t.reason(), "timed out after 3s root@h:22: connecting");
    }
}
