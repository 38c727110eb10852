# shellcheck shell=bash
# Schedules a reboot in two seconds: a timer, so the command usually returns before the connection goes down (the
# caller also takes a connection lost here for the reboot under way, and waits for a new boot id either way).
# shellcheck source=prep-lib.sh
source prep-lib.sh
systemd-run --quiet --no-block --on-active=2 /bin/systemctl reboot
