#!/usr/bin/env bash
# Captures the permission dialogs of a real Claude Code (Bash, Write, WebFetch) as the
# recogniser's fixtures (navi-core/src/permission/fixtures/), and what each answer key does,
# against scripts/fake-anthropic-api.py on loopback: a scratch HOME, a private tmux server,
# no credentials, no network but the npm registry. Usage:
#   scripts/capture-permission-panes.sh [OUT_DIR] [CLAUDE]   # default: the fixtures dir; npm
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath "${1:-$here/../navi-core/src/permission/fixtures}")
D=$(mktemp -d /tmp/navi-perm.XXXXXX)
export HOME=$D/home TMUX_TMPDIR=$D/tmux
unset TMUX TMUX_PANE
mkdir -p "$HOME/proj" "$TMUX_TMPDIR" "$out"
key=sk-ant-api03-navi-live-check-not-a-real-key
api=
cleanup() { tmux kill-server 2>/dev/null || true; [ -z "$api" ] || kill "$api" 2>/dev/null || true; }
trap cleanup EXIT
claude=${2:-}
if [ -z "$claude" ]; then
  (cd "$D" && npm install --silent --no-audit --no-fund @anthropic-ai/claude-code >/dev/null)
  claude=$D/node_modules/.bin/claude
fi
version=$("$claude" --version | awk '{print $1}')
cat >"$HOME/.claude.json" <<JSON
{"hasCompletedOnboarding": true, "theme": "dark",
 "customApiKeyResponses": {"approved": ["${key: -20}"], "rejected": []},
 "projects": {"$HOME/proj": {"hasTrustDialogAccepted": true}}}
JSON
# One dialog: TOOL asked for, the pane captured once it shows "Do you want", then KEY sent
# and the pane captured again (what the answer did).
capture() { # TOOL KEY NAME
  local tool=$1 answer=$2 name=$3 port=$((20000 + RANDOM % 20000)) i
  (cd "$HOME/proj" && FAKE_API_TOOL=$tool FAKE_API_DIR=$HOME/proj \
    exec python3 "$here/fake-anthropic-api.py" "$port" "$D/api-$name.log") &
  api=$!
  tmux new-session -d -s "$name" -c "$HOME/proj" -x 120 -y 40 \
    "env ANTHROPIC_API_KEY=$key ANTHROPIC_BASE_URL=http://127.0.0.1:$port DISABLE_TELEMETRY=1 \
     CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 DISABLE_AUTOUPDATER=1 $claude; sleep 600"
  sleep 8
  tmux send-keys -t "$name" "use the $tool tool" Enter
  for i in $(seq 60); do
    sleep 1
    tmux capture-pane -p -t "$name" | grep -q 'Do you want' && break
  done
  sleep 1
  tmux capture-pane -p -t "$name" >"$out/claude-$version-$name.txt"
  tmux send-keys -t "$name" "$answer"
  sleep 4
  tmux capture-pane -p -t "$name" >"$out/claude-$version-$name-after-$answer.txt"
  tmux kill-session -t "$name"
  kill "$api" 2>/dev/null || true; api=
}
capture Bash 1 bash
capture Bash 3 bash-deny
capture Write 2 write
capture WebFetch 1 webfetch
ls -l "$out"
