# shellcheck shell=bash
# Functions shared by PiCluster's node scripts; a script pulls them in with `source prep-lib.sh` (RemoteScripts.cs).
set -euo pipefail
export LC_ALL=C

# picluster_write_file PATH EXPECTED MODE < base64-content
# Replaces PATH atomically with the decoded content:
#   - EXPECTED is the sha256 of the file as planned ("absent" when it did not exist); a file that changed since the
#     plan is left alone (exit 3), so an apply never overwrites what it did not diff;
#   - the content is decoded first into a staging file outside the target file system (/run), so a decoding problem
#     or a full disk never leaves half a file beside the original;
#   - before anything is written there, the target file system must have room for the new file and the backup
#     (rounded up to its blocks, plus one block): otherwise "picluster-disk-full NEED FREE PATH" on stderr, exit 28;
#   - the new content goes to a temporary file in the same directory (same file system, so the rename is atomic,
#     FAT boot partitions included), is compared with the staged bytes, fsynced, and renamed over the original;
#   - the original is kept beside it as PATH.picluster-<UTC timestamp>.bak, compared byte for byte (cmp) with the
#     original before the original is replaced; a backup that cannot be made whole is removed and nothing is replaced;
#   - owner and mode follow the original (MODE is used for a new file; FAT ignores both).
# Prints "backup PATH" for the backup it made.
picluster_write_file() {
    local path=$1 expected=$2 mode=$3
    local dir base current tmp stamp backup n staged new_size old_size block need free
    dir=$(dirname -- "$path")
    base=$(basename -- "$path")
    if [[ -e $path ]]; then current=$(sha256sum <"$path" | cut -d' ' -f1); else current=absent; fi
    if [[ $current != "$expected" ]]; then
        echo "$path changed since it was planned (expected $expected, found $current); run again" >&2
        return 3
    fi
    staged=$(mktemp -p /run picluster-new.XXXXXX 2>/dev/null || mktemp)
    if ! base64 -d >"$staged"; then
        rm -f -- "$staged"
        echo "could not decode the new content of $path; nothing was written" >&2
        return 1
    fi
    mkdir -p -- "$dir"
    # A temporary file left by an interrupted run is garbage: the original was never touched.
    rm -f -- "$dir/.$base.picluster-tmp."*
    new_size=$(stat -c %s -- "$staged")
    old_size=0
    if [[ -e $path ]]; then old_size=$(stat -c %s -- "$path"); fi
    block=$(stat -f -c %S -- "$dir" 2>/dev/null || echo 4096)
    ((block > 0)) || block=4096
    need=$(((new_size + block - 1) / block * block + (old_size + block - 1) / block * block + block))
    free=$(df -P -B1 -- "$dir" | awk 'NR == 2 { print $4 }')
    if [[ -n $free ]] && ((free < need)); then
        rm -f -- "$staged"
        echo "picluster-disk-full $need $free $path" >&2
        echo "the file system of $dir has $free bytes free; writing $path and its backup needs $need. Nothing was written" >&2
        return 28
    fi
    tmp=$(mktemp -- "$dir/.$base.picluster-tmp.XXXXXX") || { rm -f -- "$staged"; echo "picluster-disk-full $need ${free:-0} $path" >&2; return 28; }
    if ! cat -- "$staged" >"$tmp" || ! cmp -s -- "$staged" "$tmp"; then
        rm -f -- "$tmp" "$staged"
        echo "picluster-disk-full $need ${free:-0} $path" >&2
        echo "could not write the new content of $path in full; the original is untouched" >&2
        return 28
    fi
    rm -f -- "$staged"
    if [[ -e $path ]]; then
        chown --reference="$path" -- "$tmp" 2>/dev/null || true
        chmod --reference="$path" -- "$tmp" 2>/dev/null || true
        stamp=$(date -u +%Y%m%dT%H%M%SZ)
        backup="$path.picluster-$stamp.bak"
        n=1
        while [[ -e $backup ]]; do backup="$path.picluster-$stamp-$n.bak"; n=$((n + 1)); done
        # Not cp -p: FAT cannot keep owners, and a failed chown must not stop the backup. The bytes are what count.
        if ! cp -- "$path" "$backup" 2>/dev/null || ! sync -- "$backup" || ! cmp -s -- "$path" "$backup"; then
            rm -f -- "$backup" "$tmp"
            echo "picluster-disk-full $need ${free:-0} $path" >&2
            echo "could not keep a complete backup of $path; the original is untouched" >&2
            return 28
        fi
        touch -r "$path" -- "$backup" 2>/dev/null || true
        echo "backup $backup"
    else
        chmod "$mode" -- "$tmp" 2>/dev/null || true
    fi
    sync -- "$tmp"
    mv -f -- "$tmp" "$path"
    sync -- "$dir" 2>/dev/null || sync
}

# picluster_write_files: every write planned in PICLUSTER_WRITES (FileEdit.WriteRequest: per file a line
# "EXPECTED MODE PATH" and a line of base64 content), in order, through picluster_write_file. Stops at the first
# failure with its exit code (under set -e the script stops there, as with a direct call: no `||` here, which would
# switch set -e off inside picluster_write_file). The content is data in a variable, never part of the script's code.
picluster_write_files() {
    local expected mode path content status
    while IFS=' ' read -r expected mode path && IFS= read -r content; do
        picluster_write_file "$path" "$expected" "$mode" <<<"$content"
        status=$?
        ((status == 0)) || return "$status"
    done <<<"${PICLUSTER_WRITES:-}"
}

# picluster_sha256 PATH: the file's sha256, or "absent".
picluster_sha256() {
    if [[ -e $1 ]]; then sha256sum <"$1" | cut -d' ' -f1; else echo absent; fi
}

# Prints the first line of file $1 (a /proc or /sys value), read by the shell; nothing if it cannot be read.
picluster_first_line() {
    local line=''
    if [[ -r $1 ]] && { IFS= read -r line <"$1" || [[ -n $line ]]; }; then printf '%s\n' "$line"; fi
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
