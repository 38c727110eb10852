# shellcheck shell=bash
# Facts for the Swap step, in one round trip.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
echo "@@ swaps"
{ IFS= read -r _ || true; while IFS= read -r line; do printf '%s\n' "$line"; done; } </proc/swaps
picluster_file_section fstab /etc/fstab
# Units that turn swap on at boot, as "name unit-file-state active-state".
# One systemctl for the units' states (is-active prints one per unit, in the order given), not one per unit.
echo "@@ units"
units=() states=()
while read -r unit state _; do
    if [[ -n $unit ]]; then units+=("$unit"); states+=("$state"); fi
done < <(systemctl list-unit-files --no-legend --full 'dphys-swapfile.service' 'zramswap.service' 'rpi-swap*.service' \
    'rpi-zram*.service' 'systemd-zram-setup@zram0.service' 2>/dev/null || true)
if ((${#units[@]} > 0)); then
    mapfile -t active < <(systemctl is-active "${units[@]}" 2>/dev/null || true)
    for ((i = 0; i < ${#units[@]}; i++)); do echo "${units[i]} ${states[i]} ${active[i]:-}"; done
fi
echo "@@ masked_by_picluster"
if [[ -r /var/lib/picluster/swap-masked-units ]]; then
    while IFS= read -r line || [[ -n $line ]]; do printf '%s\n' "$line"; done </var/lib/picluster/swap-masked-units
fi
