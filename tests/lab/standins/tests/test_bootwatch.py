"""Host tests of the lab's stall detection (tests/lab/bootwatch.py) in every place a boot happens: the image build's
boot (`bootwatch.py run`), the node supervisor (nodevm.py: first boot, Pi power-cycle boots, a GRUB reset inside one
qemu) and `lab` itself (a node that gives up, a failed image build). qemu is played by fake_qemu.py, which prints
some console lines and then goes silent, or boots, as a plan file says; stalls are made short with
PILAB_STALL_SECONDS. No VM, a few seconds a test.

Run: python3 -m unittest discover -s tests/lab/standins/tests
"""
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_DIR = os.path.normpath(os.path.join(HERE, "..", ".."))
LAB = os.path.join(LAB_DIR, "lab")
_spec = importlib.util.spec_from_file_location("bootwatch", os.path.join(LAB_DIR, "bootwatch.py"))
bootwatch = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bootwatch)

STALL = "1.5"  # seconds of console silence that make a stall in these tests
# The console lines `lab` calls a failed boot: the same pattern goes to the supervisor through config.json.
FAIL_PATTERN = re.search(r"^FAIL_PATTERN='([^']*)'", open(LAB).read(), re.M)[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def read(path: str) -> str:
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return ""


class FakeClock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class BootWatchTest(unittest.TestCase):
    """The detection itself, on a console file and a clock the test moves."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bootwatch-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.console = os.path.join(self.dir, "console.log")
        with open(self.console, "w") as f:
            f.write("an earlier boot's output, not this boot's\nraspberrypi login: \n")
        self.clock = FakeClock()

    def write(self, text: str) -> None:
        with open(self.console, "a") as f:
            f.write(text)

    def watch(self, **kw) -> "bootwatch.BootWatch":
        return bootwatch.BootWatch(self.console, 10, done_pattern=bootwatch.LOGIN_PROMPT, fail_pattern=FAIL_PATTERN,
                                   clock=self.clock, **kw)

    def test_a_console_that_keeps_talking_is_no_stall_and_one_that_stops_is(self):
        w = self.watch()
        for _ in range(5):  # 45 s of boot, a line every 9 s: never 10 s of silence
            self.clock.t += 9
            self.write("[    1.096854] clocksource: Switched to clocksource hpet\r\n")
            self.assertIsNone(w.check())
        self.clock.t += 9.9
        self.assertIsNone(w.check())
        self.clock.t += 0.1
        self.assertEqual("stalled", w.check())
        self.assertEqual(10, w.longest_quiet)

    def test_the_login_prompt_ends_the_boot_also_when_split_across_two_reads(self):
        w = self.watch()
        self.write("\r\nDebian GNU/Linux 12 raspberrypi ttyS0\r\n\r\nraspberr")
        self.assertIsNone(w.check(), "the earlier boot's prompt must not count")
        self.write("ypi login: ")
        self.assertEqual("done", w.check())

    def test_a_failure_on_the_console_is_a_failed_boot_not_a_stall(self):
        w = self.watch()
        self.write("Gave up waiting for root file system device.\r\nALERT!  LABEL=no-such-root does not exist.\r\n")
        self.assertEqual("failed", w.check())

    def test_a_quiet_console_with_an_answering_sshd_is_a_finished_boot(self):
        answers = []
        w = self.watch(probe=lambda: answers.append(1) or True)
        self.clock.t += 4.9
        self.assertIsNone(w.check())
        self.assertEqual([], answers, "no probing while the console was quiet only briefly")
        self.clock.t += 0.1
        self.assertEqual("done", w.check())

    def test_a_probe_that_never_answers_does_not_hide_the_stall(self):
        w = self.watch(probe=lambda: False)
        self.clock.t += 10
        self.assertEqual("stalled", w.check())

    def test_settings_come_from_the_environment_with_sane_defaults(self):
        self.assertEqual(240, bootwatch.stall_seconds({}))
        self.assertEqual(3, bootwatch.boot_attempts({}))
        self.assertEqual(42.5, bootwatch.stall_seconds({"PILAB_STALL_SECONDS": "42.5"}))
        self.assertEqual(5, bootwatch.boot_attempts({"PILAB_BOOT_ATTEMPTS": "5"}))
        with self.assertRaises(ValueError):
            bootwatch.boot_attempts({"PILAB_BOOT_ATTEMPTS": "0"})


class FakeQemuTest(unittest.TestCase):
    """Common ground: a temp dir, fake_qemu.py as qemu-system-x86_64 on the PATH, a plan, short stalls."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bootwatch-test-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.bin = os.path.join(self.dir, "bin")
        os.mkdir(self.bin)
        os.symlink(os.path.join(HERE, "fake_qemu.py"), os.path.join(self.bin, "qemu-system-x86_64"))
        # The Pi firmware stand-in reads cmdline.txt with qemu-img + mtype.
        self.script("qemu-img", '#!/bin/sh\nfor last; do :; done\n: >"$last"\n')
        self.script("mtype", "#!/bin/sh\necho 'console=ttyS0,115200 root=LABEL=rootfs rootwait'\n")
        self.plan_file = os.path.join(self.dir, "plan")
        self.env = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"], FAKE_QEMU_PLAN=self.plan_file,
                        PILAB_STALL_SECONDS=STALL, PILAB_BOOT_ATTEMPTS="3")

    def script(self, name: str, text: str) -> None:
        path = os.path.join(self.bin, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)

    def plan(self, *steps: str) -> None:
        with open(self.plan_file, "w") as f:
            f.write("\n".join(steps) + "\n")

    def starts(self) -> list[str]:
        return read(self.plan_file + ".starts").split()


class BuildBootTest(FakeQemuTest):
    """`bootwatch.py run`, as image/build-image runs the GRUB-setup boot."""

    def run_boot(self, expect="Installation finished. No error reported."):
        console = os.path.join(self.dir, "grubsetup.console")
        prepared = os.path.join(self.dir, "prepared")
        cmd = [sys.executable, os.path.join(LAB_DIR, "bootwatch.py"), "run", "--console", console, "--timeout", "60",
               "--prepare", f"echo attempt >>{prepared}", "--expect", expect, "--",
               "qemu-system-x86_64", "-nodefaults", "-chardev", f"file,id=ser0,path={console},append=on",
               "-serial", "chardev:ser0"]
        r = subprocess.run(cmd, env=self.env, capture_output=True, text=True, timeout=120)
        return r, read(prepared).split(), read(console)

    def test_a_stalled_boot_is_killed_and_retried_and_a_later_attempt_succeeds(self):
        self.plan("stall", "stall", "exit-ok")
        r, prepared, console = self.run_boot()
        self.assertEqual(0, r.returncode, r.stderr)
        self.assertEqual(["stall", "stall", "exit-ok"], self.starts())
        self.assertEqual(3, len(prepared), "each attempt starts from a freshly prepared disk")
        self.assertIn(f"boot stalled (no console output for {STALL} s): killed qemu, boot attempt 2 of 3", r.stderr)
        self.assertIn("boot attempt 3 of 3", r.stderr)
        self.assertIn("boot finished", r.stderr)
        self.assertIn("pilab: boot stalled", console, "the console log tells what happened")

    def test_when_every_attempt_stalls_it_fails_with_the_console_tail(self):
        self.plan("stall", "stall", "stall", "exit-ok")
        r, prepared, _ = self.run_boot()
        self.assertEqual(1, r.returncode)
        self.assertEqual(["stall"] * 3, self.starts(), "three attempts, no fourth")
        self.assertIn("BOOT FAILED: boot stalled (no console output for 1.5 s) in each of 3 attempt(s): giving up",
                      r.stderr)
        self.assertIn("console| [    1.096854] clocksource: Switched to clocksource hpet", r.stderr)

    def test_a_boot_that_ends_without_the_expected_line_fails_at_once(self):
        self.plan("exit-ok")
        r, _, _ = self.run_boot(expect="no such line")
        self.assertEqual(1, r.returncode)
        self.assertEqual(["exit-ok"], self.starts(), "only a stall is retried")
        self.assertIn("the boot ended without printing 'no such line'", r.stderr)
        self.assertIn("console| [   53.7] pilab-grubsetup[316]: Installation finished.", r.stderr)

    def test_a_qemu_that_fails_is_not_retried(self):
        self.plan("exit-fail", "exit-ok")
        r, _, _ = self.run_boot()
        self.assertEqual(1, r.returncode)
        self.assertEqual(["exit-fail"], self.starts())
        self.assertIn("qemu exited with status 1", r.stderr)


class NodeSupervisorTest(FakeQemuTest):
    """nodevm.py, the node supervisor: every boot of a node, watched."""

    def start_node(self, flavour: str):
        self.node_dir = os.path.join(self.dir, "node1")
        os.mkdir(self.node_dir)
        cfg = {"name": "node1", "index": 1, "flavour": flavour, "memoryMiB": 512, "cpus": 1,
               "sshPort": free_port(),  # nothing listens: the SSH probe never answers
               "lanAddress": "192.168.77.11", "lanPrefix": 24, "lanMac": "52:54:00:77:00:01",
               "uplinkMac": "52:54:00:12:00:01", "switchSocket": os.path.join(self.dir, "lan.sock"),
               "authorizedKeys": os.path.join(self.dir, "id.pub"), "kernel": "vmlinuz", "initrd": "initrd.img",
               "accel": "-accel tcg", "failPattern": FAIL_PATTERN}
        with open(os.path.join(self.node_dir, "config.json"), "w") as f:
            json.dump(cfg, f)
        self.proc = subprocess.Popen([sys.executable, os.path.join(LAB_DIR, "nodevm.py"), self.node_dir],
                                     env=self.env, start_new_session=True)
        self.addCleanup(self.stop_node)

    def stop_node(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def node(self, name: str) -> str:
        return read(os.path.join(self.node_dir, name))

    def wait_log(self, text: str, timeout: float = 30):
        return wait_for(lambda: text in self.node("supervisor.log"), timeout, f"{text!r} in supervisor.log")

    def test_a_first_boot_that_stalls_is_started_again_and_then_runs(self):
        self.start_node("grub")
        self.plan("stall", "boot")
        self.wait_log("boot done")
        self.assertEqual(["stall", "boot"], self.starts())
        self.assertEqual("running", self.node("status"))
        self.assertEqual("1", self.node("stall-retries"))
        self.assertEqual("2", self.node("boots"))
        self.assertIn(f"boot stalled (no console output for {STALL} s): killed qemu, boot attempt 2 of 3",
                      self.node("console.log"))
        self.assertIsNone(self.proc.poll(), "the supervisor keeps the booted node running")

    def test_when_every_attempt_stalls_the_node_gives_up_and_says_why(self):
        self.start_node("grub")
        self.plan("stall", "stall", "stall", "boot")
        self.assertEqual(1, self.proc.wait(timeout=60))
        self.assertEqual(["stall"] * 3, self.starts())
        self.assertEqual("stalled", self.node("status"))
        self.assertEqual("2", self.node("stall-retries"))
        self.assertIn("in each of 3 attempt(s): giving up", self.node("boot-failure"))
        self.assertEqual(3, self.node("supervisor.log").count("killing qemu"))

    def test_a_boot_that_fails_on_the_console_is_left_for_the_lab_to_report(self):
        self.start_node("grub")
        self.plan("panic", "boot")
        self.wait_log("boot failed")
        time.sleep(float(STALL) + 1.5)  # long past a stall: still no retry
        self.assertEqual(["panic"], self.starts())
        self.assertEqual("running", self.node("status"))

    def test_a_pi_power_cycle_boot_that_stalls_is_retried_from_the_firmware_loop(self):
        self.start_node("pi")
        self.plan("boot-reboot", "stall", "boot")
        self.wait_log("boot done after", timeout=30)
        wait_for(lambda: self.node("supervisor.log").count("boot done") == 2, 30, "the boot after the reboot")
        self.assertEqual(["boot-reboot", "stall", "boot"], self.starts())
        log = self.node("supervisor.log")
        self.assertIn("shutdown-reason='guest-reset'", log, "the reboot was seen as a reboot, not a power-off")
        self.assertIn("attempt 2 of 3", log)
        self.assertEqual("running", self.node("status"))
        self.assertIn("cgroup_disable=memory console=ttyS0,115200", self.node("cmdline"))

    def test_a_grub_reboot_inside_one_qemu_is_watched_too(self):
        self.start_node("grub")
        self.plan("boot-reset-stall", "boot")
        wait_for(lambda: self.node("supervisor.log").count("boot done") == 2, 30, "the boot after the stalled reset")
        log = self.node("supervisor.log")
        self.assertIn("guest reset (guest-reset): watching the new boot", log)
        self.assertIn("killing qemu", log)
        self.assertEqual(["boot-reset-stall", "boot"], self.starts())
        self.assertEqual("1", self.node("stall-retries"))


class LabCommandTest(FakeQemuTest):
    """`lab` itself: how a stalled node and a failed image build reach whoever called it."""

    def lab(self, *args: str, lab: str = LAB, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run([lab, *args], env=self.env, capture_output=True, text=True, timeout=timeout)

    def make_state(self) -> str:
        state = os.path.join(self.dir, "state")
        node = os.path.join(state, "nodes", "node1")
        os.makedirs(node)
        os.makedirs(os.path.join(state, "lab"))
        open(os.path.join(state, ".pilab-state"), "w").close()
        open(os.path.join(state, "lab", "known_hosts"), "w").close()
        port = free_port()
        cfg = {"name": "node1", "index": 1, "flavour": "grub", "memoryMiB": 512, "cpus": 1, "sshPort": port,
               "lanAddress": "192.168.77.11", "lanPrefix": 24, "lanMac": "52:54:00:77:00:01",
               "uplinkMac": "52:54:00:12:00:01", "switchSocket": os.path.join(state, "lan.sock"),
               "authorizedKeys": os.path.join(state, "id.pub"), "kernel": "", "initrd": "", "accel": "-accel tcg",
               "failPattern": FAIL_PATTERN}
        with open(os.path.join(node, "config.json"), "w") as f:
            json.dump(cfg, f)
        with open(os.path.join(node, "node.env"), "w") as f:
            f.write(f"flavour=grub\nsshPort={port}\nlanAddress=192.168.77.11\nmemoryMiB=512\n")
        self.env["PILAB_STATE"] = state
        self.addCleanup(self.lab, "down")
        return state

    def test_a_node_whose_every_boot_stalls_fails_lab_start_loudly_with_the_console_tail(self):
        self.make_state()
        self.plan("stall", "stall", "stall")
        # A boot timeout shorter than three stalled attempts (4.5 s of silence alone): each retried boot gets it anew.
        r = self.lab("start", "node1", "--timeout", "4")
        self.assertNotEqual(0, r.returncode)
        self.assertEqual(["stall"] * 3, self.starts())
        self.assertIn("lab: node1: boot stalled (no console output for 1.5 s): killed qemu, boot attempt 2 of 3", r.stderr)
        self.assertIn("lab: node1: boot stalled (no console output for 1.5 s): killed qemu, boot attempt 3 of 3", r.stderr)
        self.assertIn("lab: node1: BOOT FAILED: boot stalled (no console output for 1.5 s) in each of 3 attempt(s)",
                      r.stderr)
        self.assertNotIn("no SSH within the boot timeout", r.stderr)
        self.assertIn("node1| [    1.096854] clocksource: Switched to clocksource hpet", r.stderr)
        self.assertIn("stalled", self.lab("status").stdout)

    def test_a_bad_stall_setting_stops_lab_before_any_boot(self):
        self.make_state()
        self.plan("boot")
        self.env["PILAB_STALL_SECONDS"] = "soon"
        r = self.lab("start", "node1")
        self.assertNotEqual(0, r.returncode)
        self.assertIn("PILAB_STALL_SECONDS must be a positive number of seconds, not 'soon'", r.stderr)
        self.assertEqual([], self.starts())

    def copy_of_the_lab(self, build_image: str) -> str:
        """The lab scripts in a temp dir with a stand-in build-image (the image recipe is part of the cache key)."""
        lab_dir = os.path.join(self.dir, "labcopy")
        shutil.copytree(LAB_DIR, lab_dir, ignore=shutil.ignore_patterns(".state", "__pycache__", "standins", "repo"))
        with open(os.path.join(lab_dir, "image", "build-image"), "w") as f:
            f.write(build_image)
        self.env["PILAB_CACHE"] = os.path.join(self.dir, "cache")
        self.env["PILAB_STATE"] = os.path.join(self.dir, "state")
        self.env["PILAB_ACCEL"] = "-accel tcg"
        lab = os.path.join(lab_dir, "lab")
        self.addCleanup(self.lab, "down", lab=lab)  # whatever a broken lab up may have started
        return lab

    def test_a_failed_image_build_is_not_reported_as_built_and_lab_up_boots_nothing(self):
        # What a build that stalled for good leaves: some files in OUTDIR.tmp, a non-zero exit.
        lab = self.copy_of_the_lab('#!/bin/bash\nmkdir -p "$1.tmp/pi" && touch "$1.tmp/pi/root.qcow2"\n'
                                   'echo "bootwatch: BOOT FAILED: boot stalled ... in each of 3 attempt(s)" >&2\nexit 1\n')
        r = self.lab("up", "1", lab=lab)
        self.assertNotEqual(0, r.returncode)
        self.assertIn("bootwatch: BOOT FAILED", r.stderr)
        self.assertIn("lab: the image build failed (see above); no image was kept, no node was started", r.stderr)
        self.assertIn("pilab timing image-build-failed", r.stderr)
        self.assertNotIn("built", r.stderr.replace("image-build-failed", ""))
        self.assertEqual([], os.listdir(os.path.join(self.dir, "cache", "images")), "nothing of the build is left")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "state", "nodes")), "no node was set up")
        self.assertEqual([], self.starts(), "no qemu was started")

    def test_a_partial_image_in_the_cache_is_not_used_but_built_again(self):
        lab = self.copy_of_the_lab('#!/bin/bash\nset -e\necho build >>"$(dirname "$1")/../builds"\n'
                                   'mkdir -p "$1.tmp/pi" "$1.tmp/grub"\n'
                                   'for f in pi/root.qcow2 pi/boot.qcow2 pi/vmlinuz pi/initrd.img grub/disk.qcow2; do\n'
                                   '  echo x >"$1.tmp/$f"; done\nrm -rf "$1" && mv "$1.tmp" "$1"\n')
        first = self.lab("image", lab=lab)
        self.assertEqual(0, first.returncode, first.stderr)
        image = first.stdout.strip()
        self.assertIn("pilab timing image-build", first.stderr)
        os.remove(os.path.join(image, "pi", "vmlinuz"))  # say, an image dir an older lab left half-written
        again = self.lab("image", lab=lab)
        self.assertEqual(0, again.returncode, again.stderr)
        self.assertEqual(image, again.stdout.strip())
        self.assertTrue(os.path.exists(os.path.join(image, "pi", "vmlinuz")))
        self.assertEqual(2, read(os.path.join(self.dir, "cache", "builds")).count("build"))
        cached = self.lab("image", lab=lab)
        self.assertNotIn("building", cached.stderr)
        self.assertEqual(2, read(os.path.join(self.dir, "cache", "builds")).count("build"), "a complete image is reused")


if __name__ == "__main__":
    unittest.main()
