# shellcheck shell=bash
# Runs kubeadm init with PiCluster's configuration. Input: PICLUSTER_CONFIG. The output holds the bootstrap token
# (and a certificate key with --upload-certs): the caller registers both with the run's redactor before any of it
# reaches a stream. stderr keeps kubeadm's own error lines for the error record.
if ! kubeadm init --config "$PICLUSTER_CONFIG"; then
    exit 1
fi
# kubeadm writes admin.conf 0600; make sure, since it holds cluster-admin credentials.
if [[ ! -s /etc/kubernetes/admin.conf ]]; then
    echo "kubeadm init succeeded but /etc/kubernetes/admin.conf is missing" >&2
    exit 1
fi
chmod 0600 /etc/kubernetes/admin.conf
