//! [`SessionName`]: one validation for every tmux session name navi handles.

use std::fmt;

/// The longest session name navi accepts, in bytes (a file name must stay well under
/// 255 bytes with `.json` and a lock's `.` and `.lock`).
pub const MAX_NAME_BYTES: usize = 200;

/// A tmux session name that is safe to use as `<name>.json` in the status directory and
/// as an exact tmux target (`=NAME`).
///
/// Two constructors, because tmux itself changes some names:
///
/// * [`SessionName::existing`] accepts any name tmux can *hold* (read back from tmux, from a
///   status file's file name, or typed by the user to address a session). tmux never holds
///   `:` or `.` (it turns them into `_`) nor control characters (it escapes them), so those
///   are refused, and so is anything that would make the file name a path (`/`, a leading
///   `.`, an empty name).
/// * [`SessionName::new_for_tmux`] accepts only names tmux stores *unchanged*, for `navi
///   new` and `navi rename`: tmux rewrites `\` to `\\`, `$` to `\$`, expands `#{...}`
///   formats and reads a leading `-` as an option (a trailing `;`, which tmux reads as a
///   command separator, is passed escaped by [`crate::tmux_arg`]).
///   Such a name would leave navi with a session under a name it did not ask for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionName(String);

/// Why a string is not a session name navi accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct NameError {
    /// The name as given.
    pub name: String,
    /// Why it is refused, for the user.
    pub reason: String,
}

impl SessionName {
    /// A name tmux may hold (see the type's docs).
    pub fn existing(name: &str) -> Result<SessionName, NameError> {
        let fail = |reason: &str| {
            Err(NameError {
                name: name.to_string(),
                reason: format!("{:?} is not a tmux session name: {reason}", name),
            })
        };
        if name.is_empty() {
            return fail("it is empty");
        }
        if name.len() > MAX_NAME_BYTES {
            return fail(&format!("it is over {MAX_NAME_BYTES} bytes"));
        }
        if name.contains('/') {
            return fail("it contains `/` (a name is never a path)");
        }
        if name.starts_with('.') {
            return fail("it starts with `.` (hidden names are navi's lock and temp files)");
        }
        if let Some(c) = name.chars().find(|c| matches!(c, ':' | '.')) {
            return fail(&format!(
                "it contains `{c}`, which tmux never keeps in a session name (it separates window and pane in targets)"
            ));
        }
        if name.chars().any(char::is_control) {
            return fail("it contains a control character");
        }
        Ok(SessionName(name.to_string()))
    }

    /// A name tmux stores exactly as given (see the type's docs), for creating or
    /// renaming a session.
    pub fn new_for_tmux(name: &str) -> Result<SessionName, NameError> {
        let fail = |reason: &str| {
            Err(NameError {
                name: name.to_string(),
                reason: format!("tmux would not keep the name {name:?}: {reason}"),
            })
        };
        if name.trim().is_empty() {
            return fail("it is blank");
        }
        if let Some(c) = name.chars().find(|c| matches!(c, ':' | '.')) {
            return fail(&format!(
                "tmux turns `{c}` into `_` (it separates window and pane in targets)"
            ));
        }
        if name.contains('\\') {
            return fail("tmux stores `\\` as `\\\\`; leave it out");
        }
        if name.contains('$') {
            return fail("tmux stores `$` as `\\$`; leave it out");
        }
        if name.contains("#{") || name.contains("#(") {
            return fail("tmux expands `#{...}` and `#(...)` in a new name; leave them out");
        }
        if name.starts_with('-') {
            return fail("a leading `-` is read as an option");
        }
        if let Some(c) = name.chars().find(|c| crate::text::is_invisible(*c)) {
            return fail(&format!(
                "it contains the invisible character U+{:04X}, which would make it look like another name",
                u32::from(c)
            ));
        }
        if name.starts_with('%') || name.starts_with('@') {
            return fail("a leading `%` or `@` names a pane or window id");
        }
        SessionName::existing(name)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The exact session target `=NAME` (tmux matches `NAME` by prefix or pattern
    /// without the `=`).
    pub fn target(&self) -> String {
        crate::tmux_arg(&format!("={}", self.0))
    }

    /// The session's active pane, exactly: `=NAME:` (the empty window after `:` is the
    /// current window; tmux cannot read any part of it as a window or pane index).
    pub fn pane_target(&self) -> String {
        format!("={}:", self.0)
    }
}

impl fmt::Display for SessionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for SessionName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn existing_names_are_names_not_paths_or_targets() {
        for ok in [
            "api",
            "my app",
            "back\\\\x",
            "a\\$b",
            "é日本",
            "-x",
            "%1",
            "a;",
            "a'b\"c",
        ] {
            assert!(SessionName::existing(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "../victim",
            "..",
            ".hidden",
            "a/b",
            "api-2.",
            "p:s",
            "x\ny",
            "t\tab",
            &"x".repeat(201),
        ] {
            let e = SessionName::existing(bad).unwrap_err();
            assert!(e.to_string().contains("not a tmux session name"), "{e}");
        }
    }

    #[test]
    fn new_names_are_the_ones_tmux_keeps() {
        for ok in ["api-v2 (it's \"mine\") `x` ! ;", "é日本", "a#b", "x=y"] {
            assert!(SessionName::new_for_tmux(ok).is_ok(), "{ok:?}");
        }
        for bad in [
            "",
            "  ",
            "a:b",
            "a.b",
            "back\\x",
            "a$b",
            "#{host}",
            "-rf",
            "%1",
            "@2",
            "a/b",
            "a\u{200b}b",
            "x\ny",
        ] {
            assert!(SessionName::new_for_tmux(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn targets_are_exact() {
        let n = SessionName::existing("api").unwrap();
        assert_eq!(n.target(), "=api");
        assert_eq!(n.pane_target(), "=api:");
        // tmux reads an argument ending in `;` as a command separator.
        assert_eq!(SessionName::existing("a;").unwrap().target(), "=a\\;");
    }
}
