//! `LocalSource`: the Claude Code status directory of this machine.
//!
//! The hooks write one `<tmux session>.json` per session into `~/.claude-sessions/`,
//! via a temp file (`.tmp.XXXXXX`) renamed into place. Only `*.json` files are read; a
//! file that is malformed, truncated, unreadable or over 1 MiB is skipped and reported,
//! never fatal; a missing directory is zero sessions.

use std::io::Read;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use navi_core::{
    AttachCommand, AttachContext, PollReport, SessionInfo, SessionSource, SkippedFile, SourceError,
    MAX_STATUS_FILE_BYTES,
};

/// Sessions of this machine, read from a status directory.
#[derive(Debug, Clone)]
pub struct LocalSource {
    dir: PathBuf,
}

impl LocalSource {
    /// A source over `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LocalSource { dir: dir.into() }
    }

    /// `~/.claude-sessions`, if a home directory is known.
    pub fn default_dir() -> Option<PathBuf> {
        std::env::home_dir().map(|h| h.join(".claude-sessions"))
    }

    /// The directory read.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Reads every `*.json` in `dir` (blocking).
pub fn read_dir(dir: &Path) -> Result<PollReport, SourceError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PollReport::default()),
        Err(e) => {
            return Err(SourceError::Io(format!(
                "cannot read status directory {}: {e}",
                dir.display()
            )))
        }
    };
    let mut report = PollReport::default();
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        match read_one(&path, stem) {
            Ok(Some(s)) => report.sessions.push(s),
            Ok(None) => {}
            Err(reason) => {
                tracing::debug!(file = %path.display(), %reason, "skipped status file");
                report.skipped.push(SkippedFile {
                    name: path.display().to_string(),
                    reason,
                });
            }
        }
    }
    Ok(report)
}

/// `Ok(None)` for entries that vanished or are not regular files.
fn read_one(path: &Path, stem: &str) -> Result<Option<SessionInfo>, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        // Renamed away between listing and opening: the hooks' normal churn.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open: {e}")),
    };
    match file.metadata() {
        Ok(m) if !m.is_file() => return Ok(None),
        Ok(m) if m.len() > MAX_STATUS_FILE_BYTES => {
            return Err(format!(
                "file is {} bytes, over the {MAX_STATUS_FILE_BYTES}-byte limit",
                m.len()
            ))
        }
        _ => {}
    }
    let mut bytes = Vec::new();
    // Read one byte past the cap so a file that grew after stat is still caught.
    file.take(MAX_STATUS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    SessionInfo::parse(&bytes, Some(stem))
        .map(Some)
        .map_err(|e| e.to_string())
}

#[async_trait]
impl SessionSource for LocalSource {
    fn label(&self) -> Option<&str> {
        None
    }

    async fn poll(&self) -> Result<Vec<SessionInfo>, SourceError> {
        self.poll_report().await.map(|r| r.sessions)
    }

    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || read_dir(&dir))
            .await
            .map_err(|e| SourceError::Other(format!("status directory reader failed: {e}")))?
    }

    fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        Ok(AttachCommand::local_tmux(&s.tmux_session, ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use navi_core::testing::{run_conformance, ConformanceFixture};
    use navi_core::DynSessionSource;
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Dirs(Mutex<Vec<tempfile::TempDir>>);

    #[async_trait]
    impl ConformanceFixture for Dirs {
        async fn source_with(&self, files: &[(String, Vec<u8>)]) -> DynSessionSource {
            let dir = tempfile::tempdir().unwrap();
            for (name, bytes) in files {
                std::fs::write(dir.path().join(name), bytes).unwrap();
            }
            let source = Arc::new(LocalSource::new(dir.path()));
            self.0.lock().unwrap().push(dir);
            source
        }
    }

    #[tokio::test]
    async fn conformance() {
        run_conformance(&Dirs::default()).await;
    }

    #[tokio::test]
    async fn missing_directory_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let source = LocalSource::new(dir.path().join("nope"));
        assert!(source.poll().await.unwrap().is_empty());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn unreadable_directory_is_an_io_error() {
        // A file where the directory should be.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = LocalSource::new(&file).poll().await.unwrap_err();
        assert_eq!(err.kind(), "io");
        assert!(err.to_string().contains("file"), "{err}");
    }

    #[tokio::test]
    async fn attach_is_tmux() {
        let source = LocalSource::new("/nonexistent");
        let s = SessionInfo {
            tmux_session: "my app".into(),
            ..Default::default()
        };
        let cmd = source.attach(&s, &AttachContext::default()).unwrap();
        assert_eq!(cmd.argv, ["tmux", "attach-session", "-t", "my app"]);
        let inside = source
            .attach(&s, &AttachContext { inside_tmux: true })
            .unwrap();
        assert_eq!(inside.argv, ["tmux", "switch-client", "-t", "my app"]);
    }
}
