//! One builder for every command string navi sends to a remote: [`RemoteCommand`].
//!
//! sshd does not run a command itself: it hands the string to the remote user's LOGIN
//! shell as `$SHELL -c "$command"`, and that shell is not always POSIX. A POSIX-quoted
//! command (`tmux attach-session -t 'NAME'`) is safe under sh, bash, dash, zsh, ksh and
//! busybox ash, but not under fish or csh/tcsh, where a hostile or merely unusual
//! session name or script escapes its quotes. [`RemoteCommand`] therefore builds a
//! command line made only of characters that every one of these shells reads alike,
//! whose one job is to start a real POSIX `sh` with the intended program:
//!
//! ```text
//! exec sh -c 'eval "$(printf %b "$@")"' sh 'ENCODED' ['ENCODED'...]
//! ```
//!
//! The POSIX program is `set -- 'OP1' 'OP2' ...` followed by a newline and the script, so
//! the script sees its operands as `"$1"`, `"$2"`, ... (each POSIX single-quoted, `'` as
//! `'\''`). ENCODED is that program with the bytes of a small safe set (ASCII letters,
//! digits, space and `,._+:@/=-`) kept raw and every other byte written as `\0ddd`
//! (always three octal digits, which is what `printf %b` decodes). The encoded program
//! is split into words of at most [`CHUNK_LEN`] characters, never inside an escape;
//! `printf %b` reuses its format for every word, so `"$@"` prints them back to back.
//! The program's first command, `set --`, then replaces those words with the operands.
//!
//! # Why each shell reads the line alike
//!
//! **POSIX shells (sh, bash, dash, zsh, ksh93, mksh, busybox ash).** Inside single
//! quotes every character is literal, so `'eval "$(printf %b "$@")"'` reaches `sh -c`
//! unchanged and each ENCODED word arrives byte for byte. zsh's `=word` expansion and
//! bash's/zsh's `!` history expansion do not apply: the first needs an unquoted word,
//! the second an interactive shell, and ENCODED has no `!` anyway.
//!
//! **fish.** Its single quotes are not POSIX: `\'` and `\\` are escapes inside them,
//! which is how `\'; touch /tmp/x #` closes a POSIX-quoted name and runs `touch`. Any
//! other backslash stays literal, so `\0101` is passed on as is. The command line has no
//! `\'` and no `\\` (a backslash is only ever followed by `0`), and `$`, `"`, `(`, `)`
//! and `%` are literal in fish's single quotes. `exec` in fish replaces fish with `sh`.
//!
//! **csh and tcsh.** `!` starts history expansion even inside single quotes
//! (`!#` is the line so far, so a session name `!#;touch /tmp/x;#` quoted twice, as in
//! `tmux has-session -t '=NAME' || exit 113 ; tmux attach-session -t 'NAME'`, runs
//! `touch`; a script containing `fix!bug` fails with "Event not found"), and a
//! newline inside quotes is an error ("Unmatched '"). The encoded words contain neither.
//! `$` and backslashes are literal inside csh's single quotes. BSD csh also refuses a
//! word longer than about 8 KiB ("Word too long"), hence the split into words of at most
//! [`CHUNK_LEN`] characters.
//!
//! **Everything outside the quotes** is `exec sh -c` and `sh`: plain words every shell
//! parses the same way. The command line reads nothing from stdin, so the program's
//! stdin (and the TTY of `ssh -t`) is the channel's; `exec` keeps the exit status.
//!
//! **The decoding `sh`** is whatever `sh` the remote has (dash, bash, busybox, ksh,
//! mksh or zsh as `sh`); `printf %b` with `\0ddd` is POSIX and decodes every byte,
//! including bytes that are not UTF-8. `$(...)` drops the trailing newlines of the
//! decoded program, which is harmless: operands ending in newlines are inside quotes in
//! `set --`, so they keep them.
//!
//! The only thing the line cannot carry is a NUL byte (no argv can), and its length is
//! bounded by the largest single exec argument Linux accepts ([`MAX_COMMAND_LINE_LEN`]);
//! both are errors ([`RemoteCommandError`]) rather than a command that fails remotely.

use std::fmt::Write as _;

/// The longest command line [`RemoteCommand::to_command_line`] produces: the login shell
/// gets it as ONE exec argument, and Linux refuses an argument of 128 KiB or more
/// (`MAX_ARG_STRLEN`, counting the terminating NUL).
pub const MAX_COMMAND_LINE_LEN: usize = 128 * 1024 - 1;

/// The longest single-quoted word of encoded program: BSD csh refuses a word of about
/// 8 KiB ("Word too long"), so stay well below.
pub const CHUNK_LEN: usize = 4000;

/// What the command line starts with: everything the login shell parses outside quotes.
const PREFIX: &str = "exec sh -c 'eval \"$(printf %b \"$@\")\"' sh";

/// Why a [`RemoteCommand`] has no command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteCommandError {
    /// The script contains a NUL byte, which no exec argument can carry.
    #[error("the remote script contains a NUL byte, which no command line can carry")]
    NulInScript,
    /// Operand `index` (1-based, as in `$1`) contains a NUL byte.
    #[error("operand ${index} contains a NUL byte, which no command line can carry")]
    NulInOperand {
        /// 1-based position of the operand, as in `$1`.
        index: usize,
    },
    /// The command line would be longer than [`MAX_COMMAND_LINE_LEN`].
    #[error("the remote command line would be {len} bytes, over the limit of {max}")]
    TooLong {
        /// Length the command line would have.
        len: usize,
        /// The limit, [`MAX_COMMAND_LINE_LEN`].
        max: usize,
    },
}

/// A POSIX `sh` script plus its operands, turned into one command line that every common
/// login shell (bash, dash, zsh, ksh, mksh, busybox ash, fish, tcsh, csh) runs the same
/// way. Why each of them does is explained in the module docs of
/// `navi-source-ssh/src/shell.rs`.
///
/// The line is `exec sh -c 'eval "$(printf %b "$@")"' sh 'ENCODED'...`, where ENCODED is
/// the POSIX program `set -- 'OP1' 'OP2' ...` + newline + script, with every byte outside
/// `[A-Za-z0-9 ,._+:@/=-]` written as `\0ddd`. It never contains `!`, a newline, `\'` or
/// `\\`, and reads nothing from stdin (so `ssh -t host LINE` keeps its TTY).
///
/// Inside the script the operands are `"$1"`, `"$2"`, ...; they may be any bytes but NUL.
///
/// For example `RemoteCommand::new("exec tmux attach-session -t \"$1\"").arg("dev")`
/// gives (tested in `shell/tests.rs`):
///
/// ```text
/// exec sh -c 'eval "$(printf %b "$@")"' sh 'set -- \0047dev\0047\0012exec tmux attach-session -t \0042\00441\0042'
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct RemoteCommand {
    script: String,
    operands: Vec<Vec<u8>>,
}

impl RemoteCommand {
    /// A command running `script` with `sh`, without operands so far.
    pub fn new(script: &str) -> Self {
        Self {
            script: script.to_owned(),
            operands: Vec::new(),
        }
    }

    /// Appends one operand: the next of `"$1"`, `"$2"`, ...
    pub fn arg(mut self, value: impl AsRef<[u8]>) -> Self {
        self.operands.push(value.as_ref().to_vec());
        self
    }

    /// Appends operands in order.
    #[cfg(test)]
    pub fn args<I>(mut self, values: I) -> Self
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.operands
            .extend(values.into_iter().map(|v| v.as_ref().to_vec()));
        self
    }

    /// The POSIX program `sh` ends up evaluating: `set -- 'OP1' ...`, a newline, the
    /// script.
    pub fn program(&self) -> Result<Vec<u8>, RemoteCommandError> {
        if self.script.as_bytes().contains(&0) {
            return Err(RemoteCommandError::NulInScript);
        }
        let mut program = b"set --".to_vec();
        for (i, op) in self.operands.iter().enumerate() {
            if op.contains(&0) {
                return Err(RemoteCommandError::NulInOperand { index: i + 1 });
            }
            program.extend_from_slice(b" '");
            for &b in op {
                if b == b'\'' {
                    program.extend_from_slice(b"'\\''");
                } else {
                    program.push(b);
                }
            }
            program.push(b'\'');
        }
        program.push(b'\n');
        program.extend_from_slice(self.script.as_bytes());
        Ok(program)
    }

    /// The command line to hand to the remote login shell (the command of an exec
    /// request, or the words after the destination of `ssh -t`).
    ///
    /// It contains only ASCII letters, digits, space and `,._+:@/=-'"$()%\` (see
    /// [`is_command_line_char`]), never a `\` before anything but `0`.
    pub fn to_command_line(&self) -> Result<String, RemoteCommandError> {
        let program = self.program()?;
        let mut line = String::with_capacity(PREFIX.len() + 4 + program.len() * 2);
        line.push_str(PREFIX);
        let mut chunk = 0usize;
        line.push_str(" '");
        for &b in &program {
            let width = if is_raw(b) { 1 } else { 5 };
            if chunk + width > CHUNK_LEN {
                line.push_str("' '");
                chunk = 0;
            }
            if is_raw(b) {
                line.push(char::from(b));
            } else {
                // Writing to a String cannot fail.
                let _ = write!(line, "\\0{b:03o}");
            }
            chunk += width;
        }
        line.push('\'');
        if line.len() > MAX_COMMAND_LINE_LEN {
            return Err(RemoteCommandError::TooLong {
                len: line.len(),
                max: MAX_COMMAND_LINE_LEN,
            });
        }
        Ok(line)
    }
}

/// Bytes the encoded program keeps as they are: each verified literal inside single
/// quotes in every supported login shell and in `printf %b`'s argument.
fn is_raw(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b' ' | b',' | b'.' | b'_' | b'+' | b':' | b'@' | b'/' | b'=' | b'-'
        )
}

/// Whether `c` may appear in a command line of [`RemoteCommand::to_command_line`]: the
/// raw set of the encoding plus the characters of the fixed prefix and the quotes.
#[cfg(test)]
pub fn is_command_line_char(c: char) -> bool {
    u8::try_from(c)
        .is_ok_and(|b| is_raw(b) || matches!(b, b'\'' | b'"' | b'$' | b'(' | b')' | b'%' | b'\\'))
}

/// A line of POSIX `sh` that sets `$var` to the path in operand `$n`, where a leading
/// `~` means the remote user's home (expanded there, never here): the one place remote
/// scripts turn a configured path into a real one.
pub fn set_home_path(var: &str, n: usize) -> String {
    format!(
        r#"case ${n} in "~") {var}=$HOME;; "~/"*) {var}=$HOME/${{{n}#"~/"}};; *) {var}=${n};; esac"#
    )
}

/// What a remote printed on failure, fit to be shown as a reason: decoded leniently,
/// stripped of control and escape sequences ([`navi_core::text::sanitize`]), every run
/// of whitespace made one space, and cut to at most `max_chars` characters with `…`.
///
/// A reason must say what went wrong in a line, never replay a script or flood a
/// status bar, whatever the remote wrote.
pub fn summarize_remote_output(stderr: &[u8], max_chars: usize) -> String {
    let text = String::from_utf8_lossy(stderr);
    let clean = navi_core::text::sanitize(&text);
    let mut words = clean.split_whitespace();
    let mut out = String::new();
    let mut count = 0usize;
    let mut first = true;
    // Collect at most max_chars + 1 characters: enough to know whether to cut.
    'outer: for word in words.by_ref() {
        if !first {
            out.push(' ');
            count += 1;
            if count > max_chars {
                break;
            }
        }
        first = false;
        for c in word.chars() {
            out.push(c);
            count += 1;
            if count > max_chars {
                break 'outer;
            }
        }
    }
    if count <= max_chars {
        return out;
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut cut: String = out.chars().take(max_chars - 1).collect();
    let trimmed = cut.trim_end().len();
    cut.truncate(trimmed);
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests;
