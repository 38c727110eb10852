# shellcheck shell=bash
# Records the SHA-256 of the manifest just applied and verified, so a second run can say Unchanged. Inputs:
# PICLUSTER_RECORD, PICLUSTER_SHA256.
umask 077
mkdir -p -- "$(dirname -- "$PICLUSTER_RECORD")"
printf '%s\n' "$PICLUSTER_SHA256" >"$PICLUSTER_RECORD.tmp"
mv -f -- "$PICLUSTER_RECORD.tmp" "$PICLUSTER_RECORD"
