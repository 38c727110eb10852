# shellcheck shell=bash
# Whether this control plane already runs a cluster: kubeadm init leaves /etc/kubernetes/admin.conf behind, and the
# node that has it leads the run (never a second kubeadm init elsewhere). Prints yes or no.
if [[ -e /etc/kubernetes/admin.conf ]]; then echo yes; else echo no; fi
