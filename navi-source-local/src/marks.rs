//! The marks files of local sessions, `<dir>/.navi/marks/<name>.json` (see
//! [`navi_core::Marks`] for the design). Every change is a read-modify-write under the
//! session's lock file `.navi/marks/.<name>.lock` (`flock`, the lock a remote writer's
//! `flock` utility takes too), and the new content replaces the file by rename.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use navi_core::statusdir::layout;
use navi_core::{
    check_ops, now_seconds, this_host, MarkOp, Marks, SessionName, SkippedFile,
    MAX_MARKS_FILE_BYTES,
};

/// `<dir>/.navi/marks`.
pub fn marks_dir(dir: &Path) -> PathBuf {
    layout::marks_dir(dir)
}

/// Every readable marks file of `dir`, by session; the ones that cannot be read are
/// skipped entries (they cost only their session's marks).
pub(crate) fn read_all(dir: &Path) -> (HashMap<String, Marks>, Vec<SkippedFile>) {
    let mut marks = HashMap::new();
    let mut skipped = Vec::new();
    let Ok(entries) = std::fs::read_dir(marks_dir(dir)) else {
        return (marks, skipped);
    };
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
        match read_one(&path) {
            Ok(Some(m)) => {
                marks.insert(stem.to_string(), m);
            }
            Ok(None) => {}
            Err(reason) => skipped.push(SkippedFile {
                name: path.display().to_string(),
                reason,
            }),
        }
    }
    (marks, skipped)
}

fn read_one(path: &Path) -> Result<Option<Marks>, String> {
    match read_bytes(path)? {
        Some(bytes) => Marks::parse(&bytes).map(Some),
        None => Ok(None),
    }
}

/// The file's bytes, one past the cap at most; `None` when there is no file.
fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open: {e}")),
    };
    let meta = file.metadata().map_err(|e| format!("cannot stat: {e}"))?;
    if !meta.is_file() {
        return Err("not a regular file; marks files are plain files".into());
    }
    let mut bytes = Vec::new();
    file.take(MAX_MARKS_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    Ok(Some(bytes))
}

/// `name` as a session name (every marks path is built from one, see
/// [`navi_core::statusdir::layout`]).
fn session(name: &str) -> Result<SessionName, String> {
    SessionName::existing(name).map_err(|e| e.to_string())
}

/// The lock of `name`'s marks file, held until dropped.
fn lock(dir: &Path, name: &SessionName) -> std::io::Result<std::fs::File> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(layout::marks_lock_file(dir, name))?;
    f.lock()?;
    Ok(f)
}

/// Applies `ops` to `name`'s marks as they are now, under the lock; the new marks.
pub fn apply(dir: &Path, name: &str, ops: &[MarkOp]) -> Result<Marks, String> {
    check_ops(name, ops)?;
    let name = session(name)?;
    let mdir = marks_dir(dir);
    crate::private::create_dir(&mdir)
        .map_err(|e| format!("cannot create {}: {e}", mdir.display()))?;
    let _lock = lock(dir, &name).map_err(|e| format!("cannot lock the marks file: {e}"))?;
    let path = layout::marks_file(dir, &name);
    // A file that cannot be read as marks is replaced (it cost only the marks).
    let old = read_bytes(&path).unwrap_or(None);
    let new = Marks::apply_to_file(old.as_deref(), ops, now_seconds(), &this_host())?;
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    match &new {
        Some(bytes) => {
            let tmp = mdir.join(layout::temp_rel("marks"));
            crate::private::write_new(&tmp, bytes).map_err(fail)?;
            std::fs::rename(&tmp, &path).map_err(fail)?;
        }
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(fail(e)),
            _ => {}
        },
    }
    Ok(new.and_then(|b| Marks::parse(&b).ok()).unwrap_or_default())
}

/// Drops `name`'s marks (the user dismissed or killed the session).
pub(crate) fn remove(dir: &Path, name: &str) -> Result<(), String> {
    let name = session(name)?;
    let file = layout::marks_file(dir, &name);
    if !file.exists() {
        return Ok(());
    }
    let _lock = lock(dir, &name).map_err(|e| format!("cannot lock the marks file: {e}"))?;
    match std::fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove the marks of {name}: {e}"))
        }
        _ => {
            let _ = std::fs::remove_file(layout::marks_lock_file(dir, &name));
            Ok(())
        }
    }
}

/// Moves `from`'s marks to `to` (the session was renamed), under both locks.
pub(crate) fn rename(dir: &Path, from: &str, to: &str) -> Result<(), String> {
    let (from, to) = (session(from)?, session(to)?);
    let old = layout::marks_file(dir, &from);
    if !old.exists() {
        return Ok(());
    }
    let fail = |e: std::io::Error| format!("cannot move the marks of {from}: {e}");
    let _old = lock(dir, &from).map_err(fail)?;
    let _new = lock(dir, &to).map_err(fail)?;
    match std::fs::rename(&old, layout::marks_file(dir, &to)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(fail(e)),
        _ => {
            let _ = std::fs::remove_file(layout::marks_lock_file(dir, &from));
            Ok(())
        }
    }
}

/// Moves `from`'s marks to `to` after a rename made in tmux itself, unless `to` has
/// marks of its own (they are never overwritten, and `from`'s then stay where they are).
pub(crate) fn follow(dir: &Path, from: &str, to: &str) -> Result<(), String> {
    if layout::marks_file(dir, &session(to)?).exists() {
        return Ok(());
    }
    rename(dir, from, to)
}

/// "marked api: ★ #wip #review" for the status line.
pub(crate) fn describe(name: &str, m: &Marks) -> String {
    navi_core::describe_marks(name, m)
}

#[cfg(test)]
mod tests;
