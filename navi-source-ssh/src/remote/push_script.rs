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
//! | `i` | `MODE inotify` and a scan that sends every file (the watcher watches again) |
//!
//! A line without the nonce (noise, or the rest of an event whose file name holds a
//! newline) is ignored.
//!
//! Every answer is a batch ending in `\nNAVI-<nonce> END\n`. Besides answers the loop
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
//! \nNAVI-<n> END\n
//! ```
//!
//! # Finding changes without starting processes
//!
//! A *scan* uses only shell builtins: the glob lists the directory, and `[ old -nt f ]`
//! tells whether a file was modified since the last scan began (`old` is an empty stamp
//! file written, by redirection, at the start of every scan; two of them alternate).
//! A file that is not older than the stamp is sent, so a filesystem or `test` with
//! one-second timestamps sends a file changed in the stamp's second once more rather
//! than never. A name that appeared is sent whatever its time (a file moved in); a name
//! that went is a `D` record. Only when something changed do processes run (`wc`,
//! `awk`, `head`, the `dd` buffer). The tmux check (one `tmux` process per server: the
//! default one and each socket the status files record) runs when navi asks (`t`, every
//! few heartbeats and after an action) and with any status file change; the sockets are
//! read again (one `sed`) only when a status file changed. Its records are sent only
//! when they differ from the last ones sent, whichever server's answer changed.
//!
//! Scans are triggered by `inotifywait -m` events on the directory and its marks
//! directory (made, user-only, when the loop starts, so that it can be watched) where
//! the remote has it (nothing at all runs while nothing changes; the
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

use navi_core::MAX_MARKS_FILE_BYTES;

use super::script::{
    frame_fragment, lacking_check, lacking_fail, prelude, snapshot_body, strip_hex, NEEDED_TOOLS,
    SIZED_ONLY,
};
use crate::shell::{RemoteCommand, RemoteCommandError, Stdin};

/// The push loop's body (after [`prelude`]); `TICK` is replaced by the ticker's period
/// (`0`: no ticker, scans only on request or inotify events), `FRAME`, `SNAPSHOT` and
/// `MCAP` by the fragments they name.
const PUSH_BODY: &str = r#"
IFS= read -r n || exit 0
STRIP_HEX
[ -n "$n" ] && [ -z "$rest" ] || exit 0
tick=TICK
m=
for base in "${TMPDIR:-/tmp}" /tmp "$HOME"; do
  [ -n "$base" ] || continue
  if mkdir -m 700 "$base/.navi-push.$$" 2>/dev/null; then m=$base/.navi-push.$$; break; fi
done
if [ -z "$m" ]; then
  printf '\nNAVI-%s FAIL\nno private temporary directory for the push loop\n\nNAVI-%s END\n' "$n" "$n"
  exit 0
fi
trap 'rm -rf "$m"' EXIT
LACKING_CHECK
if [ -n "$lacking" ]; then
  LACKING_FAIL
  exit 0
fi
trap 'exit 0' HUP TERM INT PIPE
old=$m/a; new=$m/b; : > "$old"
watcher=scan
[ -d "$dir" ] && command -v inotifywait >/dev/null 2>&1 && watcher=inotify
# The marks directory is watched only if it exists when the watcher starts: made now
# (user-only, as navi makes it), the first mark another navi writes is seen at once.
[ "$watcher" = inotify ] && [ ! -d "$dir/.navi/marks" ] && (umask 077; mkdir -p "$dir/.navi/marks")
prev=; prev_marks=; prev_tmux=; present=; check_tmux=; force=; mforce=; socks=; odd=

# The names in $1 into $seen, the regular ones into $reg, those changed since the last
# scan into $fresh. With $2 (the status directory) an entry that is not a regular file,
# or whose name holds a newline (listed with `?` for it, in $odd too), is listed as
# well: the snapshot reports it skipped, and so must a scan (only when it appears).
listing() {
  seen=; fresh=; reg=
  [ -n "$2" ] && odd=
  for f in "$1"/*.json; do
    b=./${f##*/}
    if [ -f "$f" ]; then
      case $b in *"$newline"*) [ -n "$2" ] && odd_name "$b"; continue;; esac
      seen="$seen$newline$b"; reg="$reg$newline$b"
      [ "$old" -nt "$f" ] || fresh="$fresh$newline$b"
    elif [ -n "$2" ] && { [ -e "$f" ] || [ -h "$f" ]; }; then
      case $b in *"$newline"*) odd_name "$b";; *) seen="$seen$newline$b";; esac
    fi
  done
}

odd_name() {
  x=$1
  while :; do case $x in *"$newline"*) x=${x%%"$newline"*}?${x#*"$newline"};; *) break;; esac; done
  seen="$seen$newline$x"; odd="$odd$newline$x"
}

# The skip record of a listed name that cannot be framed (names in the current directory).
skip_record() {
  case "$odd$newline" in
    *"$newline$1$newline"*) printf '\nNAVI-%s S %s\nits name contains a newline, which navi cannot list; rename the file' "$n" "${1#./}"; return 0;;
  esac
  if [ -f "$1" ]; then
    printf '\nNAVI-%s S %s\nnot readable by the remote user' "$n" "${1#./}"
  elif [ -e "$1" ] || [ -h "$1" ]; then
    printf '\nNAVI-%s S %s\nnot a regular file (a directory, FIFO, device or broken symlink); status files are plain files, remove or rename it' "$n" "${1#./}"
  fi
}

compare() {
  gone=
  if [ -n "$3" ]; then
    set -f; IFS=$newline
    for b in $3; do
      case "$2$newline" in
        *"$newline$b$newline"*) case "$fresh$newline" in *"$newline$b$newline"*) ;; *) fresh="$fresh$newline$b";; esac;;
      esac
    done
    unset IFS; set +f
  fi
  [ "$1" = "$2" ] && return 0
  set -f; IFS=$newline
  for b in $2; do
    case "$1$newline" in
      *"$newline$b$newline"*) ;;
      *) case "$fresh$newline" in *"$newline$b$newline"*) ;; *) fresh="$fresh$newline$b";; esac;;
    esac
  done
  for b in $1; do
    case "$2$newline" in *"$newline$b$newline"*) ;; *) gone="$gone$newline$b";; esac
  done
  unset IFS; set +f
}

# The sockets the status files $1 (./name lines, in $dir) record, into $socks.
read_sockets() {
  socks=
  [ -n "$1" ] || return 0
  socks=$(cd "$dir" && { set -f; IFS=$newline; set -- $1; unset IFS; set +f; { SIZED_ONLY; } >/dev/null; [ $# -gt 0 ] && sed -n "$socket_sed" "$@"; })
}

swap() { t=$old; old=$new; new=$t; }

# Ends the watcher because its directory went away (moved, removed): `gone` tells the
# ticker to watch the directory again once it exists, rather than to scan for good.
unwatch() {
  : > "$m/gone"
  if [ -s "$m/w" ]; then read -r w < "$m/w"; kill "$w" 2>/dev/null; fi
}

full() {
  : > "$new"
  if [ -d "$dir" ]; then present=1; else present=; fi
  # The watched directory went away: end inotifywait; the ticker scans until the
  # directory is back, then watches it again.
  [ -z "$present" ] && [ "$watcher" = inotify ] && unwatch
  listing "$dir" 1; prev=$seen; preg=$reg
  listing "$dir/.navi/marks"; prev_marks=$seen
  read_sockets "$preg"
  prev_tmux=$(tmux_records "$socks")
  { SNAPSHOT; } | $buffer
  swap
}

send_records() {
  printf '\nNAVI-%s DELTA\n' "$n"
  if [ -n "$fsend" ]; then
    (cd "$dir" && { set -f; IFS=$newline; set -- $fsend; unset IFS; set +f
      ok=
      for f do
        if [ -f "$f" ] && [ -r "$f" ]; then ok="$ok$newline$f"; else skip_record "$f"; fi
      done
      set -f; IFS=$newline; set -- $ok; unset IFS; set +f
      [ $# -gt 0 ] && { FRAME; }; })
  fi
  set -f; IFS=$newline
  for b in $fgone; do printf '\nNAVI-%s D %s\n' "$n" "${b#./}"; done
  for b in $mgone; do printf '\nNAVI-%s MD %s\n' "$n" "${b#./}"; done
  unset IFS; set +f
  if [ -n "$msend" ]; then
    (cd "$dir/.navi/marks" && { set -f; IFS=$newline; set -- $msend; unset IFS; set +f
      for f do
        [ -r "$f" ] || continue
        printf '\nNAVI-%s M %s\n' "$n" "${f#./}"
        [ -s "$f" ] && head -c MCAP < "$f"
      done; })
  fi
  [ -n "$tmux_changed" ] && printf '%s' "$prev_tmux"
  printf '\nNAVI-%s END\n' "$n"
}

scan() {
  if [ -d "$dir" ]; then now=1; else now=; fi
  if [ "$now" != "$present" ]; then full; return 0; fi
  : > "$new"
  listing "$dir" 1; fseen=$seen; freg=$reg; compare "$prev" "$seen" "$force"; fsend=$fresh; fgone=$gone
  listing "$dir/.navi/marks"; mseen=$seen; compare "$prev_marks" "$seen" "$mforce"; msend=$fresh; mgone=$gone
  force=; mforce=
  tmux_changed=
  if [ -n "$check_tmux$fsend$fgone" ]; then
    [ -n "$fsend$fgone" ] && read_sockets "$freg"
    tm=$(tmux_records "$socks")
    [ "$tm" = "$prev_tmux" ] || { tmux_changed=1; prev_tmux=$tm; }
  fi
  if [ -n "$fsend$fgone$msend$mgone$tmux_changed" ]; then
    { send_records; } | $buffer
  fi
  prev=$fseen; prev_marks=$mseen
  swap
}

# `cksum` of the regular files of directory $1, one line each; a file of size 0 gets the
# line of an empty file without being read (a FIFO or a pseudo-file that never ends, as
# `/proc/self/pagemap` behind a symlink, costs nothing).
sums() {
  [ -d "$1" ] || return 0
  (cd "$1" 2>/dev/null && {
    kept=
    for f in ./*.json; do
      [ -f "$f" ] || continue
      case $f in *"$newline"*) continue;; esac
      if [ -s "$f" ]; then kept="$kept$newline$f"; else printf '4294967295 0 %s\n' "$f"; fi
    done
    set -f; IFS=$newline; set -- $kept; unset IFS; set +f
    [ $# -gt 0 ] && cksum "$@" 2>/dev/null
  })
}

digest() {
  {
    printf '\nNAVI-%s SUM\n' "$n"
    sums "$dir"
    printf '\nNAVI-%s MSUM\n' "$n"
    sums "$dir/.navi/marks"
    printf '\nNAVI-%s END\n' "$n"
  } | $buffer
}

ticker() {
  # TERM (the loop's stdin ended) ends the ticker and the child it waits on. It can come
  # before `w` holds that child's pid (a channel closed at once): then only `stop` is
  # set, and the child is ended as soon as its pid is known, never left running. The
  # child gets KILL: one that has not yet become `sleep` or `inotifywait` would still
  # run the shell's own TERM handler, and the signal would be lost in its `exec`.
  stop=; w=; armed=
  trap 'stop=1; if [ -n "$w" ]; then kill -s KILL "$w" 2>/dev/null; exit 0; fi' TERM
  while [ "$watcher" = inotify ]; do
    if [ -d "$dir" ]; then
      # Watching again (the directory was moved away and is back): the loop says so
      # and sends every file again (what changed unwatched).
      [ -n "$armed" ] && { echo "$n:i" || exit 0; }
      armed=1
      if [ -d "$dir/.navi/marks" ]; then set -- "$dir" "$dir/.navi/marks"; else set -- "$dir"; fi
      inotifywait -m -q -e close_write -e moved_to -e moved_from -e delete -e create -e attrib -e move_self -e delete_self --format "$n:e%e %w%f" -- "$@" &
      w=$!
      [ -n "$stop" ] && { kill -s KILL "$w" 2>/dev/null; exit 0; }
      echo "$w" > "$m/w"
      wait "$w"
      w=; : > "$m/w"
      [ -n "$stop" ] && exit 0
      # Ended while its directory is still there, and not by `unwatch`: inotify does
      # not work here (a limit): scan for good.
      [ -e "$m/gone" ] || [ ! -d "$dir" ] || watcher=scan
      rm -f "$m/gone"
      [ "$watcher" = inotify ] && [ -d "$dir" ] && continue
      echo "$n:m" || exit 0
      [ "$watcher" = inotify ] || break
    fi
    # Gone: scan each tick (a second without a ticker) until it is back.
    if [ "$tick" = 0 ]; then sleep 1 || exit 0; else sleep "$tick" || sleep 1 || exit 0; echo "$n:k" || exit 0; fi
    [ -n "$stop" ] && exit 0
  done
  if [ "$tick" = 0 ]; then
    [ -n "$stop" ] && exit 0
    sleep 2147483647 &
    w=$!
    [ -n "$stop" ] && { kill -s KILL "$w" 2>/dev/null; exit 0; }
    wait "$w"
    exit 0
  fi
  while [ -z "$stop" ]; do
    sleep "$tick" || sleep 1 || exit 0
    echo "$n:k" || exit 0
  done
}

printf '\nNAVI-%s MODE %s\n\nNAVI-%s END\n' "$n" "$watcher" "$n"
# A TERM that reaches the ticker before its trap is set may be lost (mksh): the second,
# a second later, finds the trap (or a ticker that already ended).
{ ticker & tp=$!; cat; kill "$tp" 2>/dev/null; sleep 1; kill "$tp" 2>/dev/null; } | while IFS= read -r line; do
  case $line in
    "$n:s") full;;
    "$n:h"*) printf '\nNAVI-%s H %s\n\nNAVI-%s END\n' "$n" "${line#"$n:h"}" "$n";;
    "$n:t") check_tmux=1; scan; check_tmux=;;
    "$n:d") digest;;
    "$n:m") watcher=scan; printf '\nNAVI-%s MODE scan\n\nNAVI-%s END\n' "$n" "$n";;
    "$n:i")
      watcher=inotify
      printf '\nNAVI-%s MODE inotify\n\nNAVI-%s END\n' "$n" "$n"
      listing "$dir" 1; force=$seen; listing "$dir/.navi/marks"; mforce=$seen
      scan;;
    "$n:e"*)
      p=${line#"$n:e"}; ev=${p%% *}; p=${p#* }
      # The watched directory itself was moved or removed: watch it again where it is.
      case $ev in *_SELF*) [ "$watcher" = inotify ] && unwatch; scan; continue;; esac
      # A writer's temp file (`.tmp.navi.1`, `x.json.tmp`) starts nothing: its rename
      # names the status file.
      case $p in *.json) ;; *) case $ev in *ISDIR*) ;; *) continue;; esac;; esac
      case $ev in
        # A name that went: nothing to force. Still there, it was swapped or replaced,
        # and that event scans (a second scan would send it again: file times are
        # coarser than these events).
        MOVED_FROM*|DELETE*) [ -e "$p" ] && continue;;
        *) case $p in
            */.navi/marks/*.json) mforce="$mforce$newline./${p##*/}";;
            *.json) force="$force$newline./${p##*/}";;
          esac;;
      esac
      scan;;
    "$n:k") scan;;
  esac
done
"#;

/// The push loop script for `sessions_dir`, with a ticker every `tick` (`"0"`: none).
pub(crate) fn push_script(sessions_dir: &str, tick: &str) -> String {
    let body = PUSH_BODY
        .replace("STRIP_HEX", strip_hex())
        .replace(
            "SNAPSHOT",
            &snapshot_body(":", "printf \"%s\" \"$prev_tmux\""),
        )
        .replace("FRAME", &frame_fragment())
        .replace("SIZED_ONLY", SIZED_ONLY)
        .replace("MCAP", &(MAX_MARKS_FILE_BYTES + 1).to_string())
        .replace("TICK", tick)
        // `cat` merges navi's commands with the watcher's lines.
        .replace(
            "LACKING_CHECK",
            &lacking_check(&format!("{NEEDED_TOOLS} cat")),
        )
        .replace("LACKING_FAIL", &lacking_fail());
    format!("{}\n{}", prelude(sessions_dir), body)
}

/// The exec string of the push loop, through the login-shell-neutral [`RemoteCommand`].
pub(crate) fn push_command(sessions_dir: &str, tick: &str) -> Result<String, RemoteCommandError> {
    RemoteCommand::new(&push_script(sessions_dir, tick))
        .stdin(Stdin::Requests)
        .within(None)
        .to_command_line()
}
