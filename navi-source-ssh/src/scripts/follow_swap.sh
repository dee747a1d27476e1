# Follow a renamed session, swap: moves the status file and the marks. See follow.rs for
# the operands and exit statuses.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
move_status() {
  [ -f "$d/$2" ] || return 6
  [ -e "$d/$3" ] && return 5
  command -v cksum >/dev/null 2>&1 || return 7
  [ "$(cksum < "$d/$2")" = "$6" ] || return 4
  t=$d/.tmp.navi.follow.$$
  cat > "$t" || { rm -f -- "$t"; return 3; }
  if ln -- "$t" "$d/$3" 2>/dev/null; then :
  elif [ -e "$d/$3" ]; then rm -f -- "$t"; return 5
  else mv -f -- "$t" "$d/$3" || { rm -f -- "$t"; return 3; }
  fi
  rm -f -- "$t" "$d/$2"
}
move_marks() {
  [ -f "$d/$7" ] || return 0
  [ -e "$d/$8" ] && return 0
  if ln -- "$d/$7" "$d/$8" 2>/dev/null; then rm -f -- "$d/$7"
  elif [ -e "$d/$8" ]; then :
  else mv -f -- "$d/$7" "$d/$8"
  fi
}
if [ "$9" = 1 ]; then
  if command -v flock >/dev/null 2>&1; then
    exec 8>"$d/$4" && flock 8 && exec 9>"$d/$5" && flock 9 && move_status "$@"
  else
    move_status "$@"
  fi
  st=$?
  [ "$st" = 0 ] || exit "$st"
fi
move_marks "$@"
exit 0
