//! Where things live in a status directory, for every writer and reader.
//!
//! ```text
//! <dir>/NAME.json                 the session's status file (the hooks' format)
//! <dir>/.NAME.lock                the lock `navi hook` and every navi writer hold (flock)
//! <dir>/.tmp.navi.<tag>.<pid>     a navi writer's temp file, renamed into place
//! <dir>/.navi/marks/NAME.json     the session's marks
//! <dir>/.navi/marks/.NAME.lock    the marks file's lock
//! <dir>/.navi/tokens/NAME.json    how far `navi hook` read the session's transcript
//! ```
//!
//! Hidden names never match `*.json`, so neither the hooks nor an older navi ever read a
//! lock, a temp file or the marks as a session. Every function takes a [`SessionName`],
//! never a string: a path is always built from a validated name. The `*_rel` forms are
//! the same paths relative to the directory, for the remote scripts (they get them as
//! operands and prefix the remote's directory).

use std::path::{Path, PathBuf};

use super::SessionName;

/// The marks directory, relative to the status directory.
pub const MARKS_DIR: &str = ".navi/marks";

/// The transcript-reading state directory, relative to the status directory.
pub const TOKENS_DIR: &str = ".navi/tokens";

/// The prefix of every temp file a navi writer makes (the Go hooks' temp files are
/// `.tmp.XXXXXX` and `*.json.tmp`; none ends in `.json`).
pub const TEMP_PREFIX: &str = ".tmp.navi.";

/// `NAME.json`.
pub fn status_rel(name: &SessionName) -> String {
    format!("{name}.json")
}

/// `.NAME.lock`.
pub fn lock_rel(name: &SessionName) -> String {
    format!(".{name}.lock")
}

/// `.navi/marks/NAME.json`.
pub fn marks_rel(name: &SessionName) -> String {
    format!("{MARKS_DIR}/{name}.json")
}

/// `.navi/marks/.NAME.lock`.
pub fn marks_lock_rel(name: &SessionName) -> String {
    format!("{MARKS_DIR}/.{name}.lock")
}

/// `.navi/tokens/NAME.json`.
pub fn tokens_state_rel(name: &SessionName) -> String {
    format!("{TOKENS_DIR}/{name}.json")
}

/// `.tmp.navi.<tag>.<pid>`: a temp file of this process, for writer `tag` (`hook`,
/// `rename`, ...).
pub fn temp_rel(tag: &str) -> String {
    format!("{TEMP_PREFIX}{tag}.{}", std::process::id())
}

/// The status file of `name` in `dir`.
pub fn status_file(dir: &Path, name: &SessionName) -> PathBuf {
    dir.join(status_rel(name))
}

/// The lock file of `name`'s status file.
pub fn lock_file(dir: &Path, name: &SessionName) -> PathBuf {
    dir.join(lock_rel(name))
}

/// The marks directory of `dir`.
pub fn marks_dir(dir: &Path) -> PathBuf {
    dir.join(MARKS_DIR)
}

/// The marks file of `name`.
pub fn marks_file(dir: &Path, name: &SessionName) -> PathBuf {
    dir.join(marks_rel(name))
}

/// The marks file's lock.
pub fn marks_lock_file(dir: &Path, name: &SessionName) -> PathBuf {
    dir.join(marks_lock_rel(name))
}

/// The transcript-reading state directory of `dir`.
pub fn tokens_dir(dir: &Path) -> PathBuf {
    dir.join(TOKENS_DIR)
}

/// Where `navi hook` keeps how far it read `name`'s transcript and what it counted.
pub fn tokens_state_file(dir: &Path, name: &SessionName) -> PathBuf {
    dir.join(tokens_state_rel(name))
}

/// A temp file in `dir` (see [`temp_rel`]).
pub fn temp_file(dir: &Path, tag: &str) -> PathBuf {
    dir.join(temp_rel(tag))
}

/// The session a directory entry is the status file of: `Some` for `NAME.json` whose
/// `NAME` is a valid [`SessionName`] (so a hidden file, a temp file or a name with `/`
/// is never a session file).
pub fn session_of_file(file_name: &str) -> Option<SessionName> {
    let stem = file_name.strip_suffix(".json")?;
    SessionName::existing(stem).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_stays_in_the_directory() {
        let n = SessionName::existing("my app").unwrap();
        let d = Path::new("/h/.claude-sessions");
        assert_eq!(status_file(d, &n), d.join("my app.json"));
        assert_eq!(lock_file(d, &n), d.join(".my app.lock"));
        assert_eq!(marks_file(d, &n), d.join(".navi/marks/my app.json"));
        assert_eq!(marks_lock_file(d, &n), d.join(".navi/marks/.my app.lock"));
        assert_eq!(tokens_state_file(d, &n), d.join(".navi/tokens/my app.json"));
        assert!(temp_rel("hook").starts_with(".tmp.navi.hook."));
        assert_eq!(
            session_of_file("api.json"),
            Some(SessionName::existing("api").unwrap())
        );
        for not_a_session in [
            ".api.lock",
            ".tmp.navi.hook.1",
            "x.json.tmp",
            ".x.json",
            "a.b.json",
        ] {
            assert_eq!(session_of_file(not_a_session), None, "{not_a_session}");
        }
    }
}
