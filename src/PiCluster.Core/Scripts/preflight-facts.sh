#!/bin/bash
# picluster-preflight-facts: everything Test-PiNode checks, read in one round trip as "@@ name" sections.
# Runs as the SSH user and changes nothing. Standard input may hold the sudo password on its first line: it is only
# ever handed to sudo on stdin.
set -u
export LC_ALL=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# shellcheck source=k8s-apt-lib.sh
source k8s-apt-lib.sh

section() { printf '@@ %s\n' "$1"; }
file_section() { # $1 = name, $2 = file: its text, or "!missing" (read by the shell: no process per file)
  local text=''
  if [ -r "$2" ]; then section "$1"; IFS= read -r -d '' text <"$2"; printf '%s\n' "$text"; else printf '@@ %s !missing\n' "$1"; fi
}
first_line() { # $1 = file: its first line, or nothing
  local line=''
  if [ -r "$1" ] && { IFS= read -r line <"$1" || [ -n "$line" ]; }; then printf '%s\n' "$line"; fi
}

pw=''
IFS= read -r pw || true

section arch; dpkg --print-architecture 2>/dev/null || uname -m
section kernel_arch; uname -m
section kernel; first_line /proc/sys/kernel/osrelease
section os
# shellcheck source=/dev/null
(. /etc/os-release 2>/dev/null && printf '%s\n' "${PRETTY_NAME:-unknown}") || echo unknown
# The model is NUL-terminated: read stops there.
model=''
if [ -r /proc/device-tree/model ]; then IFS= read -r -d '' model </proc/device-tree/model; fi
section model; printf '%s\n' "$model"
section memtotal_kib
while read -r key value _; do
  if [ "$key" = MemTotal: ]; then echo "$value"; break; fi
done </proc/meminfo
section cgroup_fs; stat -fc %T /sys/fs/cgroup 2>/dev/null
file_section cgroup_controllers /sys/fs/cgroup/cgroup.controllers
file_section cgroup_v1 /proc/cgroups
file_section cmdline /proc/cmdline
file_section resolv_conf /etc/resolv.conf
section systemd_resolv; [ -e /run/systemd/resolve/resolv.conf ] && echo present || echo absent
section swaps
{ IFS= read -r _; while IFS= read -r line; do printf '%s\n' "$line"; done; } </proc/swaps
section hostname; first_line /proc/sys/kernel/hostname
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
# One systemctl for all of them: is-active prints one state per unit, in the order given.
services=(systemd-timesyncd chrony chronyd ntp ntpsec)
i=0
while IFS= read -r state; do
  if [ "$state" = active ]; then echo "${services[i]}"; fi
  i=$((i + 1))
done < <(systemctl is-active "${services[@]}" 2>/dev/null)

# dpkg and apt take POSIX (fcntl) locks; /proc/locks shows them to anyone, so no root is needed to see a holder.
section apt_locks
picluster_apt_lock_holders

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
