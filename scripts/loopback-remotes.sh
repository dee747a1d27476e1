#!/usr/bin/env bash
# Starts two throwaway OpenSSH servers on 127.0.0.1 (a "dev" remote and a "target" reached
# through "dev" as a jump host) and a scratch HOME wired to them, so navi's remote features
# can be tried without real servers. Needs root (sshd's privilege separation) and
# openssh-server. Usage:
#   scripts/loopback-remotes.sh start [DIR]   # prints the HOME to use, e.g. HOME=DIR/home navi
#   scripts/loopback-remotes.sh stop  [DIR]
set -euo pipefail
cmd=${1:-start}
D=${2:-/tmp/navi-loopback}
P1=${NAVI_LOOPBACK_PORT1:-2222}
P2=${NAVI_LOOPBACK_PORT2:-2223}

stop() {
  for f in "$D"/sshd-*.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi

[ -x /usr/sbin/sshd ] || { echo "openssh-server is not installed (/usr/sbin/sshd)" >&2; exit 1; }
stop
rm -rf "$D"; mkdir -p "$D/home/.ssh" "$D/home/.config/navi" "$D/home/.claude-sessions"
install -d -m 0755 /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$D/home/.ssh/id_ed25519"
: > "$D/home/.ssh/known_hosts"
for port in "$P1" "$P2"; do
  ssh-keygen -q -t ed25519 -N '' -f "$D/host-$port"
  mkdir -p "$D/sessions-$port"
  cp "$D/home/.ssh/id_ed25519.pub" "$D/authorized_keys"
  cat > "$D/sshd-$port.conf" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $D/host-$port
PidFile $D/sshd-$port.pid
AuthorizedKeysFile $D/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
LogLevel VERBOSE
CONF
  /usr/sbin/sshd -f "$D/sshd-$port.conf" -E "$D/sshd-$port.log"
  echo "[127.0.0.1]:$port $(cut -d' ' -f1-2 "$D/host-$port.pub")" >> "$D/home/.ssh/known_hosts"
done
user=$(id -un)
cat > "$D/home/.config/navi/remotes.yaml" <<YAML
remotes:
  - name: dev
    host: 127.0.0.1
    port: $P1
    user: $user
    key: ~/.ssh/id_ed25519
    sessions_dir: $D/sessions-$P1
  - name: behind-bastion
    host: 127.0.0.1
    port: $P2
    user: $user
    key: ~/.ssh/id_ed25519
    jump_host: $user@127.0.0.1:$P1
    sessions_dir: $D/sessions-$P2
YAML
now=$(date +%s)
printf '{"tmux_session":"api","status":"working","message":"Running tests...","cwd":"/srv/api","timestamp":%s}\n' "$now" > "$D/sessions-$P1/api.json"
printf '{"tmux_session":"deploy","status":"done","message":"Deployment complete","cwd":"/srv/app","timestamp":%s}\n' "$((now-600))" > "$D/sessions-$P2/deploy.json"
printf '{"tmux_session":"local-work","status":"waiting","message":"Waiting for input","cwd":"%s","timestamp":%s}\n' "$D" "$now" > "$D/home/.claude-sessions/local-work.json"
echo "sshd on 127.0.0.1:$P1 (dev) and :$P2 (behind-bastion, via dev); logs in $D/sshd-*.log"
echo "try:  HOME=$D/home navi list      then  $0 stop $D"
