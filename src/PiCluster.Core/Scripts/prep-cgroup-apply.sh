# shellcheck shell=bash
# Writes the planned boot file (PICLUSTER_WRITES), runs update-grub or grub-mkconfig when PICLUSTER_UPDATE_GRUB names
# it, and checks what was written: cmdline.txt is one line with the flags, or grub.cfg carries them.
# Inputs: PICLUSTER_WRITES, PICLUSTER_BOOTFILE, PICLUSTER_UPDATE_GRUB (the command, or empty).
# shellcheck source=prep-lib.sh
source prep-lib.sh
picluster_write_files
if [[ -n $PICLUSTER_UPDATE_GRUB ]]; then
    if [[ $PICLUSTER_UPDATE_GRUB == *grub-mkconfig ]]; then
        "$PICLUSTER_UPDATE_GRUB" -o /boot/grub/grub.cfg 2>&1 >/dev/null | tail -n 5 >&2
    else
        "$PICLUSTER_UPDATE_GRUB" >/dev/null 2>&1 || { echo 'update-grub failed' >&2; exit 1; }
    fi
fi
if [[ $PICLUSTER_BOOTFILE == /etc/default/grub ]]; then
    grep -q 'cgroup_memory=1' /boot/grub/grub.cfg || { echo 'grub.cfg lacks the cgroup flags after update-grub' >&2; exit 1; }
else
    if ! { [[ $(wc -l <"$PICLUSTER_BOOTFILE") -eq 1 ]] && grep -q 'cgroup_enable=memory' "$PICLUSTER_BOOTFILE"; }; then
        echo "$PICLUSTER_BOOTFILE is not as written" >&2
        exit 1
    fi
fi
