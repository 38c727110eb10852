# shellcheck shell=bash
# Facts for the Kubernetes packages step, in one round trip.
# Inputs: PICLUSTER_SOURCES, PICLUSTER_KEYRING.
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=k8s-apt-lib.sh
source k8s-apt-lib.sh
# shellcheck source=fact-once-lib.sh
source fact-once-lib.sh
echo "@@ apt_version"
dpkg-query -W -f='${Version}\n' apt 2>/dev/null || true
echo "@@ installed"
# "package version status" for each package dpkg knows; status "ii" means installed, "hi" installed and held.
installed=$(picluster_kubernetes_packages 2>/dev/null || true)
if [[ -n $installed ]]; then printf '%s\n' "$installed"; fi
# The held ones among them (the status's first letter, as apt-mark showhold reads it), and whether kubelet, kubeadm
# and kubectl are all installed: apt-mark and apt-cache load apt's whole cache, seconds under emulation, so they run
# only when their answer is needed.
echo "@@ holds"
declare -A status=()
picluster_read_package_status status <<<"$installed"
kubernetes_installed=0
for package in kubelet kubeadm kubectl ca-certificates curl gpg apt-transport-https; do
    if [[ ${status[$package]:-} == h* ]]; then echo "$package"; fi
    case $package in kubelet | kubeadm | kubectl) if picluster_status_installed "${status[$package]:-}"; then kubernetes_installed=$((kubernetes_installed + 1)); fi ;; esac
done
picluster_file_section sources "$PICLUSTER_SOURCES"
picluster_file_section keyring "$PICLUSTER_KEYRING"
# The versions the lists offer: only to pick one for a package still to install.
if ((kubernetes_installed < 3)); then
    echo "@@ madison"
    apt-cache madison kubeadm 2>/dev/null || true
fi
echo "@@ kubelet_enabled"
systemctl is-enabled kubelet 2>/dev/null || true
echo "@@ locks"
picluster_apt_lock_holders || true
