# shellcheck shell=bash
# On the leader, when the run ends (also after a failure or Ctrl+C): deletes every bootstrap token PiCluster made,
# recognised by PICLUSTER_DESCRIPTION.
# shellcheck source=bootstrap-token-lib.sh
source bootstrap-token-lib.sh
[[ -e /etc/kubernetes/admin.conf ]] || exit 0
picluster_delete_tokens
