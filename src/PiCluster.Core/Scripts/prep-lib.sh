# shellcheck shell=bash
# Functions shared by PiCluster's node-preparation scripts. Prepended to each generated apply script.
set -euo pipefail
export LC_ALL=C

# picluster_write_file PATH EXPECTED MODE < base64-content
# Replaces PATH atomically with the decoded content:
#   - EXPECTED is the sha256 of the file as planned ("absent" when it did not exist); a file that changed since the
#     plan is left alone (exit 3), so an apply never overwrites what it did not diff;
#   - the new content goes to a temporary file in the same directory (same file system, so the rename is atomic,
#     FAT boot partitions included), is fsynced, and renamed over the original;
#   - the original is kept byte for byte beside it as PATH.picluster-<UTC timestamp>.bak;
#   - owner and mode follow the original (MODE is used for a new file; FAT ignores both).
# Prints "backup PATH" for the backup it made.
picluster_write_file() {
    local path=$1 expected=$2 mode=$3
    local dir base current tmp stamp backup n
    dir=$(dirname -- "$path")
    base=$(basename -- "$path")
    if [[ -e $path ]]; then current=$(sha256sum <"$path" | cut -d' ' -f1); else current=absent; fi
    if [[ $current != "$expected" ]]; then
        echo "$path changed since it was planned (expected $expected, found $current); run again" >&2
        return 3
    fi
    mkdir -p -- "$dir"
    # A temporary file left by an interrupted run is garbage: the original was never touched.
    rm -f -- "$dir/.$base.picluster-tmp."*
    tmp=$(mktemp -- "$dir/.$base.picluster-tmp.XXXXXX")
    if ! base64 -d >"$tmp"; then rm -f -- "$tmp"; echo "could not decode the new content of $path" >&2; return 1; fi
    if [[ -e $path ]]; then
        chown --reference="$path" -- "$tmp" 2>/dev/null || true
        chmod --reference="$path" -- "$tmp" 2>/dev/null || true
        stamp=$(date -u +%Y%m%dT%H%M%SZ)
        backup="$path.picluster-$stamp.bak"
        n=1
        while [[ -e $backup ]]; do backup="$path.picluster-$stamp-$n.bak"; n=$((n + 1)); done
        # Not cp -p: FAT cannot keep owners, and a failed chown must not stop the backup. The bytes are what count.
        cp -- "$path" "$backup"
        touch -r "$path" -- "$backup" 2>/dev/null || true
        sync -- "$backup"
        echo "backup $backup"
    else
        chmod "$mode" -- "$tmp" 2>/dev/null || true
    fi
    sync -- "$tmp"
    mv -f -- "$tmp" "$path"
    sync -- "$dir" 2>/dev/null || sync
}

# picluster_sha256 PATH: the file's sha256, or "absent".
picluster_sha256() {
    if [[ -e $1 ]]; then sha256sum <"$1" | cut -d' ' -f1; else echo absent; fi
}

# picluster_section NAME PATH: prints a fact section holding the file's bytes in base64 (or marks it missing).
picluster_file_section() {
    if [[ -r $2 ]]; then
        echo "@@ $1"
        base64 -w0 <"$2"
        echo
    else
        echo "@@ $1 !missing"
    fi
}
