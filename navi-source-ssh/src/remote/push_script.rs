//! The remote side of push mode: a POSIX `sh` loop that finds changes itself and sends
//! only them.
//!
//! # Protocol
//!
//! navi writes the stream's nonce (32 lowercase hex digits) as the first line, then
//! commands, one a line, each prefixed `<nonce>:` so no other line can pass for one:
//!
//! | command | answer |
//! | --- | --- |
//! | `s` | a full snapshot (`BEGIN` … `END`, as the poll's) |
//! | `h<token>` | `H <token>`, at once: the heartbeat (liveness and round trip) |
//! | `t` | a scan with a tmux check: a `DELTA` batch if anything changed |
//! | `d` | `SUM` and `MSUM`: `cksum` of every status and marks file (the resync) |
//! | `k` | a scan (what the ticker writes) |
//! | `e<path>` | a scan that sends `path` if it is a status or marks file (what an inotify event writes) |
//! | `m` | `MODE scan` (the watcher ended; the ticker took over) |
//! | `i` | `MODE inotify` and a scan that reads every file and sends those that differ from what navi holds (the watcher watches again) |
//! | `r` | a memory sample: a `DELTA` batch with an `R` record if a value changed noticeably |
//!
//! The loop writes `t` to itself too, on tmux events (see *tmux events*).
//!
//! A line without the nonce (noise, or the rest of an event whose file name holds a
//! newline) is ignored.
//!
//! Every answer is a batch ending in `\nNAVI-<nonce> END\n`, but for the two
//! length-framed records below. Besides answers the loop
//! sends, by itself, a `MODE inotify|scan` batch when it starts or changes how it
//! watches (the watcher also ends when the watched directory is removed), and a
//! `DELTA` batch whenever a scan finds a change:
//!
//! ```text
//! \nNAVI-<n> DELTA\n
//! \nNAVI-<n> F <name>\n<bytes>     a file added or changed (S when it cannot be sent)
//! \nNAVI-<n> D <name>\n            a file removed
//! \nNAVI-<n> M <name>\n<bytes>     a marks file added or changed
//! \nNAVI-<n> MD <name>\n           a marks file removed
//! \nNAVI-<n> T <server>\n<listing>  the tmux check, when any answer changed: one
//! \nNAVI-<n> U <server>\n<why>      record per server, as in the snapshot
//! \nNAVI-<n> R\n<lines>             memory: `<server>\t<bytes>\t<session>` a line
//! \nNAVI-<n> END\n
//! ```
//!
//! A status file the loop reads and sends in a scan goes as a batch of its own, before
//! the scan's `DELTA` batch (if any), framed by its length (no end marker: 43 bytes
//! less, so a ~700-byte file costs about 1.08 times its size on the wire):
//!
//! ```text
//! \nNAVI-<n> P <seq> <len> <name>\n<len bytes: the file>
//! \nNAVI-<n> X <seq> <len> <name>\n<len bytes: <base> <file length>\n then <index> <line>\n
//!                                   or <index>=<value>\n per changed line>
//! ```
//!
//! `<index>=<value>` stands for a line whose text up to its first `": ` is the same in
//! both copies (a pretty-printed JSON member whose value changed): navi keeps the line it
//! holds up to and including that `": ` and puts `<value>` after it (`5=1700000011,` for
//! `  "timestamp": 1700000011,`); a line without `": ` in navi's copy makes the whole
//! difference one that does not apply.
//!
//! `<seq>` numbers every file the loop sends (one counter); navi keeps the bytes of each
//! file as received under its number. `X` is the lines that changed since the copy
//! navi holds under `<base>` (lines are what lies between newlines, counted from 0; the
//! indices increase): the loop sends it instead of `P` when the file has as many lines
//! as that copy and the changed lines are under a third of the file (a pretty-printed
//! status file rewritten by a hook changes a few lines: ~0.2 times the file). navi
//! applies it only to the copy numbered `<base>` and only if the result has `<file
//! length>` bytes; otherwise (and for any line index it does not have, indices out of
//! order, a body that does not parse) the file keeps what navi held and navi asks for a
//! full snapshot (`s`), which also clears the loop's copies: a lost or corrupted
//! difference heals by a full resend, and the minute's digest (`d`) still checks every
//! byte. No file can hold the nonce, so a record whose bytes hold `\nNAVI-<n> ` has a
//! wrong length: navi ends it there (the record is taken as a difference that does not
//! apply) and reads on. A length over three times the file cap, or a header that does
//! not parse, stops the reader with an error naming the remote.
//!
//! # tmux events
//!
//! Where the remote's tmux has control mode with client flags (`tmux -V` 3.2 or later)
//! and `mkfifo`, the loop says `\nNAVI-<n> EVENTS tmux\n` once at its start, and navi
//! stops asking for the tmux check every [`TMUX_EVERY`](crate::pool) heartbeats (a slow
//! safety check stays). After every tmux check the loop keeps one control client per
//! server that answered with sessions (the default one and the recorded sockets, at
//! most `max_servers`): `tmux -C attach-session -r -f ignore-size,no-output -t '$ID'`
//! on its first session, read-only, without pane output, with no effect on window
//! sizes, its stdin a FIFO nobody writes (an empty line would detach it). A subshell
//! reads it and writes `<n>:t` into the loop's input (through the FIFO `ev`, read by one
//! `cat`) on `%sessions-changed` (a session came or went anywhere on that server) and
//! `%session-renamed`, and when the client ends (its session ended: the check that
//! follows attaches to another session, if the server has one). A `t` already on its
//! way is not asked again (a flag file the loop empties before it checks: a burst is
//! one check). A server without sessions has no client; a status file that appears
//! brings a check anyway, and the client with it. The clients are killed when the loop
//! ends (and the command's wrapper ends its process group in any case). Side effect:
//! tmux counts the client, so that session's `session_attached` is 1 or more.
//!
//! # Memory
//!
//! navi asks for a memory sample (`r`) every
//! [`MEMORY_SAMPLE`](navi_core::limits::MEMORY_SAMPLE). The loop lists the panes of
//! every tmux server it asks for the tmux check (one `tmux list-panes -a` each), reads
//! the process table once (`cat /proc/[0-9]*/stat`, a line per process whose RSS is in
//! pages of `getconf PAGESIZE`, asked once; else `cat /proc/[0-9]*/status`, some 50
//! lines per process; else `ps -A -o pid= -o ppid= -o rss=`), and ONE awk ([`MEMORY_AWK`]) sums the RSS of each pane's process tree per
//! session (see [`navi_core::rss`]). Only the sessions whose value changed by more than
//! [`NOTICEABLE_BYTES`](navi_core::rss::NOTICEABLE_BYTES) or
//! [`NOTICEABLE_PERCENT`](navi_core::rss::NOTICEABLE_PERCENT) of what was last sent are
//! sent (`<server>` as in the `T` records, `-` for `<bytes>`: the session is gone), so a
//! remote whose sessions hold still sends nothing. The values last sent are kept in the
//! loop's private directory. A loop of an older navi ignores `r`: its sessions' memory
//! stays unknown; so does a remote without a POSIX awk.
//!
//! # Finding changes without starting processes
//!
//! A *scan* uses only shell builtins: the glob lists the directory, and `[ old -nt f ]`
//! tells whether a file was modified since the last scan began (`old` is an empty stamp
//! file written, by redirection, at the start of every scan; two of them alternate).
//! A file that is not older than the stamp is sent, so a filesystem or `test` with
//! one-second timestamps sends a file changed in the stamp's second once more rather
//! than never. A name that appeared is sent whatever its time (a file moved in); a name
//! that went is a `D` record. A file the scan picks is read with the shell's own `read`
//! (no process; the last newline kept only when the file has it) and sent only when its
//! bytes differ from the copy last sent, which the loop keeps in shell variables (files
//! up to 64 KiB; a full snapshot clears the copies: navi holds the snapshot). So a file
//! is never sent again unchanged, however coarse the file times. A file over its cap is
//! never read whole: mksh (`read -N`) and zsh (`read -k`) read at most cap + 1 bytes,
//! NUL bytes counted, and a read that got them all means "over the cap"; bash reads
//! with `read -d '' -n` (its `-N` skips NUL bytes without counting them: an 8 GiB file
//! of zeros would be read to its end), which stops at cap + 1 bytes or at the first NUL
//! byte (such a file then comes through `head -c`: one process, only for it). dash's,
//! ksh93's and busybox's `read` takes a line whole (busybox's `-n` reads a byte per
//! system call), so there ONE `find -size` per scan that has files to send skips the
//! files over the cap by their size, unread (without `find`, `head -c`). The cost of
//! the capped reads: a file over the cap is read up to the cap each time it changes. The scan's output leaves in one
//! write (`printf`; mksh's `print`, which is builtin there). The tmux check (one `tmux` process per
//! server: the default one and each socket the status files record) runs when navi asks
//! (`t`, every few heartbeats and after an action) and when a status file came, went or
//! changed a line that names a socket; only then are the sockets read again (one `sed`).
//!
//! Where the remote's `sh` has a fractional `read -t` that keeps a line the timeout cuts
//! (bash, zsh, mksh: told by `$BASH_VERSION`, `$ZSH_VERSION`, `$KSH_VERSION`) an event is
//! held for [`PUSH_COALESCE`](navi_core::limits::PUSH_COALESCE) (operand `$8`, seconds):
//! the events that come meanwhile join it (at most 32 in a row), and one scan sends each
//! file once with its last bytes. Any other line (a heartbeat, `t`, `s`) first sends what
//! was held. dash, busybox and ksh93 scan at each event. Its records are sent only
//! when they differ from the last ones sent, whichever server's answer changed.
//!
//! Scans are triggered by `inotifywait -m` events on the directory and its marks
//! directory (made, user-only, when the loop starts, so that it can be watched) where
//! the remote has it (writers' temp files, `.tmp.*` and `*.json.tmp`, are excluded
//! there: their events would only be read and dropped; nothing at all runs while
//! nothing changes; the
//! file an event names is sent whatever its time, so a file renamed into place is never
//! missed; events on other files, a writer's temp file, start nothing, so a write made
//! as temp file plus rename is sent once), else by a ticker: one `sleep` per tick. Both
//! run in a background subshell whose lines are merged with navi's commands (read by one
//! `cat`) into the loop's stdin. When the
//! watched directory goes away (moved or removed: inotify's `MOVE_SELF`/`DELETE_SELF`,
//! or a scan that finds it missing) the loop ends the watcher, a `MODE scan` batch says
//! so, and the ticker scans until the directory exists again; then inotifywait watches
//! the new directory, a `MODE inotify` batch says so and every file is sent again (a
//! directory moved away and recreated at once is watched again at once). A watcher that
//! ends by itself while its directory is there (the inotify limit) leaves the ticker in
//! charge for good, and `MODE scan` says so. Non-regular entries and names with a
//! newline are reported skipped (`S`) when they appear, as the snapshot reports them.
//!
//! What the scan cannot see (a file replaced by one whose modification time is older
//! than the last scan, as `mv` of a file written before it does, or a clock step) the
//! resync finds: navi asks for the `cksum` digest every minute and for a full snapshot
//! when it differs from what navi holds.
//!
//! The stamps live in a private directory made with `mkdir -m 700` (refused if the name
//! exists, so no symlink is followed) under `$TMPDIR`, `/tmp` or `$HOME`, removed when
//! the loop ends. Without one the loop answers `FAIL` and navi polls instead.

use super::script::command;
use crate::shell::{CommandLine, RemoteCommandError, Stdin};

/// The push loop (`src/scripts/push_loop.sh`), after the snapshot's setup and functions
/// (`snapshot_lib.sh`); operand `$5`: the ticker's period in seconds (`0`: no ticker,
/// scans only on request or inotify events).
/// The tmux events' functions (`src/scripts/tmux_events.sh`) come first.
pub(crate) const PUSH_LOOP: &str = concat!(
    include_str!("../scripts/tmux_events.sh"),
    include_str!("../scripts/push_loop.sh")
);

/// The awk program of a memory sample (`src/scripts/memory.awk`): reads the panes and
/// the process table, prints the changed sessions, writes the values now held. Operand
/// `$6`; the change rule reaches it as `-v abs= -v pct=` from the numbers navi puts
/// first. POSIX awk only (no `getline` from a command; `printf "%.0f"` for numbers past
/// 2^31, which mawk would print in `%g`).
pub(crate) const MEMORY_AWK: &str = include_str!("../scripts/memory.awk");

/// [`MEMORY_AWK`] as the loop gets it: without comment lines or the last newline, made once.
static MEMORY_AWK_SENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    crate::shell::without_comment_lines(MEMORY_AWK)
        .trim_end()
        .to_string()
});

/// The push loop's command: [`command`] plus the memory sample's operands and the
/// coalescing window (`$8`, seconds).
fn loop_command(sessions_dir: &str, tick: &str, window: &str) -> crate::shell::RemoteCommand {
    command(PUSH_LOOP, sessions_dir, tick)
        .arg(MEMORY_AWK_SENT.as_str())
        .arg(navi_core::rss::PANE_FORMAT)
        .arg(window)
}

/// [`PUSH_COALESCE`](navi_core::limits::PUSH_COALESCE) as the loop's `read -t` takes
/// it: seconds with a fraction (`0.030`).
pub(crate) fn coalesce_seconds() -> String {
    let ms = navi_core::limits::PUSH_COALESCE.as_millis();
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The push loop script for `sessions_dir`, with a ticker every `tick` (`"0"`: none),
/// its operands set, as a local `sh -c` runs it.
#[cfg(test)]
pub(crate) fn push_script(sessions_dir: &str, tick: &str) -> String {
    push_script_holding(sessions_dir, tick, &coalesce_seconds())
}

/// [`push_script`] with the coalescing window `window` (seconds; `"0"`: none).
#[cfg(test)]
pub(crate) fn push_script_holding(sessions_dir: &str, tick: &str, window: &str) -> String {
    loop_command(sessions_dir, tick, window).script_with_operands()
}

/// [`push_script_holding`] with another main script (`push_loop.sh` of an older navi,
/// for the benchmark that compares them).
#[cfg(test)]
pub(crate) fn push_script_of(main: &str, sessions_dir: &str, window: &str) -> String {
    command(main, sessions_dir, "0")
        .arg(MEMORY_AWK.trim_end())
        .arg(navi_core::rss::PANE_FORMAT)
        .arg(window)
        .script_with_operands()
}

/// The exec string of the push loop, through the login-shell-neutral
/// [`RemoteCommand`](crate::shell::RemoteCommand), and the bytes to write to its stdin
/// before the first request: the loop's script goes there, not in the command line
/// ([`RemoteCommand::script_on_stdin`](crate::shell::RemoteCommand::script_on_stdin):
/// an exec request as large as the encoded script would make the SSH library keep
/// 64 KiB buffers per remote for good).
pub(crate) fn push_command(
    sessions_dir: &str,
    tick: &str,
) -> Result<(CommandLine, Vec<u8>), RemoteCommandError> {
    let command = loop_command(sessions_dir, tick, &coalesce_seconds())
        .stdin(Stdin::Requests)
        .within(None)
        .script_on_stdin();
    let script = command.stdin_script()?.unwrap_or_default();
    Ok((command.to_command_line()?, script))
}
