# shellcheck shell=bash
# Sets up kernel networking for kubeadm: writes the modules-load and sysctl files as planned, loads the modules,
# applies the sysctls, switches the iptables backend when asked, and checks the result.
# Inputs: PICLUSTER_WRITES, PICLUSTER_MODULES and PICLUSTER_SYSCTLS (names, space-separated), PICLUSTER_RELOAD_SYSCTLS
# (yes: sysctl --system), PICLUSTER_IPTABLES (legacy or nft: switch every iptables tool to it; empty: leave them).
# shellcheck source=prep-lib.sh
source prep-lib.sh
picluster_write_files
# -a loads each name; without it modprobe would take the second name as an option of the first module.
# shellcheck disable=SC2086 # a list of module names
modprobe -a $PICLUSTER_MODULES
if [[ $PICLUSTER_RELOAD_SYSCTLS == yes ]]; then
    sysctl --system >/dev/null 2>&1 || true # another file's unknown key must not stop ours; verified below
fi
if [[ -n $PICLUSTER_IPTABLES ]]; then
    for tool in iptables ip6tables arptables ebtables; do
        if [[ -x /usr/sbin/$tool-$PICLUSTER_IPTABLES ]]; then update-alternatives --set "$tool" "/usr/sbin/$tool-$PICLUSTER_IPTABLES" >/dev/null; fi
    done
fi
for module in $PICLUSTER_MODULES; do [[ -d /sys/module/$module ]] || { echo "module $module is not loaded" >&2; exit 1; }; done
for key in $PICLUSTER_SYSCTLS; do [[ $(sysctl -n "$key") == 1 ]] || { echo "$key is not 1" >&2; exit 1; }; done
