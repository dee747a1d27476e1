#!/usr/bin/env bash
# One real Claude Code turn in tmux with navi's hooks, end to end, without credentials or
# network: Claude talks to scripts/fake-anthropic-api.py on loopback. Shows `navi list` at
# each step (idle, working, permission, done, waiting, offline); the permission dialog is
# answered by `navi approve` (refused first while no dialog shows). Everything lives in a
# scratch HOME and a private tmux server. Needs node/npm (Claude Code is installed there from
# the npm registry), tmux, git, python3 and a built navi. Usage:
#   scripts/live-claude.sh [NAVI_BINARY]     # default: target/release/navi
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
navi=$(realpath "${1:-$here/../target/release/navi}")
D=$(mktemp -d /tmp/navi-live.XXXXXX)
export HOME=$D/home TMUX_TMPDIR=$D/tmux NAVI_SESSIONS_DIR=
unset TMUX TMUX_PANE
mkdir -p "$HOME/proj" "$TMUX_TMPDIR"
port=$((20000 + RANDOM % 20000))
key=sk-ant-api03-navi-live-check-not-a-real-key
FAKE_API_DELAY=6 python3 "$here/fake-anthropic-api.py" "$port" "$D/api.log" &
api=$!
cleanup() { tmux kill-server 2>/dev/null || true; kill "$api" 2>/dev/null || true; }
trap cleanup EXIT

echo "==> installing Claude Code (npm) in $D"
(cd "$D" && npm install --silent --no-audit --no-fund @anthropic-ai/claude-code >/dev/null)
claude=$D/node_modules/.bin/claude
"$claude" --version
# Skip the first-run screens: onboarding done, this key approved, the folder trusted.
cat >"$HOME/.claude.json" <<JSON
{"hasCompletedOnboarding": true, "theme": "dark",
 "customApiKeyResponses": {"approved": ["${key: -20}"], "rejected": []},
 "projects": {"$HOME/proj": {"hasTrustDialogAccepted": true}}}
JSON
"$navi" hooks install
git -C "$HOME/proj" init -q

show() { echo "--- $1"; "$navi" list; }
tmux new-session -d -s live -c "$HOME/proj" -x 160 -y 45 \
  "env ANTHROPIC_API_KEY=$key ANTHROPIC_BASE_URL=http://127.0.0.1:$port DISABLE_TELEMETRY=1 \
   CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 $claude; sleep 600"
sleep 8; show "started (idle)"
tmux send-keys -t live 'write hello to a file with bash' Enter
sleep 3; show "prompt sent, the API thinking for 6 s (working)"
echo "--- navi approve while no dialog shows (must refuse)"
if "$navi" approve live; then echo "navi approve answered without a dialog" >&2; exit 1; fi
sleep 9; show "asked permission for Bash"
echo "--- navi approve (reads the pane, shows the dialog, sends its key)"
"$navi" approve live
sleep 6; show "tool ran, turn over (done)"
echo "(waiting 65 s for Claude's idle notification)"; sleep 65; show "idle prompt (waiting)"
tmux send-keys -t live /exit Enter; sleep 1; tmux send-keys -t live Enter
sleep 5; show "after /exit (offline)"
echo "==> the status file:"; cat "$HOME/.claude-sessions/live.json"
