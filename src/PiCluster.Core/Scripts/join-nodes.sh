# shellcheck shell=bash
# On the leader: the cluster's nodes as JSON, for the wait until a joined worker is Ready. Read-only.
kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=20s get nodes -o json
