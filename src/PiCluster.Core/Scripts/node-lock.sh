#!/bin/bash
# picluster-node-lock: take, renew or release the PiCluster run lock of this node.
# Inputs (set before this text):
#   PICLUSTER_LOCK_ACTION    acquire (also renews a lock this run holds) | release
#   PICLUSTER_RUN_ID         the run (one shell word)
#   PICLUSTER_ORIGIN         user@host of the run, for messages
#   PICLUSTER_CLIENT         the client machine, PICLUSTER_CLIENT_PID / PICLUSTER_CLIENT_START its PowerShell process:
#                            the client side tells a crashed run on its own machine from a live one (Engine/NodeLock.cs)
#   PICLUSTER_LOCK_LEASE     seconds the lock stays valid without renewal
#   PICLUSTER_LOCK_TAKEOVER  the run id of a holder to replace even if its lease runs (a dead client, or -Force); or empty
# The lock is a lease: it expires PICLUSTER_LOCK_LEASE seconds after its last renewal, on the node's monotonic clock
# (/proc/uptime; wall clocks jump), and a reboot ends it. The run renews it from the client while it is idle; while a
# command runs, a keeper process renews it (the client's commands wait in line then). The keeper is bound to the SSH
# connection that took the lock (its sshd process) and renews only while that connection runs a command, so an
# orphaned connection of a killed client lets the lease run out. A flock on a guard file makes every change atomic.
set -u
lock=${PICLUSTER_LOCK_FILE:-/run/lock/picluster.lock}
guard="$lock.guard"
read -r boot </proc/sys/kernel/random/boot_id

now() { local up; read -r up _ </proc/uptime; printf '%s\n' "${up%.*}"; }

start_time() { # $1 = pid; prints the process start time (clock ticks since boot), which tells pid reuse apart
  local stat
  [ -n "$1" ] && [ "$1" != 0 ] || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # split the stat fields on purpose
  set -- $stat
  printf '%s\n' "${20}"
}

alive() { # $1 = pid:start
  [ -n "$1" ] && [ "$(start_time "${1%%:*}" || true)" = "${1#*:}" ]
}

connection() { # pid:start of the nearest sshd ancestor of this shell (the SSH connection), or empty
  local pid=$$ comm
  while [ "$pid" -gt 1 ]; do
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || break
    case $comm in sshd*) printf '%s:%s\n' "$pid" "$(start_time "$pid")"; return ;; esac
    pid=$(sed -n 's/^PPid:[[:space:]]*//p' "/proc/$pid/status" 2>/dev/null)
    [ -n "$pid" ] || break
  done
}

field() { # $1 = key, $2 = record; prints the value of "key=value"
  local word
  for word in $2; do
    case $word in "$1="*) printf '%s\n' "${word#*=}"; return ;; esac
  done
}

write_record() { # $1 = record; atomically replaces the lock file
  local tmp="$lock.$$"
  printf '%s\n' "$1" >"$tmp" && mv -f "$tmp" "$lock" && return 0
  rm -f "$tmp"
  return 1
}

# The keeper: every few seconds, while the connection lives and still holds this run's lock, renew the lease if the
# connection is running a command (sshd has a child: a client that died leaves an idle connection behind).
keep() { # $1 = run id, $2 = connection pid:start, $3 = lease seconds
  local run=$1 conn=$2 lease=$3 pid=${2%%:*} record children interval=$(($3 / 6))
  [ "$interval" -ge 1 ] || interval=1
  exec 9<"$guard" || exit 0
  local me
  me="$$:$(start_time $$)"
  # Wait until the run that started this keeper has written the record that names it.
  flock -w 30 9 || exit 0
  flock -u 9
  while sleep "$interval"; do
    alive "$conn" || exit 0
    # The lock file is replaced by rename, so reading it without the flock sees a whole record.
    record=''
    [ -f "$lock" ] && read -r record <"$lock"
    [ "$(field run "$record")" = "$run" ] && [ "$(field keeper "$record")" = "$me" ] || exit 0
    children=''
    read -r children <"/proc/$pid/task/$pid/children" 2>/dev/null || true
    [ -n "$children" ] || continue
    flock -w 10 9 || continue
    record=''
    [ -f "$lock" ] && read -r record <"$lock"
    if [ "$(field run "$record")" != "$run" ] || [ "$(field keeper "$record")" != "$me" ]; then exit 0; fi
    write_record "${record/expires=$(field expires "$record")/expires=$(($(now) + lease))}"
    flock -u 9
  done
}

[ -e "$guard" ] || : >>"$guard" 2>/dev/null
exec 9<"$guard" || { printf '@@ lock\nerror\n@@ detail\ncannot open %s\n' "$guard"; exit 0; }
flock -w 30 9 || { printf '@@ lock\nerror\n@@ detail\ntimed out waiting for %s\n' "$guard"; exit 0; }

record=''
[ -f "$lock" ] && read -r record <"$lock"
holder=$(field run "$record")
time=$(now)

if [ "$PICLUSTER_LOCK_ACTION" = release ]; then
  if [ -n "$record" ] && [ "$holder" = "$PICLUSTER_RUN_ID" ]; then rm -f "$lock"; fi
  printf '@@ lock\nreleased\n'
  exit 0
fi

if [ -n "$record" ] && [ "$holder" != "$PICLUSTER_RUN_ID" ]; then
  expires=$(field expires "$record")
  stale=''
  if [ "$(field boot "$record")" != "$boot" ]; then stale='taken in an earlier boot'
  elif [ -z "$expires" ]; then
    # A lock of an older PiCluster: it named its connection's sshd as the holder.
    alive "$(field pid "$record"):$(field start "$record")" || stale='its holder is gone'
  elif [ "$time" -ge "$expires" ]; then stale="its lease ran out $((time - expires)) s ago"
  elif [ -n "${PICLUSTER_LOCK_TAKEOVER:-}" ] && [ "$holder" = "$PICLUSTER_LOCK_TAKEOVER" ]; then stale='taken over on request'
  fi
  if [ -z "$stale" ]; then
    printf '@@ lock\nheld\n@@ holder\n%s\n@@ remaining\n%s\n' "$record" "$((expires - time))"
    exit 0
  fi
  printf '@@ takeover\n%s (%s)\n' "$record" "$stale"
fi

conn=$(connection)
keeper=''
if [ "$holder" = "$PICLUSTER_RUN_ID" ] && [ "$(field conn "$record")" = "$conn" ] && alive "$(field keeper "$record")"; then
  keeper=$(field keeper "$record") # this connection's keeper already renews it
elif [ -n "$conn" ]; then
  # A session of its own, so no process group kill of this command's bootstrap reaches it; no open stdio, so sshd
  # does not wait for it.
  setsid bash -c "set -u; lock=\$1 guard=\$2; $(declare -f now start_time alive field write_record keep); keep \"\$3\" \"\$4\" \"\$5\"" \
    keeper "$lock" "$guard" "$PICLUSTER_RUN_ID" "$conn" "$PICLUSTER_LOCK_LEASE" </dev/null >/dev/null 2>&1 9<&- &
  keeper="$!:$(start_time $! || true)"
fi

since=$(field since "$record")
[ "$holder" = "$PICLUSTER_RUN_ID" ] && [ -n "$since" ] || since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
if ! write_record "run=$PICLUSTER_RUN_ID client=$PICLUSTER_CLIENT cpid=$PICLUSTER_CLIENT_PID cstart=$PICLUSTER_CLIENT_START conn=$conn keeper=$keeper boot=$boot expires=$((time + PICLUSTER_LOCK_LEASE)) lease=$PICLUSTER_LOCK_LEASE since=$since by=$PICLUSTER_ORIGIN"; then
  printf '@@ lock\nerror\n@@ detail\ncannot write %s\n' "$lock"
  exit 0
fi
printf '@@ lock\nacquired\n'
