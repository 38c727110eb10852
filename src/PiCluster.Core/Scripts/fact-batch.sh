#!/bin/bash
# picluster-fact-batch: several read-only fact scripts in one round trip (Engine/FactBatch.cs composes the request).
# stdin: the part count on a line; per part: the script's byte length on a line, the script, the input's byte length
# on a line, the input.
# stdout: per part, "@@picluster-part INDEX EXIT OUT_BYTES ERR_BYTES MICROSECONDS", a newline, then its stdout and its
# stderr. MICROSECONDS is how long the part took (bash 5's EPOCHREALTIME, no process), -1 where bash cannot tell:
# -Verbose names the slowest parts.
# Each part runs in a subshell of its own, so its `set -e`, traps and `exit` end only that part. Built-ins do the
# framing (read -N, ${#var} under LC_ALL=C): under emulation every extra process costs. Parts that ask the same
# question (kubectl get nodes on the leader) ask it once, through picluster_once.
set -u
export LC_ALL=C
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
# Where picluster_once (fact-once-lib.sh) keeps the answers this batch's parts share.
export PICLUSTER_FACT_CACHE=$work
IFS= read -r count || exit 96
for ((part = 0; part < count; part++)); do
    IFS= read -r length || exit 96
    script=''
    if ((length > 0)); then IFS= read -r -N "$length" script || exit 96; fi
    IFS= read -r length || exit 96
    input=''
    if ((length > 0)); then IFS= read -r -N "$length" input || exit 96; fi
    printf '%s' "$input" >"$work/in"
    started=${EPOCHREALTIME:-}
    (eval "$script") <"$work/in" >"$work/out" 2>"$work/err"
    code=$?
    ended=${EPOCHREALTIME:-}
    micros=-1
    if [[ $started == *.* && $ended == *.* ]]; then micros=$((10#${ended/./} - 10#${started/./})); fi
    out='' err=''
    IFS= read -r -d '' out <"$work/out" || true
    IFS= read -r -d '' err <"$work/err" || true
    printf '@@picluster-part %d %d %d %d %d\n%s%s' "$part" "$code" "${#out}" "${#err}" "$micros" "$out" "$err"
done
