#!/usr/bin/env python3
"""Runs one lab node: qemu, plus the Raspberry Pi firmware's part for the pi flavour.

A Pi reads the kernel command line from cmdline.txt on its FAT boot partition at every boot (after arguments of
its own, of which cgroup_disable=memory is played here: see firmware_cmdline).
qemu's -append cannot change while qemu runs, so a pi-flavour node runs with -no-reboot: a guest
reboot ends qemu, and this loop reads cmdline.txt out of the node's own boot disk and starts
qemu again with it. A guest power-off ends the loop. The GRUB flavour boots through real GRUB
from its disk and reboots inside one qemu process.

Usage: nodevm.py NODE_DIR    (NODE_DIR/config.json written by `lab`)
Files in NODE_DIR: status (booting|running|off|stopped|crashed), boots, cmdline (last -append),
supervisor.log, console.log (serial, appended), monitor.sock (HMP), qmp.sock, qemu.pid.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time


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


def qemu_args(cfg: dict, node_dir: str, cmdline: str | None, loadvm: bool) -> list[str]:
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
        "-netdev", f"user,id=up,hostfwd=tcp:127.0.0.1:{cfg['sshPort']}-:22",
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
        args += ["-loadvm", "reset"]
    return args


def watch_qmp(path: str, proc: subprocess.Popen) -> str:
    """Follows qemu's QMP events until qemu exits; returns the last SHUTDOWN reason ('' if none)."""
    sock = None
    for _ in range(300):
        if proc.poll() is not None:
            return ""
        try:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            break
        except OSError:
            sock.close()
            sock = None
            time.sleep(0.1)
    if sock is None:
        proc.wait()
        return ""
    reason = ""
    f = sock.makefile("rwb", buffering=0)
    f.write(b'{"execute":"qmp_capabilities"}\n')
    for line in f:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("event") == "SHUTDOWN":
            reason = msg.get("data", {}).get("reason", "")
    sock.close()
    proc.wait()
    return reason


def main() -> int:
    node_dir = os.path.abspath(sys.argv[1])
    with open(os.path.join(node_dir, "config.json")) as f:
        cfg = json.load(f)
    stop_flag = os.path.join(node_dir, "stop-requested")
    loadvm_flag = os.path.join(node_dir, "loadvm-on-start")
    write(node_dir, "supervisor.pid", str(os.getpid()))
    boots = 0
    try:
        while True:
            cmdline = None
            if cfg["flavour"] == "pi":
                cmdline = firmware_cmdline(read_cmdline(os.path.join(node_dir, "boot.qcow2")))
                write(node_dir, "cmdline", cmdline + "\n")
            loadvm = os.path.exists(loadvm_flag)
            if loadvm:
                os.unlink(loadvm_flag)
            for sock in ("monitor.sock", "qmp.sock"):
                try:
                    os.unlink(os.path.join(node_dir, sock))
                except FileNotFoundError:
                    pass
            boots += 1
            write(node_dir, "boots", str(boots))
            write(node_dir, "status", "running")
            log(node_dir, f"start qemu (boot {boots}{', from snapshot reset' if loadvm else ''}): cmdline={cmdline!r}")
            proc = subprocess.Popen(qemu_args(cfg, node_dir, cmdline, loadvm), stdin=subprocess.DEVNULL,
                                    stdout=open(os.path.join(node_dir, "qemu.out"), "ab"), stderr=subprocess.STDOUT)
            reason = watch_qmp(os.path.join(node_dir, "qmp.sock"), proc)
            log(node_dir, f"qemu exited rc={proc.returncode} shutdown-reason={reason!r}")
            if os.path.exists(stop_flag):
                os.unlink(stop_flag)
                write(node_dir, "status", "stopped")
                return 0
            if proc.returncode != 0:
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
