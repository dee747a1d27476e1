# pid_gone PID: whether PID no longer runs on this machine (gone, or a zombie). Without
# /proc nothing can be told: not gone. Shared by gone.sh and dismiss.sh.
pid_gone() {
  [ -d /proc/self ] || return 1
  if [ -r "/proc/$1/stat" ]; then
    case $(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) in Z*) return 0;; esac
    return 1
  fi
  [ ! -d "/proc/$1" ]
}
