//! Logs go to a file, never to the terminal the dashboard draws on.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_subscriber::EnvFilter;

use crate::cli::Paths;
use crate::sources::expand_tilde;

/// A log file over this size is moved to `navi.log.old` at start.
const ROTATE_BYTES: u64 = 5 * 1024 * 1024;

/// `$XDG_STATE_HOME/navi/navi.log`, else `~/.local/state/navi/navi.log`.
pub fn default_log_file() -> Option<PathBuf> {
    crate::paths::log_file()
}

/// Sends `tracing` output to the log file of `paths` at the level of `NAVI_LOG` (or
/// `RUST_LOG`, default `info`). When the file cannot be opened, says so on stderr and
/// runs without a log.
pub fn init_logging(paths: &Paths) {
    let Some(file) = crate::cli::given(&paths.log_file)
        .map(expand_tilde)
        .or_else(default_log_file)
    else {
        return;
    };
    let writer = match open_log(&file) {
        Ok(w) => w,
        Err(e) => {
            eprintln!(
                "navi: cannot open the log file {}: {e}; continuing without a log \
                 (choose another with --log-file)",
                file.display()
            );
            return;
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(false)
        .with_writer(Mutex::new(writer))
        .try_init();
}

/// Sends `tracing` output to stderr (`navi watch`), at the level of `NAVI_LOG` (or
/// `RUST_LOG`, default `info`).
pub fn init_stderr_logging() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .try_init();
}

fn filter() -> EnvFilter {
    let spec = std::env::var("NAVI_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    EnvFilter::try_new(&spec).unwrap_or_else(|e| {
        eprintln!("navi: ignoring the log filter {spec:?}: {e}");
        EnvFilter::new("info")
    })
}

fn open_log(file: &Path) -> std::io::Result<File> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    if std::fs::metadata(file).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        let _ = std::fs::rename(file, file.with_extension("log.old"));
    }
    OpenOptions::new().create(true).append(true).open(file)
}
