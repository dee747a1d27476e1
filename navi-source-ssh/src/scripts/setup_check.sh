# navi remotes setup, step 4: `navi hooks status` (exit 0 when installed; otherwise
# what it said, as `hooks_said=` lines), version, status directory.
# Operands: $1 navi's path there, $2 the status directory (`~` the remote's home).
# shellcheck disable=SC2154 # $s: set from $2 by the line navi puts first (set_home_path)
v=$("$1" --version </dev/null 2>/dev/null) && printf 'version=%s\n' "$v"
if h=$("$1" --sessions-dir "$s" hooks status --all </dev/null 2>&1); then
  printf 'hooks=installed\n'
else
  printf '%s\n' "$h" | while IFS= read -r l; do printf 'hooks_said=%s\n' "$l"; done
fi
[ -d "$s" ] && printf 'sessions_dir=present\n'
true
