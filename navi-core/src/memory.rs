//! [`MemorySource`]: a real, trivial source over sessions held in memory.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use crate::{AttachCommand, AttachContext, PollReport, SessionInfo, SessionSource, SourceError};

/// Builds the attach command of a [`MemorySource`]'s session.
pub type AttachFn =
    Arc<dyn Fn(&SessionInfo, &AttachContext) -> Result<AttachCommand, SourceError> + Send + Sync>;

/// Sessions held in memory; [`set`](MemorySource::set) replaces them. Used by `navi --demo`
/// and by tests. An unlabelled (local) source attaches with local tmux; a labelled one
/// stands for a machine it cannot reach, so it attaches only through the function given
/// to [`with_attach`](MemorySource::with_attach).
#[derive(Clone)]
pub struct MemorySource {
    label: Option<String>,
    sessions: Arc<RwLock<Vec<SessionInfo>>>,
    attach: Option<AttachFn>,
}

impl std::fmt::Debug for MemorySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySource")
            .field("label", &self.label)
            .field("custom_attach", &self.attach.is_some())
            .finish_non_exhaustive()
    }
}

impl MemorySource {
    /// A source with this label (`None` = local) and these sessions.
    pub fn new(label: Option<&str>, sessions: Vec<SessionInfo>) -> Self {
        MemorySource {
            label: label.map(str::to_owned),
            sessions: Arc::new(RwLock::new(sessions)),
            attach: None,
        }
    }

    /// Attaches with `attach` instead of the default.
    pub fn with_attach(mut self, attach: AttachFn) -> Self {
        self.attach = Some(attach);
        self
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

    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        Ok(PollReport::from(match self.sessions.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }))
    }

    fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        match (&self.attach, &self.label) {
            (Some(f), _) => f(s, ctx),
            (None, None) => Ok(AttachCommand::local_tmux(&s.tmux_session, ctx)),
            (None, Some(label)) => Err(SourceError::Unsupported(
                format!("{label} is held in memory: there is no session to attach to").into(),
            )),
        }
    }
}
