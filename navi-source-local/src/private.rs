//! Files and directories navi creates for the user are user-only (0600 / 0700, as the
//! umask allows at most): status files hold every session's messages and working
//! directories, marks hold notes. A reader of the Go navi's format must run as the same
//! user, as it always had to for `~/.claude-sessions`.

use std::io::Write as _;
use std::path::Path;

/// Creates `dir` (and its parents) user-only; an existing one is left as it is.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Writes `bytes` to a new user-only file at `path` (a leftover at that path, e.g. a temp
/// file of a dead process with the same pid, is removed first and never written through).
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}
