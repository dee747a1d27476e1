# Rename (framed.sh's body): see actions.rs `rename` for the operands. stdout: x and the
# status file's bytes when there is one.
# shellcheck disable=SC2154 # $d: the status directory, set by framed.sh's first line
need "$1"
tm has-session -t "$3" 2>/dev/null && { printf 'a session named %s already exists\n' "$7" >&2; exit 3; }
tm rename-session -t "$1" "$2" || exit 1
[ -f "$d/$4" ] && mv -f -- "$d/$4" "$d/$5"
[ -f "$d/$6" ] || exit 0
printf x
cat -- "$d/$6"
