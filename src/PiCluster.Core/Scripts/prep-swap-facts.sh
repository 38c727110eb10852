# shellcheck shell=bash
# Facts for the Swap step, in one round trip.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
echo "@@ swaps"
tail -n +2 /proc/swaps
picluster_file_section fstab /etc/fstab
# Units that turn swap on at boot, as "name unit-file-state active-state".
echo "@@ units"
{ systemctl list-unit-files --no-legend --full 'dphys-swapfile.service' 'zramswap.service' 'rpi-swap*.service' \
    'rpi-zram*.service' 'systemd-zram-setup@zram0.service' 2>/dev/null || true; } | while read -r unit state _; do
    [[ -n $unit ]] || continue
    echo "$unit $state $(systemctl is-active "$unit" 2>/dev/null || true)"
done
echo "@@ masked_by_picluster"
cat /var/lib/picluster/swap-masked-units 2>/dev/null || true
