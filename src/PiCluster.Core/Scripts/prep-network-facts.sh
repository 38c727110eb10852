# shellcheck shell=bash
# Facts for the Network step, in one round trip. Needs IFACE, NETWORKD_PATH, NETPLAN_PATH.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
: "${IFACE:?}" "${NETWORKD_PATH:?}" "${NETPLAN_PATH:?}"
echo "@@ iface"
if [[ -d /sys/class/net/$IFACE ]]; then echo present; else echo absent; fi
echo "@@ addresses"
ip -o -4 addr show dev "$IFACE" 2>/dev/null | awk '{print $4}'
# Local addresses of established SSH connections: a change that removes one of them cuts PiCluster off.
echo "@@ ssh_local"
ss -Htnp state established 2>/dev/null | awk '/"sshd/ {print $3}' | sed -e 's/:[0-9]*$//' -e 's/^\[//' -e 's/\]$//' | sort -u
echo "@@ manager"
if systemctl is-active -q NetworkManager 2>/dev/null; then manager=networkmanager
elif compgen -G '/etc/netplan/*.yaml' >/dev/null && command -v netplan >/dev/null; then manager=netplan
elif systemctl is-active -q dhcpcd 2>/dev/null; then manager=dhcpcd
elif systemctl is-active -q systemd-networkd 2>/dev/null; then manager=networkd
else manager=unknown; fi
echo "$manager"
if [[ $manager == networkmanager ]]; then
    # Two nmcli calls, not seven (each takes seconds under emulation): -t -f prints "FIELD:value" lines, values
    # unescaped (unlike -g), so the field is everything before the first colon; a setting the connection lacks (Wi-Fi
    # power saving on a wired one) prints no line and reads as empty.
    declare -A nm=()
    nm_fields() { # nmcli -t -f ARGS...: its FIELD:value lines into nm
        local line
        while IFS= read -r line; do
            if [[ $line == *:* ]]; then nm[${line%%:*}]=${line#*:}; fi
        done < <(nmcli -t -f "$@" 2>/dev/null || true)
    }
    nm_fields GENERAL.CON-UUID,GENERAL.CONNECTION device show "$IFACE"
    uuid=${nm[GENERAL.CON-UUID]:-}
    echo "@@ nm_uuid"
    echo "$uuid"
    echo "@@ nm_name"
    echo "${nm[GENERAL.CONNECTION]:-}"
    echo "@@ nm_props"
    if [[ -n $uuid ]]; then
        nm_fields ipv4.method,ipv4.addresses,ipv4.gateway,ipv4.dns,802-11-wireless.powersave connection show "$uuid"
        for property in ipv4.method ipv4.addresses ipv4.gateway ipv4.dns 802-11-wireless.powersave; do
            echo "$property=${nm[$property]:-}"
        done
    fi
fi
picluster_file_section dhcpcd_conf /etc/dhcpcd.conf
picluster_file_section networkd_file "$NETWORKD_PATH"
picluster_file_section netplan_file "$NETPLAN_PATH"
picluster_file_section powersave_unit /etc/systemd/system/picluster-wifi-powersave.service
echo "@@ wifi_power_save"
iw dev "$IFACE" get power_save 2>/dev/null || true
