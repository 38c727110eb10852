# shellcheck shell=bash
# Facts for the Cgroup step, in one round trip.
# The boot command line lives in the first of these that exists. On Bookworm /boot/cmdline.txt is only a stub
# pointing at /boot/firmware, so the firmware directory comes first.
# shellcheck source=prep-facts-lib.sh
source prep-facts-lib.sh
bootfile=""
for candidate in /boot/firmware/cmdline.txt /boot/cmdline.txt /etc/default/grub; do
    if [[ -f $candidate ]]; then bootfile=$candidate; break; fi
done
echo "@@ bootfile"
echo "$bootfile"
if [[ -n $bootfile ]]; then picluster_file_section content "$bootfile"; fi
echo "@@ update_grub"
command -v update-grub || command -v grub-mkconfig || true
echo "@@ grub_cfg_has_flags"
if [[ -r /boot/grub/grub.cfg ]] && grep -q 'cgroup_memory=1' /boot/grub/grub.cfg; then echo yes; else echo no; fi
echo "@@ proc_cmdline"
picluster_first_line /proc/cmdline
echo "@@ controllers"
picluster_first_line /sys/fs/cgroup/cgroup.controllers
