#!/usr/bin/env python3
"""Stall detection for every qemu boot the lab makes: one mechanism for node boots and the image build.

Under software emulation a boot sometimes hangs for good (seen: the kernel silent after `clocksource: Switched to
clocksource hpet` for 600 s) and the same boot succeeds at once when tried again. A boot is called stalled when its
serial console has written nothing new for PILAB_STALL_SECONDS; the lab then kills that qemu and boots again, at
most PILAB_BOOT_ATTEMPTS times in all, and then fails with the console tail.

Used as a module by nodevm.py (node boots: up, start, reboot, the Pi power-cycle boots), and as a command by
image/build-image (a boot that ends with qemu exiting):

  bootwatch.py run --console FILE [--expect REGEX] [--prepare SHELL_COMMAND] [--timeout S] -- COMMAND...

`run` starts COMMAND (a qemu writing its serial console to FILE, appending), runs SHELL_COMMAND before every
attempt (say, a fresh disk overlay, so a killed attempt leaves nothing behind), and succeeds when COMMAND exits 0
and this attempt's console matches REGEX. Only a stall is retried: a boot that exits non-zero, lacks REGEX or
outlives --timeout (default 600 s, a console that never stops talking) fails at once. Exit status 0, or 1 with
the reason and the console tail on stderr.
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import time
from typing import Callable

# Healthy boots measured here under TCG: the longest console silence was 5-10 s on an idle host (kernel
# timestamps of a node boot and of the image build's GRUB-setup boot); a host at load 30 makes everything
# several times slower. 240 s leaves a wide margin over that and still cuts the 600 s hang seen on a fresh machine.
DEFAULT_STALL_SECONDS = 240.0
DEFAULT_BOOT_ATTEMPTS = 3
# What a finished boot prints on its serial console: systemd's serial getty ("raspberrypi login: ").
LOGIN_PROMPT = r"(^|\n)[A-Za-z0-9.-]+ login: "
TAIL_LINES = 25


def stall_seconds(env=os.environ) -> float:
    value = float(env.get("PILAB_STALL_SECONDS") or DEFAULT_STALL_SECONDS)
    if value <= 0:
        raise ValueError("PILAB_STALL_SECONDS must be positive")
    return value


def boot_attempts(env=os.environ) -> int:
    value = int(env.get("PILAB_BOOT_ATTEMPTS") or DEFAULT_BOOT_ATTEMPTS)
    if value < 1:
        raise ValueError("PILAB_BOOT_ATTEMPTS must be at least 1")
    return value


def file_size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def console_tail(path: str, offset: int = 0, lines: int = TAIL_LINES) -> str:
    """The last LINES lines written to the console file after OFFSET (carriage returns dropped)."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode("utf-8", "replace").replace("\r", "")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").split("\n")[-lines:])


def note_on_console(path: str, text: str) -> None:
    """A line of the lab's own in the console log (only while no qemu writes to it), so the tail tells the story."""
    with open(path, "a") as f:
        f.write(f"\npilab: {text}\n")


def stall_message(stall: float, attempt: int, attempts: int) -> str:
    if attempt < attempts:
        return f"boot stalled (no console output for {stall:g} s): killed qemu, boot attempt {attempt + 1} of {attempts}"
    return f"boot stalled (no console output for {stall:g} s) in each of {attempts} attempt(s): giving up"


def ssh_banner_probe(port: int, timeout: float = 5.0) -> Callable[[], bool]:
    """True when the node's sshd greets on 127.0.0.1:PORT (the qemu port forward): its userspace is up, whatever
    the console says (a quiet console after `loadvm`, or a guest that prints no login prompt)."""
    def probe() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
                s.settimeout(timeout)
                return s.recv(8).startswith(b"SSH-")
        except OSError:
            return False
    return probe


class BootWatch:
    """Follows one boot on a console file, from the file's current end.

    check() says how the boot stands: None (still booting, console alive), "done" (DONE_PATTERN seen, or the
    probe answered), "failed" (FAIL_PATTERN seen: a panic, the initramfs shell; reported by the lab, not retried)
    or "stalled" (nothing new on the console for STALL seconds, and the probe, if any, does not answer either).
    """

    def __init__(self, console: str, stall: float, done_pattern: str | None = None, fail_pattern: str | None = None,
                 probe: Callable[[], bool] | None = None, clock: Callable[[], float] = time.monotonic):
        self.console, self.stall, self.probe, self.clock = console, stall, probe, clock
        self.done = re.compile(done_pattern) if done_pattern else None
        self.fail = re.compile(fail_pattern) if fail_pattern else None
        self.offset = self.seen = file_size(console)
        self.started = self.last_output = self.last_probe = clock()
        self.longest_quiet = 0.0
        self.recent = ""  # the end of what this boot printed, so a pattern split across two reads still matches
        # Probe the SSH port only once the console has been quiet for a while, and not too often.
        self.probe_after = min(30.0, stall / 2)
        self.probe_every = min(15.0, stall / 2)

    def quiet_for(self) -> float:
        return self.clock() - self.last_output

    def elapsed(self) -> float:
        return self.clock() - self.started

    def _read_new(self) -> str:
        size = file_size(self.console)
        if size < self.seen:  # truncated: start over
            self.offset = self.seen = 0
        if size == self.seen:
            return ""
        with open(self.console, "rb") as f:
            f.seek(self.seen)
            data = f.read(size - self.seen)
        self.seen += len(data)
        return data.decode("utf-8", "replace").replace("\r", "")

    def check(self) -> str | None:
        new = self._read_new()
        now = self.clock()
        if new:
            self.longest_quiet = max(self.longest_quiet, now - self.last_output)
            self.last_output = now
            self.recent = (self.recent + new)[-16384:]
            if self.fail and self.fail.search(self.recent):
                return "failed"
            if self.done and self.done.search(self.recent):
                return "done"
            return None
        quiet = now - self.last_output
        if self.probe and quiet >= self.probe_after and now - self.last_probe >= self.probe_every:
            self.last_probe = now
            if self.probe():
                return "done"
        if quiet >= self.stall:
            self.longest_quiet = max(self.longest_quiet, quiet)
            if self.probe and self.probe():  # a last look before killing anything
                return "done"
            return "stalled"
        return None


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def run(console: str, command: list[str], expect: str | None, prepare: str | None, timeout: float,
        stall: float, attempts: int, poll: float = 0.5, log=lambda msg: print(f"bootwatch: {msg}", file=sys.stderr)) -> int:
    """A boot that ends with qemu exiting (the image build's), retried when it stalls. Returns an exit status."""
    for attempt in range(1, attempts + 1):
        if prepare:
            subprocess.run(["bash", "-c", prepare], check=True)
        watch = BootWatch(console, stall)
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL)
        outcome = None
        while proc.poll() is None:
            outcome = watch.check()
            if outcome == "stalled":
                break
            if watch.elapsed() > timeout:
                outcome = "timeout"
                break
            time.sleep(poll)
        if outcome in ("stalled", "timeout"):
            kill(proc)
        else:
            watch.check()  # the last words before qemu exited
        if outcome == "stalled":
            message = stall_message(stall, attempt, attempts)
            note_on_console(console, message)
            log(message)
            if attempt < attempts:
                continue
            reason = message
        elif outcome == "timeout":
            reason = f"boot still running after {timeout:g} s (its console did not stop): killed qemu"
        elif proc.returncode != 0:
            reason = f"qemu exited with status {proc.returncode}"
        elif expect and not re.search(expect, console_tail(console, watch.offset, lines=10**9)):
            reason = f"the boot ended without printing {expect!r}"
        else:
            log(f"boot finished in {watch.elapsed():.1f} s (attempt {attempt} of {attempts}, "
                f"longest console silence {watch.longest_quiet:.1f} s)")
            return 0
        log(f"BOOT FAILED: {reason}")
        log(f"console (last {TAIL_LINES} lines of attempt {attempt}):")
        for line in console_tail(console, watch.offset).split("\n"):
            print(f"  console| {line}", file=sys.stderr)
        return 1
    raise AssertionError("unreachable")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bootwatch.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    r = sub.add_parser("run", help="run a boot that ends with qemu exiting, retrying stalls")
    r.add_argument("--console", required=True)
    r.add_argument("--expect")
    r.add_argument("--prepare")
    r.add_argument("--timeout", type=float, default=600)
    r.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("run needs -- COMMAND...")
    return run(args.console, command, args.expect, args.prepare, args.timeout, stall_seconds(), boot_attempts())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
