# shellcheck shell=bash
# Facts for the TimeSync step, in one round trip.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
picluster_file_section dropin /etc/systemd/timesyncd.conf.d/picluster.conf
echo "@@ installed"
if [[ -x /lib/systemd/systemd-timesyncd || -x /usr/lib/systemd/systemd-timesyncd ]]; then echo yes; else echo no; fi
echo "@@ enabled"
systemctl is-enabled systemd-timesyncd 2>/dev/null || true
echo "@@ active"
systemctl is-active systemd-timesyncd 2>/dev/null || true
echo "@@ other_daemon"
for unit in chrony.service ntpsec.service ntp.service openntpd.service; do
    if systemctl is-active -q "$unit" 2>/dev/null; then echo "$unit"; fi
done
echo "@@ ntp"
timedatectl show -p NTP --value 2>/dev/null || true
echo "@@ synchronized"
timedatectl show -p NTPSynchronized --value 2>/dev/null || true
