# shellcheck shell=bash
# Sets up a signed apt repository (pkgs.k8s.io style) and refreshes apt's lists.
# Inputs: PICLUSTER_PREREQS (packages to install first, may be empty), PICLUSTER_KEY_URL (empty when the key comes
# inline), PICLUSTER_KEYRING, PICLUSTER_SOURCES, PICLUSTER_REPO_URL, PICLUSTER_WRITES (an inline key and the sources
# file, as picluster_write_files takes them), PICLUSTER_MADISON (yes: list the kubeadm versions the lists offer after).
# Never apt-key, never [trusted=yes], never a download piped into a shell: the key goes to a temporary file,
# is dearmored with gpg, and apt checks every Release file against it.
# shellcheck source=prep-lib.sh
source prep-lib.sh
# shellcheck source=k8s-apt-lib.sh
source k8s-apt-lib.sh
echo "@@ log"
picluster_wait_apt_lock
if [[ -n ${PICLUSTER_PREREQS:-} ]]; then
    # shellcheck disable=SC2086 # a list of package names
    if ! picluster_apt_get install --no-install-recommends $PICLUSTER_PREREQS; then
        picluster_apt_update || true
        # shellcheck disable=SC2086
        picluster_apt_get install --no-install-recommends $PICLUSTER_PREREQS
    fi
    echo "installed $PICLUSTER_PREREQS"
fi

# Keep the current files so that a repository apt refuses leaves the node as it was.
picluster_repo_saved=$(mktemp -d /run/picluster-repo.XXXXXX)
for f in "$PICLUSTER_KEYRING" "$PICLUSTER_SOURCES"; do
    if [[ -e $f ]]; then cp -p -- "$f" "$picluster_repo_saved/$(basename -- "$f")"; fi
done
picluster_repo_restore() {
    local f
    for f in "$PICLUSTER_KEYRING" "$PICLUSTER_SOURCES"; do
        if [[ -e $picluster_repo_saved/$(basename -- "$f") ]]; then cp -p -- "$picluster_repo_saved/$(basename -- "$f")" "$f"
        else rm -f -- "$f"; fi
    done
}
install -d -m 0755 /etc/apt/keyrings

if [[ -n ${PICLUSTER_KEY_URL:-} ]]; then
    key_tmp=$(mktemp)
    # https only (redirects too), unless the key is pinned by fingerprint: then plain http cannot swap it unnoticed.
    key_proto='=https'
    if [[ -n ${PICLUSTER_KEY_FINGERPRINT:-} ]]; then key_proto='=https,http'; fi
    if ! curl -fsSL --max-time 60 --proto "$key_proto" --proto-redir "$key_proto" --max-filesize "${PICLUSTER_KEY_MAX_BYTES:-65536}" \
        -o "$key_tmp" -- "$PICLUSTER_KEY_URL"; then
        rm -f -- "$key_tmp"
        echo "could not download the repository key from $PICLUSTER_KEY_URL" >&2
        exit 77
    fi
    if ! picluster_check_key "$key_tmp" "${PICLUSTER_KEY_FINGERPRINT:-}"; then
        rm -f -- "$key_tmp"
        exit 77
    fi
    if grep -q -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' "$key_tmp"; then
        gpg --batch --yes --dearmor -o "$key_tmp.gpg" "$key_tmp"
    else
        cp -- "$key_tmp" "$key_tmp.gpg"
    fi
    if ! cmp -s -- "$key_tmp.gpg" "$PICLUSTER_KEYRING"; then
        base64 -w0 <"$key_tmp.gpg" | picluster_write_file "$PICLUSTER_KEYRING" "$(picluster_sha256 "$PICLUSTER_KEYRING")" 0644
        echo "wrote $PICLUSTER_KEYRING from $PICLUSTER_KEY_URL"
    fi
    chmod 0644 -- "$PICLUSTER_KEYRING"
    rm -f -- "$key_tmp" "$key_tmp.gpg"
fi

picluster_repo_finish() {
    if picluster_apt_update; then :; else
        status=$?
        if ((status == 76)); then picluster_repo_restore; fi
        rm -rf -- "$picluster_repo_saved"
        exit "$status"
    fi
    rm -rf -- "$picluster_repo_saved"
    echo "refreshed the package lists"
}

picluster_write_files
picluster_repo_finish
if [[ ${PICLUSTER_MADISON:-no} == yes ]]; then
    echo "@@ madison"
    apt-cache madison kubeadm
fi
