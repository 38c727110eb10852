# shellcheck shell=bash
# Configures systemd-timesyncd: installs it if needed (PICLUSTER_INSTALL=yes), writes the planned drop-in
# (PICLUSTER_WRITES), and enables and restarts it with NTP on (PICLUSTER_RESTART=yes).
# shellcheck source=prep-lib.sh
source prep-lib.sh
if [[ $PICLUSTER_INSTALL == yes ]]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q systemd-timesyncd >/dev/null; fi
picluster_write_files
if [[ $PICLUSTER_RESTART == yes ]]; then
    systemctl unmask systemd-timesyncd >/dev/null 2>&1 || true
    systemctl enable systemd-timesyncd >/dev/null 2>&1
    timedatectl set-ntp true
    systemctl restart systemd-timesyncd
fi
