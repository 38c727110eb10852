# shellcheck shell=bash
# Facts for the container runtime step, in one round trip.
# Inputs: PICLUSTER_RUNTIME (containerd|crio), PICLUSTER_SERVICE, PICLUSTER_PACKAGE, PICLUSTER_CONFIG (may be empty),
# PICLUSTER_SOURCES and PICLUSTER_KEYRING (a runtime from its own repository; may be empty).
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=k8s-apt-lib.sh
source k8s-apt-lib.sh
echo "@@ package"
packages=$(dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' "$PICLUSTER_PACKAGE" containerd containerd.io cri-o 2>/dev/null || true)
if [[ -n $packages ]]; then printf '%s\n' "$packages"; fi
# The version apt would install names the install in the plan: apt-cache loads apt's whole cache (seconds under
# emulation), so it runs only when the runtime is not installed (Docker's containerd.io counts as containerd).
declare -A status=()
picluster_read_package_status status <<<"$packages"
if ! picluster_status_installed "${status[$PICLUSTER_PACKAGE]:-}" &&
    ! { [[ $PICLUSTER_RUNTIME == containerd ]] && picluster_status_installed "${status[containerd.io]:-}"; }; then
    echo "@@ candidate"
    apt-cache policy "$PICLUSTER_PACKAGE" 2>/dev/null | sed -n 's/^ *Candidate: //p'
fi
if [[ -n ${PICLUSTER_CONFIG:-} ]]; then
    picluster_file_section config "$PICLUSTER_CONFIG"
    # An unmodified packaged config (Debian's stub, Docker's CRI-less one) is regenerated from the defaults.
    echo "@@ config_pristine"
    packaged=$({ dpkg-query -W -f='${Conffiles}\n' containerd containerd.io 2>/dev/null || true; } | awk -v f="$PICLUSTER_CONFIG" '$1 == f { print $2; exit }')
    pristine=no
    if [[ -n $packaged && -f $PICLUSTER_CONFIG && $(md5sum <"$PICLUSTER_CONFIG" | cut -d' ' -f1) == "$packaged" ]]; then pristine=yes; fi
    echo "$pristine"
    # The defaults replace only a missing or pristine config: containerd is a large binary to start under emulation.
    if [[ ! -r $PICLUSTER_CONFIG || $pristine == yes ]]; then
        echo "@@ default_config"
        if command -v containerd >/dev/null; then containerd config default 2>/dev/null | base64 -w0; echo; fi
    fi
fi
if [[ -n ${PICLUSTER_SOURCES:-} ]]; then
    picluster_file_section sources "$PICLUSTER_SOURCES"
    picluster_file_section keyring "$PICLUSTER_KEYRING"
    echo "@@ apt_installed"
    dpkg-query -W -f='${Package} ${Version} ${db:Status-Abbrev}\n' ca-certificates curl gpg 2>/dev/null || true
fi
picluster_file_section crictl /etc/crictl.yaml
echo "@@ service"
echo "$(systemctl is-enabled "$PICLUSTER_SERVICE" 2>/dev/null || true) $(systemctl is-active "$PICLUSTER_SERVICE" 2>/dev/null || true)"
echo "@@ cri_plugin"
if [[ $PICLUSTER_RUNTIME == containerd ]] && command -v ctr >/dev/null; then
    # TYPE ID PLATFORMS STATUS; "ok" once the CRI plugin runs.
    timeout 10 ctr plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }' || true
fi
echo "@@ locks"
picluster_apt_lock_holders || true
