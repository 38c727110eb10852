# shellcheck shell=bash
# Waits, bounded, until the clock is synchronised from the configured servers. Input: PICLUSTER_WAIT_SECONDS.
# NTPSynchronized alone is no proof: the kernel keeps saying "synchronised" for hours after any earlier sync (another
# server, the old settings), so the running timesyncd must also have had an answer (its NTPMessage is empty until the
# first reply, and a restart empties it). Exit 4 on timeout, printing the server it last tried.
check_reply=''
if timedatectl --help 2>/dev/null | grep -q show-timesync; then check_reply=yes; fi # systemd >= 239
answered() { [[ -z $check_reply || -n $(timedatectl show-timesync -p NTPMessage --value 2>/dev/null) ]]; }
for ((i = 0; i < PICLUSTER_WAIT_SECONDS; i++)); do
    if [[ $(timedatectl show -p NTPSynchronized --value) == yes ]] && answered; then exit 0; fi
    sleep 1
done
if [[ -n $check_reply ]]; then timedatectl show-timesync -p ServerName --value 2>/dev/null || true; fi
exit 4
