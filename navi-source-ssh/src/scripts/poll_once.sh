# One snapshot for the nonce in operand $5. After snapshot_lib.sh.
lacking_check head
# shellcheck disable=SC2034 # read by the functions of snapshot_lib.sh
n=$5
snapshot_or_lacking
