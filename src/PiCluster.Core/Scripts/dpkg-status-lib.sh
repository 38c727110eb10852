# shellcheck shell=bash
# Reading dpkg's package states; read-only, so the read-only fact scripts (cluster-check-facts.sh) share it with
# k8s-apt-lib.sh's users.

# Reads dpkg-query "PACKAGE VERSION STATUS" lines (STATUS = db:Status-Abbrev) on stdin into the associative array
# named $1, package -> status. The status is the last field: a package dpkg knows but never installed has no version.
picluster_read_package_status() {
    local -n into=$1
    local -a fields
    while read -r -a fields; do
        # shellcheck disable=SC2034 # into is a nameref: the caller's array is what it fills
        if ((${#fields[@]} >= 2)); then into["${fields[0]}"]=${fields[-1]}; fi
    done
}

# Whether the status (db:Status-Abbrev) says installed: its second letter.
picluster_status_installed() { [[ ${1:1:1} == i ]]; }
