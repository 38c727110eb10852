# shellcheck shell=bash
# Writes the planned files (picluster_write_files) and nothing else. Input: PICLUSTER_WRITES.
# shellcheck source=prep-lib.sh
source prep-lib.sh
picluster_write_files
