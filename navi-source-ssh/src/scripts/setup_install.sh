# navi remotes setup, step 3: hooks install for Claude Code and every other agent found
# there (Codex, Gemini CLI, OpenCode: `--all`), then the status directory.
# Operands: $1 navi's path there, $2 the status directory (`~` the remote's home).
# A status directory other than the default is written into the hook command, so the
# hook writes where navi reads.
# shellcheck disable=SC2154 # $s: set from $2 by the line navi puts first (set_home_path)
if [ "$s" = "$HOME/.claude-sessions" ]; then "$1" hooks install --all; else "$1" --sessions-dir "$s" hooks install --all; fi </dev/null || exit
mkdir -p -- "$s"
