# In place of the script, when it comes on stdin (RemoteCommand::script_on_stdin): its
# lines up to the line `navi-script-end`, read with the builtin `read` (which reads a
# pipe a byte at a time, so nothing after that line is taken from what follows), then
# run in this shell with the operands `set --` gave. If stdin ends before that line
# (navi or the connection went), nothing runs.
navi_s=; navi_ok=
while IFS= read -r navi_x; do
  if [ "$navi_x" = navi-script-end ]; then navi_ok=1; break; fi
  navi_s="$navi_s$navi_x
"
done
[ -n "$navi_ok" ] || exit 1
# Under bash where this sh cannot cap a `read` (see STDIN_SCRIPT in shell.rs).
case ${BASH_VERSION-}${ZSH_VERSION-}/${KSH_VERSION-} in
  /*MIRBSD*|/*LEGACY*|[!/]*) ;;
  *) command -v bash >/dev/null 2>&1 && exec bash --posix -c "$navi_s" navi-bash "$@";;
esac
eval "$navi_s"
