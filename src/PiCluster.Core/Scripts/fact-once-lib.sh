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
        code=0
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
