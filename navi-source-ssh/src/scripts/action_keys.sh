# Keys (framed.sh's body): $1 the session, $2 its pane, then the keys (tmux key names,
# checked against navi's allow-list, each through tmux_arg).
need "$1"
p=$2
shift 2
tm send-keys -t "$p" -- "$@"
