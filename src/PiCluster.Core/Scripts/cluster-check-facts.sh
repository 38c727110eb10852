# shellcheck shell=bash
# picluster-cluster-check-facts: what Test-PiCluster checks on one node, read in one round trip as "@@ name" sections.
# Reads only. Input: PICLUSTER_CONTROL_PLANE (yes on a control-plane node of the file: it also reads the cluster as
# the admin kubeconfig sees it, and its own certificates). Command output is base64 (JSON may hold anything); a command
# that fails prints "@@ NAME_error" with its stderr instead.
export LC_ALL=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

# $1 = section name, then the command: its stdout base64 on success, else its stderr as NAME_error.
captured() {
    local name=$1 out
    shift
    if out=$("$@" 2>"$errors"); then
        echo "@@ $name"
        printf '%s' "$out" | base64 -w0
        echo
    else
        echo "@@ ${name}_error"
        tail -n 5 "$errors"
    fi
}

echo "@@ swaps"
tail -n +2 /proc/swaps
echo "@@ cmdline"
cat /proc/cmdline
echo "@@ cgroup_controllers"
cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null || true
echo "@@ kubelet_version"
if command -v kubelet >/dev/null 2>&1; then kubelet --version 2>&1 | head -n 1; fi
echo "@@ kubeadm_version"
if command -v kubeadm >/dev/null 2>&1; then kubeadm version -o short 2>&1 | head -n 1; fi

[[ ${PICLUSTER_CONTROL_PLANE:-no} == yes ]] || exit 0
echo "@@ admin_conf"
if [[ -e /etc/kubernetes/admin.conf ]]; then echo yes; else echo no; exit 0; fi
kc=(kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=20s)
captured server_version "${kc[@]}" version -o json
captured nodes "${kc[@]}" get nodes -o json
captured pods "${kc[@]}" get pods --all-namespaces -o json
captured certs timeout 30 kubeadm certs check-expiration -o json
