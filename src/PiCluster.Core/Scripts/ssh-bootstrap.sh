#!/bin/bash
# picluster-bootstrap: what `ssh ... bash -s` reads first on every command. The framed request follows it on the same
# stdin (bash reads a piped script byte by byte, so it does not swallow the request):
#   mode line: user | sudo | sudo-password
#   the sudo password line (sudo-password only; it is only ever read as data, never executed)
#   script byte length line, the script; input byte length line, the input
# The script runs as "bash" (through sudo if asked) with the input as its stdin.
# Stopping: sshd does not signal a command when its channel closes, so a watcher waits for end-of-file on our stdin
# (the client keeps stdin open until the command ends, and closes it, or dies, to cancel) and then stops the script's
# process group and this bootstrap. A user cannot signal sudo or root processes, so under sudo the root side watches
# this bootstrap's pid and stops its own process group when the bootstrap is gone.
# The last stderr line reports the exit code (so ssh's own failures, exit 255, are told apart from the script's) and
# the boot id (so a reconnect can tell that the node really rebooted).
__pc_main() {
  local mode pw='' n script input marker payload watcher rc
  # shellcheck disable=SC2016 # expanded by the bash that runs the script
  local run='trap "trap - TERM; kill -TERM 0" TERM
while [ -n "${1:-}" ] && IFS= read -r l && [ "$l" != "$1" ]; do :; done
IFS= read -r n; s=$(head -c "$n"; printf x); unset l n
{ eval "${s%x}"; } <&0 &
p=$!
if [ -n "${2:-}" ]; then
  (while [ -e "/proc/$2" ]; do sleep 1; done; kill -TERM 0) </dev/null >/dev/null 2>&1 &
  w=$!
fi
wait "$p"; r=$?
[ -z "${w:-}" ] || kill "$w" 2>/dev/null
exit "$r"'
  IFS= read -r mode || return 96
  if [ "$mode" = sudo-password ]; then IFS= read -r pw || return 96; fi
  IFS= read -r n || return 96
  script=$(head -c "$n"; printf x) && script=${script%x}
  IFS= read -r n || return 96
  input=$(head -c "$n"; printf x) && input=${input%x}
  n=$(LC_ALL=C && printf '%s' "${#script}")
  marker="@@picluster-$RANDOM$RANDOM$RANDOM"

  case $mode in
    sudo-password)
      # Check the password first, on a stdin that holds nothing else: a wrong one must not make sudo read on.
      # Not `sudo -v`: it asks unless every sudoers entry of the user is NOPASSWD (verifypw=all), and on Raspberry Pi OS
      # pi's group sudo entry is not, so it would ask for pi's locked password although running commands does not.
      if ! printf '%s\n' "$pw" | sudo -S -p '' true 2>/dev/null; then
        printf '@@picluster-sudo-failed wrong-password\n' >&2
        return 97
      fi ;;
    sudo)
      if ! sudo -n true 2>/dev/null; then
        printf '@@picluster-sudo-failed password-required\n' >&2
        return 97
      fi ;;
  esac

  # setsid: the payload leads a process group of its own (its pid), so the watcher can stop all of it; the
  # watcher leads one too, so it can be stopped with its cat.
  case $mode in
    user) printf '%s\n%s%s' "$n" "$script" "$input" | setsid bash -c "$run" bash & ;;
    sudo) printf '%s\n%s\n%s%s' "$marker" "$n" "$script" "$input" | setsid sudo -n bash -c "$run" bash "$marker" "$$" & ;;
    # If sudo does not ask (cached, NOPASSWD), the password line is skipped up to the marker, never executed.
    *) printf '%s\n%s\n%s\n%s%s' "$pw" "$marker" "$n" "$script" "$input" | setsid sudo -S -p '' bash -c "$run" bash "$marker" "$$" & ;;
  esac
  payload=$!
  pw='' input='' script=''
  # shellcheck disable=SC2016 # expanded by the watcher's bash
  setsid bash -c 'cat >/dev/null; kill -TERM -- "-$1" "$2" 2>/dev/null' bash "$payload" "$$" <&0 &
  watcher=$!
  wait "$payload"
  rc=$?
  kill -- "-$watcher" 2>/dev/null
  return "$rc"
}
# One line: bash runs it once read, and __pc_main reads the request that follows it on stdin. Nothing may follow.
__pc_main; __pc_rc=$?; printf '\n@@picluster-exit %s %s\n' "$__pc_rc" "$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)" >&2; exit 0
