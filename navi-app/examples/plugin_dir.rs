//! A navi source plugin in Rust: the status files of one directory (the plugin's first
//! argument), served with `navi_core::plugin::serve`. The author writes only the source;
//! `serve` speaks the protocol (docs/plugin-protocol.md). In config.yaml:
//!
//! ```yaml
//! sources:
//!   - name: box
//!     command: [plugin_dir, /mnt/devbox/.claude-sessions]
//! ```

use async_trait::async_trait;
use navi_core::{
    AttachCommand, AttachContext, PollReport, SessionInfo, SessionSource, SkippedFile, SourceError,
};

/// Every `*.json` of a directory is a session.
#[derive(Debug)]
struct DirSource(std::path::PathBuf);

#[async_trait]
impl SessionSource for DirSource {
    fn label(&self) -> Option<&str> {
        None
    }

    async fn poll_report(&self) -> Result<PollReport, SourceError> {
        let entries = std::fs::read_dir(&self.0)
            .map_err(|e| SourceError::Io(format!("{}: {e}", self.0.display()).into()))?;
        let mut report = PollReport::default();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name
                .strip_suffix(".json")
                .filter(|_| !name.starts_with('.'))
            else {
                continue;
            };
            match std::fs::read(entry.path())
                .map_err(|e| e.to_string())
                .and_then(|b| SessionInfo::parse(&b, Some(stem)).map_err(|e| e.to_string()))
            {
                Ok(s) => report.sessions.push(s.into()),
                Err(reason) => report.skipped.push(SkippedFile { name, reason }),
            }
        }
        report
            .sessions
            .sort_by(|a, b| a.tmux_session.cmp(&b.tmux_session));
        Ok(report)
    }

    fn attach(&self, s: &SessionInfo, ctx: &AttachContext) -> Result<AttachCommand, SourceError> {
        Ok(AttachCommand::local_tmux(&s.tmux_session, ctx))
    }
}

fn main() -> std::process::ExitCode {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: plugin_dir DIR");
        return std::process::ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("plugin_dir: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(navi_core::plugin::serve(DirSource(dir.into()))) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("plugin_dir: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
