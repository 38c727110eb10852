# shellcheck shell=bash
# Facts for Join-PiWorker on a worker. Read-only. Whether kubelet has a kubeconfig, and the CA it
# trusts (public): /etc/kubernetes/pki/ca.crt, else the CA data in kubelet.conf (only that line: an older kubelet.conf
# may embed the client key).
# shellcheck source=prep-lib.sh
source prep-lib.sh
echo "@@ kubelet_conf"
if [[ -e /etc/kubernetes/kubelet.conf ]]; then echo yes; else echo no; fi
picluster_file_section ca /etc/kubernetes/pki/ca.crt
echo "@@ ca_data"
if [[ -r /etc/kubernetes/kubelet.conf ]]; then
    sed -n 's/^[[:space:]]*certificate-authority-data:[[:space:]]*//p' /etc/kubernetes/kubelet.conf | head -n 1
fi
