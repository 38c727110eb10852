"""Stand-in `kubelet` run by kubelet.service with the real package's 10-kubeadm.conf flags.

Real: fails (and systemd restarts it) until kubeadm wrote /var/lib/kubelet/config.yaml and a
kubeconfig; authenticates with its node client certificate; asks the container runtime for its
status over CRI every 10 s and posts it as the node heartbeat; re-registers a deleted node;
listens on :10250 (so kubeadm's Port-10250 check sees it) and serves /healthz on 127.0.0.1:10248.
Faked: it runs no pods and no static pods.
"""
import http.client
import os
import re
import shlex
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cri  # noqa: E402
import k8slib as k  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
INTERVAL = 10


def version():
    try:
        with open(os.path.join(HERE, "VERSION")) as f:
            return f.read().strip()
    except OSError:
        return os.environ.get("STANDIN_VERSION", "v1.34.1")


def parse_flags(argv):
    flags = {}
    for arg in argv:
        m = re.match(r"^--?([\w-]+)(?:=(.*))?$", arg)
        if m:
            flags[m.group(1)] = m.group(2) if m.group(2) is not None else "true"
    return flags


class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


def serve(addr, port):
    try:
        srv = ThreadingHTTPServer((addr, port), Health)
    except OSError as e:
        k.die("E kubelet: failed to listen on %s:%d: %s" % (addr, port, e))
    threading.Thread(target=srv.serve_forever, daemon=True).start()


def node_status(endpoint, node_ip, name):
    try:
        st = cri.status(endpoint, verbose=False)
        rt = next((c for c in st["conditions"] if c["type"] == "RuntimeReady"), None)
        ready, msg = (bool(rt and rt["status"]), (rt or {}).get("message", ""))
        ver = cri.version(endpoint)
        runtime = "%s://%s" % (ver["runtimeName"], ver["runtimeVersion"])
    except cri.CriError as e:
        ready, msg, runtime = False, str(e), "unknown://unknown"
    mem = re.search(r"^MemTotal:\s+(\d+)", k.read("/proc/meminfo") or "", re.M)
    return {
        "addresses": [{"type": "InternalIP", "address": node_ip}, {"type": "Hostname", "address": name}],
        "capacity": {"cpu": str(os.cpu_count() or 1), "memory": "%sKi" % (mem.group(1) if mem else "0"),
                     "pods": "110", "ephemeral-storage": "0"},
        "nodeInfo": {"kubeletVersion": version(), "kubeProxyVersion": "", "operatingSystem": "linux",
                     "architecture": k.machine_arch(), "osImage": k.os_image(),
                     "kernelVersion": os.uname().release, "containerRuntimeVersion": runtime,
                     "machineID": (k.read("/etc/machine-id") or "").strip(),
                     "bootID": (k.read("/proc/sys/kernel/random/boot_id") or "").strip()},
        "runtimeReady": ready, "runtimeMessage": msg,
    }


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    # `kubelet --version` prints the version and exits, as the real one does (Test-PiCluster reads it).
    if any(a in ("--version", "--version=true") for a in argv):
        print("Kubernetes " + version())
        return
    flags = parse_flags(argv)
    extra = os.environ.get("KUBELET_KUBEADM_ARGS")
    if extra is None and os.environ.get("STANDIN_NO_SYSTEMD"):  # host tests: no systemd EnvironmentFile
        m = re.search(r'KUBELET_KUBEADM_ARGS="([^"]*)"', k.read("/var/lib/kubelet/kubeadm-flags.env") or "")
        extra = m.group(1) if m else ""
    flags.update(parse_flags(shlex.split(extra or "")))
    cfg_path = flags.get("config", "/var/lib/kubelet/config.yaml")
    cfg_text = k.read(cfg_path)
    if cfg_text is None:
        k.die('E "command failed" err="failed to load kubelet config file, path: %s, error: failed to load Kubelet '
              'config file %s, error failed to read kubelet config file \\"%s\\", error: open %s: no such file or '
              'directory"' % ((cfg_path,) * 4))
    cfg = k.yaml_load(cfg_text) or {}
    kubeconfig = flags.get("kubeconfig", "/etc/kubernetes/kubelet.conf")
    if not os.path.exists(k.path(kubeconfig)):
        boot = flags.get("bootstrap-kubeconfig", "/etc/kubernetes/bootstrap-kubelet.conf")
        k.die('E "command failed" err="failed to run Kubelet: unable to load bootstrap kubeconfig: stat %s: no such '
              'file or directory"' % boot)
    if cfg.get("failSwapOn", True) and [ln for ln in (k.read("/proc/swaps") or "").splitlines()[1:] if ln.strip()]:
        k.die('E "command failed" err="failed to run Kubelet: running with swap on is not supported, please disable '
              'swap or set --fail-swap-on flag to false"')
    kc = k.Kubeconfig.load(kubeconfig)
    cert, _ = kc._client_material()
    cn = k.openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", stdin=cert).decode()
    m = re.search(r"CN=system:node:([^,\s]+)", cn)
    if not m:
        k.die("E kubelet: the client certificate in %s is not a node identity" % kubeconfig)
    name = flags.get("hostname-override") or m.group(1)
    endpoint = flags.get("container-runtime-endpoint", "unix:///var/run/containerd/containerd.sock")
    node_ip = flags.get("node-ip") or k.default_address()
    port = int(os.environ.get("STANDIN_KUBELET_PORT") or cfg.get("port") or 10250)
    serve("0.0.0.0", port)
    serve("127.0.0.1", int(os.environ.get("STANDIN_KUBELET_HEALTHZ_PORT") or cfg.get("healthzPort") or 10248))
    api = kc.client(timeout=10)
    sys.stderr.write("I kubelet %s starting for node %s, runtime %s, node IP %s\n" % (version(), name, endpoint,
                                                                                       node_ip))
    while True:
        status = node_status(endpoint, node_ip, name)
        try:
            try:
                api.request("PUT", "/api/v1/nodes/%s/status" % name, status)
            except k.ApiError as e:
                if e.status != 404:
                    raise
                sys.stderr.write("I kubelet: node %s not found, registering it\n" % name)
                api.request("POST", "/api/v1/nodes", {"metadata": {"name": name, "annotations": {
                    "kubeadm.alpha.kubernetes.io/cri-socket": endpoint}}, "status": {}})
                api.request("PUT", "/api/v1/nodes/%s/status" % name, status)
        except (OSError, k.ApiError, http.client.HTTPException, ssl.SSLError) as e:
            sys.stderr.write("E kubelet: error updating node status, will retry: %s\n" % e)
        time.sleep(INTERVAL)


if __name__ == "__main__":
    main()
