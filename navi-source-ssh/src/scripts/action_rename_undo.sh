# Rename, undone (framed.sh's body): $1 the new session, $2 the old name, $3/$4 the
# marks files to move back (relative to $d).
# shellcheck disable=SC2154 # $d: the status directory, set by framed.sh's first line
tm rename-session -t "$1" "$2" || exit 1
[ -f "$d/$3" ] && mv -f -- "$d/$3" "$d/$4"
exit 0
