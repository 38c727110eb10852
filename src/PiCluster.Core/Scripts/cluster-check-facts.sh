# shellcheck shell=bash
# picluster-cluster-check-facts: what Test-PiCluster checks on one node, read in one round trip as "@@ name" sections.
# Reads only. Input: PICLUSTER_CONTROL_PLANE (yes on a control-plane node of the file: it also reads the cluster as
# the admin kubeconfig sees it, and its own certificates). Command output is base64 (JSON may hold anything); a command
# that fails prints "@@ NAME_error" with its stderr instead.
export LC_ALL=C
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# shellcheck source=dpkg-status-lib.sh
source dpkg-status-lib.sh
# shellcheck source=fact-once-lib.sh
source fact-once-lib.sh
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
# kubelet's and kubeadm's versions: the installed packages as dpkg records them (the packages step's question, asked
# once in a batch; ClusterFacts.cs reads the versions from them), the binaries asked only where dpkg does not know
# them as installed (put there by hand): each binary's --version starts a large program.
echo "@@ packages"
packages=$(picluster_kubernetes_packages 2>/dev/null || true)
if [[ -n $packages ]]; then printf '%s\n' "$packages"; fi
declare -A status=()
picluster_read_package_status status <<<"$packages"
first_line() {
    if [[ -n $1 ]]; then printf '%s\n' "${1%%$'\n'*}"; fi
}
echo "@@ kubelet_version"
if ! picluster_status_installed "${status[kubelet]:-}" && command -v kubelet >/dev/null 2>&1; then first_line "$(kubelet --version 2>&1)"; fi
echo "@@ kubeadm_version"
if ! picluster_status_installed "${status[kubeadm]:-}" && command -v kubeadm >/dev/null 2>&1; then first_line "$(picluster_kubeadm_version 2>&1)"; fi

[[ ${PICLUSTER_CONTROL_PLANE:-no} == yes ]] || exit 0
echo "@@ admin_conf"
if [[ -e /etc/kubernetes/admin.conf ]]; then echo yes; else echo no; exit 0; fi
kc=(kubectl --kubeconfig /etc/kubernetes/admin.conf --request-timeout=20s)
captured server_version "${kc[@]}" version -o json
# join-leader-facts.sh's and pod-network-facts.sh's questions too: a batch asks each once.
captured nodes picluster_cluster_nodes
captured pods picluster_cluster_pods
captured certs timeout 30 kubeadm certs check-expiration -o json
