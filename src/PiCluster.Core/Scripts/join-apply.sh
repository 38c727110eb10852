# shellcheck shell=bash
# On a worker: writes the JoinConfiguration from stdin to PICLUSTER_CONFIG (mode 0600: it holds the bootstrap token)
# and runs kubeadm join with it. The file is removed when the join ends, joined or not. stderr keeps kubeadm's own
# error lines for the error record. The token is deleted on the leader when the run ends in any case.
umask 077
mkdir -p -- "$(dirname -- "$PICLUSTER_CONFIG")"
trap 'rm -f -- "$PICLUSTER_CONFIG"' EXIT
# A stopped run (the session closes) still removes it.
trap 'exit 1' HUP INT TERM
rm -f -- "$PICLUSTER_CONFIG"
if ! cat >"$PICLUSTER_CONFIG"; then
    echo "could not write $PICLUSTER_CONFIG" >&2
    exit 1
fi
chmod 0600 "$PICLUSTER_CONFIG"
kubeadm join --config "$PICLUSTER_CONFIG"
