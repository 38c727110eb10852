# shellcheck shell=bash
# Facts for the Restart step, in one round trip: the boot id, why a reboot is pending, and where the boot file's
# backup is (named in the error if the node does not come back).
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
echo "@@ boot_id"
picluster_first_line /proc/sys/kernel/random/boot_id
bootfile=""
for candidate in /boot/firmware/cmdline.txt /boot/cmdline.txt /etc/default/grub; do
    if [[ -f $candidate ]]; then bootfile=$candidate; break; fi
done
echo "@@ bootfile"
echo "$bootfile"
echo "@@ backup"
if [[ -n $bootfile ]]; then
    # The newest backup PiCluster made of the boot file: names sort by their UTC timestamp, and so does a glob (C locale).
    backups=("$bootfile".picluster-*.bak)
    newest=${backups[${#backups[@]} - 1]}
    if [[ -e $newest ]]; then echo "$newest"; fi
fi
echo "@@ pending"
configured=$bootfile
if [[ $bootfile == /etc/default/grub ]]; then configured=/boot/grub/grub.cfg; fi
if [[ -n $configured && -r $configured ]] && grep -q 'cgroup_memory=1' "$configured" && ! grep -q 'cgroup_memory=1' /proc/cmdline; then
    echo "the cgroup flags in $configured are not active yet"
fi
if [[ -e /var/run/reboot-required ]]; then echo "the system asks for a reboot (/var/run/reboot-required)"; fi
