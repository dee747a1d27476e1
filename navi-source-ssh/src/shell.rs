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
//! # Bounded on the remote
//!
//! Except for the terminal command of `ssh -t` ([`RemoteCommand::for_terminal`]), the
//! program runs its script inside a wrapper (POSIX `sh`, no `setsid`, `timeout` or
//! `/proc` needed on the remote; `src/scripts/bound.sh`, given its limit, stdin use and
//! grace as its first three operands) so that nothing it starts outlives navi there:
//!
//! * **Its own process group.** sshd starts every session's login shell with
//!   `setsid()`, and the login shell `exec`s `sh`, so the wrapper leads a process group
//!   holding everything the script starts (`kill -0 -$$` checks; a local `sh -c` that
//!   does not lead one runs itself again under `setsid` where there is one). Ending the
//!   command is `kill` of that group: TERM, CONT (a stopped process gets the TERM), and
//!   a second later KILL. A tmux server makes its own session, so it is never touched.
//! * **The channel's end.** What stdin is decides how the remote notices that navi is
//!   done or gone ([`Stdin`]): a loop's requests are relayed line by line by a reader
//!   that, at their end, gives the loop `GRACE_SECS` (3 s) to end by itself and then ends the
//!   group; a command that reads nothing gets `/dev/null` while a reader of the
//!   channel's stdin does the same at its end (navi keeps it open while it waits). The
//!   end comes when navi closes the channel, exits or loses the connection (sshd closes
//!   the pipe).
//! * **A time limit** (default [`DEFAULT_LIMIT`], `None` for the loops): a `sleep` in
//!   the background (no limit and no grace where `sleep` cannot run); when it is up the wrapper writes [`LIMIT_MESSAGE`] to stderr, ends
//!   the group and exits [`EXIT_LIMIT`].
//! * **No descriptor of the channel but 0–2.** fds 3–9 are closed first (BSD csh leaves
//!   dups of the channel's pipes on 3–5, and a tmux server started by the script would
//!   keep the channel open forever); the work gets only its stdin, stdout and stderr.
//!
//! On a normal end the wrapper ends its helpers and TERMs what the script left in the
//! group, then exits with the script's status. The wrapper writes nothing on a normal
//! run.
//!
//! The only thing the line cannot carry is a NUL byte (no argv can), and its length is
//! bounded by the largest single exec argument Linux accepts ([`MAX_COMMAND_LINE_LEN`]);
//! both are errors ([`RemoteCommandError`]) rather than a command that fails remotely.

use std::fmt::Write as _;
use std::sync::LazyLock;
use std::time::Duration;

use navi_core::limits;

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
    /// A script sent on stdin has a line [`STDIN_SCRIPT_END`], which would end it early.
    #[error(
        "the remote script has a line `{STDIN_SCRIPT_END}`, which would end it early on stdin"
    )]
    EndLineInScript,
    /// The command line would be longer than [`MAX_COMMAND_LINE_LEN`].
    #[error("the remote command line would be {len} bytes, over the limit of {max}")]
    TooLong {
        /// Length the command line would have.
        len: usize,
        /// The limit, [`MAX_COMMAND_LINE_LEN`].
        max: usize,
    },
}

/// A command line for a remote login shell, as [`RemoteCommand::to_command_line`] made
/// it: the only way navi hands a command to a remote (the channel's `exec` and the
/// `ssh -t` of attach take this type, never a `String`). Its field is private, so no
/// other code can make one from a string that skipped the login-shell-neutral encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine(String);

impl CommandLine {
    /// The line as text (only characters every login shell reads alike, see
    /// [`RemoteCommand::to_command_line`]).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The line's bytes, for an SSH exec request.
    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

impl std::fmt::Display for CommandLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Read as text anywhere (tests run it under local shells); only made by the builder.
impl std::ops::Deref for CommandLine {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for CommandLine {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_ref()
    }
}

/// The line as the last word of a local `ssh -t` argv (attach).
impl From<CommandLine> for String {
    fn from(line: CommandLine) -> String {
        line.0
    }
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
    /// What stdin is to the script (how the channel's end is noticed).
    stdin: Stdin,
    /// The remote-side time limit, `None` for a loop that lives as long as its channel.
    limit: Option<Duration>,
    /// The TTY's command of `ssh -t` (attach): not wrapped, it is the terminal's.
    terminal: bool,
    /// The (wrapped) script goes first on stdin, not in the command line.
    script_on_stdin: bool,
}

/// What a command's stdin is to it; it decides how the remote notices that navi is done
/// with the command or gone (see "Bounded on the remote" in the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stdin {
    /// Input the script reads to its end (a file to write); its end ends nothing, so
    /// only the time limit bounds the command. The default.
    Input,
    /// Requests, one a line, of a long-lived loop: relayed to the script line by line;
    /// their end (navi stopped, or the connection went) ends every process of the command.
    Requests,
    /// Not read: the script's stdin is `/dev/null`, and the end of the channel's stdin
    /// (navi gave up, or the connection went) ends every process of the command. navi
    /// keeps the channel's stdin open while it waits for the answer.
    Unused,
}

/// Seconds a command gets to end by itself once the channel's stdin ended (a loop's
/// normal end), before its processes are ended.
const GRACE_SECS: u64 = 3;

/// Runs before `set --` (so `"$@"` still holds the encoded words): when this `sh` does
/// not lead its own process group (sshd makes every session's shell one; a local `sh -c`
/// is not), it runs again under `setsid` where there is one, as `navi-grouped`.
const PROLOGUE: &str = include_str!("scripts/prologue.sh");

/// The wrapper every non-terminal script runs in, after the script as the function
/// `navi_work`; its first three operands are its own (see
/// [`RemoteCommand::wrapper_operands`]). See the module docs.
const BOUND: &str = include_str!("scripts/bound.sh");

/// The last line of a script sent on stdin ([`RemoteCommand::script_on_stdin`]).
pub const STDIN_SCRIPT_END: &str = "navi-script-end";

/// What the command line runs in place of a script that comes on stdin: it reads the
/// script up to [`STDIN_SCRIPT_END`] and runs it.
///
/// A script on stdin is a loop that stays (the push loop), and its steady state should
/// start no process. Where the remote's `sh` cannot cap what one `read` takes (dash,
/// busybox ash, ksh93: the loop then sizes the changed files with one `find` per batch,
/// so that a one-line 8 GiB file is never read whole), the script runs under `bash
/// --posix` (as bash runs when it is `sh`) if the remote has bash; bash, zsh and mksh
/// as `sh` run it themselves, and without bash it runs in the `sh` it came to.
const STDIN_SCRIPT: &str = include_str!("scripts/stdin_script.sh");

/// The exit status of a command its time limit ended (as `timeout(1)`'s).
pub const EXIT_LIMIT: u32 = 124;

/// The start of the line the wrapper writes to stderr when the time limit ends a command.
pub const LIMIT_MESSAGE: &str = "navi: stopped on the remote:";

/// `script` without its comment lines (a line whose first non-blank character is `#`):
/// what goes to the remote is only what runs (the scripts' comments are a third of
/// their bytes, and a script on stdin is read there a byte per system call). A script
/// with a here-document is left whole (a line of its text may begin with `#`); navi's
/// scripts have none, and no quoted string of theirs spans a line beginning with `#`.
/// The same rule suits navi's awk programs (no awk string spans lines).
pub(crate) fn without_comment_lines(script: &str) -> String {
    if script.contains("<<") {
        return script.to_owned();
    }
    let mut out = String::with_capacity(script.len());
    for line in script.split_inclusive('\n') {
        if !line.trim_start().starts_with('#') {
            out.push_str(line);
        }
    }
    out
}

/// [`PROLOGUE`], [`STDIN_SCRIPT`] and [`BOUND`] as they are sent (without their comment
/// lines), made once: every command built uses them.
static PROLOGUE_SENT: LazyLock<String> = LazyLock::new(|| without_comment_lines(PROLOGUE));
static STDIN_SCRIPT_SENT: LazyLock<String> = LazyLock::new(|| without_comment_lines(STDIN_SCRIPT));
static BOUND_SENT: LazyLock<String> = LazyLock::new(|| without_comment_lines(BOUND));

impl RemoteCommand {
    /// A command running `script` with `sh`, without operands so far (and without the
    /// script's comment lines).
    pub fn new(script: &str) -> Self {
        Self {
            script: without_comment_lines(script),
            operands: Vec::new(),
            stdin: Stdin::Input,
            limit: Some(limits::REMOTE_COMMAND),
            terminal: false,
            script_on_stdin: false,
        }
    }

    /// Sends the (wrapped) script as the first lines of stdin ([`Self::stdin_script`]),
    /// ahead of the requests, instead of in the command line, which then stays small
    /// (about 2 KB). For a long-lived loop with a large script: the SSH library keeps,
    /// per connection and for good, buffers as large as the largest packet it ever
    /// sent, and an exec request carries the whole encoded command line (about 5 bytes
    /// per byte of script that is not a letter or digit): a 22 KB script is a 40 KB
    /// request. Raw on stdin it is 22 KB, sent in packets of at most 8 KiB.
    pub fn script_on_stdin(mut self) -> Self {
        self.script_on_stdin = true;
        self
    }

    /// What to write to stdin first when the script goes there
    /// ([`Self::script_on_stdin`]): the wrapped script and the line
    /// [`STDIN_SCRIPT_END`]; `None` when the script is in the command line.
    pub fn stdin_script(&self) -> Result<Option<Vec<u8>>, RemoteCommandError> {
        if !self.on_stdin() {
            return Ok(None);
        }
        if self.script.lines().any(|l| l == STDIN_SCRIPT_END) {
            return Err(RemoteCommandError::EndLineInScript);
        }
        if self.script.as_bytes().contains(&0) {
            return Err(RemoteCommandError::NulInScript);
        }
        let mut bytes = self.bounded_script().into_bytes();
        bytes.push(b'\n');
        bytes.extend_from_slice(STDIN_SCRIPT_END.as_bytes());
        bytes.push(b'\n');
        Ok(Some(bytes))
    }

    /// The script goes on stdin (a terminal's command never does: its stdin is the TTY).
    fn on_stdin(&self) -> bool {
        self.script_on_stdin && !self.terminal
    }

    /// Says what stdin is to the script (default [`Stdin::Input`]).
    pub fn stdin(mut self, stdin: Stdin) -> Self {
        self.stdin = stdin;
        self
    }

    /// What stdin is to the script.
    pub fn stdin_use(&self) -> Stdin {
        self.stdin
    }

    /// Limits the command to `limit` on the remote (whole seconds, at least 1; default
    /// [`DEFAULT_LIMIT`]); `None`: no limit, for a loop whose channel's end ends it.
    pub fn within(mut self, limit: Option<Duration>) -> Self {
        self.limit = limit;
        self
    }

    /// The command of an interactive `ssh -t` (attach): the terminal's, run as it is
    /// (sshd hangs up its process group when the terminal goes).
    pub fn for_terminal(mut self) -> Self {
        self.terminal = true;
        self
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
    /// script; except for a terminal's command, the setsid prologue comes first and the
    /// script is run inside the bounding wrapper, whose own three operands come before
    /// the script's (the wrapper shifts them away; see the module docs).
    pub fn program(&self) -> Result<Vec<u8>, RemoteCommandError> {
        if self.script.as_bytes().contains(&0) {
            return Err(RemoteCommandError::NulInScript);
        }
        let mut program = match self.terminal {
            true => Vec::new(),
            false => PROLOGUE_SENT.as_bytes().to_vec(),
        };
        program.extend_from_slice(b"set --");
        if !self.terminal {
            for op in self.wrapper_operands() {
                push_quoted(&mut program, op.as_bytes());
            }
        }
        for (i, op) in self.operands.iter().enumerate() {
            if op.contains(&0) {
                return Err(RemoteCommandError::NulInOperand { index: i + 1 });
            }
            push_quoted(&mut program, op);
        }
        program.push(b'\n');
        match (self.terminal, self.on_stdin()) {
            (true, _) => program.extend_from_slice(self.script.as_bytes()),
            (false, true) => program.extend_from_slice(STDIN_SCRIPT_SENT.as_bytes()),
            (false, false) => program.extend_from_slice(self.bounded_script().as_bytes()),
        }
        Ok(program)
    }

    /// The wrapper's own operands, before the script's (`bound.sh` reads and shifts
    /// them): the time limit in seconds (0: none), what stdin is, the grace in seconds.
    fn wrapper_operands(&self) -> [String; 3] {
        let limit = self.limit.map_or(0, |d| {
            (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1)
        });
        let stdin = match self.stdin {
            Stdin::Input => "input",
            Stdin::Requests => "requests",
            Stdin::Unused => "unused",
        };
        [limit.to_string(), stdin.to_string(), GRACE_SECS.to_string()]
    }

    /// The script inside the wrapper that bounds it on the remote: the script becomes
    /// the function `navi_work`, which the wrapper runs with the script's operands.
    fn bounded_script(&self) -> String {
        format!("navi_work() {{\n{}\n}}\n{}", self.script, *BOUND_SENT)
    }

    /// The script after `set -- 'OP1' ...`, as a local `sh -c` runs it in tests
    /// (without the bounding wrapper).
    #[cfg(test)]
    pub fn script_with_operands(&self) -> String {
        let bare = self.clone().for_terminal();
        String::from_utf8_lossy(&bare.program().unwrap_or_default()).into_owned()
    }

    /// The command line to hand to the remote login shell (the command of an exec
    /// request, or the words after the destination of `ssh -t`).
    ///
    /// It contains only ASCII letters, digits, space and `,._+:@/=-'"$()%\` (see
    /// [`is_command_line_char`]), never a `\` before anything but `0`.
    pub fn to_command_line(&self) -> Result<CommandLine, RemoteCommandError> {
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
        Ok(CommandLine(line))
    }
}

/// Appends ` 'OP'` to `program`: `op` POSIX single-quoted, `'` as `'\''`.
fn push_quoted(program: &mut Vec<u8>, op: &[u8]) {
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
