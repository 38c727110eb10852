# shellcheck shell=bash
# Schedules a reboot in a second: a timer, so the command returns before the connection goes down.
# shellcheck source=prep-lib.sh
source prep-lib.sh
systemd-run --quiet --no-block --on-active=1 /bin/systemctl reboot
