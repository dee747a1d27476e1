# Before `set --`: a sh that does not lead its own process group runs again under setsid
# (see PROLOGUE in shell.rs).
# shellcheck disable=SC2016 # the eval line is for the new sh, which expands it
kill -0 -$$ 2>/dev/null || case $0 in navi-grouped) ;; *) command -v setsid >/dev/null 2>&1 && exec setsid sh -c 'eval "$(printf %b "$@")"' navi-grouped "$@";; esac
