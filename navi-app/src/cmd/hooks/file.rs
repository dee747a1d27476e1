//! Writing Claude Code's settings file the way its owner keeps it: through its symlinks
//! (dotfiles repositories), with its mode and owner, never over a read-only file, with the
//! first version navi changed kept aside and never written through a symlink.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{ErrorKind, Write as _};
use std::os::unix::fs::{
    DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _,
};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

/// More symlinks than this in a row is a loop (Linux's own limit).
const MAX_LINKS: usize = 40;

/// A new settings file gets this mode: it often holds API keys (`env`).
const NEW_FILE_MODE: u32 = 0o600;

/// What was done with `settings.json.navi-backup`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Backup {
    /// There was no settings file before, or it already had navi's entries (not a file
    /// from before navi): nothing to keep.
    None,
    /// The previous settings were written to it (it did not exist).
    Made(PathBuf),
    /// It already holds the settings from before navi's first change: left as it is.
    Kept(PathBuf),
    /// It is a symlink or something else than a regular file: not written through, so
    /// this run has no backup.
    Refused(PathBuf, &'static str),
}

/// Where the settings file `path` really is: its symlinks followed (relative targets
/// against the link's own directory). A dangling symlink gives the path it points to;
/// a path that is not a symlink is returned as it is.
pub(super) fn resolve(path: &Path) -> anyhow::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for hops in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)
                    .with_context(|| format!("cannot read the symlink {}", p.display()))?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            // Not a link: the path as given (so `target == path` says "no symlink").
            Ok(_) if hops == 0 => return Ok(p),
            Err(e) if hops == 0 && e.kind() == ErrorKind::NotFound => return Ok(p),
            Ok(_) => return Ok(tidy(p)),
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(tidy(p)),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", p.display())),
        }
    }
    bail!(
        "{} goes through more than {MAX_LINKS} symlinks (a loop?); nothing was written",
        path.display()
    )
}

/// `p` with its directory's real path (`a/../b` and directory symlinks resolved), as
/// messages name it; as it is when the directory does not exist.
fn tidy(p: PathBuf) -> PathBuf {
    let real = match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => {
            dir.canonicalize().ok().map(|d| d.join(name))
        }
        _ => None,
    };
    real.unwrap_or(p)
}

/// `path`, and its target when it is a symlink, for messages.
pub(super) fn describe(path: &Path, target: &Path) -> String {
    match path == target {
        true => path.display().to_string(),
        false => format!("{} (a symlink to {})", path.display(), target.display()),
    }
}

/// An error when the settings file at `target` must not be replaced: it is not a regular
/// file, or it is read-only (no write permission for this user, an immutable or
/// append-only file, a read-only file system; for root, no write bit at all). Renaming a
/// new file over it would work, as the directory is writable, and silently undo that.
pub(super) fn check_writable(path: &Path, target: &Path) -> anyhow::Result<()> {
    let meta = match std::fs::metadata(target) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", target.display())),
    };
    let name = describe(path, target);
    if !meta.is_file() {
        bail!("{name} is not a regular file; nothing was written");
    }
    let refuse = |why: String| {
        anyhow::anyhow!(
            "{name} is read-only ({why}): navi does not replace a file made read-only, so \
             nothing was written; make it writable (chmod u+w) and try again, or make the \
             change by hand"
        )
    };
    // Opening for writing without truncating changes nothing, and asks the kernel the
    // whole question (permissions, ACLs, `chattr +i`/`+a`, read-only mounts).
    if let Err(e) = OpenOptions::new().write(true).open(target) {
        return Err(refuse(e.to_string()));
    }
    if meta.permissions().mode() & 0o222 == 0 {
        return Err(refuse(format!(
            "mode {:o}",
            meta.permissions().mode() & 0o7777
        )));
    }
    Ok(())
}

/// Writes `text` as the settings file `path` (its symlinks followed: the target is
/// replaced, the links stay), atomically: a temporary file in the target's own directory,
/// created with the target's mode, given its owner, then renamed over it. `old` is the
/// text read before (`None`: there was no file); the file must still hold it. With
/// `keep_old` (`old` is the file from before navi), before the file is replaced `old` is
/// kept as `<path>.navi-backup` unless one exists already. Returns the target and what
/// happened to the backup.
pub(crate) fn write(
    path: &Path,
    text: &str,
    old: Option<&str>,
    keep_old: bool,
) -> anyhow::Result<(PathBuf, Backup)> {
    let target = resolve(path)?;
    let name = describe(path, &target);
    check_writable(path, &target)?;
    let meta = match std::fs::metadata(&target) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {name}")),
    };
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if meta.is_none() && target == path {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mode = meta
        .as_ref()
        .map_or(NEW_FILE_MODE, |m| m.permissions().mode() & 0o7777);
    let owner = meta.as_ref().map(|m| (m.uid(), m.gid()));
    // Checked first too: the backup must hold what the file held.
    still_holds(&target, &name, old).context("nothing was written")?;
    let backup = match old {
        Some(old) if keep_old => backup(path, old, mode, owner)?,
        _ => Backup::None,
    };
    let file_name = target
        .file_name()
        .map_or("settings.json".into(), |n| n.to_string_lossy());
    let (tmp, file) = create_new_in(&dir, &file_name, mode)?;
    let done = fill(&file, text, mode, owner)
        .with_context(|| format!("cannot write {}", tmp.display()))
        .and_then(|()| still_holds(&target, &name, old))
        .and_then(|()| {
            std::fs::rename(&tmp, &target).with_context(|| format!("cannot replace {name}"))
        });
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e.context("nothing was written"));
    }
    // The rename is on disk with the directory (best effort: some file systems refuse).
    let _ = File::open(&dir).and_then(|d| d.sync_all());
    Ok((target, backup))
}

/// An error when the file changed since navi read it (another editor, Claude Code itself):
/// replacing it would lose that change.
fn still_holds(target: &Path, name: &str, old: Option<&str>) -> anyhow::Result<()> {
    let now = match std::fs::read(target) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read {name}")),
    };
    match now.as_deref() == old.map(str::as_bytes) {
        true => Ok(()),
        false => bail!("{name} changed while navi was editing it; run this again"),
    }
}

/// A new file in `dir` named after `name`, created (never opened: `O_EXCL`) with at most
/// `mode`'s permission bits, so it is never readable by more users than the file it
/// replaces, not even for an instant.
fn create_new_in(dir: &Path, name: &str, mode: u32) -> anyhow::Result<(PathBuf, File)> {
    let pid = std::process::id();
    for n in 0..100 {
        let p = dir.join(format!(".{name}.navi-{pid}-{n}"));
        match create_new(&p, mode) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot create a temporary file in {}; nothing was written",
                        dir.display()
                    )
                })
            }
        }
    }
    bail!(
        "cannot create a temporary file in {}: too many left over; nothing was written",
        dir.display()
    )
}

fn create_new(path: &Path, mode: u32) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode & 0o777)
        .open(path)
}

/// Writes `text` into the new `file`, gives it `owner` (when navi runs as root, or the
/// group when the user may) and exactly `mode` (the umask narrowed it at creation).
fn fill(file: &File, text: &str, mode: u32, owner: Option<(u32, u32)>) -> anyhow::Result<()> {
    let mut w = file;
    w.write_all(text.as_bytes())?;
    if let Some((uid, gid)) = owner {
        let mine = file.metadata()?;
        if (mine.uid(), mine.gid()) != (uid, gid) {
            match std::os::unix::fs::fchown(file, Some(uid), Some(gid)) {
                Ok(()) => {}
                // The user's own file in a group the user is not in: it gets the user's
                // group, as it would from any editor.
                Err(_) if mine.uid() != 0 && mine.uid() == uid => {}
                Err(e) => {
                    bail!("cannot give it the settings file's owner {uid}:{gid}: {e}")
                }
            }
        }
    }
    // After the chown, which clears set-id bits.
    file.set_permissions(Permissions::from_mode(mode))?;
    file.sync_all()?;
    Ok(())
}

/// Keeps `old` (the settings before this change, of `mode` and `owner`) as
/// `<path>.navi-backup` when there is none: the first version navi changed stays there,
/// whatever later runs do. Created with `O_EXCL`, so an existing name, a symlink above all,
/// is never written through.
fn backup(path: &Path, old: &str, mode: u32, owner: Option<(u32, u32)>) -> anyhow::Result<Backup> {
    let mut name = path.as_os_str().to_owned();
    name.push(".navi-backup");
    let b = PathBuf::from(name);
    if let Some(existing) = classify(&b)? {
        return Ok(existing);
    }
    let file = match create_new(&b, mode) {
        Ok(f) => f,
        // Made in between: whatever it is now decides.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
            return classify(&b)?.context("the backup vanished while navi made it")
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot create the backup {}; nothing was written",
                    b.display()
                )
            })
        }
    };
    if let Err(e) = fill(&file, old, mode, owner) {
        let _ = std::fs::remove_file(&b);
        return Err(e.context(format!(
            "cannot write the backup {}; nothing was written",
            b.display()
        )));
    }
    Ok(Backup::Made(b))
}

/// What an existing backup name is: `None` when there is nothing there.
fn classify(b: &Path) -> anyhow::Result<Option<Backup>> {
    let m = match std::fs::symlink_metadata(b) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", b.display())),
    };
    let t = m.file_type();
    Ok(Some(match () {
        _ if t.is_file() => Backup::Kept(b.to_path_buf()),
        _ if t.is_symlink() => Backup::Refused(b.to_path_buf(), "a symlink"),
        _ if t.is_dir() => Backup::Refused(b.to_path_buf(), "a directory"),
        _ => Backup::Refused(b.to_path_buf(), "not a regular file"),
    }))
}
