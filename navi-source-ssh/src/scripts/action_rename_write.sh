# Rename, the status file (framed.sh's body): $1/$2 the old and new status files, $3/$4
# their locks, $5 a temp name (relative to $d); stdin the rewritten file.
# shellcheck disable=SC2154 # $d: the status directory, set by framed.sh's first line
write() {
  t=$d/$5.$$
  cat > "$t" || { rm -f -- "$t"; exit 1; }
  mv -f -- "$t" "$d/$2" && rm -f -- "$d/$1"
}
if command -v flock >/dev/null 2>&1; then
  exec 9>"$d/$3" 8>"$d/$4" && flock 9 && flock 8 && write "$@"
else
  write "$@"
fi
