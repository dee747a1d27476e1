# Dismiss: removes an ended session's status file, checked again on its tmux server.
# See dismiss.rs for the operands and exit statuses.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
[ -f "$d/$2" ] || { printf 'no session named %s\n' "$8" >&2; exit 3; }
command -v tmux >/dev/null 2>&1 || {
  printf 'tmux: not found in PATH=%s, so navi cannot tell whether %s still runs; nothing was removed\n' "$PATH" "$8" >&2
  exit 3
}
sock=$7
t() { if [ -n "$sock" ]; then tmux -u -S "$sock" "$@"; else tmux -u "$@"; fi; }
nl=$(printf '\n_'); nl=${nl%_}
pid=${10}; keep=${11}
# pid_gone: pid_gone.sh, put before this script.
gone=
[ -n "$pid" ] && pid_gone "$pid" && gone=1
said=$(t list-sessions -F '#{session_id}' 2>&1) || [ -n "$gone" ] || {
  printf '%s did not answer (%s), so navi cannot tell whether %s still runs; nothing was removed\n' "$9" "${said%%"$nl"*}" "$8" >&2
  exit 3
}
if t has-session -t "$6" 2>/dev/null; then
  printf '%s is still running in tmux; kill it instead (x) to end it\n' "$8" >&2
  exit 3
fi
remove() {
  if [ -n "$keep" ]; then rm -f -- "$d/$2"; else rm -f -- "$d/$2" "$d/$4" "$d/$5"; fi && rm -f -- "$d/$3"
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"$d/$3" && flock 9 && remove "$@"
else
  remove "$@"
fi
