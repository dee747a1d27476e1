# Acknowledge, swap: the status file $d/$1 replaced by stdin if it still holds $4. See
# acknowledge.rs for the operands and exit statuses.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
f=$d/$1
swap() {
  [ -f "$f" ] || exit 8
  [ "$(cat -- "$f"; printf x)" = "${4}x" ] || exit 4
  t=$d/$3.$$
  umask 077
  cat > "$t" || { rm -f -- "$t"; exit 1; }
  mv -f -- "$t" "$f"
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"$d/$2" && flock 9 && swap "$@"
else
  swap "$@"
fi
