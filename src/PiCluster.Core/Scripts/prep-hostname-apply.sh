# shellcheck shell=bash
# Sets the hostname: writes /etc/hosts and /etc/hostname as planned, then the running hostname, and checks it.
# Inputs: PICLUSTER_WRITES, PICLUSTER_HOSTNAME.
# shellcheck source=prep-lib.sh
source prep-lib.sh
picluster_write_files
if command -v hostnamectl >/dev/null && hostnamectl set-hostname "$PICLUSTER_HOSTNAME" 2>/dev/null; then :; else hostname "$PICLUSTER_HOSTNAME"; fi
[[ $(hostname) == "$PICLUSTER_HOSTNAME" ]] || { echo "hostname is $(hostname) after the change" >&2; exit 1; }
