# Frames every listed file (see FRAME_AWK in remote/script.rs). Variables: n the nonce,
# cap the status file cap, budget the bytes of file contents one answer sends at most.
BEGIN { cap += 0; budget += 0; c = ARGC - 1; for (i = 1; i <= c; i++) L[i] = ARGV[i]; ARGC = 1 }
# A wc line: optional padding, the size, one space, the name as given.
{ s = $0; sub(/^[ \t]+/, "", s); p = index(s, " "); if (p > 1) Z[substr(s, p + 1)] = substr(s, 1, p - 1) + 0 }
END { for (i = 1; i <= c; i++) one(L[i]) }
# b: name, z: listed size (-1: unknown), o: bytes sent, q: a newline is owed.
function one(f, b, z, r, x, o, q, h) {
  b = substr(f, 3); z = -1; if (f in Z) z = Z[f]
  if (z > cap) { printf "\nNAVI-%s S %s\nfile is over the %d-byte limit", n, b, cap; return }
  if (z >= 0 && T + z > budget) { printf "\nNAVI-%s S %s\nnot sent: this poll's answer would pass its %d-byte cap (too many large files in the directory; the files that fit were sent)", n, b, budget; return }
  o = 0; q = 0; h = 0
  while ((r = (getline x < f)) > 0) {
    if (h == 0) { printf "\nNAVI-%s F %s\n", n, b; h = 1 }
    if (q) { printf "\n"; o++ }
    if (o + length(x) > cap) { printf "%s", substr(x, 1, cap + 1 - o); q = 0; break }
    printf "%s", x; o += length(x); q = 1
  }
  close(f); T += o
  if (h) { if (q && (z < o || z > o)) printf "\n"; return }
  if (r < 0) printf "\nNAVI-%s S %s\nfile could not be read (it vanished or its permissions changed)", n, b; else printf "\nNAVI-%s F %s\n", n, b
}
