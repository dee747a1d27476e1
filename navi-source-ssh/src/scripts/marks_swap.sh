# Marks, compare-and-swap of the marks file. See marks.rs for the operands and exit
# statuses.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
mkdir -p -- "$d/$1" || exit 1
f=$d/$2
swap() {
  [ -f "$d/$7" ] || exit 8
  case $5 in
    1) [ -f "$f" ] && [ "$(cat -- "$f"; printf x)" = "${6}x" ] || exit 4;;
    0) if [ -e "$f" ]; then exit 4; fi;;
  esac
  t=$d/$4.$$
  cat > "$t" || { rm -f -- "$t"; exit 1; }
  if [ -s "$t" ]; then mv -f -- "$t" "$f"; else rm -f -- "$t" "$f"; fi
}
# Without the flock utility: a directory lock (mkdir is atomic everywhere) holding
# its owner's pid. One whose owner is gone is broken, by one waiter at a time (the
# `.break` directory), after checking again that it is still that owner's. A lock
# without a pid for 2 s (its owner died between making it and writing the pid) is
# broken the same way, and a `.break` left for 2 s (a breaker that died) is removed.
# A lock held for over 10 s is an error naming it. `i` counts 50 ms steps.
mlock() {
  l=$d/$3.d
  i=0 e='' b=''
  until mkdir -- "$l" 2>/dev/null; do
    o=$(cat -- "$l/pid" 2>/dev/null)
    case $o in
      ''|*[!0-9]*)
        [ -n "$e" ] || e=$i
        if [ $((i - e)) -gt 40 ] && mkdir -- "$l.break" 2>/dev/null; then
          [ -z "$(cat -- "$l/pid" 2>/dev/null)" ] && rm -rf -- "$l"
          rmdir -- "$l.break"; e=
        fi;;
      *) e=
         if ! kill -0 "$o" 2>/dev/null && [ ! -d "/proc/$o" ] && mkdir -- "$l.break" 2>/dev/null; then
           [ "$(cat -- "$l/pid" 2>/dev/null)" = "$o" ] && rm -rf -- "$l"
           rmdir -- "$l.break"
         fi;;
    esac
    if [ -d "$l.break" ]; then
      [ -n "$b" ] || b=$i
      [ $((i - b)) -gt 40 ] && { rmdir -- "$l.break" 2>/dev/null; b=; }
    else
      b=
    fi
    i=$((i + 1))
    if [ "$i" -gt 200 ]; then
      printf 'the marks lock %s (process %s) was not released within 10 s; if no navi is writing marks there, remove it (and %s)\n' "$l" "${o:-unknown}" "$l.break" >&2
      exit 1
    fi
    sleep 0.05 2>/dev/null || { sleep 1; i=$((i + 19)); }
  done
  trap 'rm -rf -- "$l"' EXIT
  trap 'exit 1' HUP INT TERM
  printf '%s\n' "$$" > "$l/pid" || exit 1
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"$d/$3" && flock 9 && swap "$@"
else
  mlock "$@" && swap "$@"
fi
