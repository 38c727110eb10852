# shellcheck shell=bash
# Pulls the control-plane images named by PiCluster's kubeadm configuration (its version and imageRepository).
# Input: PICLUSTER_CONFIG.
kubeadm config images pull --config "$PICLUSTER_CONFIG"
