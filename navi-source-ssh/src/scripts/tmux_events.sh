# tmux events for the push loop (read before push_loop.sh; see remote/push_script.rs,
# "tmux events"). Where the remote's tmux has control mode with client flags (3.2 and
# later), one read-only control client per tmux server the loop checks says when
# sessions come, go or are renamed: its `%sessions-changed`, `%session-renamed` and
# `%exit` lines become `$n:t` lines in the loop's input, so the tmux check runs on
# events instead of on navi's timer.
# shellcheck disable=SC2154 # m, n, newline, prev_tmux: push_loop.sh's
# shellcheck disable=SC2034 # ctl_seen: read by push_loop.sh

# Whether `tmux -V` says 3.8 or later (`next-3.8` and later too). Control clients need
# 3.2 (attach-session's `-f`), but every release up to 3.7c can crash its server when a
# control client is still connecting, or already leaving, while a session is made,
# renamed or killed (found here: 3.3a segfaults within a few dozen tries; tmux fixed it
# after 3.7c, GitHub issues 4980, 5244, 5357). navi never risks the user's tmux server:
# older versions keep the check on navi's timer.
ctl_version_ok() {
  v=$(tmux -V 2>/dev/null) || return 1
  v=${v#tmux }
  v=${v#next-}
  maj=${v%%.*}; min=${v#*.}; min=${min%%[!0-9]*}
  case $maj in ''|*[!0-9]*) return 1;; esac
  case $min in ''|*[!0-9]*) min=0;; esac
  [ "$maj" -gt 3 ] || { [ "$maj" = 3 ] && [ "$min" -ge 8 ]; }
}

# Decides once whether the loop follows tmux events ($ctl): tmux with control mode and
# `mkfifo` (the clients' stdin, held open by nobody's writes, and the events' way into
# the loop's input, `$m/ev`). `$m/tq` non-empty: a `$n:t` is on its way (coalescing).
ctl=; ctl_servers=; ctl_seen=
ctl_setup() {
  command -v tmux >/dev/null 2>&1 && command -v mkfifo >/dev/null 2>&1 && ctl_version_ok || return 0
  mkfifo -m 600 "$m/ci" "$m/ev" 2>/dev/null || return 0
  : > "$m/tq"
  ctl=1
}

# Asks the loop for a tmux check unless one is already on its way (the loop empties
# `$m/tq` before it checks, so an event after that asks again).
ctl_note() {
  [ -s "$m/tq" ] && return 0
  echo 1 > "$m/tq"
  echo "$n:t"
}

# Server $1 ('' the default one)'s key in $k: its place in $ctl_servers (added if new).
ctl_key() {
  k=0; found=
  set -f; IFS=$newline
  for x in $ctl_servers; do
    k=$((k + 1))
    [ "$x" = "=$1" ] && { found=1; break; }
  done
  unset IFS; set +f
  [ -n "$found" ] && return 0
  ctl_servers="$ctl_servers$newline=$1"; k=$((k + 1))
}

# A control client on server $1 ('' the default) attached to session $2 (`$id`), key
# $3: read-only, no pane output, no effect on sizes. Its stdin is the FIFO nobody
# writes (an empty line would detach it), its output read by a subshell that turns
# session events into `$n:t`. `$m/cp$3` holds its pid while it runs ("-" while it
# starts), emptied before the last note so the check that follows attaches again.
ctl_client() {
  [ -p "$m/co$3" ] || mkfifo -m 600 "$m/co$3" 2>/dev/null || return 0
  echo - > "$m/cp$3"
  (
    if [ -n "$1" ]; then
      tmux -S "$1" -C attach-session -r -f ignore-size,no-output -t "$2" 0<>"$m/ci" >"$m/co$3" &
    else
      tmux -C attach-session -r -f ignore-size,no-output -t "$2" 0<>"$m/ci" >"$m/co$3" &
    fi
    echo "$!" > "$m/cp$3"
    said=
    while IFS= read -r l; do
      # Attached: one check more, for a session made while it attached.
      [ -n "$said" ] || ctl_note
      said=1
      case $l in %sessions-changed*|%session-renamed*) ctl_note;; esac
    done < "$m/co$3"
    : > "$m/cp$3"
    # Its session ended (`%exit`) or its server went: the check attaches to another.
    [ -n "$said" ] && ctl_note
  ) 1<>"$m/ev" &
}

# After a tmux check ($prev_tmux, the loop's T/U records): a client for every server
# that answered with a session and has none running (its first session).
ctl_sync() {
  ctl_seen=$prev_tmux
  srv=; first=
  set -f; IFS=$newline
  # shellcheck disable=SC2086 # split on newlines (IFS), globbing off
  set -- $prev_tmux
  unset IFS; set +f
  for l do
    case $l in
      "NAVI-$n T "*) srv=${l#"NAVI-$n T "}; first=1; continue;;
      "NAVI-$n "*) first=; continue;;
    esac
    [ -n "$first" ] || continue
    first=
    id=${l#* }; id=${id%% *}
    case $id in \$[0-9]*) ;; *) continue;; esac
    case $srv in -) s=;; *) s=$srv;; esac
    ctl_key "$s"
    [ -s "$m/cp$k" ] && continue
    ctl_client "$s" "$id" "$k"
  done
}

# Ends every control client (their readers end with them).
ctl_stop() {
  [ -n "$ctl" ] || return 0
  for f in "$m"/cp*; do
    [ -s "$f" ] || continue
    read -r p < "$f" || continue
    case $p in ''|*[!0-9]*) continue;; esac
    kill "$p" 2>/dev/null
  done
}
