//! Marks: a bookmark, tags and a short note on a session, kept on the machine that owns
//! the session so every navi watching that machine agrees, with no server.
//!
//! # Where they live
//!
//! One small JSON file per tmux session, `<sessions dir>/.navi/marks/<name>.json`. The
//! hooks list `<sessions dir>/*.json`; a hidden subdirectory never matches that glob, so
//! no hook and no older navi sees a new file. Every navi reads the marks with the poll it
//! already makes (the local directory read, or one more record of the remote snapshot)
//! and writes them through the same source.
//!
//! # Why no operation is lost
//!
//! A write is an *operation* ([`MarkOp`]: set or unset the bookmark, add or remove one
//! tag, set the note), never a whole new state. It is applied to the file's content as
//! it is *on the owning machine at the moment of the write*, under that session's lock
//! file `.navi/marks/.<name>.lock` (`flock`), and the result replaces the file by
//! rename. Locally that is one read-modify-write under the held lock. Over SSH the read
//! and the write are two commands, so the write is a compare-and-swap: the client reads
//! the file, applies the operation, and sends the new content together with the old
//! content it read; the remote, holding the lock, replaces the file only if it still
//! has exactly that old content, and otherwise the client reads again and re-applies
//! (a bounded number of times). Every committed write is therefore the operation applied
//! to the state left by all writes committed before it: two dashboards adding different
//! tags at once both land, whichever order the lock gives them. Operations on different
//! fields commute; on the same field the later one wins, as a user expects.
//!
//! (A remote without the `flock` utility runs the same check under a `mkdir` lock
//! instead, which keeps writers over SSH apart; a `navi mark` run on that machine itself
//! takes only the `flock`, so it can race such a writer in the instant between the
//! check and the rename.) An operation that cannot apply (a tag over [`MAX_TAGS`]) is
//! an error, never a write reported done that did not land.
//!
//! A marks file that is malformed or over [`MAX_MARKS_FILE_BYTES`] costs only the marks
//! of that session (it is reported like a skipped status file); a write to it starts
//! from empty marks.

use serde::{Deserialize, Serialize};

pub use crate::statusdir::layout::MARKS_DIR;

/// The largest marks file read (a note is short, tags are few).
pub const MAX_MARKS_FILE_BYTES: u64 = 8 * 1024;

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 32;
/// The most tags on one session.
pub const MAX_TAGS: usize = 32;
/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 200;

/// What the user marked on one session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Marks {
    /// Bookmarked (★).
    pub bookmarked: bool,
    /// Tags, sorted, no duplicates.
    pub tags: Vec<String>,
    /// A short note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Unix seconds of the last change.
    pub changed_at: i64,
    /// The machine (hostname) the last change came from.
    pub changed_by: String,
}

/// One change to a session's marks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkOp {
    /// Set (`true`) or clear the bookmark.
    Bookmark(bool),
    /// Add a tag.
    AddTag(String),
    /// Remove a tag.
    RemoveTag(String),
    /// Set (or with `None` clear) the note.
    Note(Option<String>),
}

impl Marks {
    /// True when nothing is marked (the file can go).
    pub fn is_empty(&self) -> bool {
        !self.bookmarked && self.tags.is_empty() && self.note.is_none()
    }

    /// Applies `op`, stamping the change with `at` and `by`.
    pub fn apply(&mut self, op: &MarkOp, at: i64, by: &str) {
        match op {
            MarkOp::Bookmark(on) => self.bookmarked = *on,
            MarkOp::AddTag(t) => {
                if let Err(i) = self.tags.binary_search(t) {
                    if self.tags.len() < MAX_TAGS {
                        self.tags.insert(i, t.clone());
                    }
                }
            }
            MarkOp::RemoveTag(t) => self.tags.retain(|x| x != t),
            MarkOp::Note(n) => self.note = n.clone().filter(|n| !n.is_empty()),
        }
        self.changed_at = at;
        self.changed_by = by.to_string();
    }

    /// Reads a marks file: JSON of [`Marks`], at most [`MAX_MARKS_FILE_BYTES`]. Tags
    /// that would not pass [`check_tag`] are dropped, the rest sorted.
    pub fn parse(bytes: &[u8]) -> Result<Marks, String> {
        if bytes.len() as u64 > MAX_MARKS_FILE_BYTES {
            return Err(format!(
                "marks file is over the {MAX_MARKS_FILE_BYTES}-byte limit"
            ));
        }
        let mut m: Marks =
            serde_json::from_slice(bytes).map_err(|e| format!("not a marks file: {e}"))?;
        m.tags.retain(|t| check_tag(t).is_ok());
        m.tags.sort();
        m.tags.dedup();
        m.note = m.note.filter(|n| check_note(n).is_ok() && !n.is_empty());
        m.changed_by = m
            .changed_by
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect();
        Ok(m)
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// `bytes` (a marks file's content, `None` when there is none) with `ops` applied:
    /// `None` when the result is empty (the file is removed). A malformed file counts
    /// as empty marks. A tag that cannot be added (the session has [`MAX_TAGS`]) is an
    /// error, so no write is reported done that did not land.
    pub fn apply_to_file(
        bytes: Option<&[u8]>,
        ops: &[MarkOp],
        at: i64,
        by: &str,
    ) -> Result<Option<Vec<u8>>, String> {
        let mut m = bytes.and_then(|b| Marks::parse(b).ok()).unwrap_or_default();
        for op in ops {
            if let MarkOp::AddTag(t) = op {
                if m.tags.len() >= MAX_TAGS && !m.tags.contains(t) {
                    return Err(format!(
                        "cannot add tag `{t}`: the session already has {MAX_TAGS} tags, the \
                         most it can have (remove one first)"
                    ));
                }
            }
            m.apply(op, at, by);
        }
        Ok((!m.is_empty()).then(|| m.to_bytes()))
    }
}

/// Why `tag` is not a valid tag, if it is not: empty, over [`MAX_TAG_CHARS`], or with a
/// space, a comma, a `/` or a control character.
pub fn check_tag(tag: &str) -> Result<(), String> {
    let tag = tag.strip_prefix('#').unwrap_or(tag);
    if tag.is_empty() {
        return Err("a tag cannot be empty".into());
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(format!(
            "a tag is at most {MAX_TAG_CHARS} characters: {tag}"
        ));
    }
    if tag.chars().any(|c| c.is_control()) {
        return Err("a tag cannot contain control characters".into());
    }
    if tag.chars().any(|c| c.is_whitespace() || c == ',') {
        return Err(format!(
            "a tag cannot contain spaces or commas: `{tag}` (give several tags separately)"
        ));
    }
    Ok(())
}

/// A tag as stored: without a leading `#`.
pub fn normalize_tag(tag: &str) -> String {
    tag.strip_prefix('#').unwrap_or(tag).to_string()
}

/// Why `note` is not a valid note, if it is not: over [`MAX_NOTE_CHARS`] or with a
/// control character.
pub fn check_note(note: &str) -> Result<(), String> {
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(format!("a note is at most {MAX_NOTE_CHARS} characters"));
    }
    if note.chars().any(|c| c.is_control()) {
        return Err("a note is one line without control characters".into());
    }
    Ok(())
}

/// Checks every operation (tags and notes as [`check_tag`] and [`check_note`]) and
/// that `session` can name a marks file.
pub fn check_ops(session: &str, ops: &[MarkOp]) -> Result<(), String> {
    if session.is_empty() || session.contains('/') || session.starts_with('.') {
        return Err(format!("cannot mark a session named `{session}`"));
    }
    if ops.is_empty() {
        return Err("nothing to mark (give --bookmark, --tag, --untag or --note)".into());
    }
    for op in ops {
        match op {
            MarkOp::AddTag(t) | MarkOp::RemoveTag(t) => check_tag(t)?,
            MarkOp::Note(Some(n)) => check_note(n)?,
            _ => {}
        }
    }
    Ok(())
}

/// The marks file name of `session`: `<name>.json`.
pub fn marks_file_name(session: &str) -> String {
    format!("{session}.json")
}

/// This machine's name, for [`Marks::changed_by`]: the kernel's hostname, else
/// `$HOSTNAME`, else `uname -n`, else `unknown`.
pub fn this_host() -> String {
    let from_file = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok());
    let name = from_file
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| {
            std::process::Command::new("uname")
                .arg("-n")
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        })
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let name: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
    if name.is_empty() {
        "unknown".into()
    } else {
        name
    }
}

/// "marked api: ★ #wip #review" (or "cleared the marks of api"), for a status line.
pub fn describe_marks(session: &str, m: &Marks) -> String {
    if m.is_empty() {
        return format!("cleared the marks of {session}");
    }
    let mut parts: Vec<String> = Vec::new();
    if m.bookmarked {
        parts.push("★".into());
    }
    parts.extend(m.tags.iter().map(|t| format!("#{t}")));
    if let Some(n) = &m.note {
        parts.push(format!("\"{n}\""));
    }
    format!("marked {session}: {}", parts.join(" "))
}

/// Unix seconds now.
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_apply_and_round_trip() {
        let mut m = Marks::default();
        m.apply(&MarkOp::AddTag("b".into()), 1, "h");
        m.apply(&MarkOp::AddTag("a".into()), 2, "h");
        m.apply(&MarkOp::AddTag("a".into()), 2, "h");
        m.apply(&MarkOp::Bookmark(true), 3, "h2");
        assert_eq!(m.tags, ["a", "b"]);
        assert_eq!(Marks::parse(&m.to_bytes()), Ok(m.clone()));
        m.apply(&MarkOp::RemoveTag("a".into()), 4, "h");
        m.apply(&MarkOp::Bookmark(false), 4, "h");
        m.apply(&MarkOp::RemoveTag("b".into()), 4, "h");
        assert!(m.is_empty());
        assert!(Marks::parse(b"{nope").is_err());
        assert!(Marks::parse(&vec![b' '; 10_000]).is_err());
    }

    #[test]
    fn a_tag_over_the_cap_is_an_error_not_a_silent_no_op() {
        let full: Vec<MarkOp> = (0..MAX_TAGS)
            .map(|i| MarkOp::AddTag(format!("t{i}")))
            .collect();
        let bytes = Marks::apply_to_file(None, &full, 1, "h").unwrap().unwrap();
        // Adding one already there is fine; a new one is refused, naming it.
        let again = [MarkOp::AddTag("t0".into())];
        assert!(Marks::apply_to_file(Some(&bytes), &again, 2, "h").is_ok());
        let e = Marks::apply_to_file(Some(&bytes), &[MarkOp::AddTag("new".into())], 2, "h")
            .unwrap_err();
        assert!(e.contains("`new`") && e.contains("32 tags"), "{e}");
        // Removing one first makes room.
        let ops = [MarkOp::RemoveTag("t0".into()), MarkOp::AddTag("new".into())];
        assert!(Marks::apply_to_file(Some(&bytes), &ops, 2, "h").is_ok());
    }

    #[test]
    fn tags_are_checked() {
        assert!(check_tag("wip").is_ok() && check_tag("#日本").is_ok());
        for bad in ["", "a b", "a,b", "x\ty", &"x".repeat(33)] {
            assert!(check_tag(bad).is_err(), "{bad:?}");
        }
        assert!(check_ops("a", &[]).is_err());
        assert!(check_ops("../x", &[MarkOp::Bookmark(true)]).is_err());
    }
}
