# shellcheck shell=bash
# Prints the control plane's admin kubeconfig on standard output for Export-PiKubeconfig: straight from the file,
# never through a copy on the node. Run as root (kubeadm writes it root's, mode 0600). Exit 3 when there is none.
# PICLUSTER_ADMIN_CONF only for tests (their sshd sets it, as PICLUSTER_LOCK_FILE); PiCluster never sends it.
admin_conf=${PICLUSTER_ADMIN_CONF:-/etc/kubernetes/admin.conf}
if [[ ! -f $admin_conf ]]; then
    echo "there is no $admin_conf: this is not a control-plane node that kubeadm init has set up" >&2
    exit 3
fi
cat -- "$admin_conf"
