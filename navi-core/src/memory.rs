//! [`MemorySource`]: a real, trivial source over sessions held in memory.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::{
    AttachCommand, AttachContext, PollReport, SessionInfo, SessionSource, SkippedFile, SourceError,
};

/// Builds the attach command of a [`MemorySource`]'s session.
pub type AttachFn =
    Arc<dyn Fn(&SessionInfo, &AttachContext) -> Result<AttachCommand, SourceError> + Send + Sync>;

/// Sessions held in memory; [`set`](MemorySource::set) replaces them (and wakes
/// [`wait_change`](SessionSource::wait_change)). Used by `navi --demo` and by tests; it
/// can also hold status files' bytes ([`from_status_files`](MemorySource::from_status_files)),
/// read as a status directory is read. An unlabelled (local) source attaches with local tmux; a labelled one
/// stands for a machine it cannot reach, so it attaches only through the function given
/// to [`with_attach`](MemorySource::with_attach).
#[derive(Clone)]
pub struct MemorySource {
    label: Option<String>,
    report: Arc<RwLock<PollReport>>,
    changed: Arc<Notify>,
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
            report: Arc::new(RwLock::new(PollReport::from(sessions))),
            changed: Arc::new(Notify::new()),
            attach: None,
        }
    }

    /// A source over status files (`name`, bytes), read as a status directory is read:
    /// `*.json` names only (dot files left out), each file parsed on its own; one that
    /// cannot be read is reported skipped with its reason and costs only itself.
    pub fn from_status_files(label: Option<&str>, files: &[(String, Vec<u8>)]) -> Self {
        let source = MemorySource::new(label, Vec::new());
        source.set_status_files(files);
        source
    }

    /// Replaces the sessions with those of `files` (see
    /// [`from_status_files`](MemorySource::from_status_files)).
    pub fn set_status_files(&self, files: &[(String, Vec<u8>)]) {
        let mut report = PollReport::default();
        for (name, bytes) in files {
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            match SessionInfo::parse(bytes, Some(stem)) {
                Ok(s) => report.sessions.push(std::sync::Arc::new(s)),
                Err(e) => report.skipped.push(SkippedFile {
                    name: name.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        self.replace(report);
    }

    /// Attaches with `attach` instead of the default.
    pub fn with_attach(mut self, attach: AttachFn) -> Self {
        self.attach = Some(attach);
        self
    }

    /// Replaces the sessions.
    pub fn set(&self, sessions: Vec<SessionInfo>) {
        self.replace(PollReport::from(sessions));
    }

    fn replace(&self, report: PollReport) {
        match self.report.write() {
            Ok(mut g) => *g = report,
            Err(poisoned) => *poisoned.into_inner() = report,
        }
        self.changed.notify_waiters();
    }
}

#[async_trait]
impl SessionSource for MemorySource {
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        Ok(match self.report.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        })
    }

    /// Resolves at the next [`set`](MemorySource::set).
    async fn wait_change(&self) {
        self.changed.notified().await
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_conformance, ConformanceFixture};
    use crate::{Bounded, Flaky, Latent};
    use std::sync::Mutex;
    use std::time::Duration;

    type Files = Vec<(String, Vec<u8>)>;

    /// Memory sources over the suite's files; `write` adds a file to the last one.
    struct Held<W> {
        wrap: W,
        last: Mutex<Option<(MemorySource, Files)>>,
    }

    #[async_trait]
    impl<W: Fn(MemorySource) -> crate::DynSessionSource + Send + Sync> ConformanceFixture for Held<W> {
        async fn source_with(&self, files: &[(String, Vec<u8>)]) -> crate::DynSessionSource {
            let source = MemorySource::from_status_files(None, files);
            if let Ok(mut last) = self.last.lock() {
                *last = Some((source.clone(), files.to_vec()));
            }
            (self.wrap)(source)
        }

        async fn write(&self, name: &str, bytes: &[u8]) -> bool {
            let Ok(mut last) = self.last.lock() else {
                return false;
            };
            let Some((source, files)) = last.as_mut() else {
                return false;
            };
            files.retain(|(n, _)| n != name);
            files.push((name.to_string(), bytes.to_vec()));
            source.set_status_files(files);
            true
        }
    }

    fn held<W>(wrap: W) -> Held<W> {
        Held {
            wrap,
            last: Mutex::new(None),
        }
    }

    #[tokio::test]
    async fn a_memory_source_keeps_the_contract() {
        run_conformance(&held(|s| Arc::new(s) as crate::DynSessionSource)).await;
    }

    #[tokio::test]
    async fn the_wrappers_keep_the_contract_around_a_memory_source() {
        run_conformance(&held(|s| {
            Arc::new(Bounded::new(s, Duration::from_secs(10))) as crate::DynSessionSource
        }))
        .await;
        run_conformance(&held(|s| {
            Arc::new(Latent::new(s, Duration::from_millis(1))) as crate::DynSessionSource
        }))
        .await;
        // A Flaky source that has not failed yet is its source.
        run_conformance(&held(|s| {
            let gone = SourceError::Refused("gone".into());
            Arc::new(Flaky::new(s, usize::MAX, gone)) as crate::DynSessionSource
        }))
        .await;
    }
}
