# shellcheck shell=bash
# Facts for Install-PiPodNetwork on the leader, in one round trip. Inputs: PICLUSTER_URL (the
# manifest to fetch here, where a lab or mirror URL is reachable; empty for a file on the admin's machine),
# PICLUSTER_RECORD (the SHA-256 of the manifest PiCluster last applied and verified). Read-only. The pods of every
# namespace (the phase keeps its DaemonSet's): cluster-check-facts.sh's question too, asked once in a batch.
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=fact-once-lib.sh
source fact-once-lib.sh
if [[ -n $PICLUSTER_URL ]]; then
    tmp=$(mktemp)
    if curl -fsSL --max-time 120 -o "$tmp" -- "$PICLUSTER_URL" 2>"$tmp.err"; then
        echo "@@ manifest"
        base64 -w0 <"$tmp"
        echo
    else
        echo "@@ manifest_error"
        tail -n 3 "$tmp.err"
    fi
    rm -f -- "$tmp" "$tmp.err"
fi
picluster_file_section record "$PICLUSTER_RECORD"
echo "@@ admin_conf"
if [[ -e /etc/kubernetes/admin.conf ]]; then
    echo yes
    if out=$(picluster_cluster_pods 2>&1); then
        echo "@@ pods"
        printf '%s\n' "$out" | base64 -w0
        echo
    else
        echo "@@ pods_error"
        printf '%s\n' "$out" | tail -n 5
    fi
else
    echo no
fi
