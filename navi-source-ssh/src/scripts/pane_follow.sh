# The pane follow loop (see pool/follow_pane.rs), after tmux_events.sh (its
# ctl_version_ok). First line: the nonce. Then one request a line:
#   F <gen> <socket> <session target> <pane target>  follow that session (replaces any)
#   A                                                  say the next change (re-arm)
#   X                                                  follow nothing
# (socket `-` for the default server; the others `\0ddd` escapes, decoded by printf %b).
# Answers, each one line after a newline: `NAVI-<n> OK` (it can follow) or `NAVI-<n> NO`
# (no control mode: it ends), `NAVI-<n> C <gen>` the followed pane changed, `NAVI-<n> E
# <gen>` the follow ended (the session went). One C per `A`: a pane that changes while
# navi captures it is said once navi asks again (the `d` flag), never lost.
# shellcheck disable=SC2016 # the awk program is single-quoted on purpose
exec 2>/dev/null
IFS= read -r n || exit 0
case $n in ''|*[!0-9a-f]*) exit 0;; esac
tm() { if [ -n "$sock" ]; then tmux -u -S "$sock" "$@"; else tmux -u "$@"; fi; }
dec() { v=$(printf '%bx' "$1"); v=${v%x}; }
m=
# mawk reads a pipe in blocks (a change would wait for 4 KiB more) unless interactive.
awk_i=; case $(awk -W version 2>&1 </dev/null) in *mawk*) awk_i=interactive;; esac
if command -v tmux >/dev/null 2>&1 && command -v mkfifo >/dev/null 2>&1 && command -v awk >/dev/null 2>&1 && ctl_version_ok; then
  for base in "${TMPDIR:-/tmp}" /tmp "$HOME"; do
    [ -n "$base" ] || continue
    if mkdir -m 700 "$base/.navi-follow.$$" 2>/dev/null; then m=$base/.navi-follow.$$; break; fi
  done
fi
if [ -z "$m" ] || ! mkfifo -m 600 "$m/ci" "$m/co"; then
  [ -n "$m" ] && rm -rf "$m"
  printf '\nNAVI-%s NO\n' "$n"
  exit 0
fi
wp=; g=0
# Ends the follow: its subshell first (it would start another client), then the client.
unfollow() {
  [ -n "$wp" ] && kill "$wp" 2>/dev/null
  wp=
  if [ -s "$m/cp" ]; then read -r p < "$m/cp" && kill "$p" 2>/dev/null; fi
  : > "$m/cp"
}
trap 'unfollow; rm -rf "$m"' EXIT
trap 'exit 0' HUP TERM INT PIPE
: > "$m/a"; : > "$m/d"; : > "$m/cp"
# Reads the control client: output of pane `pane` marks the pane changed (`d`) and,
# when navi asked (`a`), says so once; a change of the session's window or of a
# window's active pane is said and ends it (status 3: the follow finds the pane again).
follow_awk='
function changed() {
  printf "1\n" > d; close(d)
  if ((getline x < a) > 0) { close(a); printf "" > a; close(a); printf "" > d; close(d); printf "\nNAVI-%s C %s\n", n, g; fflush() }
  else close(a)
}
index($0, "%output " pane " ") == 1 { changed(); next }
/^%(session-window-changed|window-pane-changed) / { changed(); exit 3 }
'
# Follows session $2 (pane $3) of generation $1 on server $sock, until it ends.
follow() {
  (
    while :; do
      pane=$(tm display-message -p -t "$3" '#{pane_id}') || break
      case $pane in %[0-9]*) ;; *) break;; esac
      tm -C attach-session -r -f ignore-size -t "$2" 0<>"$m/ci" >"$m/co" &
      echo "$!" > "$m/cp"
      awk ${awk_i:+-W "$awk_i"} -v pane="$pane" -v n="$n" -v g="$1" -v a="$m/a" -v d="$m/d" "$follow_awk" < "$m/co"
      st=$?
      read -r p < "$m/cp" && kill "$p" 2>/dev/null
      : > "$m/cp"
      [ "$st" = 3 ] || break
    done
    printf '\nNAVI-%s E %s\n' "$n" "$1"
  ) &
  wp=$!
}
printf '\nNAVI-%s OK\n' "$n"
while IFS= read -r line; do
  case $line in
    "F "*)
      unfollow
      set -f
      # shellcheck disable=SC2086 # split on spaces: no field holds one (escapes)
      set -- $line
      set +f
      [ $# = 5 ] || continue
      case $2 in ''|*[!0-9]*) continue;; esac
      case $3 in -) sock=;; *) dec "$3"; sock=$v;; esac
      g=$2; dec "$4"; t=$v; dec "$5"; p=$v
      : > "$m/d"; echo 1 > "$m/a"
      follow "$2" "$t" "$p";;
    A)
      echo 1 > "$m/a"
      # A change since the last C: said now (the awk may have missed the flag).
      if [ -s "$m/d" ]; then : > "$m/a"; : > "$m/d"; printf '\nNAVI-%s C %s\n' "$n" "$g"; fi;;
    X) unfollow;;
  esac
done
