//! [`MemorySource`]: a real, trivial source over sessions held in memory.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use crate::{AttachCommand, AttachContext, SessionInfo, SessionSource, SourceError};

/// Sessions held in memory; [`set`](MemorySource::set) replaces them. Used by `navi --demo`
/// and by tests. Attaching returns `tmux attach-session` for a local source, and for a
/// labelled one `ssh -t LABEL tmux attach-session -t NAME` with the name quoted.
#[derive(Debug, Clone)]
pub struct MemorySource {
    label: Option<String>,
    sessions: Arc<RwLock<Vec<SessionInfo>>>,
}

impl MemorySource {
    /// A source with this label (`None` = local) and these sessions.
    pub fn new(label: Option<&str>, sessions: Vec<SessionInfo>) -> Self {
        MemorySource {
            label: label.map(str::to_owned),
            sessions: Arc::new(RwLock::new(sessions)),
        }
    }

    /// Replaces the sessions.
    pub fn set(&self, sessions: Vec<SessionInfo>) {
        match self.sessions.write() {
            Ok(mut g) => *g = sessions,
            Err(poisoned) => *poisoned.into_inner() = sessions,
        }
    }
}

#[async_trait]
impl SessionSource for MemorySource {
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError> {
        Ok(match self.sessions.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        })
    }

    fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        Ok(match &self.label {
            None => AttachCommand::local_tmux(&s.tmux_session, ctx),
            Some(host) => AttachCommand {
                argv: vec![
                    "ssh".into(),
                    "-t".into(),
                    host.clone(),
                    "tmux".into(),
                    "attach-session".into(),
                    "-t".into(),
                    shell_quote(&s.tmux_session),
                ],
            },
        })
    }
}

/// Quotes `s` as one word for a POSIX shell: `'...'` with each `'` written as `'\''`.
pub fn shell_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}
