# The wrapper every non-terminal remote command runs in (see "Bounded on the remote" in
# shell.rs). navi puts first the function navi_work (the script). Operands: $1 the time
# limit in seconds (0: none), $2 what stdin is (input, requests or unused), $3 the
# grace in seconds, then the script's.
# shellcheck disable=SC2016 # navi_end is a script for `sh -c`: expanded there
navi_limit=$1; navi_stdin=$2; navi_grace=$3
shift 3
exec 3<&0 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
navi_grp=; kill -0 -$$ 2>/dev/null && navi_grp=1
navi_end='if [ "$1" -gt 0 ]; then sleep "$1" || exit 0; fi; trap "" TERM HUP
if [ -n "$2" ]; then kill -s TERM 0; kill -s CONT 0; sleep 1; kill -s KILL 0; else kill -s KILL "$4"; kill -s TERM "$3"; fi'
navi_stop=; navi_t=; navi_e=; navi_w=
trap 'navi_stop=1' TERM
case $navi_stdin in
  requests)
    { exec <&3 2>/dev/null 3<&-; sh -c 'echo "$PPID"'
      while IFS= read -r navi_l; do printf '%s\n' "$navi_l" || exit 0; done
      exec sh -c "$navi_end" navi-end "$navi_grace" "$navi_grp" $$ "" >/dev/null 2>&1 </dev/null; } |
      { exec 3<&-; IFS= read -r navi_r; (navi_work "$@"); navi_s=$?; kill -s KILL "$navi_r" 2>/dev/null; exit "$navi_s"; } &
    navi_w=$!;;
  unused)
    (exec </dev/null 3<&-; navi_work "$@") &
    navi_w=$!
    { exec <&3 >/dev/null 2>&1 3<&-; while read -r navi_l; do :; done
      exec sh -c "$navi_end" navi-end "$navi_grace" "$navi_grp" $$ "$navi_w" </dev/null; } &
    navi_e=$!;;
  *)
    (exec <&3 3<&-; navi_work "$@") &
    navi_w=$!;;
esac
if [ "$navi_limit" -gt 0 ]; then
  { exec </dev/null 3<&-; sleep "$navi_limit" >/dev/null 2>&1 || exit 0
    printf '\nnavi: stopped on the remote: still running after its limit of %s s\n' "$navi_limit" >&2
    exec sh -c "$navi_end" navi-end 0 "$navi_grp" $$ "$navi_w" >/dev/null 2>&1; } &
  navi_t=$!
fi
exec 3<&- 2>/dev/null
wait "$navi_w"; navi_s=$?
[ -n "$navi_stop" ] && exit 124
trap '' TERM
for navi_p in $navi_t $navi_e; do kill -s KILL "$navi_p"; done
if [ -n "$navi_grp" ]; then
  kill -s TERM 0; kill -s CONT 0
  # What ignores TERM gets KILL a second later, from a process that holds nothing of
  # the channel (so the channel closes now).
  (exec </dev/null >/dev/null 2>&1; trap '' TERM
    if command -v sleep >/dev/null 2>&1; then sleep 1; fi; kill -s KILL 0) &
fi
exit "$navi_s"
