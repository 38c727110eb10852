#!/usr/bin/env python3
"""A stand-in for qemu-system-x86_64 in host tests of the lab's boot watching (test_bootwatch.py).

It understands the arguments the lab gives qemu that matter here: the serial console file (`-chardev
file,...,path=FILE` or `-serial file:FILE`), `-pidfile` and the QMP socket (`-qmp unix:PATH,server=on`, greeting
and events as qemu sends them). What it does is read from a plan: FAKE_QEMU_PLAN names a file with one behaviour a
line, and each start takes the next line (and appends it to FAKE_QEMU_PLAN.starts, so a test can count starts):

  stall             a few kernel lines, then silence until killed (the hang seen under emulation)
  boot              a boot's lines, a PILAB-HOSTKEY line, a login prompt, then quiet (a node that is up)
  boot-reboot       boot, then a guest reboot under -no-reboot: QMP SHUTDOWN guest-reset, exit 0 (a Pi power cycle)
  boot-reset-stall  boot, then a guest reset inside this qemu (QMP RESET, the GRUB flavour), whose boot stalls
  panic             a kernel panic on the console, then silence
  exit-ok           the image build's GRUB-setup boot: its lines, "Installation finished...", exit 0
  exit-fail         some lines, exit 1
"""
import json
import os
import socket
import sys
import threading
import time

KERNEL_LINES = [
    "[    0.000000] Linux version 6.1.0-50-amd64 (fake)",
    "[    0.000000] Command line: console=ttyS0,115200",
    "[    1.085459] hpet0: 3 comparators, 64-bit 100.000000 MHz counter",
    "[    1.096854] clocksource: Switched to clocksource hpet",
]
USERSPACE_LINES = [
    "[    2.100000] Run /init as init process",
    "[  OK  ] Reached target basic.target - Basic System.",
    "PILAB-HOSTKEY ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForTheLabTests0000000000000000",
    "[  OK  ] Started ssh.service - OpenBSD Secure Shell server.",
]


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv and argv.index(name) + 1 < len(argv) else None


def console_path(argv: list[str]) -> str:
    for i, a in enumerate(argv):
        if a == "-chardev" and argv[i + 1].startswith("file,"):
            return dict(kv.split("=", 1) for kv in argv[i + 1].split(",")[1:] if "=" in kv)["path"]
        if a == "-serial" and argv[i + 1].startswith("file:"):
            return argv[i + 1][len("file:"):]
    raise SystemExit("fake qemu: no console file in the arguments")


class Qmp:
    """Serves one QMP client (the node supervisor) on the -qmp socket, if there is one."""

    def __init__(self, argv: list[str]):
        self.conn, self.ready = None, threading.Event()
        spec = option(argv, "-qmp")
        if not spec:
            return
        path = spec[len("unix:"):].split(",")[0]
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        conn.sendall(b'{"QMP": {"version": {"qemu": {"major": 7}}, "capabilities": []}}\r\n')
        conn.recv(4096)  # qmp_capabilities
        conn.sendall(b'{"return": {}}\r\n')
        self.conn = conn
        self.ready.set()

    def event(self, name: str, data: dict) -> None:
        if self.ready.wait(10):
            self.conn.sendall(json.dumps({"event": name, "data": data}).encode() + b"\r\n")


def main() -> int:
    argv = sys.argv[1:]
    plan = os.environ["FAKE_QEMU_PLAN"]
    with open(plan + ".starts", "a+") as starts:
        starts.seek(0)
        n = len(starts.read().splitlines())
        steps = open(plan).read().split()
        step = steps[n] if n < len(steps) else steps[-1]
        starts.write(step + "\n")
    if option(argv, "-pidfile"):
        with open(option(argv, "-pidfile"), "w") as f:
            f.write(str(os.getpid()))
    qmp = Qmp(argv)
    console = open(console_path(argv), "a")

    def say(*lines: str) -> None:
        for line in lines:
            console.write(line + "\r\n")
            console.flush()
            time.sleep(0.02)

    def boot() -> None:
        say(*KERNEL_LINES, *USERSPACE_LINES, "", "Debian GNU/Linux 12 raspberrypi ttyS0", "")
        console.write("raspberrypi login: ")
        console.flush()

    def forever() -> None:
        while True:
            time.sleep(60)

    if step == "stall":
        say(*KERNEL_LINES)
        forever()
    elif step == "boot":
        boot()
        forever()
    elif step == "boot-reboot":
        boot()
        time.sleep(0.5)
        say("", "[   60.000000] reboot: Restarting system")
        qmp.event("SHUTDOWN", {"guest": True, "reason": "guest-reset"})
        return 0
    elif step == "boot-reset-stall":
        boot()
        time.sleep(0.5)
        say("", "[   60.000000] reboot: Restarting system")
        qmp.event("RESET", {"guest": True, "reason": "guest-reset"})
        say(*KERNEL_LINES)
        forever()
    elif step == "panic":
        say(*KERNEL_LINES, "[    3.000000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)")
        forever()
    elif step == "exit-ok":
        say(*KERNEL_LINES, "[   49.5] pilab-grubsetup[316]: Installing for i386-pc platform.",
            "[   53.7] pilab-grubsetup[316]: Installation finished. No error reported.", "[   66.7] reboot: Power down")
        return 0
    elif step == "exit-fail":
        say(*KERNEL_LINES)
        return 1
    raise SystemExit(f"fake qemu: unknown step {step!r}")


if __name__ == "__main__":
    sys.exit(main())
