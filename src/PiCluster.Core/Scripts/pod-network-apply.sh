# shellcheck shell=bash
# Applies the patched CNI manifest, which comes on stdin (data, never part of this script), with the admin kubeconfig.
kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=60s apply -f -
