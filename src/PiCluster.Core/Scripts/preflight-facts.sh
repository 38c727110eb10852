#!/bin/bash
# picluster-preflight-facts: everything Test-PiNode checks, read in one round trip as "@@ name" sections.
# Runs as the SSH user and changes nothing. Standard input may hold the sudo password on its first line: it is only
# ever handed to sudo on stdin.
set -u
export LC_ALL=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

section() { printf '@@ %s\n' "$1"; }
file_section() { # $1 = name, $2 = file: its text, or "!missing"
  if [ -r "$2" ]; then section "$1"; cat "$2"; printf '\n'; else printf '@@ %s !missing\n' "$1"; fi
}

pw=''
IFS= read -r pw || true

section arch; dpkg --print-architecture 2>/dev/null || uname -m
section kernel_arch; uname -m
section kernel; uname -r
section os
# shellcheck source=/dev/null
(. /etc/os-release 2>/dev/null && printf '%s\n' "${PRETTY_NAME:-unknown}") || echo unknown
section model; { tr -d '\0' </proc/device-tree/model; } 2>/dev/null; printf '\n'
section memtotal_kib; sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo
section cgroup_fs; stat -fc %T /sys/fs/cgroup 2>/dev/null
file_section cgroup_controllers /sys/fs/cgroup/cgroup.controllers
file_section cgroup_v1 /proc/cgroups
file_section cmdline /proc/cmdline
file_section resolv_conf /etc/resolv.conf
section systemd_resolv; [ -e /run/systemd/resolve/resolv.conf ] && echo present || echo absent
section swaps; tail -n +2 /proc/swaps
section hostname; cat /proc/sys/kernel/hostname
file_section machine_id /etc/machine-id
section addresses
if command -v ip >/dev/null 2>&1; then
  ip -o addr show scope global 2>/dev/null | awk '{ sub(/\/.*/, "", $4); print $2, $4 }'
else
  for a in $(hostname -I 2>/dev/null); do printf '? %s\n' "$a"; done
fi

section ntp_synchronized
if command -v timedatectl >/dev/null 2>&1; then timedatectl show -p NTPSynchronized --value 2>/dev/null
elif [ -e /run/systemd/timesync/synchronized ]; then echo yes
else echo unknown
fi
section time_service
for s in systemd-timesyncd chrony chronyd ntp ntpsec; do
  if systemctl is-active --quiet "$s" 2>/dev/null; then echo "$s"; fi
done

# dpkg and apt take POSIX (fcntl) locks; /proc/locks shows them to anyone, so no root is needed to see a holder.
section apt_locks
for f in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
  [ -e "$f" ] || continue
  inode=$(stat -c %i "$f")
  while read -r _ _ _ _ pid id _; do
    case $id in *:"$inode")
      printf '%s %s %s\n' "$f" "$pid" "$(cat "/proc/$pid/comm" 2>/dev/null || echo '?')" ;;
    esac
  done </proc/locks
done

section root_free_kib; df -Pk / | awk 'NR == 2 { print $4 }'
section boot_files
for f in /boot/firmware/cmdline.txt /boot/cmdline.txt /etc/default/grub; do [ -e "$f" ] && echo "$f"; done

section modules
release=$(uname -r)
for m in overlay br_netfilter; do
  if [ -d "/sys/module/$m" ]; then echo "$m loaded"
  elif grep -qE "/$m\.ko" "/lib/modules/$release/modules.builtin" 2>/dev/null; then echo "$m builtin"
  elif grep -qE "/$m\.ko(\.[a-z]+)?:" "/lib/modules/$release/modules.dep" 2>/dev/null; then echo "$m available"
  else echo "$m missing"
  fi
done

section sudo
if ! command -v sudo >/dev/null 2>&1; then echo missing
elif sudo -n true 2>/dev/null; then echo nopasswd
elif [ -n "$pw" ] && printf '%s\n' "$pw" | sudo -S -p '' true 2>/dev/null; then echo password
elif [ -n "$pw" ]; then echo wrong-password
else echo password-required
fi
pw=''
