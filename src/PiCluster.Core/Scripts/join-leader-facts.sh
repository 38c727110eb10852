# shellcheck shell=bash
# Facts for Join-PiWorker on the leader, in one round trip. Input:
# PICLUSTER_DESCRIPTION. Read-only: whether a cluster runs, its CA certificate (public), the registered nodes, and the
# ids of bootstrap tokens an earlier PiCluster run left behind.
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=bootstrap-token-lib.sh
source bootstrap-token-lib.sh
# shellcheck source=fact-once-lib.sh
source fact-once-lib.sh
echo "@@ admin_conf"
if [[ ! -e /etc/kubernetes/admin.conf ]]; then
    echo no
    exit 0
fi
echo yes
picluster_file_section ca /etc/kubernetes/pki/ca.crt
if out=$(picluster_cluster_nodes 2>&1); then
    echo "@@ nodes"
    printf '%s\n' "$out" | base64 -w0
    echo
else
    echo "@@ nodes_error"
    printf '%s\n' "$out" | tail -n 5
fi
echo "@@ stale"
picluster_token_ids
