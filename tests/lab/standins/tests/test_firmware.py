"""Host test of the lab's Pi firmware stand-in (tests/lab/nodevm.py): the command line a Pi-flavour node boots with.

Run: python3 -m unittest discover -s tests/lab/standins/tests   (no VM needed)
"""
import importlib.util
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("nodevm", os.path.join(HERE, "..", "..", "nodevm.py"))
nodevm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nodevm)


class FirmwareCmdlineTest(unittest.TestCase):
    def test_memory_controller_is_off_unless_cmdline_txt_enables_it(self):
        self.assertEqual("cgroup_disable=memory console=ttyS0 root=LABEL=rootfs",
                         nodevm.firmware_cmdline("console=ttyS0 root=LABEL=rootfs"))

    def test_cgroup_enable_memory_in_cmdline_txt_wins_as_on_a_pi(self):
        for line in ("root=x cgroup_enable=cpuset cgroup_enable=memory cgroup_memory=1", "root=x cgroup_enable=cpuset,memory"):
            self.assertEqual(line, nodevm.firmware_cmdline(line))

    def test_a_later_disable_in_cmdline_txt_still_reaches_the_kernel(self):
        line = "root=x cgroup_enable=memory cgroup_disable=memory"
        self.assertIn("cgroup_disable=memory", nodevm.firmware_cmdline(line).split())

    def test_cpuset_alone_does_not_enable_memory(self):
        self.assertTrue(nodevm.firmware_cmdline("root=x cgroup_enable=cpuset").startswith("cgroup_disable=memory "))


if __name__ == "__main__":
    unittest.main()
