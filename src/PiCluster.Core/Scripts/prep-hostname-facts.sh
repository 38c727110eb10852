# shellcheck shell=bash
# Facts for the Hostname step, in one round trip. Needs prep-lib.sh.
echo "@@ hostname"
hostname
picluster_file_section etc_hostname /etc/hostname
picluster_file_section etc_hosts /etc/hosts
