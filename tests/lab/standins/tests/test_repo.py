"""Host test of the lab repository: build it, serve it on loopback, and let apt judge it.

Run: python3 -m unittest discover -s tests/lab/standins/tests   (no VM needed; needs tests/lab/repo/prereqs)
The built repository is cached in $PICLUSTER_REPO_DIR (default /tmp/picluster-lab-repo-test).
"""
import os
import shutil
import socket
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_TOOLS = os.path.normpath(os.path.join(HERE, "..", "..", "repo"))
OUT = os.environ.get("PICLUSTER_REPO_DIR", "/tmp/picluster-lab-repo-test")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RepoTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        subprocess.run([os.path.join(REPO_TOOLS, "build-repo"), OUT], check=True, capture_output=True)
        cls.port = free_port()
        cls.tmp = tempfile.mkdtemp(prefix="repo-test-")
        cls.pidfile = os.path.join(cls.tmp, "serve.pid")
        subprocess.run([os.path.join(REPO_TOOLS, "serve"), OUT, str(cls.port), cls.pidfile], check=True)

    @classmethod
    def tearDownClass(cls):
        subprocess.run([os.path.join(REPO_TOOLS, "serve"), "--stop", cls.pidfile])
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def apt_root(self, tree):
        """A throwaway apt root trusting the GOOD key (fetched from the tree's Release.key) via signed-by."""
        root = tempfile.mkdtemp(prefix="aptroot-", dir=self.tmp)
        for d in ("etc/apt/keyrings", "etc/apt/sources.list.d", "etc/apt/apt.conf.d", "etc/apt/preferences.d",
                  "etc/apt/trusted.gpg.d", "var/lib/apt/lists/partial", "var/cache/apt/archives/partial",
                  "var/lib/dpkg"):
            os.makedirs(os.path.join(root, d))
        open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
        key = subprocess.run(["curl", "-fsS", "http://127.0.0.1:%d/core:/stable:/v1.34/deb/Release.key" % self.port],
                             check=True, capture_output=True).stdout
        keyring = os.path.join(root, "etc/apt/keyrings/kubernetes-apt-keyring.gpg")
        subprocess.run(["gpg", "--dearmor", "-o", keyring], input=key, check=True)
        with open(os.path.join(root, "etc/apt/sources.list.d/kubernetes.list"), "w") as f:
            f.write("deb [signed-by=%s] http://127.0.0.1:%d/%s/ /\n" % (keyring, self.port, tree))
        return root

    def apt(self, root, *args):
        return subprocess.run(["apt-get" if args[0] in ("update",) else "apt-cache", "-o", "Dir=" + root,
                               "-o", "Dir::State::status=" + root + "/var/lib/dpkg/status",
                               "-o", "Acquire::Languages=none", "-o", "APT::Architecture=amd64",
                               "-o", "Debug::NoLocking=1", "-o", "Acquire::Check-Valid-Until=false", *args],
                              capture_output=True, text=True)

    def test_layout_like_pkgs_k8s_io(self):
        for minor in ("v1.33", "v1.34"):
            d = os.path.join(OUT, "core:", "stable:", minor, "deb")
            for f in ("Packages", "Packages.gz", "Release", "InRelease", "Release.gpg", "Release.key"):
                self.assertTrue(os.path.isfile(os.path.join(d, f)), "%s/%s" % (d, f))
            with open(os.path.join(d, "Release.key")) as f:
                self.assertIn("BEGIN PGP PUBLIC KEY BLOCK", f.read())

    def test_good_repo_verifies_and_offers_patch_versions(self):
        root = self.apt_root("core:/stable:/v1.34/deb")
        r = self.apt(root, "update")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertNotIn("NO_PUBKEY", r.stdout + r.stderr)
        r = self.apt(root, "madison", "kubeadm")
        for v in ("1.34.0-1.1", "1.34.1-1.1", "1.34.2-1.1"):
            self.assertIn(v, r.stdout)
        r = self.apt(root, "policy", "kubelet")
        self.assertIn("Candidate: 1.34.2-1.1", r.stdout)

    def test_v1_33_repo_verifies(self):
        root = self.apt_root("core:/stable:/v1.33/deb")
        r = self.apt(root, "update")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("1.33.6-1.1", self.apt(root, "madison", "kubectl").stdout)

    def test_cri_o_repo_verifies(self):
        root = self.apt_root("addons:/cri-o:/stable:/v1.34/deb")
        r = self.apt(root, "update")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Candidate: 1.34.1-1.1", self.apt(root, "policy", "cri-o").stdout)

    def test_repo_signed_with_another_key_is_refused(self):
        root = self.apt_root("badkey/core:/stable:/v1.34/deb")
        r = self.apt(root, "update")
        out = r.stdout + r.stderr
        self.assertIn("NO_PUBKEY", out)
        self.assertIn("is not signed", out)
        self.assertNotIn("1.34", self.apt(root, "madison", "kubeadm").stdout)

    def test_signing_keys_are_not_served(self):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                            "http://127.0.0.1:%d/.gnupg/pubring.kbx" % self.port], capture_output=True, text=True)
        self.assertEqual(r.stdout, "404")

    def test_rebuild_is_cached(self):
        r = subprocess.run([os.path.join(REPO_TOOLS, "build-repo"), OUT], capture_output=True, text=True, check=True)
        self.assertIn("up to date", r.stdout)

    def test_debs_carry_the_stand_ins(self):
        deb = os.path.join(OUT, "core:", "stable:", "v1.34", "deb", "amd64", "kubeadm_1.34.1-1.1_amd64.deb")
        listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
        for f in ("./usr/bin/kubeadm", "./usr/lib/standin-kubeadm/kubeadm.py",
                  "./lib/systemd/system/standin-apiserver.service",
                  "./usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"):
            self.assertIn(f, listing)
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["dpkg-deb", "-x", deb, d], check=True)
            with open(os.path.join(d, "usr/lib/standin-kubeadm/VERSION")) as f:
                self.assertEqual(f.read().strip(), "v1.34.1")


if __name__ == "__main__":
    unittest.main()
