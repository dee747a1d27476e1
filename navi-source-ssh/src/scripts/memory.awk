# Memory per session (see MEMORY_AWK in remote/script.rs). Variables: prev the file of the
# values last sent, out the file the values now held are written to, abs and pct the
# change rule (a change over abs bytes or over pct percent is sent).
# stdin: for each tmux server an `S<tab><server>` line and its `<pane pid> <session>`
# lines, a `P` line, then the process table: `/proc/*/stat` lines (with page, the KiB
# of a page), `/proc/*/status` text, or `ps` lines of pid, ppid and RSS (KiB). Prints
# `<server><tab><bytes><tab><session>` per session to send (`-` for bytes: gone).
BEGIN {
  abs += 0; pct += 0; page += 0; sec = 1; srv = "-"
  while ((getline x < prev) > 0) {
    a = index(x, "\t"); r = substr(x, a + 1); b = index(r, "\t")
    if (a > 1 && b > 1) S[substr(x, 1, a - 1) "\t" substr(r, b + 1)] = substr(r, 1, b - 1) + 0
  }
  close(prev)
}
sec == 1 && $0 == "P" { sec = 2; next }
sec == 1 && substr($0, 1, 2) == "S\t" { srv = substr($0, 3); next }
sec == 1 { if ($0 ~ /^[0-9]+ /) { a = index($0, " "); W[substr($0, 1, a - 1)] = srv "\t" substr($0, a + 1) }; next }
# A stat line: `pid (comm) state ppid ... rss` (rss the 24th field, in pages). comm may
# hold spaces, `)` and a newline: the fields are those after the last `) `, and a pid
# that comes twice (a comm with a newline can forge a line) counts for neither.
page > 0 && /^[0-9]+ [(]/ {
  r = $0; sub(/.*[)] /, "", r); n = split(r, F, " ")
  if (n >= 22 && F[2] ~ /^[0-9]+$/ && F[22] ~ /^[0-9]+$/) {
    if ($1 in T) X[$1] = 1
    T[$1] = 1; U[$1] = F[2]; R[$1] = F[22] * page
  }
  next
}
$1 == "Pid:" && $2 ~ /^[0-9]+$/ { c = $2; U[c] = 0; R[c] = 0; next }
$1 == "PPid:" && c != "" && $2 ~ /^[0-9]+$/ { U[c] = $2; next }
$1 == "VmRSS:" && c != "" && $2 ~ /^[0-9]+$/ { R[c] = $2; next }
NF == 3 && $1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ { U[$1] = $2; R[$1] = $3; next }
END {
  for (p in X) { delete U[p]; delete R[p] }
  for (p in W) if (p in U) H[W[p]] = 0
  for (p in U) {
    q = p
    for (d = 0; d < 256 && !(q in W); d++) { if (!(q in U) || U[q] == q || U[q] + 0 <= 0) break; q = U[q] }
    if ((q in W) && (W[q] in H)) H[W[q]] += R[p] * 1024
  }
  for (k in H) {
    v = H[k]; a = index(k, "\t"); s = substr(k, 1, a - 1); m = substr(k, a + 1)
    if (k in S) { o = S[k]; d = v - o; if (d < 0) d = -d; if (d <= abs && d * 100 <= o * pct) v = o; else S[k] = -1 }
    if (!(k in S) || S[k] < 0) printf "%s\t%.0f\t%s\n", s, v, m
    printf "%s\t%.0f\t%s\n", s, v, m > out
  }
  for (k in S) if (!(k in H)) { a = index(k, "\t"); printf "%s\t-\t%s\n", substr(k, 1, a - 1), substr(k, a + 1) }
  close(out)
}
