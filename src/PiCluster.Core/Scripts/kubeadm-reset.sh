# shellcheck shell=bash
# The clean-up after a failed kubeadm init, so that a re-run starts clean: `kubeadm reset -f`, then what kubeadm reset
# leaves to the user. Its notes name the CNI configuration in /etc/cni/net.d (only files no package owns go: a
# runtime's own bridge config stays), iptables/IPVS rules (a failed init made none, so they stay) and $HOME/.kube/config
# (PiCluster never writes one, so it stays). Static-pod manifests and kubeconfigs that reset could not remove go too.
# PiCluster's own configuration file stays: the re-run plans against it.
status=0
if ! kubeadm reset -f >&2; then
    echo "kubeadm reset -f failed" >&2
    status=1
fi
shopt -s nullglob
for f in /etc/cni/net.d/*; do
    if ! dpkg -S "$f" >/dev/null 2>&1; then
        rm -rf -- "$f"
        echo "removed $f"
    fi
done
for f in /etc/kubernetes/manifests/*.yaml /etc/kubernetes/admin.conf /etc/kubernetes/super-admin.conf \
    /etc/kubernetes/kubelet.conf /etc/kubernetes/controller-manager.conf /etc/kubernetes/scheduler.conf; do
    rm -f -- "$f"
    echo "removed $f"
done
exit "$status"
