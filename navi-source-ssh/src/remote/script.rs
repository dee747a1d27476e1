//! The remote POSIX `sh` scripts: the snapshot of a status directory, as one exec or
//! as a loop answering one snapshot per request line.
//!
//! The scripts are files (`src/scripts/snapshot_lib.sh`, `poll_loop.sh`, `poll_once.sh`,
//! `push_loop.sh`, and the awk program `frame.awk`), checked by `shellcheck -s sh` (see
//! `src/scripts_tests.rs`). Every value reaches them as an operand (see [`command`]); only
//! numbers compiled into navi are written into the script text ([`numbers`]).
//!
//! Shell variables of the scripts: `dir` (the status directory), `nl` (a newline),
//! `frame_awk` (the awk program that frames the files), `awk_works` (set when this awk
//! runs it), `buffer` (the command the snapshot is written through), `n` (the request's
//! nonce), `f` (a listed file), `rebuild` (set when some entry must be left out of the
//! list), `kept` (the rebuilt list), and for the tmux check `tmux_format`, `socket_sed`,
//! `sockets` (the recorded socket paths, one a line), `have_tmux`, `said`, `st`, `s`,
//! `asked` and `count`. Kept POSIX, and free of `!`.

use navi_core::rss;
use navi_core::statusdir::liveness::LIST_FORMAT;
use navi_core::{MAX_MARKS_FILE_BYTES, MAX_STATUS_FILE_BYTES};

use super::MAX_POLL_OUTPUT;
use crate::shell::{set_home_path, CommandLine, RemoteCommand, RemoteCommandError, Stdin};

/// The awk program that frames every listed file: ONE process for the whole directory.
///
/// Its operands are the file names (`./name`, so none is taken for a `var=value`
/// assignment; they are moved out of `ARGV` in `BEGIN` and opened only with `getline <`,
/// which never aborts awk on a missing file). Its stdin is `wc -c` of the same names:
/// `<size> <name>` lines, the size of each file when it was listed.
///
/// For each file: over the cap by its listed size → an `S` record, never read. Otherwise
/// it is copied out line by line as it is read (only the current line is held), and the
/// copy stops one byte past the cap, so a file that grew since it was listed arrives as
/// `cap + 1` bytes and the decoder rejects it as oversize. awk cannot see whether the
/// last line ended in a newline; the listed size can (`size == bytes without it`), so an
/// unchanged file arrives byte for byte (a changed one, or one `wc` did not list, gets a
/// final newline: JSON does not mind). A file that cannot be opened any more is an `S`
/// record; an empty one is an empty `F` record. `LC_ALL=C` makes `length` count bytes.
///
/// POSIX awk only, checked with mawk, gawk, busybox awk and BWK awk (busybox turns a NUL
/// into a newline: that file's own loss).
///
/// One limit: a file that grows *past the cap in one line* after `wc` listed it is held
/// in awk's memory whole (a line cannot be read in part in POSIX awk) before it is cut;
/// `head -c` never read more than the cap. Status files are rewritten by rename, so this
/// needs a writer racing the poll.
///
/// The file is `src/scripts/frame.awk`; it gets the caps as awk variables (`-v cap=...
/// -v budget=...`) and reaches the scripts as operand `$2`, never as script text.
const FRAME_AWK: &str = include_str!("../scripts/frame.awk");

/// [`FRAME_AWK`] as the scripts get it: without comment lines or the last newline, made
/// once (every poll's command carries it).
static FRAME_AWK_SENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::shell::without_comment_lines(FRAME_AWK)
        .trim_end()
        .to_string()
});

/// The bytes of file contents one snapshot sends at most: the poll's output cap less
/// room for the framing and the skip records, so the remote stops by itself before the
/// client's cap and the files that fit still arrive.
const ANSWER_BUDGET: usize = MAX_POLL_OUTPUT - 1024 * 1024;

/// The most recorded tmux servers one snapshot asks (besides the default one): a
/// directory of files naming many servers cannot make a poll start many processes.
pub(crate) const MAX_RECORDED_SERVERS: usize = 16;

/// The `sed` program that prints the `"socket": "PATH"` value of every line holding one
/// (the `tmux.socket` field `navi hook` writes, pretty-printed by serde_json: one field a
/// line). A value with a `\` (a JSON escape: the path holds `"`, `\` or a control
/// character) does not match and is never asked; nor is a value that is not on one line.
/// The values are data: they only ever reach tmux as the operand of `-S`.
const SOCKET_SED: &str = r#"s/^.*"socket"[ ]*:[ ]*"\([^"\\]*\)".*$/\1/p"#;

/// The setup and the functions every status directory script starts with
/// (`src/scripts/snapshot_lib.sh`).
///
/// # `snapshot_body`
///
/// The body that writes one framed snapshot for nonce `$n` of directory `$dir`.
///
/// The shell lists the directory with builtins only (glob, `[`, `case`, `printf`), then
/// ONE `wc -c` and ONE awk ([`FRAME_AWK`]) frame every readable file: a poll costs the
/// same few processes for 1 file or 400 (it used to be one `head` per file). Where awk
/// is missing or not POSIX (`$awk_works` empty: the setup compiles and runs it once) each file goes through
/// `head -c cap+1` as before.
///
/// The directory is entered with `cd` (inside the pipeline's subshell, so it never
/// leaks into the loop) and files are named `./name`: no option-like or `var=value`
/// operand, and `wc` prints every name back unquoted (a name with a newline could not be
/// framed: it is reported as skipped, its newlines shown as `?`). A directory that does
/// not exist is an `N missing` record (a healthy, empty source whose health says so).
/// Files are sent until [`ANSWER_BUDGET`] bytes; the ones past it are skipped records,
/// so a directory of many large files costs only the files that do not fit. With no
/// file at all the glob stays literal and `[ -f ]` drops it.
///
/// Listing is linear in the number of files: the glob becomes the operands at once and
/// is only checked. Only when some entry must be left out (not a regular readable file,
/// a newline in its name) is the list rebuilt, as one newline-separated string split
/// once with globbing off. Appending with `set -- "$@" "$f"` per file re-expands the
/// whole list every time: 2,000 files cost 0.3 s in dash and 0.9 s in bash per poll.
///
/// Written for dash/busybox/bash alike; no backslash outside double quotes, so the
/// whole command also survives a non-POSIX login shell (fish, csh) that only passes it
/// to `sh -c`.
///
/// # `tmux_records` and `ask_tmux`
///
/// Shell functions of the tmux check, defined once per channel.
///
/// `ask_tmux SOCKET` writes one record for one server (`SOCKET` empty: the default
/// server, plain `tmux` as this non-interactive environment reaches it):
///
/// ```text
/// \nNAVI-<n> T <server>\n<tmux list-sessions -F LIST_FORMAT>   it answered
/// \nNAVI-<n> U <server>\n<the first line of what it said>      it could not answer
/// ```
///
/// `<server>` is `-` for the default server, else the socket path. tmux's stdout and
/// stderr are caught together (one process, no temp file): on success tmux prints only
/// the listing, and the decoder ignores lines that are not one. Without tmux on `PATH`
/// every server gets a `U` record saying so, with the `PATH` that was searched.
///
/// `-u`: the scripts run with `LC_ALL=C`, and a tmux client that does not know it may
/// write UTF-8 prints every non-ASCII character of a session name as `_` (`snow ☃`
/// would list as `snow _`, and its row would read as ended).
///
/// `tmux_records SOCKETS` asks the default server, then each socket of the
/// newline-separated `SOCKETS` once: absolute paths only, at most
/// [`MAX_RECORDED_SERVERS`], in the order first seen. Each server costs one `tmux`
/// process; everything else is builtins.
///
/// # `sized_only`
///
/// Leaves in `$sized` (one a line) only the files of `"$@"` whose size (as `stat`
/// says: `[ -s ]`) is above 0, and writes an empty `F` record for each of the others without reading it. Nothing
/// measures or reads a file of size 0: a real one is empty, and a pseudo-file that says
/// 0 may never end (`/proc/self/pagemap` behind a `*.json` symlink: `wc -c` would read
/// it for hours). Builtins only.
///
/// # `marks_records`
///
/// The marks of the sessions (see [`navi_core::Marks`]): one `M <name>.json` record per
/// regular file of `.navi/marks/` (in the status directory, the current directory
/// here), its bytes capped one past [`MAX_MARKS_FILE_BYTES`] so an oversize file is
/// detected. Hidden files (locks, temp files) never match the glob; a name with a
/// newline is left out. Runs in a subshell, so the `cd` stays there.
///
/// # `snapshot_or_lacking`'s `$buffer`
///
/// The snapshot body piped through `$buffer`: `dd obs=N` gathers the whole snapshot and
/// writes it at once, so sshd sends it in as few packets as possible. Written piecemeal
/// (one write per `printf`/awk flush), the answer trickles out in small TCP segments, and
/// through a jump host Nagle's algorithm plus delayed ACKs on the bastion's hop cost
/// ~40 ms per poll (measured: 44 ms → 9 ms). `cat` where `dd` is missing.
const LIB: &str = include_str!("../scripts/snapshot_lib.sh");

/// The poll loop: one snapshot per nonce line read from stdin.
const POLL_LOOP: &str = include_str!("../scripts/poll_loop.sh");

/// One snapshot, for the nonce in operand `$5`.
///
/// Both poll scripts first check the tools a snapshot cannot do without
/// (`lacking_check head`): `head` reads the marks files, and every status file where
/// awk is missing or not POSIX (awk is optional: without it each file goes through
/// `head`). Without one, every file would arrive empty; the answer names it instead.
const POLL_ONCE: &str = include_str!("../scripts/poll_once.sh");

/// The line setting the numbers the scripts use: constants compiled into navi, never
/// data from a remote, a file or a user, so they are written into the script text
/// (as the caps always were); everything else is an operand.
fn numbers() -> String {
    format!(
        "file_cap={} marks_cap={} answer_budget={ANSWER_BUDGET} max_servers={MAX_RECORDED_SERVERS} poll_bytes={MAX_POLL_OUTPUT} mem_bytes={} mem_percent={}",
        MAX_STATUS_FILE_BYTES, MAX_MARKS_FILE_BYTES, rss::NOTICEABLE_BYTES, rss::NOTICEABLE_PERCENT
    )
}

/// The command running `main` after [`LIB`]: operands `$1` the status directory (`~`
/// the remote's home, expanded there), `$2` [`FRAME_AWK`], `$3` tmux's
/// [`LIST_FORMAT`], `$4` [`SOCKET_SED`], `$5` `last` (the main script's).
pub(super) fn command(main: &str, sessions_dir: &str, last: &str) -> RemoteCommand {
    let script = format!("{}\n{}\n{LIB}\n{main}", numbers(), set_home_path("dir", 1));
    RemoteCommand::new(&script)
        .arg(sessions_dir)
        .arg(FRAME_AWK_SENT.as_str())
        .arg(LIST_FORMAT)
        .arg(SOCKET_SED)
        .arg(last)
}

/// The script of the long-lived channel with its operands, as a local `sh -c` runs it.
#[cfg(test)]
pub(crate) fn loop_script(sessions_dir: &str) -> String {
    command(POLL_LOOP, sessions_dir, "").script_with_operands()
}

/// The script of one snapshot with a fixed nonce, as a local `sh -c` runs it.
#[cfg(test)]
pub(crate) fn snapshot_script(sessions_dir: &str, nonce: &str) -> String {
    command(POLL_ONCE, sessions_dir, nonce).script_with_operands()
}

/// The exec string of the long-lived channel: the loop script, handed to `sh` through
/// the login-shell-neutral [`RemoteCommand`] (fish, tcsh and csh read it as bash does).
pub(crate) fn loop_command(sessions_dir: &str) -> Result<CommandLine, RemoteCommandError> {
    command(POLL_LOOP, sessions_dir, "")
        .stdin(Stdin::Requests)
        .within(None)
        .to_command_line()
}

/// The exec string of one snapshot (through [`RemoteCommand`] too).
pub(crate) fn exec_command(
    sessions_dir: &str,
    nonce: &str,
) -> Result<CommandLine, RemoteCommandError> {
    command(POLL_ONCE, sessions_dir, nonce)
        .stdin(Stdin::Unused)
        .to_command_line()
}
