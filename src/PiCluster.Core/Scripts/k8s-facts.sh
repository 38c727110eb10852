# shellcheck shell=bash
# Facts for the Kubernetes packages step, in one round trip.
# Inputs: PICLUSTER_SOURCES, PICLUSTER_KEYRING.
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=k8s-apt-lib.sh
source k8s-apt-lib.sh
echo "@@ apt_version"
dpkg-query -W -f='${Version}\n' apt 2>/dev/null || true
echo "@@ installed"
# "package version status" for each package dpkg knows; status "ii" means installed.
dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' kubelet kubeadm kubectl ca-certificates curl gpg apt-transport-https 2>/dev/null || true
echo "@@ holds"
apt-mark showhold 2>/dev/null || true
picluster_file_section sources "$PICLUSTER_SOURCES"
picluster_file_section keyring "$PICLUSTER_KEYRING"
echo "@@ madison"
apt-cache madison kubeadm 2>/dev/null || true
echo "@@ kubelet_enabled"
systemctl is-enabled kubelet 2>/dev/null || true
echo "@@ locks"
picluster_apt_lock_holders || true
