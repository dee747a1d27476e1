# Preview over exec (framed.sh's body): $1 the session (=NAME), $2 its pane.
need "$1"
tm capture-pane -p -e -J -S -50 -t "$2"
