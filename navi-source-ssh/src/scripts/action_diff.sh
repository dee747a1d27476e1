# Diff (framed.sh's body): $1 the directory (`~` the remote's home; $w), $2 the most
# bytes to print (navi asks one more than it shows, to know when it was cut). `git diff`
# of the working tree with git's colours.
# shellcheck disable=SC2154 # $w: set from $1 by the line navi puts first (set_home_path)
cd -- "$w" 2>/dev/null || { printf 'no such directory: %s\n' "$w" >&2; exit 3; }
command -v git >/dev/null 2>&1 || { echo 'git is not installed there' >&2; exit 3; }
GIT_OPTIONAL_LOCKS=0 GIT_TERMINAL_PROMPT=0
export GIT_OPTIONAL_LOCKS GIT_TERMINAL_PROMPT
e=$(git rev-parse --git-dir 2>&1 >/dev/null) || { printf '%s\n' "$e" | head -n 1 >&2; exit 3; }
git -c color.ui=always diff --color=always --no-ext-diff 2>/dev/null | head -c "$2"
