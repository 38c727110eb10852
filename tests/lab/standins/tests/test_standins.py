"""Host tests of the stand-ins (no VM): each "node" is a temporary STANDIN_ROOT holding the /proc, /sys
and /etc files the checks read; services run as child processes (STANDIN_NO_SYSTEMD=1) on 127.0.0.1.

Run: python3 -m unittest discover -s tests/lab/standins/tests
The cluster tests need Debian's containerd (a private instance is started under a temp dir); without it
they are skipped. They use port 6443-free-port picks and 127.0.0.1 only.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
LIB = os.path.normpath(os.path.join(HERE, "..", "lib"))
sys.path.insert(0, LIB)
import k8slib  # noqa: E402

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
BUSY_PORTS = "Port-10259,Port-10257,Port-2379,Port-2380"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def write(p, text):
    with open(p, "w") as f:
        f.write(text)


def make_node(base, name, swap=False, bridge=True, forward=True, memory_cgroup=True, mem_kb=4000000):
    root = os.path.join(base, name)
    for d in ("proc/sys/net/bridge", "proc/sys/net/ipv4", "sys/fs/cgroup", "etc"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    if bridge:
        write(os.path.join(root, "proc/sys/net/bridge/bridge-nf-call-iptables"), "1\n")
    write(os.path.join(root, "proc/sys/net/ipv4/ip_forward"), "1\n" if forward else "0\n")
    swaps = "Filename\tType\tSize\tUsed\tPriority\n"
    if swap:
        swaps += "/var/swap                               file\t\t102396\t\t0\t\t-2\n"
    write(os.path.join(root, "proc/swaps"), swaps)
    write(os.path.join(root, "proc/meminfo"), "MemTotal:       %d kB\n" % mem_kb)
    ctrl = "cpuset cpu io " + ("memory " if memory_cgroup else "") + "pids"
    write(os.path.join(root, "sys/fs/cgroup/cgroup.controllers"), ctrl + "\n")
    return root


class Containerd:
    """A private containerd (Debian's) under a temp dir, so the CRI checks talk to a real runtime."""

    def __init__(self, base, cri_enabled=True):
        self.dir = os.path.join(base, "containerd-%s" % ("cri" if cri_enabled else "nocri"))
        os.makedirs(self.dir)
        if cri_enabled:
            cfg = subprocess.run(["containerd", "config", "default"], capture_output=True, text=True,
                                 check=True).stdout.replace("SystemdCgroup = false", "SystemdCgroup = true")
        else:  # what Docker's containerd.io package ships: a version-1 config that disables CRI
            cfg = 'disabled_plugins = ["cri"]\n[grpc]\n  address = "/run/containerd/containerd.sock"\n'
            cfg = 'root = "/var/lib/containerd"\nstate = "/run/containerd"\n' + cfg
        cfg = cfg.replace("/var/lib/containerd", self.dir + "/root").replace("/run/containerd", self.dir + "/state")
        write(os.path.join(self.dir, "config.toml"), cfg)
        self.socket = "unix://%s/state/containerd.sock" % self.dir
        self.proc = subprocess.Popen(["containerd", "--config", os.path.join(self.dir, "config.toml")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for _ in range(100):
            if os.path.exists(self.socket[7:]):
                time.sleep(0.3)
                return
            time.sleep(0.1)
        raise RuntimeError("containerd did not start")

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(10)


def run(tool, root, *args, env=None, timeout=120, stdin=None):
    e = dict(os.environ, STANDIN_ROOT=root, STANDIN_NO_SYSTEMD="1", STANDIN_ADDRESSES="127.0.0.1",
             STANDIN_HOSTNAME=os.path.basename(root), STANDIN_VERSION="v1.34.1")
    e.update(env or {})
    return subprocess.run([PY, os.path.join(LIB, tool + ".py"), *args], capture_output=True, text=True,
                          env=e, timeout=timeout, input=stdin)


class YamlTests(unittest.TestCase):
    def test_kubeadm_config_documents(self):
        docs = k8slib.yaml_load_all("""
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: "192.168.77.11"   # the LAN address
nodeRegistration:
  kubeletExtraArgs:
  - name: node-ip
    value: 192.168.77.11
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
networking: {podSubnet: 10.244.0.0/16}
apiServer:
  certSANs: [a.example, 10.0.0.1]
""")
        self.assertEqual(docs[0]["localAPIEndpoint"]["advertiseAddress"], "192.168.77.11")
        self.assertEqual(docs[0]["nodeRegistration"]["kubeletExtraArgs"], [{"name": "node-ip",
                                                                            "value": "192.168.77.11"}])
        self.assertEqual(docs[1]["networking"]["podSubnet"], "10.244.0.0/16")
        self.assertEqual(docs[1]["apiServer"]["certSANs"], ["a.example", "10.0.0.1"])

    def test_literal_block_and_round_trip(self):
        doc = k8slib.yaml_load("a:\n  b: |\n    x\n\n    y\n  c: 1\nlist:\n- p: 1\n  q: two\n")
        self.assertEqual(doc, {"a": {"b": "x\n\ny\n", "c": 1}, "list": [{"p": 1, "q": "two"}]})
        kc = k8slib.kubeconfig_doc("kubernetes", "https://1.2.3.4:6443", "CA", "admin", "C", "K")
        self.assertEqual(k8slib.yaml_load(k8slib.yaml_dump(kc)), kc)

    def test_jws_and_durations(self):
        sig = k8slib.jws_detached("payload", "abcdef", "0123456789abcdef")
        self.assertIn("..", sig)
        self.assertTrue(k8slib.jws_verify(sig, "payload", "abcdef", "0123456789abcdef"))
        self.assertFalse(k8slib.jws_verify(sig, "payload", "abcdef", "0123456789abcdeX"))
        self.assertEqual(k8slib.parse_duration("24h0m0s"), 86400)
        self.assertEqual(k8slib.parse_duration("90s"), 90)


class PreflightTests(unittest.TestCase):
    def setUp(self):
        self.base = tempfile.mkdtemp(prefix="standin-pf-")

    def tearDown(self):
        shutil.rmtree(self.base, ignore_errors=True)

    def preflight(self, root, *extra):
        return run("kubeadm", root, "init", "phase", "preflight", "--cri-socket",
                   "unix://%s/no-such.sock" % self.base, "--ignore-preflight-errors=" + BUSY_PORTS, *extra)

    def test_config_images_pull_takes_the_version_from_the_config_file(self):
        cfg = os.path.join(self.base, "kubeadm.yaml")
        with open(cfg, "w") as f:
            f.write("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.34.2\n")
        r = run("kubeadm", self.base, "config", "images", "pull", "--config", cfg)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[config/images] Pulled registry.k8s.io/kube-apiserver:v1.34.2", r.stdout)
        missing = run("kubeadm", self.base, "config", "images", "pull", "--config", cfg + ".none")
        self.assertNotEqual(missing.returncode, 0)

    def test_fresh_node_fails_naming_swap_bridge_and_forwarding(self):
        root = make_node(self.base, "n1", swap=True, bridge=False, forward=False)
        r = self.preflight(root)
        self.assertEqual(r.returncode, 1)
        self.assertIn("[ERROR Swap]: running with swap on is not supported. Please disable swap", r.stderr)
        self.assertIn("[ERROR FileContent--proc-sys-net-bridge-bridge-nf-call-iptables]: "
                      "/proc/sys/net/bridge/bridge-nf-call-iptables does not exist", r.stderr)
        self.assertIn("[ERROR FileContent--proc-sys-net-ipv4-ip_forward]: /proc/sys/net/ipv4/ip_forward contents "
                      "are not set to 1", r.stderr)
        self.assertIn("[ERROR CRI]: container runtime is not running", r.stderr)
        self.assertIn("error execution phase preflight", r.stderr)

    def test_memory_cgroup_cpu_and_ram(self):
        root = make_node(self.base, "n2", memory_cgroup=False, mem_kb=1000000)
        r = self.preflight(root, env=None) if False else run(
            "kubeadm", root, "init", "phase", "preflight", "--cri-socket", "unix:///nonexistent.sock",
            "--ignore-preflight-errors=CRI," + BUSY_PORTS, env={"STANDIN_NUMCPU": "1"})
        self.assertIn("[ERROR SystemVerification]: missing required cgroups: memory", r.stderr)
        self.assertIn("[ERROR Mem]: the system RAM (976 MB) is less than the minimum 1700 MB", r.stderr)
        self.assertIn("[ERROR NumCPU]: the number of available CPUs 1 is less than the required 2", r.stderr)
        self.assertIn("[WARNING CRI]", r.stderr)

    def test_ignored_errors_become_warnings(self):
        root = make_node(self.base, "n3", swap=True)
        r = self.preflight(root, "--ignore-preflight-errors=Swap,CRI")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("[WARNING Swap]", r.stderr)

    def test_config_and_flags_do_not_mix_and_bad_api_version_is_refused(self):
        root = make_node(self.base, "n4")
        cfg = os.path.join(self.base, "c.yaml")
        write(cfg, "apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\n")
        r = run("kubeadm", root, "init", "--config", cfg, "--pod-network-cidr", "10.244.0.0/16")
        self.assertIn("can not mix '--config' with arguments [pod-network-cidr]", r.stderr)
        r = run("kubeadm", root, "init", "--config", cfg)
        self.assertIn('no kind "InitConfiguration" is registered for version "kubeadm.k8s.io/v1beta2"', r.stderr)

    def test_advertise_address_must_be_on_the_node(self):
        root = make_node(self.base, "n5")
        r = run("kubeadm", root, "init", "--apiserver-advertise-address", "192.0.2.7")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("192.0.2.7", r.stderr)


class CertsCheckExpirationTests(unittest.TestCase):
    """kubeadm certs check-expiration and kubelet --version on a node's files: no containerd or root needed."""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="standin-certs-")
        cls.root = make_node(cls.base, "cp1")
        pki = os.path.join(cls.root, "etc/kubernetes/pki")
        os.makedirs(pki)
        k8slib.make_ca(pki + "/ca.crt", pki + "/ca.key")
        k8slib.gen_rsa_key(pki + "/apiserver.key")
        with open(pki + "/apiserver.crt", "wb") as f:
            f.write(k8slib.sign_csr(k8slib.make_csr(pki + "/apiserver.key", "kube-apiserver"), pki + "/ca.crt", pki + "/ca.key",
                                    sans=["DNS:kubernetes"], server=True))
        k8slib.gen_rsa_key(pki + "/admin.key")
        cert = k8slib.sign_csr(k8slib.make_csr(pki + "/admin.key", "kubernetes-admin", "kubeadm:cluster-admins"), pki + "/ca.crt", pki + "/ca.key")
        with open(pki + "/ca.crt") as f:
            ca_pem = f.read()
        with open(pki + "/admin.key") as f:
            key_pem = f.read()
        write(os.path.join(cls.root, "etc/kubernetes/admin.conf"), k8slib.yaml_dump(
            k8slib.kubeconfig_doc("kubernetes", "https://127.0.0.1:6443", ca_pem, "kubernetes-admin", cert.decode(), key_pem)))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, ignore_errors=True)

    def test_certs_check_expiration_reads_the_real_certificates(self):
        r = run("kubeadm", self.root, "certs", "check-expiration", "-o", "json")
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual((doc["kind"], doc["apiVersion"]), ("CertificateExpirationInfo", "output.kubeadm.k8s.io/v1alpha3"))
        certs = {c["name"]: c for c in doc["certificates"]}
        self.assertEqual(list(certs)[:2], ["admin.conf", "apiserver"])
        end = subprocess.run(["openssl", "x509", "-noout", "-enddate", "-in",
                              os.path.join(self.root, "etc/kubernetes/pki/apiserver.crt")], capture_output=True, text=True).stdout
        expected = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(end.strip().split("=", 1)[1].replace("  ", " "), "%b %d %H:%M:%S %Y GMT"))
        self.assertEqual(certs["apiserver"]["expirationDate"], expected)
        self.assertEqual((certs["apiserver"]["caName"], certs["apiserver"]["missing"]), ("ca", False))
        self.assertGreater(certs["apiserver"]["residualTime"], 300 * 86400)
        self.assertFalse(certs["admin.conf"]["missing"])
        self.assertGreater(certs["admin.conf"]["residualTime"], 300 * 86400)
        # The stand-in makes no etcd or front-proxy certificates: kubeadm's list says so, as real kubeadm does.
        self.assertTrue(certs["etcd-server"]["missing"])
        self.assertIsNone(certs["etcd-server"]["expirationDate"])
        cas = {c["name"]: c for c in doc["certificateAuthorities"]}
        self.assertGreater(cas["ca"]["residualTime"], 9 * 365 * 86400)
        self.assertNotIn("caName", cas["ca"])

        text = run("kubeadm", self.root, "certs", "check-expiration")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertRegex(text.stdout, r"(?m)^admin\.conf +\w{3} \d\d, \d{4} \d\d:\d\d UTC +36\dd +ca +no$")
        self.assertRegex(text.stdout, r"(?m)^!MISSING! etcd-server")
        self.assertRegex(text.stdout, r"(?m)^ca +\w{3} \d\d, \d{4} \d\d:\d\d UTC +9y +no$")
        bad = run("kubeadm", self.root, "certs", "check-expiration", "-o", "yaml")
        self.assertNotEqual(bad.returncode, 0)

    def test_kubelet_version_prints_and_exits(self):
        r = run("kubelet", self.root, "--version", timeout=10)
        self.assertEqual((r.returncode, r.stdout), (0, "Kubernetes v1.34.1\n"))


@unittest.skipUnless(shutil.which("containerd") and os.geteuid() == 0, "needs Debian's containerd and root")
class ClusterTests(unittest.TestCase):
    """init -> join -> kubectl, against a real (private) containerd."""

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="standin-cl-")
        cls.ctr = Containerd(cls.base)
        cls.port = free_port()
        cls.cp = make_node(cls.base, "cp1")
        cfg = os.path.join(cls.base, "init.yaml")
        write(cfg, """apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 127.0.0.1
  bindPort: %d
nodeRegistration:
  name: cp1
  criSocket: %s
  ignorePreflightErrors: [%s]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.1
networking:
  podSubnet: 10.244.0.0/16
""" % (cls.port, cls.ctr.socket, BUSY_PORTS))
        cls.cp_env = {"STANDIN_KUBELET_PORT": str(free_port()), "STANDIN_KUBELET_HEALTHZ_PORT": str(free_port())}
        cls.init = run("kubeadm", cls.cp, "init", "--config", cfg, env=cls.cp_env)
        cls.kubeconfig = os.path.join(cls.cp, "etc/kubernetes/admin.conf")

    @classmethod
    def tearDownClass(cls):
        for name in os.listdir(cls.base):
            if os.path.isdir(os.path.join(cls.base, name, "proc")):
                run("kubeadm", os.path.join(cls.base, name), "reset", "-f")
        cls.ctr.stop()
        shutil.rmtree(cls.base, ignore_errors=True)

    def kubectl(self, *args):
        r = run("kubectl", self.cp, "--kubeconfig", self.kubeconfig, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def join_parts(self):
        line = self.init.stdout.split("kubeadm join ", 1)[1].replace("\\\n", " ").split()
        return line[0], line[2], line[4]  # endpoint, token, hash

    def join(self, name, *args, env=None):
        root = make_node(self.base, name)
        e = {"STANDIN_KUBELET_PORT": str(free_port()), "STANDIN_KUBELET_HEALTHZ_PORT": str(free_port()),
             "STANDIN_DISCOVERY_TIMEOUT": "3s"}
        e.update(env or {})
        return run("kubeadm", root, "join", *args, "--cri-socket", self.ctr.socket, "--node-name", name, env=e)

    def test_a_init_writes_pki_kubeconfigs_and_prints_a_pinned_join_command(self):
        self.assertEqual(self.init.returncode, 0, self.init.stderr)
        st = os.stat(self.kubeconfig)
        self.assertEqual(st.st_mode & 0o777, 0o600)
        for f in ("pki/ca.crt", "pki/ca.key", "pki/apiserver.crt", "manifests/kube-apiserver.yaml", "kubelet.conf"):
            self.assertTrue(os.path.exists(os.path.join(self.cp, "etc/kubernetes", f)), f)
        self.assertTrue(os.path.exists(os.path.join(self.cp, "var/lib/kubelet/config.yaml")))
        _, _, ca_hash = self.join_parts()
        der = subprocess.run("openssl x509 -pubkey -noout -in %s/etc/kubernetes/pki/ca.crt | openssl pkey -pubin "
                             "-outform der | sha256sum" % self.cp, shell=True, capture_output=True, text=True).stdout
        self.assertEqual(ca_hash, "sha256:" + der.split()[0])
        with open(os.path.join(self.cp, "etc/kubernetes/manifests/kube-controller-manager.yaml")) as f:
            manifest = f.read()
        self.assertIn("--cluster-cidr=10.244.0.0/16", manifest)

    def test_b_worker_joins_and_nodes_turn_ready_after_a_cni(self):
        ep, token, ca_hash = self.join_parts()
        r = self.join("w1", ep, "--token", token, "--discovery-token-ca-cert-hash", ca_hash)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        nodes = json.loads(self.kubectl("get", "nodes", "-o", "json"))["items"]
        self.assertEqual(sorted(n["metadata"]["name"] for n in nodes), ["cp1", "w1"])
        self.assertTrue(all(n["status"]["conditions"][0]["status"] == "False" for n in nodes))
        pods = json.loads(self.kubectl("get", "pods", "-A", "-o", "json"))["items"]
        coredns = [p for p in pods if p["metadata"]["name"].startswith("coredns-")]
        self.assertEqual({p["status"]["phase"] for p in coredns}, {"Pending"})
        out = self.kubectl("apply", "-f", os.path.join(HERE, "..", "manifests", "kube-flannel.yml"))
        self.assertIn("daemonset.apps/kube-flannel-ds created", out)
        nodes = json.loads(self.kubectl("get", "nodes", "-o", "json"))["items"]
        self.assertTrue(all(n["status"]["conditions"][0]["status"] == "True" for n in nodes), nodes)
        pods = json.loads(self.kubectl("get", "pods", "-A", "-o", "json"))["items"]
        flannel = [p for p in pods if p["metadata"]["namespace"] == "kube-flannel"]
        self.assertEqual(sorted(p["spec"]["nodeName"] for p in flannel), ["cp1", "w1"])
        self.assertEqual({p["status"]["phase"] for p in pods}, {"Running"})

    def test_i_a_node_its_kubelet_registered_is_marked_by_a_patch(self):
        # kubeadm init's path when the kubelet registered the node first (409 on its POST): roles and taints patched.
        api = k8slib.Kubeconfig.load(self.kubeconfig).client()
        api.request("POST", "/api/v1/nodes", {"metadata": {"name": "early"}, "status": {}})
        try:
            with self.assertRaises(k8slib.ApiError) as again:
                api.request("POST", "/api/v1/nodes", {"metadata": {"name": "early"}, "status": {}})
            self.assertEqual(again.exception.status, 409)
            taint = {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
            api.request("PATCH", "/api/v1/nodes/early", {"spec": {"taints": [taint]},
                                                         "standin": {"roles": ["control-plane"]}},
                        content_type="application/strategic-merge-patch+json")
            node = api.get("/api/v1/nodes/early")
            self.assertIn(taint, node["spec"]["taints"])
            self.assertIn("node-role.kubernetes.io/control-plane", node["metadata"]["labels"])
        finally:
            api.request("DELETE", "/api/v1/nodes/early")

    def test_c_wrong_token_wrong_hash_and_unreachable_endpoint_fail(self):
        ep, token, ca_hash = self.join_parts()
        r = self.join("bad1", ep, "--token", "zzzzzz.0123456789abcdef", "--discovery-token-ca-cert-hash", ca_hash)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('could not find a JWS signature in the cluster-info ConfigMap for token ID "zzzzzz"', r.stderr)
        r = self.join("bad2", ep, "--token", token.split(".")[0] + ".zzzzzzzzzzzzzzzz",
                      "--discovery-token-ca-cert-hash", ca_hash)
        self.assertIn("failed to verify JWS signature", r.stderr)
        r = self.join("bad3", ep, "--token", token, "--discovery-token-ca-cert-hash", "sha256:" + "0" * 64)
        self.assertIn("cluster CA found in cluster-info ConfigMap is invalid: none of the public keys", r.stderr)
        t0 = time.monotonic()
        r = self.join("bad4", "127.0.0.1:%d" % free_port(), "--token", token, "--discovery-token-ca-cert-hash",
                      ca_hash)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("connection refused", r.stderr)
        self.assertLess(time.monotonic() - t0, 30)
        self.assertFalse(os.path.exists(os.path.join(self.base, "bad4/etc/kubernetes/kubelet.conf")))

    def test_d_token_create_print_join_command_and_expiry(self):
        r = run("kubeadm", self.cp, "token", "create", "--print-join-command", "--ttl", "2s",
                "--kubeconfig", self.kubeconfig)
        self.assertEqual(r.returncode, 0, r.stderr)
        words = r.stdout.split()
        self.assertEqual(words[:2], ["kubeadm", "join"])
        time.sleep(3)
        r = self.join("late", words[2], "--token", words[4], "--discovery-token-ca-cert-hash", words[6])
        self.assertIn("could not find a JWS signature", r.stderr)

    def test_d2_kubeadm_config_map_as_kubectl_prints_it(self):
        doc = json.loads(self.kubectl("-n", "kube-system", "get", "configmap", "kubeadm-config", "-o", "json"))
        self.assertEqual(doc["kind"], "ConfigMap")
        self.assertIn("podSubnet: 10.244.0.0/16", doc["data"]["ClusterConfiguration"])

    def test_e_drain_and_delete_node(self):
        pods = json.loads(self.kubectl("get", "pods", "-A", "-o", "json"))["items"]
        on_w1 = [p["metadata"]["name"] for p in pods if p["spec"].get("nodeName") == "w1"
                 and p["metadata"]["name"].startswith("coredns-")]
        out = self.kubectl("drain", "w1", "--ignore-daemonsets")
        self.assertIn("node/w1 drained", out)
        for name in on_w1:
            self.assertIn("evicting pod kube-system/" + name, out)
        pods = json.loads(self.kubectl("get", "pods", "-A", "-o", "json"))["items"]
        self.assertFalse([p for p in pods if p["spec"].get("nodeName") == "w1"
                          and p["metadata"]["name"].startswith("coredns-")])
        nodes = json.loads(self.kubectl("get", "nodes", "-o", "json"))["items"]
        self.assertTrue(next(n for n in nodes if n["metadata"]["name"] == "w1")["spec"].get("unschedulable"))
        self.assertIn('node "w1" deleted', self.kubectl("delete", "node", "w1"))
        # Like a real kubelet, the running stand-in registers its node again on its next heartbeat; reset stops it.
        run("kubeadm", os.path.join(self.base, "w1"), "reset", "-f")
        self.kubectl("delete", "node", "w1") if "w1" in self.kubectl("get", "nodes") else None
        self.assertNotIn("w1", self.kubectl("get", "nodes"))

    def test_g_a_second_init_is_refused_by_preflight(self):
        r = run("kubeadm", self.cp, "init", "phase", "preflight", "--cri-socket", self.ctr.socket,
                "--apiserver-bind-port", str(self.port), "--ignore-preflight-errors=" + BUSY_PORTS, env=self.cp_env)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("[ERROR Port-%d]: Port %d is in use" % (self.port, self.port), r.stderr)
        self.assertIn("[ERROR FileAvailable--etc-kubernetes-manifests-kube-apiserver.yaml]: "
                      "/etc/kubernetes/manifests/kube-apiserver.yaml already exists", r.stderr)
        # containerd's default sandbox image is not kubeadm's pause image: kubeadm warns about it.
        self.assertIn('detected that the sandbox image "registry.k8s.io/pause:3.', r.stderr)
        self.assertIn('It is recommended to use "registry.k8s.io/pause:3.10.1"', r.stderr)

    def test_h_join_configuration_with_its_own_discovery_timeout(self):
        ep, _, ca_hash = self.join_parts()
        cfg = os.path.join(self.base, "join.yaml")
        write(cfg, """apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: "%s"
    token: qqqqqq.0123456789abcdef
    caCertHashes: ["%s"]
timeouts:
  discovery: 2s
nodeRegistration:
  name: cfgjoin
  criSocket: %s
""" % (ep, ca_hash, self.ctr.socket))
        root = make_node(self.base, "cfgjoin")
        t0 = time.monotonic()
        r = run("kubeadm", root, "join", "--config", cfg, env={"STANDIN_KUBELET_PORT": str(free_port())})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('token ID "qqqqqq"', r.stderr)
        self.assertLess(time.monotonic() - t0, 15)

    def test_f_crictl_reports_the_runtime(self):
        r = run("crictl", self.cp, "--runtime-endpoint", self.ctr.socket, "info")
        self.assertEqual(r.returncode, 0, r.stderr)
        info = json.loads(r.stdout)
        self.assertIn("RuntimeReady", [c["type"] for c in info["status"]["conditions"]])
        self.assertIn("SystemdCgroup", json.dumps(info["config"]))
        r = run("crictl", self.cp, "--runtime-endpoint", self.ctr.socket, "version")
        self.assertIn("RuntimeName:  containerd", r.stdout)


@unittest.skipUnless(shutil.which("containerd") and os.geteuid() == 0, "needs Debian's containerd and root")
class CriDisabledTests(unittest.TestCase):
    def test_cri_plugin_disabled_fails_the_cri_check(self):
        base = tempfile.mkdtemp(prefix="standin-nocri-")
        ctr = Containerd(base, cri_enabled=False)
        try:
            root = make_node(base, "n")
            r = run("kubeadm", root, "init", "phase", "preflight", "--cri-socket", ctr.socket,
                    "--ignore-preflight-errors=" + BUSY_PORTS)
            self.assertIn("[ERROR CRI]: container runtime is not running", r.stderr)
            r = run("crictl", root, "--runtime-endpoint", ctr.socket, "info")
            self.assertNotEqual(r.returncode, 0)
        finally:
            ctr.stop()
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
