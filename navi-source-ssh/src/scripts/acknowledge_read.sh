# Acknowledge, read: prints x and the status file $d/$1 (up to $2 bytes); exit 8 without
# one. See acknowledge.rs.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
[ -f "$d/$1" ] || exit 8
printf x
head -c "$2" < "$d/$1"
