# Send (framed.sh's body): $1 the session, $2 its pane, $3 the text (tmux_arg).
# One tmux command: the text pasted (between bracketed-paste markers when the program
# asked for them), then Enter as a key of its own; no pause needed (see the local
# source's send_args). The buffer's name is this shell's: no other send shares it.
need "$1"
b=navi-send-$$
tm set-buffer -b "$b" -- "$3" \; paste-buffer -p -d -r -b "$b" -t "$2" \; send-keys -t "$2" Enter
