# shellcheck shell=bash
# Before kubeadm-reset.sh on a worker (a failed join, or a kubelet of another cluster): the JoinConfiguration (it holds
# a token) and the bootstrap kubeconfig a half-done join leaves. Input: PICLUSTER_CONFIG.
rm -f -- "$PICLUSTER_CONFIG" /etc/kubernetes/bootstrap-kubelet.conf /etc/kubernetes/pki/ca.crt
# shellcheck source=kubeadm-reset.sh
source kubeadm-reset.sh
