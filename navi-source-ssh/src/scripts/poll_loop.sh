# The poll loop: one snapshot per nonce line read from stdin (a line that is not a
# nonce, lowercase hex digits, is skipped). After snapshot_lib.sh.
# shellcheck disable=SC2015 # `A && B || continue`: continue when either fails, as meant
lacking_check head
while IFS= read -r n; do
  strip_hex
  [ -n "$n" ] && [ -z "$rest" ] || continue
  snapshot_or_lacking
done
