"""Host tests of the lab's port forwards and outputs (no VM): the qemu netdev each node gets (SSH, and the control
plane's API server, both on 127.0.0.1 only), and what `lab up` writes for the tests (nodes.json's apiPort,
cluster.yaml's certSANs naming the forwarded address).

Run: python3 -m unittest discover -s tests/lab/standins/tests
"""
import importlib.util
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_DIR = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, LAB_DIR)


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(LAB_DIR, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


nodevm = _load("nodevm")
outputs = _load("outputs")


def node_cfg(name, ssh_port, api_port=None, flavour="pi"):
    return {"name": name, "index": 1, "flavour": flavour, "memoryMiB": 1024, "cpus": 2, "sshPort": ssh_port,
            "apiPort": api_port, "lanAddress": "192.168.77.11", "lanPrefix": 24, "lanMac": "52:54:00:77:00:01",
            "uplinkMac": "52:54:00:12:00:01", "switchSocket": "/tmp/lan.sock", "authorizedKeys": "/tmp/id.pub",
            "kernel": "/tmp/vmlinuz", "initrd": "/tmp/initrd.img", "accel": "-accel tcg", "failPattern": "x"}


def netdev(args):
    return next(args[i + 1] for i, a in enumerate(args) if a == "-netdev" and args[i + 1].startswith("user,"))


class QemuForwardTests(unittest.TestCase):
    def test_the_control_plane_forwards_ssh_and_6443_on_loopback_only(self):
        args = nodevm.qemu_args(node_cfg("node1", 40022, 40443), "/tmp/node1", "console=ttyS0", False)
        self.assertEqual("user,id=up,hostfwd=tcp:127.0.0.1:40022-:22,hostfwd=tcp:127.0.0.1:40443-:6443",
                         netdev(args))

    def test_a_worker_forwards_only_ssh(self):
        for cfg in (node_cfg("node2", 40023), node_cfg("node4", 40024, flavour="grub")):
            args = nodevm.qemu_args(cfg, "/tmp/" + cfg["name"], None, False)
            self.assertEqual("user,id=up,hostfwd=tcp:127.0.0.1:%d-:22" % cfg["sshPort"], netdev(args))

    def test_every_forward_binds_127_0_0_1(self):
        args = nodevm.qemu_args(node_cfg("node1", 40022, 40443), "/tmp/node1", "console=ttyS0", False)
        forwards = re.findall(r"hostfwd=tcp:([^:]*):", " ".join(args))
        self.assertEqual(["127.0.0.1", "127.0.0.1"], forwards)


class OutputTests(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="pilab-outputs-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.state])
        for name, ssh, api in (("node1", 40022, 40443), ("node2", 40023, None)):
            d = os.path.join(self.state, "nodes", name)
            os.makedirs(d)
            with open(os.path.join(d, "config.json"), "w") as f:
                json.dump(node_cfg(name, ssh, api), f)

    def test_nodes_json_records_the_control_planes_api_port(self):
        outputs.write(self.state, "8123", ["node1", "node2"])
        with open(os.path.join(self.state, "nodes.json")) as f:
            doc = json.load(f)
        self.assertEqual(40443, doc["apiPort"])
        self.assertEqual("https://127.0.0.1:40443", doc["apiServer"])
        self.assertEqual([40443, None], [n["apiPort"] for n in doc["nodes"]])
        self.assertEqual(8123, doc["repoPort"])

    def test_cluster_yaml_names_the_forwarded_address_in_cert_sans(self):
        subprocess.run([sys.executable, os.path.join(LAB_DIR, "outputs.py"), self.state, "", "node1", "node2"],
                       check=True)
        with open(os.path.join(self.state, "cluster.yaml")) as f:
            text = f.read()
        kubernetes = text.split("\nkubernetes:\n", 1)[1].split("\nnetwork:", 1)[0]
        self.assertIn("\n  certSANs:\n    - 127.0.0.1\n", kubernetes)
        self.assertIn("  - name: node1\n    address: 127.0.0.1\n    lanAddress: 192.168.77.11\n"
                      "    role: control-plane\n    ssh: { port: 40022 }\n", text)
        with open(os.path.join(self.state, "nodes.json")) as f:
            self.assertIsNone(json.load(f)["repoPort"])

    def test_cluster_yaml_names_the_lab_manifest_with_its_hash(self):
        # The pinned upstream manifests are out of reach: the lab's file points at the stand-in the repo serves.
        outputs.write(self.state, "8123", ["node1", "node2"])
        with open(os.path.join(self.state, "cluster.yaml")) as f:
            network = f.read().split("\nnetwork:\n", 1)[1].split("\nruntime:", 1)[0]
        with open(os.path.join(outputs.STANDIN_MANIFESTS, "kube-flannel.yml"), "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual("  plugin: flannel\n  manifest: http://10.0.2.2:8123/manifests/kube-flannel.yml\n"
                         "  manifestSha256: " + sha, network)


if __name__ == "__main__":
    unittest.main()
