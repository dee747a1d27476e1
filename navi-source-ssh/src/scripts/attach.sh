# The terminal command of `ssh -t` (attach): $1 the exact target (=NAME), $2 the name
# for attach-session, $3 the tmux socket (empty: the default server). A session that is
# gone ends it with $no_such_session, set by the line navi puts first.
# shellcheck disable=SC2154 # $no_such_session: set by that line
if [ -n "$3" ]; then set -- "$1" "$2" -S "$3"; else set -- "$1" "$2"; fi
a=$1; b=$2; shift 2
tmux "$@" has-session -t "$a" || exit "$no_such_session"
# -u: UTF-8 whatever the remote's locale says (boxes and emoji, not `_`).
exec tmux -u "$@" attach-session -t "$b"
