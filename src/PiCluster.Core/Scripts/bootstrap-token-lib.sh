# shellcheck shell=bash
# The bootstrap tokens PiCluster made, recognised by their description (PICLUSTER_DESCRIPTION). `kubeadm token list`
# prints each token whole (id.secret): only the public id (before the dot) leaves this pipe, so no secret reaches
# stdout, a log or a command line. Needs /etc/kubernetes/admin.conf.
picluster_token_ids() {
    # awk filters as well: a grep that matches nothing fails the pipe, and under prep-lib's pipefail the script.
    kubeadm token list \
        | PICLUSTER_MATCH=$PICLUSTER_DESCRIPTION awk 'index($0, ENVIRON["PICLUSTER_MATCH"]) { split($1, part, "."); print part[1] }'
}

# Deletes them by id (public, so it may be an argument); prints "deleted ID" for each.
picluster_delete_tokens() {
    local id status=0
    for id in $(picluster_token_ids); do
        if kubeadm token delete "$id" >/dev/null; then
            echo "deleted $id"
        else
            echo "could not delete bootstrap token $id" >&2
            status=1
        fi
    done
    return "$status"
}
