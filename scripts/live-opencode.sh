#!/usr/bin/env bash
# One real OpenCode turn in tmux with navi's OpenCode plugin, end to end, without
# credentials or network: OpenCode's Anthropic provider talks to
# scripts/fake-anthropic-api.py on loopback. Shows the status file the plugin's
# `navi hook --agent opencode` wrote, and `navi list` (the row tagged {OC}). Everything
# lives in a scratch HOME and a private tmux server. Needs node/npm (OpenCode is installed
# there from the npm registry), tmux, git, python3 and a built navi. Usage:
#   scripts/live-opencode.sh [NAVI_BINARY]     # default: target/release/navi
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
navi=$(realpath "${1:-$here/../target/release/navi}")
D=$(mktemp -d /tmp/navi-live-oc.XXXXXX)
export HOME=$D/home TMUX_TMPDIR=$D/tmux XDG_CONFIG_HOME=$D/home/.config NAVI_SESSIONS_DIR=
unset TMUX TMUX_PANE
mkdir -p "$HOME/proj" "$TMUX_TMPDIR" "$XDG_CONFIG_HOME/opencode"
port=$((20000 + RANDOM % 20000))
python3 "$here/fake-anthropic-api.py" "$port" "$D/api.log" &
api=$!
cleanup() { tmux kill-server 2>/dev/null || true; kill "$api" 2>/dev/null || true; }
trap cleanup EXIT

echo "==> installing OpenCode (npm) in $D"
(cd "$D" && npm install --silent --no-audit --no-fund opencode-ai >/dev/null)
opencode=$D/node_modules/.bin/opencode
"$opencode" --version
cat >"$XDG_CONFIG_HOME/opencode/opencode.json" <<JSON
{"model": "anthropic/claude-sonnet-4-5", "autoupdate": false, "share": "disabled",
 "provider": {"anthropic": {"options": {"baseURL": "http://127.0.0.1:$port/v1",
   "apiKey": "sk-ant-api03-navi-live-check-not-a-real-key"}}}}
JSON
"$navi" hooks install --agent opencode
git -C "$HOME/proj" init -q

# navi first on the pane's PATH: the plugin runs `navi hook --agent opencode`.
tmux new-session -d -s oc -c "$HOME/proj" -x 160 -y 45 \
  "env PATH=$(dirname "$navi"):\$PATH $opencode run 'say hi' >$D/run.out 2>&1; sleep 600"
file=$HOME/.claude-sessions/oc.json
for _ in $(seq 1 120); do
  if [ -f "$file" ] && grep -q '"status": "done"' "$file"; then break; fi
  sleep 0.5
done
echo "--- OpenCode said:"; cat "$D/run.out"
echo "--- $file"; cat "$file"
echo "--- navi list"; "$navi" list
grep -q '"agent": "opencode"' "$file" && grep -q '"status": "done"' "$file" ||
  { echo "FAILED: the plugin did not report the turn" >&2; exit 1; }
echo "OK: a real OpenCode turn reached navi through its plugin"
