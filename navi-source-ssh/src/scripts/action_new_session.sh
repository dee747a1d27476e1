# New session (framed.sh's body): $1 the directory (`~` the remote's home; $w, set by
# the line navi puts first), $2 the name (tmux_arg), $3 its target, $4 its pane, $5 the
# name for messages, $6 `create` to make a missing directory (else it is refused), then
# the command's words.
# shellcheck disable=SC2154 # $w: set from $1 by the line navi puts first (set_home_path)
if [ ! -d "$w" ]; then
  if [ "$6" = create ]; then
    mkdir -p -- "$w" || { printf 'cannot create directory: %s\n' "$w" >&2; exit 3; }
  else
    printf 'no such directory: %s\n' "$w" >&2; exit 3
  fi
fi
command -v tmux >/dev/null 2>&1 || { echo 'tmux: not found' >&2; exit 6; }
tm has-session -t "$3" 2>/dev/null && { printf 'a session named %s already exists\n' "$5" >&2; exit 3; }
case $w in *\;) w="${w%;}\\;";; esac
s=$2 t=$3 p=$4
shift 6
tm new-session -d -s "$s" -c "$w" "$@" \; set-option -w -t "$p" remain-on-exit on >/dev/null || exit 1
sleep 0.3 2>/dev/null || sleep 1
dead() { tm display-message -p -t "$p" '#{pane_dead} #{pane_dead_status}' 2>/dev/null; }
ended() {
  printf '%s\n' "$1"
  tm capture-pane -p -J -S - -E - -t "$p" 2>/dev/null
  tm kill-session -t "$t" 2>/dev/null
  exit 7
}
check() {
  st=$(dead) || ended ''
  case $st in 1\ *) ;; *) return 0;; esac
  i=0
  while [ "$st" = "1 " ] && [ "$i" -lt 10 ]; do
    sleep 0.1 2>/dev/null || sleep 1
    st=$(dead) || break
    i=$((i + 1))
  done
  case $st in "1 ") ended '?';; *) ended "${st#1 }";; esac
}
check
tm set-option -w -u -t "$p" remain-on-exit >/dev/null 2>&1
check
exit 0
