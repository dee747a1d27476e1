# Follow a renamed session, read: the status file $2 framed by nonce $3 (an F record),
# nothing when there is none; up to $4 bytes (one past the cap). See follow.rs.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
[ -f "$d/$2" ] || exit 0
printf '\nNAVI-%s F\n' "$3"; exec head -c "$4" < "$d/$2"
