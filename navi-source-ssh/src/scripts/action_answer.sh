# Answer a permission dialog (framed.sh's body): $1 the session, $2 its pane, $3 the key;
# stdin the dialog's fingerprint (navi_core::permission). The screen is captured now and
# the key sent only if the fingerprint's lines appear on it one after the other, each line
# normalised as navi normalises it: the cursor (U+276F) and box side (U+2502) removed,
# blanks collapsed, trimmed, empty lines skipped. Otherwise nothing is sent, the screen
# goes to stdout and the exit status is 9.
need "$1"
p=$2 k=$3
want=$(cat)
screen=$(tm capture-pane -p -J -t "$p") || exit 1
if printf '%s\n' "$screen" | W=$want awk '
  function norm(s) {
    gsub(/\342\235\257/, "", s); gsub(/\342\224\202/, "", s)
    gsub(/[ \t]+/, " ", s); sub(/^ /, "", s); sub(/ $/, "", s)
    return s
  }
  BEGIN {
    n = split(ENVIRON["W"], raw, "\n"); m = 0
    for (i = 1; i <= n; i++) if (raw[i] != "") want[++m] = raw[i]
  }
  { l = norm($0); if (l != "") have[++h] = l }
  END {
    if (m == 0) exit 1
    for (s = 1; s + m - 1 <= h; s++) {
      for (j = 1; j <= m && have[s + j - 1] == want[j]; j++) ;
      if (j > m) exit 0
    }
    exit 1
  }'; then
  tm send-keys -t "$p" -- "$k"
else
  printf '%s\n' "$screen"
  exit 9
fi
