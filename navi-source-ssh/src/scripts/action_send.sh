# Send (framed.sh's body): $1 the session, $2 its pane, $3 the text (tmux_arg).
need "$1"
tm send-keys -t "$2" -l -- "$3" || exit 1
sleep 0.1 2>/dev/null || sleep 1
tm send-keys -t "$2" Enter
