# shellcheck shell=bash
# apt helpers for the runtime and Kubernetes package steps. Their scripts source it after prep-lib.sh.
# Locks are waited for, never fought: PiCluster does not delete lock files and does not kill their holder
# (at first boot that is usually unattended-upgrades, which must be left to finish).
# Inputs: PICLUSTER_LOCK_TIMEOUT (seconds, the whole script's budget for waiting on locks).
export DEBIAN_FRONTEND=noninteractive
picluster_lock_deadline=$((SECONDS + ${PICLUSTER_LOCK_TIMEOUT:-300}))
# shellcheck source=dpkg-status-lib.sh
source dpkg-status-lib.sh

# Prints "PATH PID COMMAND" for every apt/dpkg lock that a process holds now. apt and dpkg take POSIX (fcntl)
# locks, which /proc/locks lists with the holder's pid and the lock file's inode.
picluster_apt_lock_holders() {
    local file line pid dev comm n
    local -a files=() inodes=()
    for file in /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock; do
        if [[ -e $file ]]; then files+=("$file"); fi
    done
    ((${#files[@]} > 0)) || return 0
    # One stat for every lock file, and the shell reads /proc: under emulation every process costs.
    mapfile -t inodes < <(stat -c %i -- "${files[@]}")
    for ((n = 0; n < ${#files[@]}; n++)); do
        while read -r line; do
            [[ $line == *"->"* ]] && continue # a waiter, not a holder
            read -r _ _ _ _ pid dev _ <<<"$line"
            [[ ${dev##*:} == "${inodes[n]:-}" ]] || continue
            comm=unknown
            if [[ -r /proc/$pid/comm ]]; then IFS= read -r comm <"/proc/$pid/comm" || comm=unknown; fi
            echo "${files[n]} $pid $comm"
        done </proc/locks
    done
}

# Waits (within the script's budget) until no apt/dpkg lock is held. Exits 75 naming the holders when time runs out.
picluster_wait_apt_lock() {
    local holders said=''
    while holders=$(picluster_apt_lock_holders) && [[ -n $holders ]]; do
        if ((SECONDS >= picluster_lock_deadline)); then
            echo "the apt/dpkg lock is still held after ${PICLUSTER_LOCK_TIMEOUT:-300} s by $(picluster_describe_holders "$holders")" >&2
            exit 75
        fi
        if [[ -z $said ]]; then echo "waiting for the apt/dpkg lock held by $(picluster_describe_holders "$holders")"; said=1; fi
        sleep 2
    done
}

picluster_describe_holders() {
    awk '{ print $3 " (pid " $2 ", " $1 ")" }' <<<"$1" | sort -u | paste -sd ';' - | sed 's/;/; /g'
}

# apt-get with the lock budget left: apt itself waits on the dpkg lock too (DPkg::Lock::Timeout), which covers
# a holder that starts between our check and apt's. Output goes to stderr so fact sections stay clean.
picluster_apt_get() {
    picluster_wait_apt_lock
    local left=$((picluster_lock_deadline - SECONDS)) output status
    ((left > 0)) || left=1
    set +e
    output=$(apt-get -q -y -o "DPkg::Lock::Timeout=$left" -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" 2>&1)
    status=$?
    set -e
    printf '%s\n' "$output" >&2
    if ((status != 0)) && grep -qE 'Could not get lock|Unable to acquire the dpkg frontend lock|Unable to lock' <<<"$output"; then
        echo "the apt/dpkg lock stayed held past ${PICLUSTER_LOCK_TIMEOUT:-300} s (apt-get $*)" >&2
        exit 75
    fi
    return "$status"
}

# apt-get update; returns 76 (apt's own words on stderr) when apt refuses a repository's signature, 75 on the lock.
picluster_apt_update() {
    picluster_wait_apt_lock
    local left=$((picluster_lock_deadline - SECONDS)) output status
    ((left > 0)) || left=1
    set +e
    output=$(apt-get -q -o "DPkg::Lock::Timeout=$left" update 2>&1)
    status=$?
    set -e
    printf '%s\n' "$output" >&2
    if grep -qE 'NO_PUBKEY|is not signed|signatures (couldn.t|were invalid)|BADSIG|EXPKEYSIG|not signed|InRelease.*(invalid|Invalid)' <<<"$output"; then
        grep -E '^(E|W|Err):|NO_PUBKEY|signature' <<<"$output" | head -n 5 >&2
        return 76
    fi
    if ((status != 0)) && grep -qE 'Could not get lock|Unable to lock' <<<"$output"; then return 75; fi
    return "$status"
}

# picluster_check_key FILE [FINGERPRINT]: the downloaded file must be an OpenPGP public key (no secret key in it)
# and, when a fingerprint is pinned, every primary key in it must have that fingerprint. Says why on stderr.
# gpg runs with a throwaway home, so nothing is imported anywhere.
picluster_check_key() {
    local file=$1 wanted=${2:-} home listing fprs
    home=$(mktemp -d)
    if ! listing=$(GNUPGHOME=$home gpg --batch --quiet --with-colons --show-keys -- "$file" 2>/dev/null); then
        rm -rf -- "$home"
        echo "the downloaded repository key is not an OpenPGP key" >&2
        return 1
    fi
    rm -rf -- "$home"
    if grep -q '^sec' <<<"$listing" || ! grep -q '^pub' <<<"$listing"; then
        echo "the downloaded repository key is not an OpenPGP public key" >&2
        return 1
    fi
    [[ -n $wanted ]] || return 0
    # The fpr record right after each pub record is that primary key's fingerprint.
    fprs=$(awk -F: '$1 == "pub" { want = 1; next } $1 == "fpr" && want { print $10; want = 0 }' <<<"$listing")
    if [[ -z $fprs ]] || grep -qvx -- "$wanted" <<<"$fprs"; then
        echo "the downloaded repository key has the fingerprint $(paste -sd ' ' - <<<"$fprs"), not the pinned $wanted" >&2
        return 1
    fi
}
