# shellcheck shell=bash
# Facts for the TimeSync step, in one round trip.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
picluster_file_section dropin /etc/systemd/timesyncd.conf.d/picluster.conf
echo "@@ installed"
if [[ -x /lib/systemd/systemd-timesyncd || -x /usr/lib/systemd/systemd-timesyncd ]]; then echo yes; else echo no; fi
echo "@@ enabled"
systemctl is-enabled systemd-timesyncd 2>/dev/null || true
# One systemctl and one timedatectl for all of it: under emulation every process costs. is-active prints one state
# per unit, in the order given (unknown units are "inactive").
units=(systemd-timesyncd chrony.service ntpsec.service ntp.service openntpd.service)
mapfile -t states < <(systemctl is-active "${units[@]}" 2>/dev/null)
echo "@@ active"
if [[ -n ${states[0]:-} ]]; then echo "${states[0]}"; fi
echo "@@ other_daemon"
for ((i = 1; i < ${#units[@]}; i++)); do
    if [[ ${states[i]:-} == active ]]; then echo "${units[i]}"; fi
done
ntp='' synchronized=''
while IFS='=' read -r key value; do
    case $key in
        NTP) ntp=$value ;;
        NTPSynchronized) synchronized=$value ;;
    esac
done < <(timedatectl show -p NTP -p NTPSynchronized 2>/dev/null)
echo "@@ ntp"
if [[ -n $ntp ]]; then echo "$ntp"; fi
echo "@@ synchronized"
if [[ -n $synchronized ]]; then echo "$synchronized"; fi
