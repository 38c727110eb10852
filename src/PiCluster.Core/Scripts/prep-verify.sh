# shellcheck shell=bash
# Verifies, typically after a reboot, that what PiCluster configured on the node is in effect. Prints one line per
# problem; prints nothing when all is well.
bootfile=""
for candidate in /boot/firmware/cmdline.txt /boot/cmdline.txt /boot/grub/grub.cfg; do
    if [[ -f $candidate ]]; then bootfile=$candidate; break; fi
done
if [[ -n $bootfile ]] && grep -q 'cgroup_memory=1' "$bootfile"; then
    for flag in cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1; do
        grep -qw -- "$flag" /proc/cmdline || echo "/proc/cmdline lacks $flag"
    done
    grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null || echo "the memory cgroup controller is missing"
fi
if [[ -s /var/lib/picluster/swap-masked-units ]] || grep -q '^#picluster-swap-off# ' /etc/fstab 2>/dev/null; then
    if [[ $(tail -n +2 /proc/swaps | wc -l) -ne 0 ]]; then echo "swap is on again: $(tail -n +2 /proc/swaps | awk '{print $1}' | paste -sd' ')"; fi
fi
if [[ -f /etc/modules-load.d/k8s.conf ]]; then
    for module in overlay br_netfilter; do [[ -d /sys/module/$module ]] || echo "module $module is not loaded"; done
fi
if [[ -f /etc/sysctl.d/k8s.conf ]]; then
    for key in net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward; do
        [[ $(sysctl -n "$key" 2>/dev/null) == 1 ]] || echo "$key is not 1"
    done
fi
exit 0
