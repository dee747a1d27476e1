# What every status directory script (poll loop, one poll, push loop) starts with: the
# setup and the functions of a snapshot (see remote/script.rs and remote/mod.rs).
#
# navi puts first a line of numbers compiled into navi (file_cap, marks_cap,
# answer_budget, max_servers, poll_bytes) and the line that sets $dir from operand $1
# (set_home_path). Operands: $1 the status directory, $2 the awk program that frames the
# files (frame.awk), $3 tmux's list-sessions format, $4 the sed program that reads the
# recorded sockets; $5 is the main script's.
# shellcheck disable=SC2154 # the numbers and $dir: set by the lines navi puts first
# shellcheck disable=SC2015 # `A && B || continue`: continue when either fails, as meant
exec 2>/dev/null
LC_ALL=C; export LC_ALL
# Absolute or ./-relative: `cd` never consults CDPATH nor takes it for an option.
case $dir in /*) ;; *) dir=./$dir;; esac
newline=$(printf "\n_"); newline=${newline%_}
frame_awk=$2; tmux_format=$3; socket_sed=$4
# Whether this awk runs the framing program: a real compile and run, once per channel.
awk_works=; [ "$(echo | awk -v n=ok "$frame_awk; BEGIN { printf n }")" = ok ] && awk_works=1
buffer="cat"; [ "$(printf x | dd obs="$poll_bytes" 2>/dev/null)" = x ] && buffer="dd obs=$poll_bytes"
have_tmux=

# One record for one tmux server ($1 its socket, empty: the default server), added to
# $tmux_out.
ask_tmux() {
  if [ -z "$have_tmux" ]; then
    tmux_out="$tmux_out${newline}NAVI-$n U ${1:--}${newline}tmux: not found in PATH=$PATH"; return 0
  fi
  if [ -n "$1" ]; then said=$(tmux -u -S "$1" list-sessions -F "$tmux_format" 2>&1); st=$?
  else said=$(tmux -u list-sessions -F "$tmux_format" 2>&1); st=$?; fi
  if [ "$st" = 0 ]; then tmux_out="$tmux_out${newline}NAVI-$n T ${1:--}$newline$said"
  else tmux_out="$tmux_out${newline}NAVI-$n U ${1:--}$newline${said%%"$newline"*}"; fi
}

# The records of the default server, then of each absolute socket of the
# newline-separated $1 once (at most $max_servers of them), into $tmux_out: in this
# shell, no subshell (the push loop's `sh` may be a large bash, slow to fork).
tmux_collect() {
  tmux_out=
  have_tmux=; command -v tmux >/dev/null 2>&1 && have_tmux=1
  ask_tmux ""
  set -f; IFS=$newline
  # shellcheck disable=SC2086 # split on newlines (IFS), globbing off
  set -- $1
  unset IFS; set +f
  asked=; count=0
  for s do
    case $s in /*) ;; *) continue;; esac
    case "$asked$newline" in *"$newline$s$newline"*) continue;; esac
    count=$((count + 1)); [ "$count" -le "$max_servers" ] || break
    asked="$asked$newline$s"
    ask_tmux "$s"
  done
}

# The same records, printed.
tmux_records() {
  tmux_collect "$1"
  printf '%s' "$tmux_out"
}

# An empty F record for each file of "$@" of size 0 (as `stat` says: nothing reads it, a
# pseudo-file that says 0 may never end); the others, one a line, into $sized.
# A file over $file_cap is a skipped record, by its size alone (`find -size` reads
# nothing; busybox's `wc -c` would read a 50 GB file to its end on every poll).
sized_only() {
  sized=
  for f do
    if [ -s "$f" ]; then sized="$sized$newline$f"; else printf "\nNAVI-%s F %s\n" "$n" "${f#./}"; fi
  done
  [ -n "$sized" ] || return 0
  set -f; IFS=$newline
  # shellcheck disable=SC2086 # split on newlines (IFS), globbing off
  big=$(find -L $sized -prune -size +"$file_cap"c -print 2>/dev/null)
  unset IFS; set +f
  [ -n "$big" ] || return 0
  kept=
  set -f; IFS=$newline
  for f in $sized; do
    case "$newline$big$newline" in
      *"$newline$f$newline"*) printf "\nNAVI-%s S %s\nfile is over the %s-byte limit" "$n" "${f#./}" "$file_cap";;
      *) kept="$kept$newline$f";;
    esac
  done
  unset IFS; set +f
  sized=$kept
}

# Frames the files "$@" (./name, in the current directory, each of a size above 0): ONE
# wc and ONE awk for all, or `head -c` per file where awk does not work. Stops at
# $answer_budget bytes; the files past it are skipped records.
frame_sized() {
  if [ -n "$awk_works" ]; then
    wc -c -- "$@" | awk -v n="$n" -v cap="$file_cap" -v budget="$answer_budget" "$frame_awk" "$@" ||
      printf "\nNAVI-%s E\nawk failed while reading the status files (exit status %s)" "$n" "$?"
  else
    total=0
    for f do
      size=$(wc -c < "$f") || size=0
      if [ $((total + size)) -gt "$answer_budget" ]; then
        printf "\nNAVI-%s S %s\nnot sent: this poll's answer would pass its %s-byte cap (too many large files in the directory; the files that fit were sent)" "$n" "${f#./}" "$answer_budget"
        continue
      fi
      total=$((total + size))
      printf "\nNAVI-%s F %s\n" "$n" "${f#./}"
      head -c "$((file_cap + 1))" < "$f"
    done
  fi
}

# Frames the files "$@" (./name, in the current directory) as F/S records.
frame() {
  sized_only "$@"
  set -f; IFS=$newline
  # shellcheck disable=SC2086 # split on newlines (IFS), globbing off
  set -- $sized
  set +f; unset IFS
  if [ $# -gt 0 ]; then frame_sized "$@"; fi
}

# One M record per regular marks file of ./.navi/marks, capped one past $marks_cap.
marks_records() {
  if [ -d ./.navi/marks ]; then
    ( cd ./.navi/marks && for f in ./*.json; do
        [ -f "$f" ] && [ -r "$f" ] || continue
        case $f in *"$newline"*) continue;; esac
        printf "\nNAVI-%s M %s\n" "$n" "${f#./}"
        [ -s "$f" ] || continue
        head -c "$((marks_cap + 1))" < "$f"
      done )
  fi
}

# The recorded sockets of the status files "$@" into $sockets: ONE sed for all. The push
# loop defines its own (it reads them as it scans).
snapshot_sockets() {
  if [ $# -gt 0 ]; then sockets=$(sed -n "$socket_sed" "$@"); fi
}

# The tmux check of a snapshot; the push loop defines its own (the records it holds).
snapshot_tmux() {
  tmux_records "$sockets"
}

# One framed snapshot of $dir for nonce $n (see snapshot_body in remote/script.rs).
snapshot_body() {
  sockets=; printf "\nNAVI-%s BEGIN\n" "$n"
  if [ -d "$dir" ]; then
    if [ -r "$dir" ] && [ -x "$dir" ]; then
      if cd "$dir"; then
        set -- ./*.json; rebuild=
        for f do
          if [ -f "$f" ]; then
            case $f in *"$newline"*) rebuild=1; printf "\nNAVI-%s S %s\nits name contains a newline, which navi cannot list; rename the file" "$n" "$(printf %s "${f#./}" | tr "$newline" "?")"; continue;; esac
            [ -r "$f" ] && continue
            printf "\nNAVI-%s S %s\nnot readable by the remote user" "$n" "${f#./}"
          elif [ -e "$f" ] || [ -h "$f" ]; then
            case $f in *"$newline"*) printf "\nNAVI-%s S %s\nits name contains a newline, which navi cannot list; rename the file" "$n" "$(printf %s "${f#./}" | tr "$newline" "?")";; *) printf "\nNAVI-%s S %s\nnot a regular file (a directory, FIFO, device or broken symlink); status files are plain files, remove or rename it" "$n" "${f#./}";; esac
          fi
          rebuild=1
        done
        if [ -n "$rebuild" ]; then
          kept=
          for f do
            [ -f "$f" ] && [ -r "$f" ] || continue
            case $f in *"$newline"*) continue;; esac
            kept="$kept$newline$f"
          done
          set -f; IFS=$newline
          # shellcheck disable=SC2086 # split on newlines (IFS), globbing off
          set -- $kept
          set +f; unset IFS
        fi
        if [ $# -gt 0 ]; then
          sized_only "$@"
          set -f; IFS=$newline
          # shellcheck disable=SC2086 # split on newlines (IFS), globbing off
          set -- $sized
          set +f; unset IFS
          if [ $# -gt 0 ]; then frame_sized "$@"; fi
          snapshot_sockets "$@"
        fi
        marks_records
      fi
    else
      printf "\nNAVI-%s E\nthe status directory is not readable by the remote user" "$n"
    fi
  elif [ -e "$dir" ]; then
    printf "\nNAVI-%s E\nthe status directory path is not a directory" "$n"
  else
    printf "\nNAVI-%s N missing\n" "$n"
  fi
  snapshot_tmux
  printf "\nNAVI-%s END\n" "$n"
}

# Sets $lacking to the first of "$@" (tools) the remote's PATH does not have.
lacking_check() {
  lacking=
  for t do command -v "$t" >/dev/null 2>&1 || { lacking=$t; break; }; done
}

# What a missing tool ($lacking) is called in an answer (a printf format).
lacking_said="the remote has no \`%s\` on PATH (PATH=%s); navi reads the status files with it: install it, or set PATH for non-interactive logins"

# The answer of a snapshot when $lacking names a missing tool: an E record naming it.
lacking_snapshot() {
  # shellcheck disable=SC2059 # the format is navi's own, $lacking_said
  printf "\nNAVI-%s BEGIN\n\nNAVI-%s E\n$lacking_said\nNAVI-%s END\n" "$n" "$n" "$lacking" "$PATH" "$n"
}

# The push loop's FAIL answer for a missing tool (navi polls instead).
lacking_fail() {
  # shellcheck disable=SC2059 # the format is navi's own, $lacking_said
  printf "\nNAVI-%s FAIL\n$lacking_said\n\nNAVI-%s END\n" "$n" "$lacking" "$PATH" "$n"
}

# Leaves in $rest what follows the leading lowercase hex digits of $n.
strip_hex() {
  rest=$n
  while [ -n "$rest" ]; do case $rest in [0-9a-f]*) rest=${rest#?};; *) break;; esac; done
}

# A snapshot through $buffer (`dd obs=N` writes it at once: few packets), or the
# missing tool's E record.
snapshot_or_lacking() {
  if [ -n "$lacking" ]; then lacking_snapshot; else { snapshot_body; } | $buffer; fi
}
