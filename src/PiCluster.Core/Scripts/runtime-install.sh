# shellcheck shell=bash
# Installs the runtime's package. Needs prep-lib.sh and k8s-apt-lib.sh. Inputs: PICLUSTER_PACKAGE.
# The lists are refreshed only when apt does not know the package yet (a fresh image may have none).
echo "@@ log"
picluster_wait_apt_lock
candidate=$(apt-cache policy "$PICLUSTER_PACKAGE" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [[ -z $candidate || $candidate == "(none)" ]]; then
    picluster_apt_update
    echo "refreshed the package lists"
fi
picluster_apt_get install --no-install-recommends "$PICLUSTER_PACKAGE"
echo "installed $PICLUSTER_PACKAGE"
