#!/usr/bin/env python3
"""Runs one lab node: qemu, plus the Raspberry Pi firmware's part for the pi flavour.

A Pi reads the kernel command line from cmdline.txt on its FAT boot partition at every boot (after arguments of
its own, of which cgroup_disable=memory is played here: see firmware_cmdline).
qemu's -append cannot change while qemu runs, so a pi-flavour node runs with -no-reboot: a guest
reboot ends qemu, and this loop reads cmdline.txt out of the node's own boot disk and starts
qemu again with it. A guest power-off ends the loop. The GRUB flavour boots through real GRUB
from its disk and reboots inside one qemu process.

Usage: nodevm.py NODE_DIR    (NODE_DIR/config.json written by `lab`)
Files in NODE_DIR: status (running|rebooting|off|stopped|crashed|stalled), boots (qemu starts), cmdline (last
-append), supervisor.log, console.log (serial, appended), monitor.sock (HMP), qmp.sock, qemu.pid; stall-retries
(boots started again because one stalled, see bootwatch.py) and boot-failure (why the node gave up, status stalled).
"""
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootwatch  # noqa: E402  (the lab's own module, next to this file)


def log(node_dir: str, msg: str) -> None:
    with open(os.path.join(node_dir, "supervisor.log"), "a") as f:
        f.write(f"{time.strftime('%H:%M:%S')} {msg}\n")


def write(node_dir: str, name: str, value: str) -> None:
    tmp = os.path.join(node_dir, f".{name}.tmp")
    with open(tmp, "w") as f:
        f.write(value)
    os.replace(tmp, os.path.join(node_dir, name))


def read_cmdline(boot_disk: str) -> str:
    """First line of cmdline.txt on the boot disk, as the Pi firmware uses it (later lines are ignored)."""
    with tempfile.TemporaryDirectory(prefix="pilab-fw-") as tmp:
        raw = os.path.join(tmp, "boot.raw")
        subprocess.run(["qemu-img", "convert", "-U", "-O", "raw", boot_disk, raw], check=True)
        r = subprocess.run(["mtype", "-i", raw, "::cmdline.txt"], capture_output=True)
        if r.returncode != 0:
            return ""
        text = r.stdout.decode("utf-8", "replace")
    return text.split("\n", 1)[0].strip()


def firmware_cmdline(cmdline_txt: str) -> str:
    """The kernel command line a Raspberry Pi boots with: the firmware's own arguments, then cmdline.txt.

    Of the firmware's arguments only the one that matters to PiCluster is played: Raspberry Pi OS kernels keep the
    memory cgroup controller off unless told otherwise (the firmware puts cgroup_disable=memory before cmdline.txt's
    arguments, and the Pi kernel's own cgroup_enable=memory, coming later, turns it back on). The Debian kernel here
    has no cgroup_enable=, so when cmdline.txt enables memory the stand-in leaves the disable out instead.
    """
    enables = [a.split("=", 1)[1].split(",") for a in cmdline_txt.split() if a.startswith("cgroup_enable=")]
    if any("memory" in controllers for controllers in enables):
        return cmdline_txt
    return f"cgroup_disable=memory {cmdline_txt}".rstrip()


def uplink_netdev(cfg: dict) -> str:
    """qemu user networking with the node's forwards, on 127.0.0.1 only: SSH, and on the control-plane node the API
    server's 6443 (to the guest's uplink address, where kube-apiserver listens as it binds every address)."""
    forwards = [f"hostfwd=tcp:127.0.0.1:{cfg['sshPort']}-:22"]
    if cfg.get("apiPort"):
        forwards.append(f"hostfwd=tcp:127.0.0.1:{cfg['apiPort']}-:6443")
    return ",".join(["user", "id=up", *forwards])


def qemu_args(cfg: dict, node_dir: str, cmdline: str | None, loadvm: str | None) -> list[str]:
    p = lambda name: os.path.join(node_dir, name)  # noqa: E731
    args = [
        "qemu-system-x86_64", "-name", cfg["name"], "-machine", "pc", "-nodefaults",
        "-display", "none", "-vga", "none",
        *cfg["accel"].split(), "-m", str(cfg["memoryMiB"]), "-smp", str(cfg["cpus"]),
        "-chardev", f"file,id=ser0,path={p('console.log')},append=on", "-serial", "chardev:ser0",
        "-monitor", f"unix:{p('monitor.sock')},server=on,wait=off",
        "-qmp", f"unix:{p('qmp.sock')},server=on,wait=off",
        "-pidfile", p("qemu.pid"),
        "-fw_cfg", f"name=opt/pilab/lan,string={cfg['lanAddress']}/{cfg['lanPrefix']}",
        "-fw_cfg", f"name=opt/pilab/authorized_keys,file={cfg['authorizedKeys']}",
        # eth0: the private lab LAN (userspace switch); eth1: qemu user networking (SSH, packages).
        "-netdev", f"stream,id=lan,server=off,addr.type=unix,addr.path={cfg['switchSocket']}",
        "-device", f"virtio-net-pci,netdev=lan,mac={cfg['lanMac']},addr=0x3",
        "-netdev", uplink_netdev(cfg),
        "-device", f"virtio-net-pci,netdev=up,mac={cfg['uplinkMac']},addr=0x4",
        "-device", "virtio-rng-pci,addr=0x6",
    ]
    if cfg["flavour"] == "pi":
        args += [
            "-drive", f"file={p('root.qcow2')},if=none,id=root,format=qcow2",
            "-device", "virtio-blk-pci,drive=root,addr=0x7",
            "-drive", f"file={p('boot.qcow2')},if=none,id=boot,format=qcow2",
            "-device", "virtio-blk-pci,drive=boot,addr=0x8",
            "-kernel", cfg["kernel"], "-initrd", cfg["initrd"], "-append", cmdline or "",
            "-no-reboot",
        ]
    else:
        args += [
            "-drive", f"file={p('disk.qcow2')},if=none,id=disk,format=qcow2",
            "-device", "virtio-blk-pci,drive=disk,addr=0x7,bootindex=1",
        ]
    if loadvm:
        args += ["-loadvm", loadvm]
    return args


class QmpEvents:
    """qemu's QMP events, read without blocking the supervisor's loop (qemu opens the socket a moment after start)."""

    def __init__(self, path: str):
        self.path, self.sock, self.buf = path, None, b""

    def poll(self, wait: float) -> list[dict]:
        """Events that arrived within WAIT seconds."""
        if self.sock is None:
            try:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(self.path)
                sock.sendall(b'{"execute":"qmp_capabilities"}\n')
                self.sock = sock
            except OSError:
                sock.close()
                time.sleep(wait)
                return []
        ready, _, _ = select.select([self.sock], [], [], wait)
        if not ready:
            return []
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:  # qemu is going away
            self.close()
            return []
        self.buf += chunk
        *lines, self.buf = self.buf.split(b"\n")
        events = []
        for line in lines:
            try:
                msg = json.loads(line)
            except ValueError:
                continue
            if "event" in msg:
                events.append(msg)
        return events

    def drain(self) -> list[dict]:
        """The events still unread once qemu has exited (its last SHUTDOWN may be among them)."""
        events = []
        while self.sock is not None:
            more = self.poll(1.0)
            if not more and self.sock is not None:
                break  # nothing within a second: no more is coming
            events += more
        return events

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def new_boot_watch(cfg: dict, node_dir: str) -> bootwatch.BootWatch:
    return bootwatch.BootWatch(os.path.join(node_dir, "console.log"), bootwatch.stall_seconds(),
                               done_pattern=bootwatch.LOGIN_PROMPT, fail_pattern=cfg.get("failPattern"),
                               probe=bootwatch.ssh_banner_probe(cfg["sshPort"]))


def run_qemu(cfg: dict, node_dir: str, cmdline: str | None, loadvm: str | None) -> tuple[int, str, bool, int]:
    """Runs one qemu process until it exits; returns (exit status, last SHUTDOWN reason, whether a boot stalled,
    how many boots ended before that: booted or failed on the console).

    Every boot in it is watched for a stall (bootwatch.py): the cold boot at its start, and each guest reset inside
    it (the GRUB flavour reboots in one qemu). A start from the snapshot is no boot and is not watched."""
    proc = subprocess.Popen(qemu_args(cfg, node_dir, cmdline, loadvm), stdin=subprocess.DEVNULL,
                            stdout=open(os.path.join(node_dir, "qemu.out"), "ab"), stderr=subprocess.STDOUT)
    qmp = QmpEvents(os.path.join(node_dir, "qmp.sock"))
    watch = None if loadvm else new_boot_watch(cfg, node_dir)
    reason, stalled, finished = "", False, 0
    try:
        while proc.poll() is None:
            for event in qmp.poll(0.5):
                if event["event"] == "SHUTDOWN":
                    reason = event.get("data", {}).get("reason", "")
                elif event["event"] == "RESET":
                    log(node_dir, f"guest reset ({event.get('data', {}).get('reason', '')}): watching the new boot")
                    watch = new_boot_watch(cfg, node_dir)
            if proc.poll() is not None:
                break
            if watch is None:
                continue
            outcome = watch.check()
            if outcome == "stalled":
                log(node_dir, f"boot stalled: console quiet for {watch.quiet_for():.0f} s "
                              f"(PILAB_STALL_SECONDS={watch.stall:g}); killing qemu")
                bootwatch.kill(proc)
                stalled = True
            elif outcome is not None:
                log(node_dir, f"boot {outcome} after {watch.elapsed():.1f} s "
                              f"(longest console silence {watch.longest_quiet:.1f} s)")
                watch = None
                finished += 1
        for event in qmp.drain():
            if event["event"] == "SHUTDOWN":
                reason = event.get("data", {}).get("reason", "")
    finally:
        qmp.close()
        if proc.poll() is None:
            bootwatch.kill(proc)
    return proc.returncode, reason, stalled, finished


def main() -> int:
    node_dir = os.path.abspath(sys.argv[1])
    with open(os.path.join(node_dir, "config.json")) as f:
        cfg = json.load(f)
    stop_flag = os.path.join(node_dir, "stop-requested")
    loadvm_flag = os.path.join(node_dir, "loadvm-on-start")
    console = os.path.join(node_dir, "console.log")
    write(node_dir, "supervisor.pid", str(os.getpid()))
    attempts = bootwatch.boot_attempts()
    boots = retries = 0
    attempt = 1  # of the boot under way; a boot that stalls is tried again, up to `attempts` times
    try:
        while True:
            cmdline = None
            if cfg["flavour"] == "pi":
                cmdline = firmware_cmdline(read_cmdline(os.path.join(node_dir, "boot.qcow2")))
                write(node_dir, "cmdline", cmdline + "\n")
            # The flag names the snapshot to start from ("reset" when empty: the one `lab up` takes).
            loadvm = None
            if os.path.exists(loadvm_flag):
                with open(loadvm_flag) as f:
                    loadvm = f.read().strip() or "reset"
                os.unlink(loadvm_flag)
            for sock in ("monitor.sock", "qmp.sock"):
                try:
                    os.unlink(os.path.join(node_dir, sock))
                except FileNotFoundError:
                    pass
            boots += 1
            write(node_dir, "boots", str(boots))
            write(node_dir, "status", "running")
            log(node_dir, f"start qemu (boot {boots}{', from snapshot reset' if loadvm else ''}"
                          f"{f', attempt {attempt} of {attempts}' if attempt > 1 else ''}): cmdline={cmdline!r}")
            returncode, reason, stalled, finished = run_qemu(cfg, node_dir, cmdline, loadvm)
            if finished:
                attempt = 1  # what stalled, if anything, is a later boot in the same qemu (a GRUB reboot)
            log(node_dir, f"qemu exited rc={returncode} shutdown-reason={reason!r}{' (killed: boot stalled)' if stalled else ''}")
            if os.path.exists(stop_flag):
                os.unlink(stop_flag)
                write(node_dir, "status", "stopped")
                return 0
            if stalled:
                message = bootwatch.stall_message(bootwatch.stall_seconds(), attempt, attempts)
                bootwatch.note_on_console(console, message)
                log(node_dir, message)
                if attempt < attempts:
                    attempt += 1
                    retries += 1
                    write(node_dir, "stall-retries", str(retries))  # `lab` gives a retried boot a new deadline
                    continue
                write(node_dir, "boot-failure", message + "\n")
                write(node_dir, "status", "stalled")
                return 1
            attempt = 1
            if returncode != 0:
                write(node_dir, "status", "crashed")
                return 1
            if cfg["flavour"] == "pi" and reason == "guest-reset":
                write(node_dir, "status", "rebooting")
                continue  # the firmware's turn: read cmdline.txt again and boot
            write(node_dir, "status", "off")
            return 0
    finally:
        for name in ("supervisor.pid", "qemu.pid"):
            try:
                os.unlink(os.path.join(node_dir, name))
            except FileNotFoundError:
                pass


if __name__ == "__main__":
    sys.exit(main())
