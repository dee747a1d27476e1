# Pull request (framed.sh's body): $1 the directory (`~` the remote's home; $w), $2 the
# fields for `gh pr view --json`. gh's answer on stdout, its words on stderr, its exit
# status as the body's; 127 when gh is not installed there.
# shellcheck disable=SC2154 # $w: set from $1 by the line navi puts first (set_home_path)
cd -- "$w" 2>/dev/null || { printf 'no such directory: %s\n' "$w" >&2; exit 3; }
command -v gh >/dev/null 2>&1 || exit 127
GH_PROMPT_DISABLED=1 GH_NO_UPDATE_NOTIFIER=1 GH_SPINNER_DISABLED=1 NO_COLOR=1 CLICOLOR=0
export GH_PROMPT_DISABLED GH_NO_UPDATE_NOTIFIER GH_SPINNER_DISABLED NO_COLOR CLICOLOR
gh pr view --json "$2" </dev/null
