# shellcheck shell=bash
# Enables and (re)starts the runtime, then checks it answers on its CRI socket.
# Writes the runtime's planned files first. Inputs: PICLUSTER_WRITES, PICLUSTER_SERVICE, PICLUSTER_SOCKET,
# PICLUSTER_RESTART (yes when the config changed: restart once), PICLUSTER_RUNTIME.
# shellcheck source=prep-lib.sh
source prep-lib.sh
picluster_write_files
echo "@@ log"
systemctl daemon-reload
if [[ $(systemctl is-enabled "$PICLUSTER_SERVICE" 2>/dev/null || true) != enabled ]]; then
    systemctl enable "$PICLUSTER_SERVICE" >&2
    echo "enabled $PICLUSTER_SERVICE"
fi
if [[ ${PICLUSTER_RESTART:-no} == yes ]]; then
    systemctl restart "$PICLUSTER_SERVICE"
    echo "restarted $PICLUSTER_SERVICE"
elif [[ $(systemctl is-active "$PICLUSTER_SERVICE" 2>/dev/null || true) != active ]]; then
    systemctl start "$PICLUSTER_SERVICE"
    echo "started $PICLUSTER_SERVICE"
fi

# Verify through the CRI socket: crictl when it is there (cri-tools comes with kubeadm), else containerd's own
# client, which lists the CRI plugin's status.
echo "@@ verify"
ok=''
for _ in $(seq 1 30); do
    if command -v crictl >/dev/null; then
        if timeout 10 crictl --runtime-endpoint "$PICLUSTER_SOCKET" info >/dev/null 2>&1; then ok="crictl info answered on $PICLUSTER_SOCKET"; break; fi
    elif [[ $PICLUSTER_RUNTIME == containerd ]]; then
        status=$(timeout 10 ctr plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }' || true)
        if [[ $status == ok ]] && timeout 10 ctr version >/dev/null 2>&1; then ok="containerd answers and its CRI plugin is ok (crictl not installed yet)"; break; fi
    elif [[ -S ${PICLUSTER_SOCKET#unix://} ]]; then
        ok="$PICLUSTER_SERVICE listens on $PICLUSTER_SOCKET"; break
    fi
    sleep 1
done
if [[ -z $ok ]]; then
    echo "$PICLUSTER_SERVICE does not answer on its CRI socket $PICLUSTER_SOCKET: $(systemctl is-active "$PICLUSTER_SERVICE" 2>&1 || true)" >&2
    journalctl -u "$PICLUSTER_SERVICE" -n 5 --no-pager 2>/dev/null | tail -n 5 >&2 || true
    exit 1
fi
echo "$ok"
