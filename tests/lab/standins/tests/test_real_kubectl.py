"""The real kubectl (v1.32, on this machine's PATH) against the stand-in API server, as an admin's machine uses it
through the lab's forwarded port (no VM).

A control-plane "node" (cp1) and a worker (w1) are temporary STANDIN_ROOTs, each with the stand-in CRI-O as its
runtime; the stand-in `kubeadm init` makes the CA and certificates with openssl and starts the API server on
127.0.0.2 (the node's address here), with `apiServer.certSANs: [127.0.0.1]` as the lab's cluster file asks.
A TCP forward from 127.0.0.1 plays qemu's hostfwd, and kubectl gets kubeadm's admin.conf with its server moved to
the forwarded address, as the lab hands it out.

Run: python3 -m unittest discover -s tests/lab/standins/tests
"""
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_standins import LIB, PY, free_port, make_node, run, write  # noqa: E402

sys.path.insert(0, LIB)
import k8slib  # noqa: E402

NODE_ADDRESS = "127.0.0.2"
KUBECTL = shutil.which("kubectl")


class Forward:
    """127.0.0.1:<port> -> target, one thread pair per connection: what qemu's hostfwd does for the lab."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        with client:
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                return
            with upstream:
                back = threading.Thread(target=self._pipe, args=(upstream, client), daemon=True)
                back.start()
                self._pipe(client, upstream)
                back.join()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.listener.close()


def kubelet_env():
    return {"STANDIN_ADDRESSES": NODE_ADDRESS, "STANDIN_KUBELET_PORT": str(free_port()),
            "STANDIN_KUBELET_HEALTHZ_PORT": str(free_port())}


@unittest.skipUnless(KUBECTL, "needs the real kubectl on the PATH")
class RealKubectlTests(unittest.TestCase):
    crio = []

    @classmethod
    def start_crio(cls, root):
        with open(os.path.join(root, "crio.log"), "wb") as log:
            cls.crio.append(subprocess.Popen([PY, os.path.join(LIB, "crio.py")], stdout=log, stderr=log,
                                             env=dict(os.environ, STANDIN_ROOT=root), start_new_session=True))
        sock = os.path.join(root, "var/run/crio/crio.sock")
        for _ in range(100):
            if os.path.exists(sock):
                return "unix://" + sock
            time.sleep(0.1)
        raise RuntimeError("the stand-in CRI-O did not start")

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="standin-kubectl-")
        cls.cp = make_node(cls.base, "cp1")
        cls.port = free_port()
        cfg = os.path.join(cls.base, "init.yaml")
        # Preflight is tested elsewhere; here it would only trip over the host (not root, busy ports).
        write(cfg, """apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: %s
  bindPort: %d
nodeRegistration:
  name: cp1
  criSocket: %s
  ignorePreflightErrors: [all]
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: v1.34.1
apiServer:
  certSANs: [127.0.0.1]
networking:
  podSubnet: 10.244.0.0/16
""" % (NODE_ADDRESS, cls.port, cls.start_crio(cls.cp)))
        cls.init = run("kubeadm", cls.cp, "init", "--config", cfg, env=kubelet_env())
        if cls.init.returncode != 0:
            raise RuntimeError("kubeadm init failed: " + cls.init.stderr)
        cls.forward = Forward((NODE_ADDRESS, cls.port))
        with open(os.path.join(cls.cp, "etc/kubernetes/admin.conf")) as f:
            admin = k8slib.yaml_load(f.read())
        cls.ca_pem = k8slib.unb64(admin["clusters"][0]["cluster"]["certificate-authority-data"])
        cls.admin_user = admin["users"][0]["user"]
        cls.kubeconfig = cls.write_kubeconfig("admin.conf", "https://127.0.0.1:%d" % cls.forward.port)
        cls.home = os.path.join(cls.base, "home")  # kubectl's discovery cache, kept out of the real ~/.kube
        os.makedirs(cls.home)

    @classmethod
    def write_kubeconfig(cls, name, server, user=None):
        doc = k8slib.kubeconfig_doc("kubernetes", server, cls.ca_pem, "kubernetes-admin")
        doc["users"][0]["user"] = cls.admin_user if user is None else user
        p = os.path.join(cls.base, name)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(k8slib.yaml_dump(doc))
        return p

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "forward", None):
            cls.forward.close()
        for name in ("w1", "cp1"):
            if os.path.isdir(os.path.join(cls.base, name)):
                run("kubeadm", os.path.join(cls.base, name), "reset", "-f")
        for p in cls.crio:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(10)
        shutil.rmtree(cls.base, ignore_errors=True)

    def kubectl(self, *args, kubeconfig=None, ok=True):
        r = subprocess.run([KUBECTL, "--kubeconfig", kubeconfig or self.kubeconfig, "--request-timeout", "30s",
                            *args], capture_output=True, text=True, timeout=120,
                           env=dict(os.environ, HOME=self.home, KUBECONFIG=""))
        if ok:
            self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def json(self, *args):
        return json.loads(self.kubectl(*args).stdout)

    def raw(self, path, accept, client_cert=True):
        """One request (with the admin's certificate), for what kubectl itself does not show (headers, codes)."""
        ctx = ssl.create_default_context(cadata=self.ca_pem.decode())
        if client_cert:
            d = tempfile.mkdtemp(dir=self.base)
            cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
            for p, field in ((cert, "client-certificate-data"), (key, "client-key-data")):
                fd = os.open(p, os.O_WRONLY | os.O_CREAT, 0o600)
                os.write(fd, k8slib.unb64(self.admin_user[field]))
                os.close(fd)
            ctx.load_cert_chain(cert, key)
            shutil.rmtree(d)
        conn = http.client.HTTPSConnection("127.0.0.1", self.forward.port, context=ctx, timeout=30)
        try:
            conn.request("GET", path, headers={"Accept": accept})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def wait_for(self, what, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail("timed out waiting for " + what)
            time.sleep(1)

    def ready(self, node):
        return next(c["status"] for c in node["status"]["conditions"] if c["type"] == "Ready")

    def test_a_version_reaches_the_server_through_the_forward(self):
        doc = self.json("version", "-o", "json")
        self.assertEqual(doc["serverVersion"]["gitVersion"], "v1.34.1")
        self.assertEqual((doc["serverVersion"]["major"], doc["serverVersion"]["minor"]), ("1", "34"))
        self.assertIn("Server Version: v1.34.1", self.kubectl("version").stdout)

    def test_b_the_serving_cert_is_checked_and_names_only_its_sans(self):
        # localhost is the same socket but not in the certificate: kubectl must refuse it.
        other = self.write_kubeconfig("localhost.conf", "https://localhost:%d" % self.forward.port)
        r = self.kubectl("get", "nodes", kubeconfig=other, ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("x509: certificate is valid for", r.stderr)
        self.assertIn("not localhost", r.stderr)
        # A token the cluster never issued is refused; without any credential the user is anonymous.
        stranger = self.write_kubeconfig("stranger.conf", "https://127.0.0.1:%d" % self.forward.port,
                                         user={"token": "abcdef.0123456789abcdef"})
        r = self.kubectl("get", "nodes", kubeconfig=stranger, ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("error: You must be logged in to the server", r.stderr)
        code, _, doc = self.raw("/api/v1/nodes", "application/json", client_cert=False)
        self.assertEqual((code, doc["reason"]), (403, "Forbidden"))
        self.assertIn('User "system:anonymous" cannot get', doc["message"])

    def test_c_discovery_is_unaggregated_and_declines_only_aggregated_accept(self):
        resources = self.kubectl("api-resources", "-o", "name").stdout.split()
        self.assertIn("nodes", resources)
        self.assertIn("pods", resources)
        both = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
        for path, kind in (("/api", "APIVersions"), ("/apis", "APIGroupList"), ("/api/v1", "APIResourceList")):
            code, ctype, doc = self.raw(path, both)
            self.assertEqual((code, ctype, doc["kind"]), (200, "application/json", kind), path)
        code, _, doc = self.raw("/apis", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
        self.assertEqual((code, doc["reason"]), (406, "NotAcceptable"))

    def test_d_nodes_are_not_ready_before_a_cni(self):
        # Ready is Unknown until the kubelet's first heartbeat, then False for want of a CNI.
        nodes = self.wait_for("cp1's first heartbeat", lambda: [
            n for n in self.json("get", "nodes", "-o", "json")["items"] if self.ready(n) != "Unknown"])
        self.assertEqual([n["metadata"]["name"] for n in nodes], ["cp1"])
        self.assertEqual(self.ready(nodes[0]), "False")
        self.assertIn("cni plugin not initialized", nodes[0]["status"]["conditions"][0]["message"])
        self.assertRegex(self.kubectl("get", "nodes").stdout, r"(?m)^cp1\s+NotReady\s+control-plane\s")
        pods = self.json("get", "pods", "-A", "-o", "json")["items"]
        coredns = [p for p in pods if p["metadata"]["name"].startswith("coredns-")]
        self.assertEqual([p["status"]["phase"] for p in coredns], ["Pending", "Pending"])

    def test_e_after_a_join_and_a_cni_nodes_are_ready_and_pods_running(self):
        init = self.init.stdout.split("kubeadm join ", 1)[1].replace("\\\n", " ").split()
        w1 = make_node(self.base, "w1")
        r = run("kubeadm", w1, "join", init[0], "--token", init[2], "--discovery-token-ca-cert-hash", init[4],
                "--cri-socket", self.start_crio(w1), "--node-name", "w1", env=kubelet_env())
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # The nodes apply the CNI with the stand-in kubectl (the real one needs OpenAPI, which the stand-in lacks).
        manifest = os.path.join(HERE, "..", "manifests", "kube-flannel.yml")
        r = run("kubectl", self.cp, "--kubeconfig", os.path.join(self.cp, "etc/kubernetes/admin.conf"), "apply", "-f",
                manifest)
        self.assertEqual(r.returncode, 0, r.stderr)

        def all_ready():
            items = self.json("get", "nodes", "-o", "json")["items"]
            return items if len(items) == 2 and all(self.ready(n) == "True" for n in items) else None
        nodes = self.wait_for("both nodes Ready", all_ready)
        self.assertEqual([n["metadata"]["name"] for n in nodes], ["cp1", "w1"])
        for n in nodes:
            self.assertEqual(n["status"]["nodeInfo"]["kubeletVersion"], "v1.34.1")
            self.assertIn({"type": "InternalIP", "address": NODE_ADDRESS}, n["status"]["addresses"])
            self.assertTrue(n["metadata"]["resourceVersion"])
        table = self.kubectl("get", "nodes").stdout.splitlines()
        self.assertRegex(table[0], r"^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$")
        self.assertRegex(table[1], r"^cp1\s+Ready\s+control-plane\s+\d\S*\s+v1\.34\.1$")
        self.assertRegex(table[2], r"^w1\s+Ready\s+<none>\s+\d\S*\s+v1\.34\.1$")

        pods = self.json("get", "pods", "-A", "-o", "json")["items"]
        by_name = {p["metadata"]["name"]: p for p in pods}
        for static in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            self.assertEqual(by_name[static + "-cp1"]["spec"]["nodeName"], "cp1")
        flannel = [p for p in pods if p["metadata"]["namespace"] == "kube-flannel"]
        self.assertEqual(sorted(p["spec"]["nodeName"] for p in flannel), ["cp1", "w1"])
        self.assertEqual(len([p for p in pods if p["metadata"]["name"].startswith("coredns-")]), 2)
        for p in pods:
            name = p["metadata"]["name"]
            self.assertEqual(p["status"]["phase"], "Running", name)
            self.assertIn(p["spec"]["nodeName"], ("cp1", "w1"), name)
            self.assertTrue(p["status"]["containerStatuses"], name)
            self.assertTrue(all(c["ready"] and "running" in c["state"] for c in p["status"]["containerStatuses"]),
                            name)
        rows = self.kubectl("get", "pods", "-A").stdout.splitlines()
        self.assertRegex(rows[0], r"^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$")
        self.assertEqual(len(rows), len(pods) + 1)
        for row in rows[1:]:
            self.assertRegex(row, r"^kube-\S+\s+\S+\s+1/1\s+Running\s+0\s+\d\S*$")

    def test_f_lists_are_shaped_as_the_api_returns_them(self):
        for path, kind in (("/api/v1/nodes", "NodeList"), ("/api/v1/pods", "PodList")):
            doc = json.loads(self.kubectl("get", "--raw", path).stdout)
            self.assertEqual((doc["kind"], doc["apiVersion"]), (kind, "v1"))
            self.assertRegex(doc["metadata"]["resourceVersion"], r"^[1-9][0-9]*$")
            for item in doc["items"]:
                self.assertEqual(set(item) >= {"metadata", "spec", "status"}, True, item["metadata"]["name"])
        pod = self.json("get", "pod", "-n", "kube-system", "etcd-cp1", "-o", "json")
        self.assertEqual((pod["kind"], pod["metadata"]["name"]), ("Pod", "etcd-cp1"))
        self.assertRegex(self.kubectl("get", "node", "w1").stdout.splitlines()[1], r"^w1\s+Ready\s")

    def test_g_calico_and_canal_apply_as_upstream_names_them(self):
        expected = {"calico.yaml": ("calico-node", "configmap/calico-config created"),
                    "canal.yaml": ("canal", "configmap/canal-config created")}
        for manifest, (daemonset, line) in expected.items():
            r = run("kubectl", self.cp, "--kubeconfig", os.path.join(self.cp, "etc/kubernetes/admin.conf"), "apply",
                    "-f", os.path.join(HERE, "..", "manifests", manifest))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(line, r.stdout.splitlines())
            self.assertIn("daemonset.apps/%s created" % daemonset, r.stdout.splitlines())
            self.assertIn("deployment.apps/calico-kube-controllers", r.stdout)
        pods = self.json("get", "pods", "-n", "kube-system", "-o", "json")["items"]
        for daemonset, containers in (("calico-node", 1), ("canal", 2)):
            mine = [p for p in pods if p["metadata"]["ownerReferences"][0]["name"] == daemonset]
            self.assertEqual(sorted(p["spec"]["nodeName"] for p in mine), ["cp1", "w1"], daemonset)
            self.assertTrue(all(p["status"]["phase"] == "Running" and len(p["spec"]["containers"]) == containers
                                for p in mine), daemonset)
        controllers = [p for p in pods if p["metadata"]["name"].startswith("calico-kube-controllers-")]
        self.assertEqual(["Running"], [p["status"]["phase"] for p in controllers])


if __name__ == "__main__":
    unittest.main()
