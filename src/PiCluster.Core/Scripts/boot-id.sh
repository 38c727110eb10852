# shellcheck shell=bash
# The node's boot id: a new one says the node rebooted.
cat /proc/sys/kernel/random/boot_id
