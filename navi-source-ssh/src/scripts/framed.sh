# What every framed body runs inside (see framed.rs). navi puts first the line setting
# $d (the status directory, operand $2, set_home_path) and the function `body`.
# Operands: $1 the nonce, $2 the status directory, $3 the tmux socket (empty: the
# default server), then the body's.
# shellcheck disable=SC2317 # tm and need are called by the body, which navi puts first
n=$1
sock=$3
shift 3
tm() { if [ -n "$sock" ]; then tmux -u -S "$sock" "$@"; else tmux -u "$@"; fi; }
need() {
  tm has-session -t "$1" 2>/dev/null && return 0
  e=$(tm list-sessions -F x 2>&1 >/dev/null) && exit 5
  printf '%s\n' "$e" >&2
  exit 6
}
printf '\nNAVI-%s BEGIN\n' "$n"
printf '\nNAVI-%s BEGIN\n' "$n" >&2
(body "$@")
s=$?
printf '\nNAVI-%s END %s\n' "$n" "$s"
exit "$s"
