# shellcheck shell=bash
# Installs the runtime's package. Inputs: PICLUSTER_PACKAGE.
# The lists are refreshed only when apt does not know the package yet (a fresh image may have none).
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=k8s-apt-lib.sh
source k8s-apt-lib.sh
echo "@@ log"
picluster_wait_apt_lock
candidate=$(apt-cache policy "$PICLUSTER_PACKAGE" 2>/dev/null | sed -n 's/^ *Candidate: //p')
if [[ -z $candidate || $candidate == "(none)" ]]; then
    picluster_apt_update
    echo "refreshed the package lists"
fi
picluster_apt_get install --no-install-recommends "$PICLUSTER_PACKAGE"
echo "installed $PICLUSTER_PACKAGE"
