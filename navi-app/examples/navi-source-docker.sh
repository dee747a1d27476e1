#!/bin/sh
# A navi source plugin in POSIX sh (docs/plugin-protocol.md): the Claude Code sessions
# in this machine's running Docker containers, read with `docker exec` from each
# container's ~/.claude-sessions. A session is NAME@CONTAINER; attaching runs
# `docker exec -it CONTAINER tmux attach-session -t =NAME`. In config.yaml:
#
#   sources:
#     - name: docker
#       command: [sh, /path/to/navi-source-docker.sh]
#
# One line per session (a broken status file costs only its line), removals as
# `null`, a health line every round (the heartbeat). Exits when navi closes stdin.

every=${NAVI_DOCKER_EVERY:-2}
lock=$(mktemp -d) || exit 1
rmdir "$lock"
state=$(mktemp) || exit 1

# navi's pipe is fd 3 (a round's stdout is its list of keys). Lines of both processes
# never interleave: each write holds the lock.
exec 3>&1
say() {
    until mkdir "$lock" 2>/dev/null; do sleep 1; done
    printf '%s\n' "$1" >&3
    rmdir "$lock"
}

# One round: every session of every container, then `null` for those gone.
round() {
    for c in $(docker ps --format '{{.Names}}' 2>/dev/null); do
        case $c in *[!A-Za-z0-9_.-]*) continue ;; esac
        docker exec "$c" sh -c 'for f in "$HOME"/.claude-sessions/*.json; do
            [ -f "$f" ] || continue; n=${f##*/}; printf "%s\n" "${n%.json}"
            tr "\n\r" "  " < "$f"; printf "\n"; done' 2>/dev/null |
        while IFS= read -r name && IFS= read -r body; do
            case $name in *[\"\\]*|'') continue ;; esac
            say "{\"type\":\"snapshot\",\"full\":false,\"sessions\":{\"$name@$c\":$body}}"
            printf '%s\n' "$name@$c"
        done
    done > "$state.now"
    while IFS= read -r key; do
        grep -qxF "$key" "$state.now" ||
            say "{\"type\":\"snapshot\",\"full\":false,\"sessions\":{\"$key\":null}}"
    done < "$state"
    mv "$state.now" "$state"
    if docker ps >/dev/null 2>&1; then
        say '{"type":"health","ok":true}'
    else
        say '{"type":"health","ok":false,"reason":"docker ps failed (is the Docker daemon running?)"}'
    fi
}

say '{"type":"hello","protocol":1,"actions":[],"attach":true}'
# The first view is complete at the first health line (the end of the first round).
( while :; do round; sleep "$every"; done ) &
loop=$!

# Requests: attach is answered; anything else is refused with its id.
while IFS= read -r line; do
    id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
    [ -n "$id" ] || continue
    case $line in
    *'"type":"attach"'*)
        key=$(printf '%s' "$line" | sed -n 's/.*"session":"\([^"\\]*\)".*/\1/p')
        name=${key%@*} c=${key##*@}
        say "{\"type\":\"answer\",\"id\":$id,\"ok\":true,\"argv\":[\"docker\",\"exec\",\"-it\",\"$c\",\"tmux\",\"attach-session\",\"-t\",\"=$name\"]}" ;;
    *'"type":"retry_now"'*)
        say "{\"type\":\"answer\",\"id\":$id,\"ok\":true}" ;;
    *)
        say "{\"type\":\"answer\",\"id\":$id,\"ok\":false,\"error\":\"not supported by this plugin\"}" ;;
    esac
done
kill "$loop" 2>/dev/null
rm -f "$state" "$state.now"
