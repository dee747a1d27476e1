# Marks, read: prints x and the marks file $d/$2 (up to $3 bytes). See marks.rs.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
[ -f "$d/$1" ] || exit 8
[ -f "$d/$2" ] || exit 0
printf x
head -c "$3" < "$d/$2"
