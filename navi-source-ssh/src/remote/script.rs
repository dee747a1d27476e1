//! The remote POSIX `sh` scripts: the snapshot of a status directory, as one exec or
//! as a loop answering one snapshot per request line.
//!
//! Shell variables of the scripts: `dir` (the status directory), `nl` (a newline),
//! `frame_awk` (the awk program that frames the files), `awk_works` (set when this awk
//! runs it), `buffer` (the command the snapshot is written through), `n` (the request's
//! nonce), `f` (a listed file), `rebuild` (set when some entry must be left out of the
//! list), `kept` (the rebuilt list), and for the tmux check `tmux_format`, `socket_sed`,
//! `sockets` (the recorded socket paths, one a line), `have_tmux`, `said`, `st`, `s`,
//! `asked` and `count`. Kept POSIX, and free of `!`.

use navi_core::statusdir::liveness::LIST_FORMAT;
use navi_core::{MAX_MARKS_FILE_BYTES, MAX_STATUS_FILE_BYTES};

use super::{quote_sessions_dir, shell_quote, MAX_POLL_OUTPUT};
use crate::shell::{RemoteCommand, RemoteCommandError, Stdin};

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
/// into a newline: that file's own loss). One line, no single quote and no `\\`.
///
/// One limit: a file that grows *past the cap in one line* after `wc` listed it is held
/// in awk's memory whole (a line cannot be read in part in POSIX awk) before it is cut;
/// `head -c` never read more than the cap. Status files are rewritten by rename, so this
/// needs a writer racing the poll.
fn awk_program() -> String {
    let cap = MAX_STATUS_FILE_BYTES;
    [
        "BEGIN { c = ARGC - 1; for (i = 1; i <= c; i++) L[i] = ARGV[i]; ARGC = 1 }",
        // A wc line: optional padding, the size, one space, the name as given.
        "{ s = $0; sub(/^[ \\t]+/, \"\", s); p = index(s, \" \"); \
           if (p > 1) Z[substr(s, p + 1)] = substr(s, 1, p - 1) + 0 }",
        "END { for (i = 1; i <= c; i++) one(L[i]) }",
        // b: name, z: listed size (-1: unknown), o: bytes sent, q: a newline is owed.
        "function one(f, b, z, r, x, o, q, h) { \
           b = substr(f, 3); z = -1; if (f in Z) z = Z[f]; \
           if (z > CAP) { printf \"\\nNAVI-%s S %s\\nfile is over the CAP-byte limit\", n, b; return }; \
           if (z >= 0 && T + z > BUDGET) { printf \"\\nNAVI-%s S %s\\nnot sent: this poll's answer would pass its BUDGET-byte cap (too many large files in the directory; the files that fit were sent)\", n, b; return }; \
           o = 0; q = 0; h = 0; \
           while ((r = (getline x < f)) > 0) { \
             if (h == 0) { printf \"\\nNAVI-%s F %s\\n\", n, b; h = 1 } \
             if (q) { printf \"\\n\"; o++ } \
             if (o + length(x) > CAP) { printf \"%s\", substr(x, 1, CAP + 1 - o); q = 0; break } \
             printf \"%s\", x; o += length(x); q = 1 \
           } \
           close(f); T += o; \
           if (h) { if (q && (z < o || z > o)) printf \"\\n\"; return }; \
           if (r < 0) printf \"\\nNAVI-%s S %s\\nfile could not be read (it vanished or its permissions changed)\", n, b; \
           else printf \"\\nNAVI-%s F %s\\n\", n, b \
         }",
    ]
    .join("; ")
    .replace("BUDGET", &ANSWER_BUDGET.to_string())
    .replace("CAP", &cap.to_string())
}

/// The bytes of file contents one snapshot sends at most: the poll's output cap less
/// room for the framing and the skip records, so the remote stops by itself before the
/// client's cap and the files that fit still arrive.
const ANSWER_BUDGET: usize = MAX_POLL_OUTPUT - 1024 * 1024;

/// The body that writes one framed snapshot for nonce `$n` of directory `$dir`.
///
/// The shell lists the directory with builtins only (glob, `[`, `case`, `printf`), then
/// ONE `wc -c` and ONE awk ([`awk_program`]) frame every readable file: a poll costs the
/// same few processes for 1 file or 400 (it used to be one `head` per file). Where awk
/// is missing or not POSIX (`$awk_works` empty, see [`prelude`]) each file goes through
/// `head -c cap+1` as before.
///
/// The directory is entered with `cd` (inside the pipeline's subshell, so it never
/// leaks into the loop) and files are named `./name`: no option-like or `var=value`
/// operand, and `wc` prints every name back unquoted (a name with a newline could not be
/// framed: it is reported as skipped, its newlines shown as `?`). A directory that does
/// not exist is an `N missing` record (a healthy, empty source whose health says so).
/// Files are sent until [`ANSWER_BUDGET`] bytes; the ones past it are skipped records,
/// so a directory of many large files costs only the files that do not fit. With no
/// file at all
/// the glob stays literal and `[ -f ]` drops it.
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
pub(super) fn snapshot_body(sockets: &str, tmux: &str) -> String {
    [
        "sockets=; printf \"\\nNAVI-%s BEGIN\\n\" \"$n\"",
        "if [ -d \"$dir\" ]; then \
           if [ -r \"$dir\" ] && [ -x \"$dir\" ]; then \
             if cd \"$dir\"; then \
               set -- ./*.json; rebuild=; \
               for f do \
                 if [ -f \"$f\" ]; then \
                   case $f in *\"$newline\"*) rebuild=1; printf \"\\nNAVI-%s S %s\\nits name contains a newline, which navi cannot list; rename the file\" \"$n\" \"$(printf %s \"${f#./}\" | tr \"$newline\" \"?\")\"; continue;; esac; \
                   [ -r \"$f\" ] && continue; \
                   printf \"\\nNAVI-%s S %s\\nnot readable by the remote user\" \"$n\" \"${f#./}\"; \
                 elif [ -e \"$f\" ] || [ -h \"$f\" ]; then \
                   case $f in *\"$newline\"*) printf \"\\nNAVI-%s S %s\\nits name contains a newline, which navi cannot list; rename the file\" \"$n\" \"$(printf %s \"${f#./}\" | tr \"$newline\" \"?\")\";; *) printf \"\\nNAVI-%s S %s\\nnot a regular file (a directory, FIFO, device or broken symlink); status files are plain files, remove or rename it\" \"$n\" \"${f#./}\";; esac; \
                 fi; \
                 rebuild=1; \
               done; \
               if [ -n \"$rebuild\" ]; then \
                 kept=; \
                 for f do \
                   [ -f \"$f\" ] && [ -r \"$f\" ] || continue; \
                   case $f in *\"$newline\"*) continue;; esac; \
                   kept=\"$kept$newline$f\"; \
                 done; \
                 set -f; IFS=$newline; set -- $kept; set +f; unset IFS; \
               fi; \
               if [ $# -gt 0 ]; then FRAME; SOCKETS; fi; \
               MARKS; \
             fi; \
           else \
             printf \"\\nNAVI-%s E\\nthe status directory is not readable by the remote user\" \"$n\"; \
           fi; \
         elif [ -e \"$dir\" ]; then \
           printf \"\\nNAVI-%s E\\nthe status directory path is not a directory\" \"$n\"; \
         else \
           printf \"\\nNAVI-%s N missing\\n\" \"$n\"; \
         fi",
        tmux,
        "printf \"\\nNAVI-%s END\\n\" \"$n\"",
    ]
    .join("; ")
    .replace("FRAME", &frame_fragment())
    .replace("MARKS", &marks_fragment())
    .replace("SOCKETS", sockets)
}

/// The most recorded tmux servers one snapshot asks (besides the default one): a
/// directory of files naming many servers cannot make a poll start many processes.
pub(crate) const MAX_RECORDED_SERVERS: usize = 16;

/// The `sed` program that prints the `"socket": "PATH"` value of every line holding one
/// (the `tmux.socket` field `navi hook` writes, pretty-printed by serde_json: one field a
/// line). A value with a `\` (a JSON escape: the path holds `"`, `\` or a control
/// character) does not match and is never asked; nor is a value that is not on one line.
/// The values are data: they only ever reach tmux as the operand of `-S`.
const SOCKET_SED: &str = r#"s/^.*"socket"[ ]*:[ ]*"\([^"\\]*\)".*$/\1/p"#;

/// Reads the recorded sockets of the status files `"$@"` (`./name`, in the current
/// directory) into `$sockets`: ONE `sed` for all of them.
const READ_SOCKETS: &str = "if [ $# -gt 0 ]; then sockets=$(sed -n \"$socket_sed\" \"$@\"); fi";

/// Shell functions of the tmux check, defined once per channel (see [`prelude`]).
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
fn tmux_functions() -> String {
    [
        "ask_tmux() { \
           if [ -z \"$have_tmux\" ]; then \
             printf \"\\nNAVI-%s U %s\\ntmux: not found in PATH=%s\" \"$n\" \"${1:--}\" \"$PATH\"; return 0; \
           fi; \
           if [ -n \"$1\" ]; then said=$(tmux -u -S \"$1\" list-sessions -F \"$tmux_format\" 2>&1); st=$?; \
           else said=$(tmux -u list-sessions -F \"$tmux_format\" 2>&1); st=$?; fi; \
           if [ \"$st\" = 0 ]; then printf \"\\nNAVI-%s T %s\\n%s\" \"$n\" \"${1:--}\" \"$said\"; \
           else printf \"\\nNAVI-%s U %s\\n%s\" \"$n\" \"${1:--}\" \"${said%%\"$newline\"*}\"; fi; \
         }",
        "tmux_records() { \
           have_tmux=; command -v tmux >/dev/null 2>&1 && have_tmux=1; \
           ask_tmux \"\"; \
           set -f; IFS=$newline; set -- $1; unset IFS; set +f; \
           asked=; count=0; \
           for s do \
             case $s in /*) ;; *) continue;; esac; \
             case \"$asked$newline\" in *\"$newline$s$newline\"*) continue;; esac; \
             count=$((count + 1)); [ \"$count\" -le MAX ] || break; \
             asked=\"$asked$newline$s\"; \
             ask_tmux \"$s\"; \
           done; \
         }",
    ]
    .join("; ")
    .replace("MAX", &MAX_RECORDED_SERVERS.to_string())
}

/// Frames the files `"$@"` (names `./x.json`, in the current directory, at least one)
/// as `F`/`S` records: ONE `wc -c` and ONE awk ([`awk_program`], `$frame_awk`) for all of
/// them, or `head -c cap+1` per file where awk does not work. Stops at
/// [`ANSWER_BUDGET`] bytes; the files past it are skipped records.
pub(super) fn frame_fragment() -> String {
    format!(
        "{}; if [ $# -gt 0 ]; then {}; fi",
        SIZED_ONLY,
        frame_sized()
    )
}

/// Leaves in `"$@"` only the files whose size (as `stat` says: `[ -s ]`) is above 0,
/// and writes an empty `F` record for each of the others without reading it. Nothing
/// measures or reads a file of size 0: a real one is empty, and a pseudo-file that says
/// 0 may never end (`/proc/self/pagemap` behind a `*.json` symlink: `wc -c` would read
/// it for hours). Builtins only.
pub(super) const SIZED_ONLY: &str = "empty=; \
    for f do [ -s \"$f\" ] || { empty=1; printf \"\\nNAVI-%s F %s\\n\" \"$n\" \"${f#./}\"; }; done; \
    if [ -n \"$empty\" ]; then \
      kept=; for f do [ -s \"$f\" ] && kept=\"$kept$newline$f\"; done; \
      set -f; IFS=$newline; set -- $kept; set +f; unset IFS; \
    fi";

/// [`frame_fragment`] for files of a size above 0.
fn frame_sized() -> String {
    "if [ -n \"$awk_works\" ]; then \
       wc -c -- \"$@\" | awk -v n=\"$n\" \"$frame_awk\" \"$@\" || \
         printf \"\\nNAVI-%s E\\nawk failed while reading the status files (exit status %s)\" \"$n\" \"$?\"; \
     else \
       total=0; \
       for f do \
         size=$(wc -c < \"$f\") || size=0; \
         if [ $((total + size)) -gt BUDGET ]; then \
           printf \"\\nNAVI-%s S %s\\nnot sent: this poll's answer would pass its BUDGET-byte cap (too many large files in the directory; the files that fit were sent)\" \"$n\" \"${f#./}\"; \
           continue; \
         fi; \
         total=$((total + size)); \
         printf \"\\nNAVI-%s F %s\\n\" \"$n\" \"${f#./}\"; \
         head -c CAP < \"$f\"; \
       done; \
     fi"
    .replace("BUDGET", &ANSWER_BUDGET.to_string())
    .replace("CAP", &(MAX_STATUS_FILE_BYTES + 1).to_string())
}

/// The marks of the sessions (see [`navi_core::Marks`]): one `M <name>.json` record per
/// regular file of `.navi/marks/` (in the status directory, the current directory
/// here), its bytes capped one past [`MAX_MARKS_FILE_BYTES`] so an oversize file is
/// detected. Hidden files (locks, temp files) never match the glob; a name with a
/// newline is left out. Runs in a subshell, so the `cd` stays there.
fn marks_fragment() -> String {
    "if [ -d ./.navi/marks ]; then \
       ( cd ./.navi/marks && for f in ./*.json; do \
           [ -f \"$f\" ] && [ -r \"$f\" ] || continue; \
           case $f in *\"$newline\"*) continue;; esac; \
           printf \"\\nNAVI-%s M %s\\n\" \"$n\" \"${f#./}\"; \
           [ -s \"$f\" ] || continue; \
           head -c MCAP < \"$f\"; \
         done ); \
     fi"
    .replace("MCAP", &(MAX_MARKS_FILE_BYTES + 1).to_string())
}

/// Setup shared by both shapes: stderr away, C locale, the directory (absolute or
/// `./`-relative, so `cd` never consults `CDPATH` nor takes it for an option), a
/// newline, the awk program `$frame_awk` and whether this awk runs it (`$awk_works`: a real compile and
/// run, once per channel), the buffer the snapshot goes through (see [`buffered`]), and
/// the tmux check: `$tmux_format` ([`LIST_FORMAT`]), `$socket_sed` ([`SOCKET_SED`]) and
/// the functions of [`tmux_functions`].
pub(super) fn prelude(sessions_dir: &str) -> String {
    let setup = format!(
        "exec 2>/dev/null; LC_ALL=C; export LC_ALL; dir={}; case $dir in /*) ;; *) dir=./$dir;; esac; \
         newline=$(printf \"\\n_\"); newline=${{newline%_}}; frame_awk={}; \
         awk_works=; [ \"$(echo | awk -v n=ok \"$frame_awk; BEGIN {{ printf n }}\")\" = ok ] && awk_works=1; \
         buffer=cat; [ \"$(printf x | dd obs={MAX_POLL_OUTPUT} 2>/dev/null)\" = x ] && buffer=\"dd obs={MAX_POLL_OUTPUT}\"",
        quote_sessions_dir(sessions_dir),
        shell_quote(&awk_program()),
    );
    format!(
        "{setup}; tmux_format={}; socket_sed={}; have_tmux=; {}",
        shell_quote(LIST_FORMAT),
        shell_quote(SOCKET_SED),
        tmux_functions()
    )
}

/// The snapshot body piped through `$buffer`: `dd obs=N` gathers the whole snapshot and
/// writes it at once, so sshd sends it in as few packets as possible. Written piecemeal
/// (one write per `printf`/awk flush), the answer trickles out in small TCP segments, and
/// through a jump host Nagle's algorithm plus delayed ACKs on the bastion's hop cost
/// ~40 ms per poll (measured: 44 ms → 9 ms). `cat` where `dd` is missing.
fn buffered() -> String {
    format!(
        "{{ {}; }} | $buffer",
        snapshot_body(READ_SOCKETS, "tmux_records \"$sockets\"")
    )
}

/// The tools a snapshot cannot do without: `head` reads the marks files, and every
/// status file where awk is missing or not POSIX (awk is optional: without it each
/// file goes through `head`). Without one, every file would arrive empty.
pub(super) const NEEDED_TOOLS: &str = "head";

/// Sets `$lacking` to the first of `tools` the remote's `PATH` does not have (empty:
/// all there). `command -v` is a builtin of every POSIX sh.
pub(super) fn lacking_check(tools: &str) -> String {
    format!(
        "lacking=; for t in {tools}; do command -v \"$t\" >/dev/null 2>&1 || {{ lacking=$t; break; }}; done"
    )
}

/// What a missing tool (`$lacking`) is called in an answer (a printf format).
const LACKING: &str = r"the remote has no \`%s\` on PATH (PATH=%s); navi reads the status files with it: install it, or set PATH for non-interactive logins";

/// The answer of a snapshot for nonce `$n` when `$lacking` names a missing tool: an
/// `E` record that names it (an error, never "connected" with every file empty).
fn lacking_snapshot() -> String {
    format!(
        r#"printf "\nNAVI-%s BEGIN\n\nNAVI-%s E\n{LACKING}\nNAVI-%s END\n" "$n" "$n" "$lacking" "$PATH" "$n""#
    )
}

/// The push loop's `FAIL` answer for a missing tool (navi polls instead, and the poll
/// names it).
pub(super) fn lacking_fail() -> String {
    format!(r#"printf "\nNAVI-%s FAIL\n{LACKING}\n\nNAVI-%s END\n" "$n" "$lacking" "$PATH" "$n""#)
}

/// A snapshot, or the missing tool's `E` record.
fn snapshot_or_lacking() -> String {
    format!(
        "if [ -n \"$lacking\" ]; then {}; else {}; fi",
        lacking_snapshot(),
        buffered()
    )
}

/// The script of the long-lived channel: one snapshot per nonce line read from stdin
/// (a line that is not a nonce, lowercase hex digits, is skipped).
pub(crate) fn loop_script(sessions_dir: &str) -> String {
    format!(
        "{}; {}; while IFS= read -r n; do {}; [ -n \"$n\" ] && [ -z \"$rest\" ] || continue; {}; done",
        prelude(sessions_dir),
        lacking_check(NEEDED_TOOLS),
        strip_hex(),
        snapshot_or_lacking()
    )
}

/// Leaves in `$rest` what follows the leading lowercase hex digits of `$n` (empty when
/// `$n` is all hex): builtins only, and no `[!...]` bracket, so the script has no `!`.
pub(super) fn strip_hex() -> &'static str {
    "rest=$n; while [ -n \"$rest\" ]; do case $rest in [0-9a-f]*) rest=${rest#?};; *) break;; esac; done"
}

/// The script of one snapshot with a fixed nonce.
pub(crate) fn snapshot_script(sessions_dir: &str, nonce: &str) -> String {
    format!(
        "{}; {}; n={}; {}",
        prelude(sessions_dir),
        lacking_check(NEEDED_TOOLS),
        shell_quote(nonce),
        snapshot_or_lacking()
    )
}

/// The exec string of the long-lived channel: the loop script, handed to `sh` through
/// the login-shell-neutral [`RemoteCommand`] (fish, tcsh and csh read it as bash does).
pub(crate) fn loop_command(sessions_dir: &str) -> Result<String, RemoteCommandError> {
    RemoteCommand::new(&loop_script(sessions_dir))
        .stdin(Stdin::Requests)
        .within(None)
        .to_command_line()
}

/// The exec string of one snapshot (through [`RemoteCommand`] too).
pub(crate) fn exec_command(sessions_dir: &str, nonce: &str) -> Result<String, RemoteCommandError> {
    RemoteCommand::new(&snapshot_script(sessions_dir, nonce))
        .stdin(Stdin::Unused)
        .to_command_line()
}
