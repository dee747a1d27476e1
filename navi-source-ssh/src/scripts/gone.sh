# Which of the pids "$@" no longer run (framed; see gone.rs). pid_gone: pid_gone.sh.
for p do
  pid_gone "$p" && echo "$p"
done
