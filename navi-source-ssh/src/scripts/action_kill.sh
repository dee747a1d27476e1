# Kill (framed.sh's body): $1 the session, $2..$5 its status file, lock, marks file
# and marks lock (relative to $d).
# shellcheck disable=SC2154 # $d: the status directory, set by framed.sh's first line
need "$1"
tm kill-session -t "$1" || exit 1
rm -f -- "$d/$2" "$d/$3" "$d/$4" "$d/$5"
