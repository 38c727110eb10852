# shellcheck shell=bash
# Facts for the KernelNetworking step, in one round trip.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
picluster_file_section modules /etc/modules-load.d/k8s.conf
picluster_file_section sysctl /etc/sysctl.d/k8s.conf
echo "@@ loaded"
for module in overlay br_netfilter; do
    if [[ -d /sys/module/$module ]]; then echo "$module"; fi
done
echo "@@ sysctls"
# Read from /proc/sys, as sysctl -n does, without a process per key.
for key in net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.ipv4.ip_forward; do
    value=missing
    if [[ -r /proc/sys/${key//.//} ]]; then IFS= read -r value <"/proc/sys/${key//.//}" || value=missing; fi
    echo "$key=$value"
done
echo "@@ iptables_alternative"
# The alternative's current choice is its link's target (what update-alternatives --query prints as Value).
if [[ -L /etc/alternatives/iptables ]]; then readlink /etc/alternatives/iptables; fi
echo "@@ iptables_version"
iptables --version 2>/dev/null || true
echo "@@ legacy_available"
if [[ -x /usr/sbin/iptables-legacy ]]; then echo yes; else echo no; fi
