# shellcheck shell=bash
# Facts for the Hostname step, in one round trip.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
echo "@@ hostname"
picluster_first_line /proc/sys/kernel/hostname
picluster_file_section etc_hostname /etc/hostname
picluster_file_section etc_hosts /etc/hosts
