# Git report (framed.sh's body): $1 the directory (`~` the remote's home; $w, set by the
# line navi puts first). Prints three sections, each after a line of RS (\036) and its
# name: `status` (git status --porcelain=v2 --branch, at most 5000 lines), `url` (the
# branch's remote's URL), `log` (the last commit). A directory that is not there or not
# a repository is refused (exit 3, git's words on stderr).
# shellcheck disable=SC2154 # $w: set from $1 by the line navi puts first (set_home_path)
cd -- "$w" 2>/dev/null || { printf 'no such directory: %s\n' "$w" >&2; exit 3; }
command -v git >/dev/null 2>&1 || { echo 'git is not installed there' >&2; exit 3; }
GIT_OPTIONAL_LOCKS=0 LC_ALL=C GIT_TERMINAL_PROMPT=0
export GIT_OPTIONAL_LOCKS LC_ALL GIT_TERMINAL_PROMPT
if ! s=$(git status --porcelain=v2 --branch --untracked-files=normal 2>/dev/null); then
  git status --porcelain=v2 2>&1 >/dev/null | head -n 1 >&2
  exit 3
fi
printf '\036status\n'
printf '%s\n' "$s" | head -n 5000
printf '\n\036url\n'
git ls-remote --get-url 2>/dev/null | head -n 1
printf '\n\036log\n'
git log -1 '--format=%H%x1f%an%x1f%ct%x1f%s' 2>/dev/null
exit 0
