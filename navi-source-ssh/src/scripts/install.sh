# Installs an executable so that no failed copy leaves a file at its path. See install.rs
# for the operands.
# shellcheck disable=SC2154 # $d: the status directory, set by the line navi puts first (set_home_path)
dir=$d name=$2 size=$3 sha=$4 crc=$5
mkdir -p -- "$dir" || exit 1
# Leftovers of interrupted copies: a hidden temp whose writer (its pid) is gone.
for o in "$dir"/.navi.tmp.*; do
  [ -f "$o" ] || continue
  p=${o##*.}
  case $p in ''|*[!0-9]*) continue;; esac
  kill -0 "$p" 2>/dev/null || [ -d "/proc/$p" ] || rm -f -- "$o"
done
t=$dir/.navi.tmp.$$
trap 'rm -f -- "$t"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
# navi gone: the message about the cut-short copy meets a closed pipe, and an untrapped
# SIGPIPE would end the shell without its EXIT trap (the temp file would stay).
trap 'exit 141' PIPE
cat > "$t" || exit 1
n=$(wc -c < "$t") || exit 1
n=$((n + 0))
if [ "$n" -ne "$size" ]; then
  printf 'the copy has %s of %s bytes (the transfer was cut short); nothing was installed\n' "$n" "$size" >&2
  exit 1
fi
if command -v sha256sum >/dev/null 2>&1; then
  tool=sha256sum want=$sha; h=$(sha256sum < "$t") || exit 1; h=${h%% *}
elif command -v shasum >/dev/null 2>&1; then
  tool='shasum -a 256' want=$sha; h=$(shasum -a 256 < "$t") || exit 1; h=${h%% *}
elif command -v openssl >/dev/null 2>&1; then
  tool='openssl dgst -sha256' want=$sha; h=$(openssl dgst -sha256 < "$t") || exit 1; h=${h##* }
elif command -v cksum >/dev/null 2>&1; then
  tool=cksum want=$crc; h=$(cksum < "$t") || exit 1
  # shellcheck disable=SC2086 # split cksum's `CRC SIZE` into words
  set -- $h; h="$1 $2"
else
  printf 'no tool to check the copy (sha256sum, shasum, openssl or cksum); nothing was installed\n' >&2
  exit 1
fi
if [ "$h" != "$want" ]; then
  printf 'the copy does not match what was sent (%s: %s, expected %s); nothing was installed\n' "$tool" "$h" "$want" >&2
  exit 1
fi
chmod 755 "$t" || exit 1
"$t" --version </dev/null >/dev/null || { printf 'the copied program does not run here; nothing was installed\n' >&2; exit 1; }
# A directory there (or a symlink to one) would take the file inside it.
if [ -d "$dir/$name" ]; then
  printf '%s is a directory; nothing was installed\n' "$dir/$name" >&2
  exit 1
fi
mv -f -- "$t" "$dir/$name" || exit 1
printf 'installed=%s\nverified=%s\n' "$dir/$name" "$tool"
