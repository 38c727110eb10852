# shellcheck shell=bash
# The pods of the plugin's namespace, for the wait until its DaemonSet runs everywhere. Input: PICLUSTER_NAMESPACE.
kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=30s -n "$PICLUSTER_NAMESPACE" get pods -o json
