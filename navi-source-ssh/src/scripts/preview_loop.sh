# The preview loop: one framed pane capture per request line (see pool/preview.rs).
exec 2>/dev/null
tm() { if [ -n "$sock" ]; then tmux -u -S "$sock" "$@"; else tmux -u "$@"; fi; }
dec() { v=$(printf '%bx' "$1"); v=${v%x}; }
while IFS= read -r line; do
  n=${line%% *}; r=${line#* }
  s=${r%% *}; r=${r#* }
  te=${r%% *}; pe=${r#* }
  case $n in ''|*[!0-9a-f]*) continue;; esac
  case $s in -) sock=;; *) dec "$s"; sock=$v;; esac
  dec "$te"; t=$v
  dec "$pe"; p=$v
  printf '
NAVI-%s P
' "$n"
  if ! tm capture-pane -p -e -J -S -50 -t "$p"; then
    if tm has-session -t "$t"; then
      printf '
NAVI-%s X 1
' "$n"
    elif tm list-sessions -F x >/dev/null; then
      printf '
NAVI-%s X 5
' "$n"
    else
      e=$(tm list-sessions -F x 2>&1 >/dev/null)
      printf '
NAVI-%s X 6
%s' "$n" "$e"
    fi
  fi
  printf '
NAVI-%s END
' "$n"
done
