# shellcheck shell=bash
# On the leader: deletes the bootstrap tokens earlier PiCluster runs left behind, then, with PICLUSTER_CREATE=yes,
# creates this run's one token with a short TTL. Input: PICLUSTER_DESCRIPTION, PICLUSTER_TTL,
# PICLUSTER_CREATE. The join command (it holds the token) goes to stdout only, for the caller, which registers the
# token with its redactor before anything else reads the output.
# shellcheck source=bootstrap-token-lib.sh
source bootstrap-token-lib.sh
echo "@@ deleted"
picluster_delete_tokens || exit 1
if [[ $PICLUSTER_CREATE == yes ]]; then
    echo "@@ join"
    kubeadm token create --ttl "$PICLUSTER_TTL" \
        --description "$PICLUSTER_DESCRIPTION" --print-join-command || exit 1
fi
