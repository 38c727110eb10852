# shellcheck shell=bash
# Facts for Initialize-PiControlPlane on the leader, in one round trip. Input: PICLUSTER_CONFIG
# (where PiCluster keeps the kubeadm configuration). Read-only.
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=fact-once-lib.sh
source fact-once-lib.sh
echo "@@ kubeadm_installed"
if command -v kubeadm >/dev/null 2>&1; then echo yes; else echo no; fi
echo "@@ kubeadm_version"
picluster_kubeadm_version 2>&1 || true
echo "@@ hostname"
hostname
picluster_file_section config "$PICLUSTER_CONFIG"
echo "@@ admin_conf"
if [[ -e /etc/kubernetes/admin.conf ]]; then
    echo yes
    # What the running cluster was made with: kubeadm keeps its ClusterConfiguration in this ConfigMap.
    if out=$(kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=30s -n kube-system get configmap kubeadm-config -o json 2>&1); then
        echo "@@ running"
        printf '%s\n' "$out" | base64 -w0
        echo
    else
        echo "@@ running_error"
        printf '%s\n' "$out" | tail -n 5
    fi
else
    echo no
fi
