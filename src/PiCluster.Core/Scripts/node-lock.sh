#!/bin/bash
# picluster-node-lock: take or release the PiCluster run lock of this node.
# Inputs (set before this text): PICLUSTER_LOCK_ACTION (acquire|release), PICLUSTER_RUN_ID, PICLUSTER_ORIGIN.
# The holder recorded is the sshd process serving the run's SSH connection: it lives exactly as long as that
# connection, so a lock whose holder is gone (client crashed, connection dropped) or that was taken in another boot
# is stale and is taken over. A flock on a guard file makes check-and-take atomic between concurrent runs.
set -u
lock=${PICLUSTER_LOCK_FILE:-/run/lock/picluster.lock}
guard="$lock.guard"
boot=$(cat /proc/sys/kernel/random/boot_id)

start_time() { # $1 = pid; prints the process start time (clock ticks since boot), which tells pid reuse apart
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the stat fields on purpose
  set -- $stat
  printf '%s\n' "${20}"
}

holder_pid() { # the nearest sshd ancestor of this shell, or 0
  local pid=$$ comm
  while [ "$pid" -gt 1 ]; do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || break
    case $comm in sshd*) printf '%s\n' "$pid"; return ;; esac
    pid=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
    [ -n "$pid" ] || break
  done
  printf '0\n'
}

field() { # $1 = key; reads "key=value" words from $record
  local word
  for word in $record; do
    case $word in "$1="*) printf '%s\n' "${word#*=}"; return ;; esac
  done
}

[ -e "$guard" ] || : >>"$guard" 2>/dev/null
exec 9<"$guard" || { printf '@@ lock\nerror\n@@ detail\ncannot open %s\n' "$guard"; exit 0; }
flock -w 30 9 || { printf '@@ lock\nerror\n@@ detail\ntimed out waiting for %s\n' "$guard"; exit 0; }

record=''
[ -f "$lock" ] && record=$(head -n 1 "$lock")

if [ "$PICLUSTER_LOCK_ACTION" = release ]; then
  if [ -n "$record" ] && [ "$(field run)" = "$PICLUSTER_RUN_ID" ]; then rm -f "$lock"; fi
  printf '@@ lock\nreleased\n'
  exit 0
fi

if [ -n "$record" ] && [ "$(field run)" != "$PICLUSTER_RUN_ID" ]; then
  pid=$(field pid)
  stale=''
  if [ "$(field boot)" != "$boot" ]; then stale='taken in an earlier boot'
  elif [ "${pid:-0}" != 0 ] && [ "$(start_time "$pid" || true)" != "$(field start)" ]; then stale='its holder is gone'
  fi
  if [ -z "$stale" ]; then
    printf '@@ lock\nheld\n@@ holder\n%s\n' "$record"
    exit 0
  fi
  printf '@@ takeover\n%s (%s)\n' "$record" "$stale"
fi

pid=$(holder_pid)
start=0
[ "$pid" = 0 ] || start=$(start_time "$pid")
tmp="$lock.$$"
if ! printf 'run=%s pid=%s start=%s boot=%s since=%s by=%s\n' "$PICLUSTER_RUN_ID" "$pid" "$start" "$boot" \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PICLUSTER_ORIGIN" >"$tmp" || ! mv -f "$tmp" "$lock"; then
  rm -f "$tmp"
  printf '@@ lock\nerror\n@@ detail\ncannot write %s\n' "$lock"
  exit 0
fi
printf '@@ lock\nacquired\n'
