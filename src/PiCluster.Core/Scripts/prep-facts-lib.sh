# shellcheck shell=bash
# What the node-preparation fact scripts share: prep-lib.sh's functions, without its stop-on-error settings. Fact
# scripts only read: a probe that fails (a missing unit, an absent tool) must not end the script early.
# shellcheck source=prep-lib.sh
source prep-lib.sh
set +e +o pipefail
