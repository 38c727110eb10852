# shellcheck shell=bash
# Waits, bounded, for the node's own verdict on a network change (net-apply.sh writes it) and prints it, or "pending".
# Inputs: PICLUSTER_RESULT_FILE, PICLUSTER_WAIT_SECONDS.
for ((i = 0; i < PICLUSTER_WAIT_SECONDS; i++)); do
    if [[ -s $PICLUSTER_RESULT_FILE ]]; then cat "$PICLUSTER_RESULT_FILE"; exit 0; fi
    sleep 1
done
echo pending
