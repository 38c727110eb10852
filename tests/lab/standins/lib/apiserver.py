"""Stand-in Kubernetes API endpoint started by `kubeadm init` (standin-apiserver.service).

Real: HTTPS on :6443 (every address) with the cluster CA's serving certificate, client-certificate
authentication against that CA, bootstrap-token (Bearer) authentication, the cluster-info
ConfigMap signed with detached JWS per token, CSR signing for joining kubelets, node heartbeats; for the real
kubectl, unaggregated discovery and server-side Tables of nodes and pods (it cannot `apply`: no OpenAPI).
Faked: there is no scheduler, controller or container. Pods are computed from what is recorded
(nodes, applied manifests), so `kubectl get pods` reports what a healthy cluster would run.
"""
import hashlib
import json
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8slib as k  # noqa: E402

STATE_DIR = "/var/lib/standin"
CONFIG = STATE_DIR + "/apiserver.json"
STATE = STATE_DIR + "/state.json"
NODE_GRACE = 40  # seconds without a heartbeat before a node turns NotReady/Unknown
ADMIN_GROUPS = {"system:masters", "kubeadm:cluster-admins"}
_ALPHA = "bcdfghjklmnpqrstvwxz2456789"
_LOCK = threading.RLock()


def short_hash(*parts, n=5):
    h = hashlib.sha256("/".join(parts).encode()).digest()
    return "".join(_ALPHA[b % len(_ALPHA)] for b in h[:n])


def load_state():
    text = k.read(STATE)
    return json.loads(text) if text else {"nodes": {}, "tokens": {}, "objects": {}}


def save_state(state, changed=None):
    """Persist a change; like etcd, every write bumps the cluster's resourceVersion, stamped on the changed record."""
    state["resourceVersion"] = state.get("resourceVersion", 0) + 1
    if changed is not None:
        changed["resourceVersion"] = state["resourceVersion"]
    k.write_atomic(STATE, json.dumps(state, indent=1, sort_keys=True), 0o600)


# ---------------------------------------------------------------- manifests
_GROUPLESS = {"v1"}


def scan_manifest(text):
    """Pull kind/name/namespace/images/replicas out of each document with a line scan:
    CNI manifests (calico's CRDs) are far bigger than the YAML subset parser needs to handle."""
    objs = []
    for doc in re.split(r"(?m)^---\s*$", text):
        kind = api = name = ns = None
        replicas, host_net, images, in_meta = 1, False, [], False
        for line in doc.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            indent = len(line) - len(line.lstrip())
            s = line.strip()
            if indent == 0:
                in_meta = s == "metadata:"
                if s.startswith("kind:"):
                    kind = s[5:].strip().strip("\"'")
                elif s.startswith("apiVersion:"):
                    api = s[11:].strip().strip("\"'")
            elif in_meta and indent == 2 and s.startswith("name:") and name is None:
                name = s[5:].strip().strip("\"'")
            elif in_meta and indent == 2 and s.startswith("namespace:"):
                ns = s[10:].strip().strip("\"'")
            if indent == 2 and s.startswith("replicas:"):
                try:
                    replicas = int(s[9:].strip())
                except ValueError:
                    pass
            if re.match(r"^(- )?image:", s):
                images.append(s.split("image:", 1)[1].strip().strip("\"'"))
            if s.startswith("hostNetwork:") and s.endswith("true"):
                host_net = True
        if kind and name:
            objs.append({"kind": kind, "apiVersion": api or "v1", "name": name, "namespace": ns,
                         "replicas": replicas, "hostNetwork": host_net, "images": images,
                         "digest": hashlib.sha256(doc.strip().encode()).hexdigest()})
    return objs


def detect_cni(text):
    low = text.lower()
    if "canal" in low and "calico" in low:
        return "canal"
    for name in ("calico", "flannel", "cilium", "weave"):
        if name in low:
            return name
    return None


def resource_name(obj):
    api = obj["apiVersion"]
    group = "" if api in _GROUPLESS or "/" not in api else "." + api.split("/")[0]
    return "%s%s/%s" % (obj["kind"].lower(), group, obj["name"])


# ---------------------------------------------------------------- views
def node_view(n, state, now):
    fresh = n.get("heartbeat") and now - n["heartbeat"] < NODE_GRACE
    if not fresh:
        ready = ("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status." if n.get("heartbeat")
                 else "Kubelet never posted node status.")
    elif not n.get("runtimeReady", True):
        ready = ("False", "KubeletNotReady", "container runtime is down: " + n.get("runtimeMessage", ""))
    elif not state.get("cni"):
        ready = ("False", "KubeletNotReady",
                 "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady "
                 "message:Network plugin returns error: cni plugin not initialized")
    else:
        ready = ("True", "KubeletReady", "kubelet is posting ready status")
    labels = {"kubernetes.io/hostname": n["name"], "kubernetes.io/os": "linux",
              "kubernetes.io/arch": n.get("nodeInfo", {}).get("architecture", "amd64"),
              "beta.kubernetes.io/os": "linux",
              "beta.kubernetes.io/arch": n.get("nodeInfo", {}).get("architecture", "amd64")}
    taints = list(n.get("taints", []))
    if "control-plane" in n.get("roles", []):
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    if ready[0] != "True":
        taints.append({"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"})
    if n.get("unschedulable"):
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    hb = k.rfc3339(n.get("heartbeat") or n["created"])
    spec = {"podCIDR": n.get("podCIDR"), "podCIDRs": [n["podCIDR"]] if n.get("podCIDR") else []}
    if taints:
        spec["taints"] = taints
    if n.get("unschedulable"):
        spec["unschedulable"] = True
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": n["name"], "uid": short_hash("uid", n["name"], str(n["created"]), n=16),
                     "resourceVersion": str(n.get("resourceVersion") or state.get("resourceVersion", 1)),
                     "creationTimestamp": k.rfc3339(n["created"]), "labels": labels,
                     "annotations": {"kubeadm.alpha.kubernetes.io/cri-socket": n.get("criSocket", "")}},
        "spec": spec,
        "status": {
            "addresses": n.get("addresses", []),
            "capacity": n.get("capacity", {}),
            "allocatable": n.get("capacity", {}),
            "conditions": [{"type": "Ready", "status": ready[0], "reason": ready[1], "message": ready[2],
                            "lastHeartbeatTime": hb, "lastTransitionTime": hb}],
            "nodeInfo": n.get("nodeInfo", {}),
        },
    }


def _is_ready(view):
    return view["status"]["conditions"][0]["status"] == "True"


def _pod(ns, name, node, owner_kind, owner, images, phase, host_net, state_nodes, now, labels=None,
         pod_ip=None):
    node_rec = state_nodes.get(node) if node else None
    host_ip = _internal_ip(node_rec) if node_rec else None
    running = phase == "Running"
    containers = [{"name": (img.rsplit("/", 1)[-1].split(":")[0] or "main") + ("" if i == 0 else "-%d" % i),
                   "image": img} for i, img in enumerate(images or ["registry.k8s.io/pause:3.10"])]
    status = {"phase": phase,
              "conditions": [{"type": "PodScheduled", "status": "True" if node else "False"},
                             {"type": "Ready", "status": "True" if running else "False"}],
              "containerStatuses": [{"name": c["name"], "image": c["image"], "ready": running, "restartCount": 0,
                                     "state": {"running": {"startedAt": k.rfc3339(now)}} if running else
                                     {"waiting": {"reason": "ContainerCreating" if node else "Pending"}}}
                                    for c in containers] if node else []}
    if not node:
        status["conditions"][0].update(reason="Unschedulable",
                                       message="0/%d nodes are available: %d node(s) had untolerated taint "
                                               "{node.kubernetes.io/not-ready: }." % ((len(state_nodes),) * 2))
    if host_ip:
        status["hostIP"] = host_ip
        status["podIP"] = host_ip if host_net else pod_ip
    created = node_rec["created"] if node_rec else now
    meta = {"name": name, "namespace": ns, "labels": labels or {}, "creationTimestamp": k.rfc3339(created),
            "ownerReferences": [{"apiVersion": "v1" if owner_kind == "Node" else "apps/v1", "kind": owner_kind,
                                 "name": owner, "controller": True}]}
    if owner_kind == "Node":
        meta["annotations"] = {"kubernetes.io/config.mirror": short_hash("mirror", name, n=32),
                               "kubernetes.io/config.source": "file"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": node, "hostNetwork": host_net, "containers": containers} if node else
            {"hostNetwork": host_net, "containers": containers},
            "status": status}


def _internal_ip(n):
    for a in n.get("addresses", []):
        if a.get("type") == "InternalIP":
            return a["address"]
    return None


def compute_pods(state, now):
    """What a healthy cluster would run given the recorded nodes and applied manifests."""
    nodes = state["nodes"]
    views = {name: node_view(n, state, now) for name, n in nodes.items()}
    fresh = {name for name, n in nodes.items() if n.get("heartbeat") and now - n["heartbeat"] < NODE_GRACE}
    eligible = sorted(name for name, v in views.items() if _is_ready(v) and not nodes[name].get("unschedulable"))
    version = state.get("version", "v1.34.1")
    pods = []
    pod_ips = {}

    def pod_ip(node):
        pod_ips[node] = pod_ips.get(node, 1) + 1
        cidr = nodes[node].get("podCIDR") or "10.244.0.0/24"
        return cidr.rsplit(".", 1)[0] + ".%d" % pod_ips[node]

    for name in sorted(nodes):
        n = nodes[name]
        phase = "Running" if name in fresh else "Pending"
        if "control-plane" in n.get("roles", []):
            for comp, img in (("etcd", "registry.k8s.io/etcd:3.6.4-0"),
                              ("kube-apiserver", "registry.k8s.io/kube-apiserver:" + version),
                              ("kube-controller-manager", "registry.k8s.io/kube-controller-manager:" + version),
                              ("kube-scheduler", "registry.k8s.io/kube-scheduler:" + version)):
                pods.append(_pod("kube-system", "%s-%s" % (comp, name), name, "Node", name, [img], phase, True,
                                 nodes, now, {"component": comp, "tier": "control-plane"}))
        pods.append(_pod("kube-system", "kube-proxy-" + short_hash("kube-proxy", name), name, "DaemonSet",
                         "kube-proxy", ["registry.k8s.io/kube-proxy:" + version], phase, True, nodes, now,
                         {"k8s-app": "kube-proxy"}))
    deployments = [("kube-system", "coredns", 2, ["registry.k8s.io/coredns/coredns:v1.12.1"], False,
                    {"k8s-app": "kube-dns"})]
    for obj in state.get("objects", {}).values():
        ns = obj.get("namespace") or "default"
        if obj["kind"] == "DaemonSet":
            for name in sorted(nodes):
                ok = name in fresh and (obj["hostNetwork"] or name in eligible)
                pods.append(_pod(ns, "%s-%s" % (obj["name"], short_hash(obj["name"], name)), name, "DaemonSet",
                                 obj["name"], obj["images"], "Running" if ok else "Pending", obj["hostNetwork"],
                                 nodes, now, {"app": obj["name"]}, None if obj["hostNetwork"] else pod_ip(name)
                                 if ok else None))
        elif obj["kind"] == "Deployment":
            deployments.append((ns, obj["name"], obj["replicas"], obj["images"], obj["hostNetwork"],
                                {"app": obj["name"]}))
    for ns, dname, replicas, images, host_net, labels in deployments:
        rs = "%s-%s" % (dname, short_hash("rs", dname, n=10))
        for i in range(replicas):
            node = eligible[i % len(eligible)] if eligible else None
            pods.append(_pod(ns, "%s-%s" % (rs, short_hash(rs, str(i), node or "")), node, "ReplicaSet", rs, images,
                             "Running" if node else "Pending", host_net, nodes, now, labels,
                             pod_ip(node) if node else None))
    # Computed pods change only when the recorded state does, so the state's version is theirs.
    for pod in pods:
        pod["metadata"]["uid"] = short_hash("uid", pod["metadata"]["namespace"], pod["metadata"]["name"], n=16)
        pod["metadata"]["resourceVersion"] = str(state.get("resourceVersion", 1))
    return pods


def cluster_info_doc(state, tokens_now):
    kc = state["clusterInfoKubeconfig"]
    data = {"kubeconfig": kc}
    for tid, tok in state["tokens"].items():
        if "signing" in tok.get("usages", ["signing"]) and (not tok.get("expires") or tok["expires"] > tokens_now):
            data["jws-kubeconfig-" + tid] = k.jws_detached(kc, tid, tok["secret"])
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cluster-info", "namespace": "kube-public"}, "data": data}


# ---------------------------------------------------------------- discovery and tables
# What this endpoint serves, as client-go's discovery sees it (unaggregated: /api, /apis, one list per version).
# Only resources with a handler below are listed, so a client never plans on a call that 404s.
CORE_RESOURCES = [
    {"name": "configmaps", "singularName": "configmap", "namespaced": True, "kind": "ConfigMap",
     "verbs": ["get"], "shortNames": ["cm"]},
    {"name": "nodes", "singularName": "node", "namespaced": False, "kind": "Node",
     "verbs": ["create", "delete", "get", "list", "patch"], "shortNames": ["no"]},
    {"name": "nodes/status", "singularName": "", "namespaced": False, "kind": "Node", "verbs": ["get", "update"]},
    {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"],
     "shortNames": ["po"], "categories": ["all"]},
    {"name": "pods/eviction", "singularName": "", "namespaced": True, "group": "policy", "version": "v1",
     "kind": "Eviction", "verbs": ["create"]},
]
GROUPS = {"certificates.k8s.io/v1": [
    {"name": "certificatesigningrequests", "singularName": "certificatesigningrequest", "namespaced": False,
     "kind": "CertificateSigningRequest", "verbs": ["create"], "shortNames": ["csr"]}]}


def _media_ranges(accept):
    """The Accept header as (type, {param: value}) pairs, in the client's order."""
    out = []
    for part in (accept or "*/*").split(","):
        fields = [f.strip() for f in part.split(";")]
        params = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        out.append((fields[0].lower(), params))
    return out


def negotiate(accept):
    """'table' or 'json' for the first range this endpoint can produce, or None (406) when there is none.

    Aggregated discovery (as=APIGroupDiscoveryList) is not implemented: like a server without it, the plain
    JSON the client also accepts is served instead, and an Accept naming only aggregated types gets 406.
    """
    for mtype, params in _media_ranges(accept):
        if mtype not in ("application/json", "application/*", "*/*"):
            continue
        want = params.get("as")
        if want is None:
            return "json"
        if want == "Table" and params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            return "table"
    return None


def api_versions(server_address):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]}


def api_group_list():
    groups = []
    for gv in GROUPS:
        group, version = gv.split("/")
        ref = {"groupVersion": gv, "version": version}
        groups.append({"name": group, "versions": [ref], "preferredVersion": ref})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def resource_list(group_version):
    resources = CORE_RESOURCES if group_version == "v1" else GROUPS.get(group_version)
    if resources is None:
        return None
    doc = {"kind": "APIResourceList", "groupVersion": group_version, "resources": resources}
    if group_version != "v1":
        doc["apiVersion"] = "v1"
    return doc


_NAME_COL = {"name": "Name", "type": "string", "format": "name", "priority": 0,
             "description": "Name must be unique within a namespace."}
_AGE_COL = {"name": "Age", "type": "string", "format": "", "priority": 0,
            "description": "CreationTimestamp is a timestamp representing the server time when this object was "
                           "created."}


def _col(name, description, priority=0):
    return {"name": name, "type": "string", "format": "", "priority": priority, "description": description}


NODE_COLUMNS = [_NAME_COL, _col("Status", "The status of the node"), _col("Roles", "The roles of the node"),
                _AGE_COL, _col("Version", "Kubelet Version reported by the node."),
                _col("Internal-IP", "List of internal IPs for the node.", 1),
                _col("External-IP", "List of external IPs for the node.", 1),
                _col("OS-Image", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
                     "(wheezy)).", 1),
                _col("Kernel-Version", "Kernel Version reported by the node from 'uname -r' (e.g. "
                     "3.16.0-0.bpo.4-amd64).", 1),
                _col("Container-Runtime", "Container runtime version reported by the node through runtime remote "
                     "API (e.g. containerd://1.4.2).", 1)]
POD_COLUMNS = [_NAME_COL,
               _col("Ready", "The aggregate readiness state of this pod for accepting traffic."),
               _col("Status", "The aggregate status of the containers in this pod."),
               _col("Restarts", "The number of times the containers in this pod have been restarted and when the "
                    "last container in this pod has restarted."),
               _AGE_COL, _col("IP", "IP address allocated to the pod.", 1),
               _col("Node", "Name of the Node this pod is assigned to.", 1),
               _col("Nominated Node", "Name of the node nominated by the scheduler.", 1),
               _col("Readiness Gates", "Readiness gates of the pod.", 1)]


def node_cells(n, now):
    ready = n["status"]["conditions"][0]["status"] == "True"
    status = ("Ready" if ready else "NotReady") + (",SchedulingDisabled" if n["spec"].get("unschedulable") else "")
    roles = ",".join(sorted(x.split("/", 1)[1] for x in n["metadata"]["labels"]
                            if x.startswith("node-role.kubernetes.io/"))) or "<none>"
    info = n["status"].get("nodeInfo", {})
    ips = {t: ",".join(a["address"] for a in n["status"].get("addresses", []) if a["type"] == t) or "<none>"
           for t in ("InternalIP", "ExternalIP")}
    return [n["metadata"]["name"], status, roles, k.human_age(n["metadata"]["creationTimestamp"], now),
            info.get("kubeletVersion", ""), ips["InternalIP"], ips["ExternalIP"],
            info.get("osImage") or "<unknown>", info.get("kernelVersion") or "<unknown>",
            info.get("containerRuntimeVersion") or "<unknown>"]


def pod_cells(p, now):
    statuses = p["status"].get("containerStatuses", [])
    reason = p["status"]["phase"]
    for c in statuses:  # a waiting container's reason is what the pod shows, as kubectl prints it
        reason = c["state"].get("waiting", {}).get("reason") or reason
    return [p["metadata"]["name"],
            "%d/%d" % (sum(1 for c in statuses if c["ready"]), len(p["spec"]["containers"])), reason,
            str(sum(c["restartCount"] for c in statuses)), k.human_age(p["metadata"]["creationTimestamp"], now),
            p["status"].get("podIP") or "<none>", p["spec"].get("nodeName") or "<none>", "<none>", "<none>"]


def table(objects, columns, cells, resource_version, include, now):
    """A meta.k8s.io/v1 Table, as kube-apiserver returns it for kubectl's human-readable output."""
    rows = []
    for obj in objects:
        row = {"cells": cells(obj, now)}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                             "metadata": obj["metadata"]}
        rows.append(row)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": columns, "rows": rows}


# ---------------------------------------------------------------- HTTP
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "standin-apiserver"

    def setup(self):
        self.request.settimeout(30)
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            self.close_connection = True
        super().setup()

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def _send(self, code, doc):
        body = json.dumps(doc, indent=1).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _status(self, code, reason, message):
        self._send(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
                          "reason": reason, "code": code})

    def _identity(self):
        """(user, groups) from the client certificate or a bootstrap token; None when anonymous."""
        try:
            cert = self.request.getpeercert()
        except (ValueError, AttributeError):
            cert = None
        if cert:
            subj = [x for rdn in cert.get("subject", ()) for x in rdn]
            cn = next((v for key, v in subj if key == "commonName"), "")
            return cn, {v for key, v in subj if key == "organizationName"}
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            m = k.TOKEN_RE.match(auth[7:].strip())
            with _LOCK:
                tok = self.server.state["tokens"].get(m.group(1)) if m else None
            if tok and k.hmac.compare_digest(tok["secret"], m.group(2)) and \
                    (not tok.get("expires") or tok["expires"] > time.time()) and \
                    "authentication" in tok.get("usages", ["authentication"]):
                return "system:bootstrap:" + m.group(1), {"system:bootstrappers",
                                                          "system:bootstrappers:kubeadm:default-node-token"}
            return "invalid", set()
        return None

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        return raw.decode()

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")

    def do_PUT(self):
        self._route("PUT")

    def do_PATCH(self):
        self._route("PATCH")

    def do_DELETE(self):
        self._route("DELETE")

    def _route(self, method):
        try:
            self._dispatch(method)
        except Exception as e:  # a stand-in bug must show up as a 500, not a hung client
            self._status(500, "InternalError", "stand-in apiserver: %s: %s" % (type(e).__name__, e))

    def _dispatch(self, method):
        url = urllib.parse.urlsplit(self.path)
        p = url.path.rstrip("/") or "/"
        srv = self.server
        now = time.time()
        if method == "GET" and p in ("/healthz", "/readyz", "/livez"):
            body = b"ok"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(body)
            return
        if method == "GET" and p == "/version":
            v = srv.config["version"]
            major, minor = v.lstrip("v").split(".")[:2]
            return self._send(200, {"major": major, "minor": minor, "gitVersion": v, "platform": "linux/amd64",
                                    "goVersion": "standin"})
        if method == "GET" and p == "/api/v1/namespaces/kube-public/configmaps/cluster-info":
            with _LOCK:
                return self._send(200, cluster_info_doc(srv.state, now))
        ident = self._identity()
        if ident is None:
            return self._status(403, "Forbidden", 'forbidden: User "system:anonymous" cannot %s resource at "%s"'
                                % (method.lower(), p))
        user, groups = ident
        if user == "invalid":
            return self._status(401, "Unauthorized", "Unauthorized")
        admin = bool(groups & ADMIN_GROUPS)
        node_name = user[len("system:node:"):] if user.startswith("system:node:") and "system:nodes" in groups \
            else None
        bootstrap = user.startswith("system:bootstrap:")

        m = re.fullmatch(r"/api/v1/namespaces/kube-system/configmaps/(kubelet-config|kubeadm-config|kube-proxy)", p)
        if method == "GET" and m:
            key = {"kubelet-config": "kubelet", "kubeadm-config": "ClusterConfiguration",
                   "kube-proxy": "config.conf"}[m.group(1)]
            val = srv.state.get("configmaps", {}).get(m.group(1), "")
            return self._send(200, {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": m.group(1), "namespace": "kube-system"}, "data": {key: val}})
        if p == "/apis/certificates.k8s.io/v1/certificatesigningrequests" and method == "POST":
            if not (bootstrap or admin or node_name):
                return self._forbid(user, "create", "certificatesigningrequests")
            return self._sign_csr(json.loads(self._body() or "{}"), user)
        if method == "GET" and (p in ("/api", "/apis") or p.startswith(("/api/v1", "/apis/"))):
            fmt = negotiate(self.headers.get("Accept"))
            if fmt is None or (fmt == "table" and not re.fullmatch(r"/api/v1/(nodes|(namespaces/[^/]+/)?pods)"
                                                                   r"(/[^/]+)?", p)):
                return self._status(406, "NotAcceptable",
                                    "the server was unable to respond with a content type that the client supports")
            discovery = {"/api": lambda: api_versions(self.headers.get("Host") or ""),
                         "/apis": api_group_list}.get(p)
            if discovery:
                return self._send(200, discovery())
            m = re.fullmatch(r"/api/(v1)|/apis/([^/]+/[^/]+)", p)
            if m:
                doc = resource_list(m.group(1) or m.group(2))
                return self._send(200, doc) if doc else self._status(404, "NotFound", "the server could not find "
                                                                                      "the requested resource")
            include = urllib.parse.parse_qs(url.query).get("includeObject", ["Metadata"])[0]
        else:
            fmt, include = "json", None
        if p == "/api/v1/nodes" and method == "GET":
            if bootstrap and not admin:
                pass  # kubeadm's join reads nodes with the bootstrap identity (kubeadm:get-nodes)
            with _LOCK:
                items = [node_view(n, srv.state, now) for _, n in sorted(srv.state["nodes"].items())]
                rv = str(srv.state.get("resourceVersion", 1))
            if fmt == "table":
                return self._send(200, table(items, NODE_COLUMNS, node_cells, rv, include, now))
            return self._send(200, {"apiVersion": "v1", "kind": "NodeList", "metadata": {"resourceVersion": rv},
                                    "items": items})
        m = re.fullmatch(r"/api/v1/nodes/([^/]+)(/status)?", p)
        if m and fmt == "table" and not m.group(2):
            with _LOCK:
                rec = srv.state["nodes"].get(m.group(1))
                view = node_view(rec, srv.state, now) if rec else None
            if view is None:
                return self._status(404, "NotFound", 'nodes "%s" not found' % m.group(1))
            return self._send(200, table([view], NODE_COLUMNS, node_cells, view["metadata"]["resourceVersion"],
                                         include, now))
        if m:
            return self._node(method, m.group(1), m.group(2), admin, node_name, bootstrap, user, now)
        if p == "/api/v1/nodes" and method == "POST":
            body = json.loads(self._body() or "{}")
            name = body.get("metadata", {}).get("name")
            if not (admin or node_name == name):
                return self._forbid(user, "create", "nodes")
            return self._register(name, body, now)
        m = re.fullmatch(r"/api/v1(?:/namespaces/([^/]+))?/pods(?:/([^/]+))?", p)
        if method == "GET" and m and (m.group(1) or not m.group(2)):
            with _LOCK:
                pods = compute_pods(srv.state, now)
                rv = str(srv.state.get("resourceVersion", 1))
            if m.group(1):
                pods = [x for x in pods if x["metadata"]["namespace"] == m.group(1)]
            if m.group(2):
                pods = [x for x in pods if x["metadata"]["name"] == m.group(2)]
                if not pods:
                    return self._status(404, "NotFound", 'pods "%s" not found' % m.group(2))
            q = urllib.parse.parse_qs(url.query)
            for sel in q.get("fieldSelector", []):
                if sel.startswith("spec.nodeName="):
                    pods = [x for x in pods if x["spec"].get("nodeName") == sel.split("=", 1)[1]]
            if fmt == "table":
                return self._send(200, table(pods, POD_COLUMNS, pod_cells, rv, include, now))
            if m.group(2):
                return self._send(200, pods[0])
            return self._send(200, {"apiVersion": "v1", "kind": "PodList", "metadata": {"resourceVersion": rv},
                                    "items": pods})
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/eviction", p)
        if method == "POST" and m:
            if not admin:
                return self._forbid(user, "create", "pods/eviction")
            return self._send(201, {"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 201})
        if p == "/standin/v1/apply" and method == "POST":
            if not admin:
                return self._forbid(user, "create", "the applied resources")
            return self._apply(json.loads(self._body() or "{}"))
        if p.startswith("/standin/v1/bootstraptokens"):
            if not admin:
                return self._forbid(user, method.lower(), "secrets")
            return self._tokens(method, p, now)
        return self._status(404, "NotFound", "the server could not find the requested resource")

    def _forbid(self, user, verb, what):
        return self._status(403, "Forbidden", 'User "%s" cannot %s %s' % (user, verb, what))

    def _sign_csr(self, body, user):
        req = k.unb64(body.get("spec", {}).get("request", ""))
        try:
            subj = k.csr_subject(req)
        except RuntimeError as e:
            return self._status(400, "BadRequest", "invalid certificate request: %s" % e)
        cn = (subj.get("CN") or [""])[0]
        if not cn.startswith("system:node:") or subj.get("O") != ["system:nodes"]:
            return self._status(403, "Forbidden", "CSR subject must be O=system:nodes, CN=system:node:<name>")
        cfg = self.server.config
        cert = k.sign_csr(req, k.path(cfg["caFile"]), k.path(cfg["caKeyFile"]), days=365)
        return self._send(201, {"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
                                "metadata": {"name": "csr-" + short_hash(cn, str(time.time()))},
                                "spec": {"username": user, "signerName": "kubernetes.io/kube-apiserver-client-kubelet"},
                                "status": {"conditions": [{"type": "Approved", "status": "True",
                                                           "reason": "AutoApproved"}],
                                           "certificate": k.b64(cert)}})

    def _register(self, name, body, now):
        if not name:
            return self._status(400, "BadRequest", "metadata.name is required")
        with _LOCK:
            st = self.server.state
            if name in st["nodes"]:
                return self._status(409, "AlreadyExists", 'nodes "%s" already exists' % name)
            idx = st.setdefault("nextPodCIDR", 0)
            st["nextPodCIDR"] = idx + 1
            pod_net = st.get("podSubnet") or "10.244.0.0/16"
            o = pod_net.split("/")[0].split(".")
            rec = {"name": name, "created": now, "roles": body.get("standin", {}).get("roles", []),
                   "taints": body.get("spec", {}).get("taints", []), "unschedulable": False,
                   "criSocket": body.get("metadata", {}).get("annotations", {}).get(
                       "kubeadm.alpha.kubernetes.io/cri-socket", ""),
                   "addresses": body.get("status", {}).get("addresses", []),
                   "podCIDR": "%s.%s.%d.0/24" % (o[0], o[1], int(o[2]) + idx) if st.get("podSubnet") else None}
            st["nodes"][name] = rec
            save_state(st, rec)
            return self._send(201, node_view(rec, st, now))

    def _node(self, method, name, sub, admin, node_name, bootstrap, user, now):
        with _LOCK:
            st = self.server.state
            rec = st["nodes"].get(name)
            if method == "GET":
                if rec is None:
                    return self._status(404, "NotFound", 'nodes "%s" not found' % name)
                return self._send(200, node_view(rec, st, now))
            if rec is None:
                return self._status(404, "NotFound", 'nodes "%s" not found' % name)
            if method == "PUT" and sub == "/status":
                if node_name != name:
                    return self._forbid(user, "update", "nodes/%s/status" % name)
                hb = json.loads(self._body() or "{}")
                rec["heartbeat"] = now
                for key in ("addresses", "nodeInfo", "capacity", "runtimeReady", "runtimeMessage"):
                    if key in hb:
                        rec[key] = hb[key]
                save_state(st, rec)
                return self._send(200, node_view(rec, st, now))
            if method == "PATCH":
                if not admin:
                    return self._forbid(user, "patch", "nodes")
                patch = json.loads(self._body() or "{}")
                if "unschedulable" in patch.get("spec", {}):
                    rec["unschedulable"] = bool(patch["spec"]["unschedulable"])
                # kubeadm's mark-control-plane patches the node the kubelet registered: its role and taints.
                if "taints" in patch.get("spec", {}):
                    rec["taints"] = patch["spec"]["taints"]
                if "roles" in patch.get("standin", {}):
                    rec["roles"] = patch["standin"]["roles"]
                save_state(st, rec)
                return self._send(200, node_view(rec, st, now))
            if method == "DELETE":
                if not admin:
                    return self._forbid(user, "delete", "nodes")
                del st["nodes"][name]
                save_state(st)
                return self._send(200, {"kind": "Status", "apiVersion": "v1", "status": "Success"})
        return self._status(405, "MethodNotAllowed", "method not allowed")

    def _apply(self, body):
        text = body.get("manifest", "")
        objs = scan_manifest(text)
        if not objs:
            return self._status(400, "BadRequest", "no objects passed to apply")
        results = []
        with _LOCK:
            st = self.server.state
            cni = detect_cni(text)
            for o in objs:
                key = "%s/%s/%s" % (o["kind"], o.get("namespace") or "", o["name"])
                old = st["objects"].get(key)
                verb = "created" if old is None else ("unchanged" if old["digest"] == o["digest"] else "configured")
                o["source"] = body.get("source", "")
                st["objects"][key] = o
                results.append("%s %s" % (resource_name(o), verb))
            if cni:
                st["cni"] = cni
            save_state(st)
        return self._send(200, {"results": results, "cni": cni})

    def _tokens(self, method, p, now):
        with _LOCK:
            st = self.server.state
            if method == "GET":
                return self._send(200, {"items": [dict(v, id=kid) for kid, v in sorted(st["tokens"].items())
                                                  if not v.get("expires") or v["expires"] > now]})
            if method == "POST":
                tok = json.loads(self._body() or "{}")
                m = k.TOKEN_RE.match(tok.get("token", ""))
                if not m:
                    return self._status(400, "BadRequest", "the bootstrap token is invalid")
                if m.group(1) in st["tokens"]:
                    return self._status(409, "AlreadyExists", 'secrets "bootstrap-token-%s" already exists'
                                        % m.group(1))
                ttl = tok.get("ttl", 86400)
                st["tokens"][m.group(1)] = {"secret": m.group(2), "expires": now + ttl if ttl else None,
                                            "usages": tok.get("usages", ["signing", "authentication"]),
                                            "description": tok.get("description", ""),
                                            "groups": ["system:bootstrappers:kubeadm:default-node-token"]}
                save_state(st)
                return self._send(201, {"id": m.group(1)})
            if method == "DELETE":
                tid = p.rsplit("/", 1)[-1]
                if st["tokens"].pop(tid, None) is None:
                    return self._status(404, "NotFound", 'secrets "bootstrap-token-%s" not found' % tid)
                save_state(st)
                return self._send(200, {"status": "Success"})
        return self._status(405, "MethodNotAllowed", "method not allowed")


def make_server(config):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(k.path(config["certFile"]), k.path(config["keyFile"]))
    ctx.load_verify_locations(k.path(config["caFile"]))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    srv = ThreadingHTTPServer((config["bindAddress"], config["port"]), Handler)
    srv.daemon_threads = True
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
    srv.config = config
    srv.state = load_state()
    return srv


def main():
    text = k.read(CONFIG)
    if text is None:
        k.die("standin-apiserver: %s missing: run `kubeadm init` first" % CONFIG)
    srv = make_server(json.loads(text))
    sys.stderr.write("standin-apiserver listening on %s:%d\n" % (srv.config["bindAddress"], srv.config["port"]))
    srv.serve_forever()


if __name__ == "__main__":
    main()
