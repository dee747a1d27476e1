# The push loop (see remote/push_script.rs for the protocol). After snapshot_lib.sh;
# operand $5: the ticker's period in seconds (0: no ticker, scans only on request or
# inotify events); $6 the awk program of a memory sample (memory.awk); $7 tmux's
# list-panes format for it; $8 the coalescing window in seconds (0: none).
# shellcheck disable=SC2154 # dir, newline, buffer, socket_sed, marks_cap, sized, awk_works, mem_bytes, mem_percent, max_servers: snapshot_lib.sh's or navi's
# shellcheck disable=SC2086 # every unquoted $list is `set -- $list` under `set -f; IFS=$newline`: split on newlines, globbing off
# shellcheck disable=SC2015 # `A && B || continue`: continue when either fails, as meant

# A snapshot's sockets and tmux check: the records the loop holds (see `full`).
snapshot_sockets() { :; }
snapshot_tmux() { printf "%s" "$prev_tmux"; }
IFS= read -r n || exit 0
strip_hex
[ -n "$n" ] && [ -z "$rest" ] || exit 0
tick=$5
mem_awk=$6; pane_format=$7; window=${8:-0}
m=
for base in "${TMPDIR:-/tmp}" /tmp "$HOME"; do
  [ -n "$base" ] || continue
  if mkdir -m 700 "$base/.navi-push.$$" 2>/dev/null; then m=$base/.navi-push.$$; break; fi
done
if [ -z "$m" ]; then
  printf '\nNAVI-%s FAIL\nno private temporary directory for the push loop\n\nNAVI-%s END\n' "$n" "$n"
  exit 0
fi
trap 'rm -rf "$m"' EXIT
lacking_check head cat
if [ -n "$lacking" ]; then
  lacking_fail
  exit 0
fi
trap 'exit 0' HUP TERM INT PIPE
old=$m/a; new=$m/b; : > "$old"
# The copy of each file as last sent, by name, in variables (no file read or written
# per write): $slots has a line `<N><kind>:./name` per name (kind F or M), c<N> the
# bytes, k<N> their socket lines, q<N> the sequence number navi holds them under
# (unset: navi does not hold them; a file over 64 KiB keeps no copy and is sent
# whenever it may have changed). A file is sent only when it differs from what navi
# holds, as a difference from that when it is much smaller (see send_one).
slots=$newline; nslots=0; sq=0
# Writes $1 as it is. mksh has no builtin printf (a process per batch): its `print`.
# mksh counts characters, not bytes, in UTF-8 mode: record lengths are bytes.
emit() { printf '%s' "$1"; }
# shellcheck disable=SC3041 # set +U: mksh only, where $KSH_VERSION says so
case ${KSH_VERSION-} in *MIRBSD*|*LEGACY*) set +U; emit() { print -nr -- "$1"; };; esac
# How this shell reads a file with the cap bounding what one `read` takes (a one-line
# or NUL-filled 8 GiB file is never read whole): N `read -N` (mksh) and k `read -k`
# (zsh) count NUL bytes; d `read -d '' -n` (bash: its `-N` skips NUL bytes without
# counting them) stops at the first NUL byte, and a file that has one is read through
# `head -c`. Empty: a plain `read` takes a line whole, so sizes come from one `find`
# per batch first (dash, ksh93, busybox: its `read -n` takes a byte per system call, 29 s
# for a file at the cap).
capped=
# shellcheck disable=SC3045 # read -N/-k/-d: tried here, each used only where it passed
for c in N k d; do
  printf 'ab\n\ncd\n' > "$m/p"
  (case $c in N) IFS= read -r -N 9 x;; k) IFS= read -r -k 9 -u 0 x;; *) IFS= read -r -d '' -n 9 x;; esac < "$m/p" && exit 1
    [ "$x" = "ab$newline${newline}cd$newline" ]) 2>/dev/null || continue
  printf 'a\000b\ncd\n' > "$m/p"
  if [ "$c" = d ]; then
    [ -n "${BASH_VERSION-}" ] || continue
    ({ IFS= read -r -d '' -n 9 x && IFS= read -r y; } < "$m/p"; [ "$x/$y" = a/b ]) 2>/dev/null && { capped=d; break; }
    continue
  fi
  ({ if [ "$c" = N ]; then IFS= read -r -N 3 x; else IFS= read -r -k 3 -u 0 x; fi; IFS= read -r y; IFS= read -r z; } < "$m/p"
    [ -z "$y" ] && [ "$z" = cd ]) 2>/dev/null && { capped=$c; break; }
done
# Events are held for $window (coalesced: a file written ten times in a burst is sent
# once) where `read -t` takes fractions and keeps a line that is cut by the timeout
# (bash, zsh, mksh); elsewhere (dash, busybox, ksh93) each event scans at once.
timed=
case $window in 0|'') ;; *)
  case "${BASH_VERSION-}${ZSH_VERSION-}" in ?*) timed=1;; esac
  case ${KSH_VERSION-} in *MIRBSD*|*LEGACY*) timed=1;; esac;;
esac
held=0; part=
have_find=; command -v find >/dev/null 2>&1 && have_find=1
# The memory values last sent and the next ones (two files that alternate).
memold=$m/ma; memnew=$m/mb; : > "$memold"
watcher=scan
[ -d "$dir" ] && command -v inotifywait >/dev/null 2>&1 && watcher=inotify
# The marks directory is watched only if it exists when the watcher starts: made now
# (user-only, as navi makes it), the first mark another navi writes is seen at once.
[ "$watcher" = inotify ] && [ ! -d "$dir/.navi/marks" ] && (umask 077; mkdir -p "$dir/.navi/marks")
prev=; prev_marks=; prev_tmux=; present=; check_tmux=; force=; mforce=; socks=; odd=

# The names in $1 into $seen, the regular ones into $reg, those changed since the last
# scan into $fresh. With $2 (the status directory) an entry that is not a regular file,
# or whose name holds a newline (listed with `?` for it, in $odd too), is listed as
# well: the snapshot reports it skipped, and so must a scan (only when it appears).
listing() {
  seen=; fresh=; reg=
  [ -n "$2" ] && odd=
  for f in "$1"/*.json; do
    b=./${f##*/}
    if [ -f "$f" ]; then
      case $b in *"$newline"*) [ -n "$2" ] && odd_name "$b"; continue;; esac
      seen="$seen$newline$b"; reg="$reg$newline$b"
      # shellcheck disable=SC3013 # -nt: the test builtin of dash, bash, busybox, ksh, mksh and zsh has it (tested in each)
      [ "$old" -nt "$f" ] || fresh="$fresh$newline$b"
    elif [ -n "$2" ] && { [ -e "$f" ] || [ -h "$f" ]; }; then
      case $b in *"$newline"*) odd_name "$b";; *) seen="$seen$newline$b";; esac
    fi
  done
}

odd_name() {
  x=$1
  # shellcheck disable=SC2125 # the ? is meant literally: it shows where a newline was
  while :; do case $x in *"$newline"*) x=${x%%"$newline"*}?${x#*"$newline"};; *) break;; esac; done
  seen="$seen$newline$x"; odd="$odd$newline$x"
}

# The skip record of listed name $1 (path $2) that cannot be sent, added to $out.
skip_record() {
  case "$odd$newline" in
    *"$newline$1$newline"*) out="$out${newline}NAVI-$n S ${1#./}${newline}its name contains a newline, which navi cannot list; rename the file"; return 0;;
  esac
  if [ -f "$2" ]; then
    out="$out${newline}NAVI-$n S ${1#./}${newline}not readable by the remote user"
  elif [ -e "$2" ] || [ -h "$2" ]; then
    out="$out${newline}NAVI-$n S ${1#./}${newline}not a regular file (a directory, FIFO, device or broken symlink); status files are plain files, remove or rename it"
  fi
}

# Reads file $1 with the shell's own `read` (no process) into $body: its bytes, the last
# line's newline only if the file has one; stops once past $2 bytes ($over set). $sk:
# its lines that name a socket (all SOCKET_SED reads). Fails when the file cannot be
# opened. Most shells drop a NUL byte (such a file is no JSON; the resync's digest
# differs from what navi holds and a snapshot sends it).
slurp() {
  body=; over=; sk=; opened=; l=; nul=
  case $capped in
    N|k|d)
      {
        opened=1
        # N, k: it succeeds only when it got all cap + 1 bytes (NUL bytes, which mksh
        # drops, counted): over the cap, however long the variable. d: it succeeds
        # when it got cap + 1 bytes or met a NUL byte ($nul: read it otherwise).
        # shellcheck disable=SC3045 # only the read that passed the probe (see $capped)
        case $capped in
          N) IFS= read -r -N "$(($2 + 1))" body && over=1;;
          k) IFS= read -r -k "$(($2 + 1))" -u 0 body && over=1;;
          *) if IFS= read -r -d '' -n "$(($2 + 1))" body; then
               if [ "${#body}" -gt "$2" ]; then over=1; else nul=1; fi
             fi;;
        esac
      } < "$1"
      [ -n "$opened" ] || return 1
      case $body in *'"socket"'*) socket_lines "$body";; esac
      return 0;;
  esac
  {
    opened=1
    while IFS= read -r l; do
      body=$body$l$newline
      case $l in *'"socket"'*) sk=$sk$l$newline;; esac
      l=
      [ "${#body}" -gt "$2" ] && { over=1; break; }
    done
  } < "$1"
  [ -n "$opened" ] || return 1
  body=$body$l
  case $l in *'"socket"'*) sk=$sk$l;; esac
  [ "${#body}" -gt "$2" ] && over=1
  return 0
}

# The lines of $1 that name a socket (what slurp's line loop collects) into $sk.
socket_lines() {
  r=$1
  while [ -n "$r" ]; do
    case $r in *"$newline"*) l=${r%%"$newline"*}; r=${r#*"$newline"}; e=$newline;; *) l=$r; r=; e=;; esac
    case $l in *'"socket"'*) sk=$sk$l$e;; esac
  done
}

# The slot number of name $1 of kind $2 (F, M) into $slot, a new one if it has none.
slot_of() {
  case $slots in
    # (`<kind>:./` occurs in no name: the entry of $1 is the only match.)
    *"$2:$1$newline"*)
      slot=${slots%%"$2:$1$newline"*}; slot=${slot##*"$newline"};;
    *) nslots=$((nslots + 1)); slot=$nslots; slots="$slots$slot$2:$1$newline";;
  esac
}

# Forgets what navi holds of name $1 of kind $2 (skipped, removed, unreadable).
unheld() {
  slot_of "$1" "$2"; unset "c$slot" "k$slot" "q$slot"
}

# The lines of $got that differ from $was into $ops: `<index>=<value>` where both
# lines have a `": ` with the same text before the first one (a pretty-printed JSON
# member whose value changed: only the value goes), else `<index> <line>`; fails when
# the two have not as many lines, or the difference is not under a third of $got.
ksep='": '
line_delta() {
  ops=; da=$was; db=$got; i=0
  while :; do
    case $da in *"$newline"*) la=${da%%"$newline"*}; da=${da#*"$newline"}; ma=1;; *) la=$da; ma=;; esac
    case $db in *"$newline"*) lb=${db%%"$newline"*}; db=${db#*"$newline"}; mb=1;; *) lb=$db; mb=;; esac
    [ "$ma" = "$mb" ] || return 1
    if [ "$la" != "$lb" ]; then
      case $la$newline$lb in
        *"$ksep"*"$newline"*"$ksep"*)
          if [ "${la%%"$ksep"*}" = "${lb%%"$ksep"*}" ]; then ops="$ops$i=${lb#*"$ksep"}$newline"
          else ops="$ops$i $lb$newline"; fi;;
        *) ops="$ops$i $lb$newline";;
      esac
    fi
    [ "$((${#ops} * 3))" -lt "${#got}" ] || return 1
    [ -n "$ma" ] || return 0
    i=$((i + 1))
  done
}

# Adds file $1 (./name) of directory $2 to the batch in $out as a record of kind $3 (F
# or M), capped at $5 bytes, unless it equals the copy last sent (kept in directory
# $4: a line `x`, then the bytes; empty: navi does not hold it). Sets $newname when
# navi did not hold it, $sockchanged when its socket lines changed.
send_one() {
  p=$2/${1#./}
  if [ "$3" = F ]; then
    case "$odd$newline" in *"$newline$1$newline"*) skip_record "$1" "$p"; return 0;; esac
  fi
  body=; over=; sk=
  # Over its cap by its size alone ($6, from too_big): never read with `read`, which
  # takes a one-line file whole. A status file is skipped; a marks file goes as its
  # first cap + 1 bytes (navi refuses it, naming the cap): one process, only then.
  case "$newline$6$newline" in
    *"$newline$1$newline"*)
      unheld "$1" "$3"
      if [ "$3" = F ]; then
        out="$out${newline}NAVI-$n S ${1#./}${newline}file is over the $file_cap-byte limit"
      else
        got=$(head -c "$(($5 + 1))" < "$p" 2>/dev/null) || got=
        out="$out${newline}NAVI-$n M ${1#./}$newline$got"
      fi
      return 0;;
  esac
  # Read with the capped `read` where the shell has one (see $capped).
  ok=1; nul=; done_read=
  if [ -n "$capped" ] && [ -f "$p" ] && [ -r "$p" ] && [ -s "$p" ]; then
    if slurp "$p" "$5"; then [ -n "$nul" ] || done_read=1; else ok=; fi
  fi
  # Without `find` (or for a file with a NUL byte, where `read -d ''` stopped) no size
  # is known before reading: the file comes through `head -c` (one process, capped),
  # never whole into a `read`.
  src=$p
  if [ -n "$ok" ] && [ -z "$done_read" ] && { [ -n "$nul" ] || [ -z "$capped$have_find" ]; } && [ -f "$p" ] && [ -r "$p" ] && [ -s "$p" ]; then
    if head -c "$(($5 + 1))" < "$p" > "$m/r" 2>/dev/null; then src=$m/r; else ok=; fi
    # Over the cap: a status file is skipped unread by `read` (byte by byte, slow).
    if [ -n "$ok" ] && [ "$3" = F ] && [ "$(wc -c < "$m/r")" -gt "$5" ]; then
      unheld "$1" "$3"; out="$out${newline}NAVI-$n S ${1#./}${newline}file is over the $file_cap-byte limit"; return 0
    fi
  fi
  if [ -z "$done_read" ] && [ -n "$ok" ]; then
    # The line by line `read` (the copy `head -c` made, or a file `find` sized).
    c0=$capped; capped=
    if [ -f "$p" ] && [ -r "$p" ] && { [ ! -s "$p" ] || slurp "$src" "$5"; }; then :; else ok=; fi
    capped=$c0
  fi
  if [ -z "$ok" ]; then
    unheld "$1" "$3"; [ "$3" = F ] && skip_record "$1" "$p"; return 0
  fi
  if [ -n "$over" ] && [ "$3" = F ]; then
    unheld "$1" "$3"; out="$out${newline}NAVI-$n S ${1#./}${newline}file is over the $file_cap-byte limit"; return 0
  fi
  got=$body; gotsk=$sk
  slot_of "$1" "$3"
  eval "was=\${c$slot-}; wassk=\${k$slot-}; base=\${q$slot-}"
  if [ -n "$base" ]; then
    [ "$was" = "$got" ] && [ "${#got}" -le 65536 ] && return 0
    [ "$wassk" = "$gotsk" ] || sockchanged=1
  else
    newname=1
  fi
  if [ "$3" = M ]; then
    eval "c$slot=\$got; k$slot=; q$slot=0"
    out="$out${newline}NAVI-$n M ${1#./}$newline$got"
    return 0
  fi
  # A status file goes as its own length-framed record (no end marker): the whole file
  # (P), or the lines that changed since the copy navi holds under sequence number
  # $base (X), when they are much smaller.
  sq=$((sq + 1))
  if [ -n "$base" ] && [ "$base" != 0 ] && [ "${#got}" -le 65536 ] && line_delta; then
    ops="$base ${#got}$newline$ops"
    pout="$pout${newline}NAVI-$n X $sq ${#ops} ${1#./}$newline$ops"
  else
    pout="$pout${newline}NAVI-$n P $sq ${#got} ${1#./}$newline$got"
  fi
  if [ "${#got}" -le 65536 ]; then eval "c$slot=\$got; k$slot=\$gotsk; q$slot=\$sq"
  else eval "c$slot=; k$slot=\$gotsk; q$slot=0"; fi
}

compare() {
  gone=
  if [ -n "$3" ]; then
    set -f; IFS=$newline
    for b in $3; do
      case "$2$newline" in
        *"$newline$b$newline"*) case "$fresh$newline" in *"$newline$b$newline"*) ;; *) fresh="$fresh$newline$b";; esac;;
      esac
    done
    unset IFS; set +f
  fi
  [ "$1" = "$2" ] && return 0
  set -f; IFS=$newline
  for b in $2; do
    case "$1$newline" in
      *"$newline$b$newline"*) ;;
      *) case "$fresh$newline" in *"$newline$b$newline"*) ;; *) fresh="$fresh$newline$b";; esac;;
    esac
  done
  for b in $1; do
    case "$2$newline" in *"$newline$b$newline"*) ;; *) gone="$gone$newline$b";; esac
  done
  unset IFS; set +f
}

# The sockets the status files $1 (./name lines, in $dir) record, into $socks.
read_sockets() {
  socks=
  [ -n "$1" ] || return 0
  socks=$(cd "$dir" && { set -f; IFS=$newline; set -- $1; unset IFS; set +f; { sized_only "$@"; } >/dev/null; set -f; IFS=$newline; set -- $sized; unset IFS; set +f; [ $# -gt 0 ] && sed -n "$socket_sed" "$@"; })
}

swap() { t=$old; old=$new; new=$t; }

# The tmux check of the sockets $1 into $tmux_out, as `$(tmux_records "$1")` would give
# it (trailing newlines dropped) but without a subshell.
tmux_now() {
  tmux_collect "$1"
  while :; do case $tmux_out in *"$newline") tmux_out=${tmux_out%"$newline"};; *) break;; esac; done
}

forget_all() {
  while [ "$nslots" -gt 0 ]; do unset "c$nslots" "k$nslots" "q$nslots"; nslots=$((nslots - 1)); done
  slots=$newline
}

# Ends the watcher because its directory went away (moved, removed): `gone` tells the
# ticker to watch the directory again once it exists, rather than to scan for good.
unwatch() {
  : > "$m/gone"
  if [ -s "$m/w" ]; then read -r w < "$m/w"; kill "$w" 2>/dev/null; fi
}

full() {
  : > "$new"
  if [ -d "$dir" ]; then present=1; else present=; fi
  # The watched directory went away: end inotifywait; the ticker scans until the
  # directory is back, then watches it again.
  [ -z "$present" ] && [ "$watcher" = inotify ] && unwatch
  listing "$dir" 1; prev=$seen; preg=$reg
  listing "$dir/.navi/marks"; prev_marks=$seen
  read_sockets "$preg"
  tmux_now "$socks"; prev_tmux=$tmux_out
  # navi now holds the snapshot: the copies last sent say nothing any more.
  forget_all
  { snapshot_body; } | $buffer
  swap
}

# The records of what changed into $out: only files that differ from what navi holds
# (see send_one), read with builtins; nothing here starts a process.
# The names of the newline-separated ./names $2 of directory $1 over $3 bytes into $big,
# by their size alone (`find -size` reads nothing): ONE find for the batch, and only
# when it has files to send.
too_big() {
  big=
  [ -n "$have_find" ] && [ -n "$2" ] || return 0
  set -f; IFS=$newline
  big=$(cd "$1" 2>/dev/null && exec find -L $2 -prune -size +"$3"c -print 2>/dev/null)
  unset IFS; set +f
}

changes() {
  out=; pout=; newname=; sockchanged=
  fbig=; mbig=
  if [ -z "$capped" ]; then
    too_big "$dir" "$fsend" "$file_cap"; fbig=$big
    too_big "$dir/.navi/marks" "$msend" "$marks_cap"; mbig=$big
  fi
  set -f; IFS=$newline
  for b in $fsend; do
    unset IFS; set +f; send_one "$b" "$dir" F "" "$file_cap" "$fbig"; set -f; IFS=$newline
  done
  for b in $fgone; do out="$out${newline}NAVI-$n D ${b#./}$newline"; unheld "$b" F; done
  for b in $mgone; do out="$out${newline}NAVI-$n MD ${b#./}$newline"; unheld "$b" M; done
  for b in $msend; do
    unset IFS; set +f; send_one "$b" "$dir/.navi/marks" M "" "$marks_cap" "$mbig"; set -f; IFS=$newline
  done
  unset IFS; set +f
}

scan() {
  if [ -d "$dir" ]; then now=1; else now=; fi
  if [ "$now" != "$present" ]; then full; return 0; fi
  : > "$new"
  listing "$dir" 1; fseen=$seen; freg=$reg; compare "$prev" "$seen" "$force"; fsend=$fresh; fgone=$gone
  listing "$dir/.navi/marks"; mseen=$seen; compare "$prev_marks" "$seen" "$mforce"; msend=$fresh; mgone=$gone
  force=; mforce=
  changes
  # The tmux check when navi asks, or when a status file came, went or names another
  # socket (a status write alone changes no session's liveness: navi's `t` checks).
  tmux_changed=
  if [ -n "$check_tmux$newname$sockchanged$fgone" ]; then
    [ -n "$newname$sockchanged$fgone" ] && read_sockets "$freg"
    tmux_now "$socks"; tm=$tmux_out
    [ "$tm" = "$prev_tmux" ] || { tmux_changed=1; prev_tmux=$tm; }
  fi
  [ -n "$tmux_changed" ] && out=$out$prev_tmux
  # One printf: the batch leaves in one write (the files' own records first).
  if [ -n "$out" ]; then emit "$pout${newline}NAVI-$n DELTA$newline$out${newline}NAVI-$n END$newline"
  elif [ -n "$pout" ]; then emit "$pout"; fi
  prev=$fseen; prev_marks=$mseen
  swap
}

# The next line into $line. While events are held, waits at most $window for it; when
# none comes, the held events' scan. bash and mksh keep what came of a line the timeout
# cut ($part), zsh waits for the whole line and leaves $line as it was (so it is
# emptied first: else the last event would be taken for the start of the next line,
# and a request after held events would be lost).
next_line() {
  while [ "$held" -gt 0 ]; do
    line=
    # shellcheck disable=SC3045 # read -t: only where $timed says the shell has it
    if IFS= read -r -t "$window" line; then line=$part$line; part=; return 0; fi
    part=$part$line; held=0; scan
  done
  IFS= read -r line || return 1
  line=$part$line; part=
}

# An event for a status or marks file: scanned at once, or held for the window (at
# most 32 in a row, so a file rewritten without pause is still sent).
hold() {
  if [ -z "$timed" ]; then scan; return 0; fi
  held=$((held + 1)); [ "$held" -lt 32 ] && return 0
  held=0; scan
}

# The panes of every tmux server the loop asks (the default one, each recorded socket
# once, at most $max_servers): an `S<tab>server` line, then `<pane pid> <session>` lines.
memory_panes() {
  command -v tmux >/dev/null 2>&1 || return 0
  printf 'S\t-\n'; tmux -u list-panes -a -F "$pane_format"
  set -f; IFS=$newline; set -- $socks; unset IFS; set +f
  asked=; count=0
  for s do
    case $s in /*) ;; *) continue;; esac
    case "$asked$newline" in *"$newline$s$newline"*) continue;; esac
    count=$((count + 1)); [ "$count" -le "$max_servers" ] || break
    asked="$asked$newline$s"
    printf 'S\t%s\n' "$s"; tmux -u -S "$s" list-panes -a -F "$pane_format"
  done
}

# The process table: every /proc/PID/stat in one `cat` (a line each, RSS in pages of
# $page_kib KiB), else every /proc/PID/status (some 50 lines each), else one `ps`.
memory_procs() {
  if [ -n "$page_kib" ]; then cat /proc/[0-9]*/stat
  elif [ -r /proc/self/status ]; then cat /proc/[0-9]*/status
  else ps -A -o pid= -o ppid= -o rss=; fi
}

# The page size in KiB into $page_kib (empty: no /proc/PID/stat, or no `getconf`),
# asked once, at the first sample.
page_kib=; page_asked=
page_size() {
  page_asked=1
  [ -r /proc/self/stat ] || return 0
  pg=$(getconf PAGESIZE 2>/dev/null) || return 0
  case $pg in ''|*[!0-9]*) return 0;; esac
  [ "$pg" -ge 1024 ] && page_kib=$((pg / 1024))
  return 0
}

# One memory sample (navi asks every 10 s): ONE awk sums each session's process tree and
# prints the sessions whose value changed noticeably since it was last sent; they go
# as an `R` record, nothing at all when none did. Without a POSIX awk: no memory.
memory() {
  [ -n "$awk_works" ] || return 0
  [ -n "$page_asked" ] || page_size
  : > "$memnew"
  said=$({ memory_panes; printf 'P\n'; memory_procs; } | awk -v prev="$memold" -v out="$memnew" -v abs="$mem_bytes" -v pct="$mem_percent" -v page="$page_kib" "$mem_awk") || return 0
  t=$memold; memold=$memnew; memnew=$t
  [ -n "$said" ] || return 0
  printf '\nNAVI-%s DELTA\n\nNAVI-%s R\n%s\n\nNAVI-%s END\n' "$n" "$n" "$said" "$n" | $buffer
}

# `cksum` of the regular files of directory $1, one line each; a file of size 0 gets the
# line of an empty file without being read (a FIFO or a pseudo-file that never ends, as
# `/proc/self/pagemap` behind a symlink, costs nothing).
sums() {
  [ -d "$1" ] || return 0
  (c=$2; cd "$1" 2>/dev/null && {
    kept=
    for f in ./*.json; do
      [ -f "$f" ] || continue
      case $f in *"$newline"*) continue;; esac
      if [ -s "$f" ]; then kept="$kept$newline$f"; else printf '4294967295 0 %s\n' "$f"; fi
    done
    set -f; IFS=$newline; set -- $kept; unset IFS; set +f
    [ $# -gt 0 ] || exit 0
    # A file over the cap is not read (navi holds it as skipped, whatever its sum):
    # a line of its own, never a match for a file navi read.
    big=$(find -L "$@" -prune -size +"$c"c -print 2>/dev/null)
    if [ -n "$big" ]; then
      kept=
      for f do
        case "$newline$big$newline" in
          *"$newline$f$newline"*) printf '0 %s %s\n' "$((c + 1))" "$f";;
          *) kept="$kept$newline$f";;
        esac
      done
      set -f; IFS=$newline; set -- $kept; unset IFS; set +f
    fi
    [ $# -gt 0 ] && cksum "$@" 2>/dev/null
  })
}

digest() {
  {
    printf '\nNAVI-%s SUM\n' "$n"
    sums "$dir" "$file_cap"
    printf '\nNAVI-%s MSUM\n' "$n"
    sums "$dir/.navi/marks" "$marks_cap"
    printf '\nNAVI-%s END\n' "$n"
  } | $buffer
}

ticker() {
  # TERM (the loop's stdin ended) ends the ticker and the child it waits on. It can come
  # before `w` holds that child's pid (a channel closed at once): then only `stop` is
  # set, and the child is ended as soon as its pid is known, never left running. The
  # child gets KILL: one that has not yet become `sleep` or `inotifywait` would still
  # run the shell's own TERM handler, and the signal would be lost in its `exec`.
  stop=; w=; armed=
  trap 'stop=1; if [ -n "$w" ]; then kill -s KILL "$w" 2>/dev/null; exit 0; fi' TERM
  while [ "$watcher" = inotify ]; do
    if [ -d "$dir" ]; then
      # Watching again (the directory was moved away and is back): the loop says so
      # and sends every file again (what changed unwatched).
      [ -n "$armed" ] && { echo "$n:i" || exit 0; }
      armed=1
      if [ -d "$dir/.navi/marks" ]; then set -- "$dir" "$dir/.navi/marks"; else set -- "$dir"; fi
      # navi's and other writers' temp files (`.tmp.navi.hook.1`, `.tmp.x`,
      # `x.json.tmp`) are left out: their events would start nothing but a read.
      inotifywait -m -q --exclude '(/\.tmp\.[^/]*|\.json\.tmp)$' -e close_write -e moved_to -e moved_from -e delete -e create -e attrib -e move_self -e delete_self --format "$n:e%e %w%f" -- "$@" &
      w=$!
      [ -n "$stop" ] && { kill -s KILL "$w" 2>/dev/null; exit 0; }
      echo "$w" > "$m/w"
      wait "$w"
      w=; : > "$m/w"
      [ -n "$stop" ] && exit 0
      # Ended while its directory is still there, and not by `unwatch`: inotify does
      # not work here (a limit): scan for good.
      [ -e "$m/gone" ] || [ ! -d "$dir" ] || watcher=scan
      rm -f "$m/gone"
      [ "$watcher" = inotify ] && [ -d "$dir" ] && continue
      echo "$n:m" || exit 0
      [ "$watcher" = inotify ] || break
    fi
    # Gone: scan each tick (a second without a ticker) until it is back.
    if [ "$tick" = 0 ]; then sleep 1 || exit 0; else sleep "$tick" || sleep 1 || exit 0; echo "$n:k" || exit 0; fi
    [ -n "$stop" ] && exit 0
  done
  if [ "$tick" = 0 ]; then
    [ -n "$stop" ] && exit 0
    sleep 2147483647 &
    w=$!
    [ -n "$stop" ] && { kill -s KILL "$w" 2>/dev/null; exit 0; }
    wait "$w"
    exit 0
  fi
  while [ -z "$stop" ]; do
    sleep "$tick" || sleep 1 || exit 0
    echo "$n:k" || exit 0
  done
}

printf '\nNAVI-%s MODE %s\n\nNAVI-%s END\n' "$n" "$watcher" "$n"
# tmux events (tmux_events.sh): said once; navi then stops asking for the check.
ctl_setup
if [ -n "$ctl" ]; then
  trap 'ctl_stop; rm -rf "$m"' EXIT
  printf '\nNAVI-%s EVENTS tmux\n\nNAVI-%s END\n' "$n" "$n"
fi
# A TERM that reaches the ticker before its trap is set may be lost (mksh): the second,
# a second later, finds the trap (or a ticker that already ended). The events' FIFO is
# read by one `cat` (opened read-write, fd 0 named: ksh93 takes a bare `<>` for
# stdout; it never sees an end).
{ ticker & tp=$!; ep=; [ -n "$ctl" ] && { cat 0<>"$m/ev" & ep=$!; }
  cat; kill "$tp" $ep 2>/dev/null; sleep 1; kill "$tp" 2>/dev/null; } | while next_line; do
  # Any line but an event first sends what events held (a heartbeat's answer comes
  # after the changes made before it).
  case $line in "$n:e"*) ;; *) [ "$held" = 0 ] || { held=0; scan; };; esac
  case $line in
    "$n:s") full;;
    "$n:h"*) emit "${newline}NAVI-$n H ${line#"$n:h"}$newline${newline}NAVI-$n END$newline";;
    "$n:t") [ -z "$ctl" ] || : > "$m/tq"; check_tmux=1; scan; check_tmux=;;
    "$n:r") memory;;
    "$n:d") digest;;
    "$n:m") watcher=scan; printf '\nNAVI-%s MODE scan\n\nNAVI-%s END\n' "$n" "$n";;
    "$n:i")
      watcher=inotify
      printf '\nNAVI-%s MODE inotify\n\nNAVI-%s END\n' "$n" "$n"
      listing "$dir" 1; force=$seen; listing "$dir/.navi/marks"; mforce=$seen
      scan;;
    "$n:e"*)
      p=${line#"$n:e"}; ev=${p%% *}; p=${p#* }
      # The watched directory itself was moved or removed: watch it again where it is.
      case $ev in *_SELF*) [ "$watcher" = inotify ] && unwatch; held=0; scan; continue;; esac
      # A writer's temp file (`.tmp.navi.1`, `x.json.tmp`) starts nothing: its rename
      # names the status file.
      case $p in *.json) ;; *) case $ev in *ISDIR*) ;; *) continue;; esac;; esac
      case $ev in
        # A name that went: nothing to force. Still there, it was swapped or replaced,
        # and that event scans (a second scan would send it again: file times are
        # coarser than these events).
        MOVED_FROM*|DELETE*) [ -e "$p" ] && continue;;
        *) case $p in
            */.navi/marks/*.json) mforce="$mforce$newline./${p##*/}";;
            *.json) force="$force$newline./${p##*/}";;
          esac;;
      esac
      hold;;
    "$n:k") scan;;
  esac
  # A control client for each server that has sessions and none (after any check).
  if [ -n "$ctl" ]; then
    case $line in "$n:t") ctl_sync;; *) [ "$prev_tmux" = "$ctl_seen" ] || ctl_sync;; esac
  fi
done
