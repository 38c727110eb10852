# shellcheck shell=bash
# picluster_once COMMAND...: runs a read-only COMMAND, or replays its stdout, stderr and exit code when an earlier part
# of the same fact batch already ran it. Several phases ask the leader the same question (kubectl get nodes, kubeadm
# version) in one batch, before any change, so the answer cannot differ; each kubectl or kubeadm costs a process start
# (seconds under emulation, a Go runtime and a TLS handshake on a board). fact-batch.sh names the batch's directory in
# PICLUSTER_FACT_CACHE; outside a batch COMMAND just runs. The cache key is the argument list with every character
# outside [A-Za-z0-9._-] folded to _: the commands are this repository's own, and none differ only there.
picluster_once() {
    local dir=${PICLUSTER_FACT_CACHE:-} key out='' err='' code=0
    if [[ -z $dir || ! -d $dir ]]; then
        "$@"
        return
    fi
    printf -v key '%s_' "$@"
    key=$dir/once-${key//[^A-Za-z0-9._-]/_}
    if [[ ! -e $key.code ]]; then
        "$@" >"$key.out" 2>"$key.err" || code=$?
        printf '%d\n' "$code" >"$key.code"
    fi
    IFS= read -r -d '' out <"$key.out" || true
    IFS= read -r -d '' err <"$key.err" || true
    IFS= read -r code <"$key.code" || true
    printf '%s' "$out"
    printf '%s' "$err" >&2
    return "$code"
}

# The questions several phases of one batch ask, each in one place so that its words (picluster_once's key) are the
# same wherever it is asked.
picluster_cluster_nodes() { picluster_once kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=30s get nodes -o json; }
picluster_cluster_pods() { picluster_once kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=20s get pods --all-namespaces -o json; }
picluster_kubeadm_version() { picluster_once kubeadm version -o short; }
# "package version status" (db:Status-Abbrev) of the Kubernetes packages and their apt prerequisites.
picluster_kubernetes_packages() {
    # shellcheck disable=SC2016 # dpkg-query's format fields, not bash's
    picluster_once dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' kubelet kubeadm kubectl ca-certificates curl gpg apt-transport-https
}
