# shellcheck shell=bash
# Installs kubelet, kubeadm and kubectl at one version, holds them, enables kubelet, and reports what is there.
# Inputs: PICLUSTER_INSTALL ("pkg=version ..." to install, may be empty),
# PICLUSTER_HOLD (packages to hold), PICLUSTER_ENABLE_KUBELET (yes/no).
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=k8s-apt-lib.sh
source k8s-apt-lib.sh
echo "@@ log"
if [[ -n ${PICLUSTER_INSTALL:-} ]]; then
    # shellcheck disable=SC2086 # a list of pkg=version words
    picluster_apt_get install --no-install-recommends $PICLUSTER_INSTALL
    echo "installed $PICLUSTER_INSTALL"
fi
if [[ -n ${PICLUSTER_HOLD:-} ]]; then
    # shellcheck disable=SC2086
    apt-mark hold $PICLUSTER_HOLD >&2
fi
if [[ ${PICLUSTER_ENABLE_KUBELET:-no} == yes ]]; then systemctl enable kubelet >&2; fi
echo "@@ installed"
dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' kubelet kubeadm kubectl 2>/dev/null || true
echo "@@ holds"
apt-mark showhold
echo "@@ kubelet_enabled"
systemctl is-enabled kubelet 2>/dev/null || true
