"""Stand-in `kubeadm`: real preflight checks, real PKI, real discovery; no real control plane.

See ../README.md for what is real and what is faked.
"""
import argparse
import base64
import calendar
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cri  # noqa: E402
import k8slib as k  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PKI = "/etc/kubernetes/pki"
MANIFESTS = "/etc/kubernetes/manifests"
KUBELET_CONFIG = "/var/lib/kubelet/config.yaml"
KUBELET_FLAGS = "/var/lib/kubelet/kubeadm-flags.env"
KUBELET_CONF = "/etc/kubernetes/kubelet.conf"
ADMIN_CONF = "/etc/kubernetes/admin.conf"
STATE_DIR = "/var/lib/standin"
CP_COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd")
MIN_CP_MEM_MB = 1700
STACK_HINT = "To see the stack trace of this error execute with --v=5 or higher"
KUBEADM_API = ("kubeadm.k8s.io/v1beta3", "kubeadm.k8s.io/v1beta4")


def version():
    """The package version build-repo stamped next to this file (VERSION), e.g. v1.34.1."""
    try:
        with open(os.path.join(HERE, "VERSION")) as f:
            v = f.read().strip()
    except OSError:
        v = ""
    return os.environ.get("STANDIN_VERSION") or v or "v1.34.1"


def fail(msg, phase=None):
    text = ("error execution phase %s: %s" % (phase, msg)) if phase else msg
    k.die(text + "\n" + STACK_HINT)


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------- configuration
class Settings:
    """Merged view of --config documents and flags, the fields the stand-in honours."""

    def __init__(self):
        self.advertise = None
        self.bind_port = 6443
        self.node_name = None
        self.cri_socket = None
        self.kubelet_extra_args = []
        self.taints = None
        self.ignore = set()
        self.pod_subnet = None
        self.service_subnet = "10.96.0.0/12"
        self.dns_domain = "cluster.local"
        self.cp_endpoint = None
        self.k8s_version = None
        self.cluster_name = "kubernetes"
        self.cert_sans = []
        self.tokens = []
        self.fail_swap_on = True
        self.cgroup_driver = "systemd"
        self.kubelet_config_doc = None
        self.join = {}


def _extra_args(v):
    if isinstance(v, dict):  # v1beta3: map
        return [(str(a), str(b)) for a, b in v.items()]
    return [(str(x.get("name")), str(x.get("value"))) for x in (v or [])]  # v1beta4: list of name/value


def load_config(file, settings, expected):
    text = k.read(file) if file.startswith("/") and k.ROOT != "/" else None
    if text is None:
        try:
            with open(file, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            fail("unable to read config from %q [%s]" % (file, e.strerror))
    try:
        docs = [d for d in k.yaml_load_all(text) if d]
    except k.YamlError as e:
        fail("error converting YAML to JSON: %s" % e)
    kinds = set()
    for d in docs:
        kind, api = d.get("kind"), d.get("apiVersion")
        if kind in ("InitConfiguration", "ClusterConfiguration", "JoinConfiguration", "ResetConfiguration",
                    "UpgradeConfiguration"):
            if api not in KUBEADM_API:
                fail('no kind "%s" is registered for version "%s" in scheme '
                     '"k8s.io/kubernetes/cmd/kubeadm/app/apis/kubeadm/scheme/scheme.go:31"' % (kind, api))
        kinds.add(kind)
        if kind in ("InitConfiguration", "JoinConfiguration"):
            nr = d.get("nodeRegistration") or {}
            settings.node_name = nr.get("name") or settings.node_name
            settings.cri_socket = nr.get("criSocket") or settings.cri_socket
            settings.kubelet_extra_args += _extra_args(nr.get("kubeletExtraArgs"))
            if "taints" in nr:
                settings.taints = nr.get("taints") or []
            settings.ignore |= {x.lower() for x in nr.get("ignorePreflightErrors") or []}
        if kind == "InitConfiguration":
            ep = d.get("localAPIEndpoint") or {}
            settings.advertise = ep.get("advertiseAddress") or settings.advertise
            settings.bind_port = int(ep.get("bindPort") or settings.bind_port)
            for t in d.get("bootstrapTokens") or []:
                settings.tokens.append(t)
        elif kind == "ClusterConfiguration":
            net = d.get("networking") or {}
            settings.pod_subnet = net.get("podSubnet") or settings.pod_subnet
            settings.service_subnet = net.get("serviceSubnet") or settings.service_subnet
            settings.dns_domain = net.get("dnsDomain") or settings.dns_domain
            settings.cp_endpoint = d.get("controlPlaneEndpoint") or settings.cp_endpoint
            settings.k8s_version = d.get("kubernetesVersion") or settings.k8s_version
            settings.cluster_name = d.get("clusterName") or settings.cluster_name
            settings.cert_sans = (d.get("apiServer") or {}).get("certSANs") or []
        elif kind == "KubeletConfiguration":
            settings.kubelet_config_doc = d
            if d.get("failSwapOn") is False:
                settings.fail_swap_on = False
            settings.cgroup_driver = d.get("cgroupDriver") or settings.cgroup_driver
        elif kind == "JoinConfiguration":
            settings.join = d
            ep = (d.get("controlPlane") or {})
            if ep:
                fail("the stand-in kubeadm does not support joining additional control-plane nodes")
    if expected not in kinds and not kinds & {"ClusterConfiguration"} and expected == "InitConfiguration":
        pass  # kubeadm defaults InitConfiguration when only ClusterConfiguration is given
    if expected == "JoinConfiguration" and "JoinConfiguration" not in kinds:
        fail("no JoinConfiguration kind was found in the YAML file")


# ---------------------------------------------------------------- preflight
def _port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("0.0.0.0", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def _file_content(p, want):
    name = "FileContent-" + p.replace("/", "-")
    val = k.read(p)
    if val is None:
        return name, "%s does not exist" % p
    if val.strip() != want:
        return name, "%s contents are not set to %s" % (p, want)
    return name, None


def _cgroup_check():
    ctrl = k.read("/sys/fs/cgroup/cgroup.controllers")
    required = ["cpu", "cpuset", "memory", "pids"]
    if ctrl is not None:
        have = set(ctrl.split())
    else:  # cgroup v1: enabled column of /proc/cgroups
        have = set()
        for line in (k.read("/proc/cgroups") or "").splitlines():
            f = line.split()
            if len(f) == 4 and not line.startswith("#") and f[3] == "1":
                have.add(f[0])
        required = ["cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"]
    missing = [c for c in required if c not in have]
    return "missing required cgroups: " + " ".join(missing) if missing else None


def _swap_on():
    lines = [ln for ln in (k.read("/proc/swaps") or "").splitlines()[1:] if ln.strip()]
    return bool(lines)


def _mem_mb():
    m = re.search(r"^MemTotal:\s+(\d+)", k.read("/proc/meminfo") or "", re.M)
    return int(m.group(1)) // 1024 if m else 0


def _cpus():
    return int(os.environ.get("STANDIN_NUMCPU") or os.cpu_count() or 1)


def pause_image():
    return "registry.k8s.io/pause:" + ("3.10.1" if int(version().split(".")[1]) >= 34 else "3.10")


def _sandbox_image_check(endpoint):
    """kubeadm warns (klog, not a preflight error) when the runtime's sandbox image is not its pause image."""
    try:
        conf = json.loads(cri.status(endpoint)["info"].get("config") or "{}")
    except (cri.CriError, ValueError):
        return
    have = conf.get("sandboxImage")
    if have and have != pause_image():
        sys.stderr.write('W%s %8d checks.go:846] detected that the sandbox image "%s" of the container runtime is '
                         'inconsistent with that used by kubeadm. It is recommended to use "%s" as the CRI sandbox '
                         'image.\n' % (time.strftime("%m%d %H:%M:%S.000000"), os.getpid(), have, pause_image()))


def preflight(mode, s, endpoint):
    """Run kubeadm's checks for `init` or `join`; returns (errors, warnings) as [(name, message)]."""
    checks = []

    def add(name, msg, warning=False):
        if msg:
            checks.append((name, msg, warning))

    if os.geteuid() != 0:
        add("IsPrivilegedUser", "user is not running as root")
    if mode == "init":
        cpus = _cpus()
        if cpus < 2:
            add("NumCPU", "the number of available CPUs %d is less than the required 2" % cpus)
        mem = _mem_mb()
        if mem < MIN_CP_MEM_MB:
            add("Mem", "the system RAM (%d MB) is less than the minimum %d MB" % (mem, MIN_CP_MEM_MB))
    if not endpoint[0]:
        add("CRI", endpoint[1])
    else:
        try:
            cri.version(endpoint[0])
            _sandbox_image_check(endpoint[0])
        except cri.CriError as e:
            add("CRI", "container runtime is not running: output: , error: validate CRI v1 runtime API for "
                       "endpoint \"%s\": %s" % (endpoint[0], e))
    add("SystemVerification", _cgroup_check())
    if k.systemctl("is-enabled", "--quiet", "kubelet.service") != 0:
        add("Service-Kubelet", "kubelet service is not enabled, please run 'systemctl enable kubelet.service'", True)
    name = s.node_name or k.hostname()
    try:
        socket.getaddrinfo(name, None)
    except OSError:
        add("Hostname", 'hostname "%s" could not be reached' % name, True)
        add("Hostname", 'hostname "%s": lookup %s: no such host' % (name, name), True)
    kubelet_port = int(os.environ.get("STANDIN_KUBELET_PORT") or 10250)
    if mode == "init":
        for port in (s.bind_port, 10259, 10257):
            if not _port_free(port):
                add("Port-%d" % port, "Port %d is in use" % port)
        for comp in CP_COMPONENTS:
            f = "%s/%s.yaml" % (MANIFESTS, comp)
            if os.path.exists(k.path(f)):
                add("FileAvailable-" + f.replace("/", "-"), "%s already exists" % f)
    if not _port_free(kubelet_port):
        add("Port-%d" % kubelet_port, "Port %d is in use" % kubelet_port)
    if mode == "init":
        for port in (2379, 2380):
            if not _port_free(port):
                add("Port-%d" % port, "Port %d is in use" % port)
        etcd = k.path("/var/lib/etcd")
        if os.path.isdir(etcd) and os.listdir(etcd):
            add("DirAvailable--var-lib-etcd", "/var/lib/etcd is not empty")
    else:
        for f in (KUBELET_CONF, "/etc/kubernetes/bootstrap-kubelet.conf", PKI + "/ca.crt"):
            if os.path.exists(k.path(f)):
                add("FileAvailable-" + f.replace("/", "-"), "%s already exists" % f)
    add(*_file_content("/proc/sys/net/bridge/bridge-nf-call-iptables", "1"))
    add(*_file_content("/proc/sys/net/ipv4/ip_forward", "1"))
    if _swap_on():
        if s.fail_swap_on:
            add("Swap", "running with swap on is not supported. Please disable swap")
        else:
            add("Swap", "swap is supported for cgroup v2 only. The kubelet must be properly configured to use swap.",
                True)
    errors, warnings = [], []
    for name, msg, warning in checks:
        if warning or name.lower() in s.ignore or "all" in s.ignore:
            warnings.append((name, msg))
        else:
            errors.append((name, msg))
    return errors, warnings


def run_preflight(mode, s, endpoint):
    log("[preflight] Running pre-flight checks")
    errors, warnings = preflight(mode, s, endpoint)
    for name, msg in warnings:
        sys.stderr.write("\t[WARNING %s]: %s\n" % (name, msg))
    if errors:
        body = "".join("\t[ERROR %s]: %s\n" % (n, m) for n, m in errors)
        fail("[preflight] Some fatal errors occurred:\n%s[preflight] If you know what you are doing, you can make "
             "a check non-fatal with `--ignore-preflight-errors=...`" % body, "preflight")


def cri_endpoint(s):
    ep, err = cri.detect_endpoint(s.cri_socket)
    return ep, err


# ---------------------------------------------------------------- init
def _service_ip(cidr):
    a, b, c, d = (int(x) for x in cidr.split("/")[0].split("."))
    return "%d.%d.%d.%d" % (a, b, c, d + 1)


def _write_kubeconfig(p, doc):
    k.write_atomic(p, k.yaml_dump(doc), 0o600)


def _client_cert(ca_crt, ca_key, key_path, cn, org=None):
    k.gen_ec_key(key_path)
    csr = k.make_csr(key_path, cn, org)
    return k.sign_csr(csr, ca_crt, ca_key, days=365)


def _kubelet_flags(s, endpoint, node_ip):
    args = [("container-runtime-endpoint", endpoint)]
    if s.node_name and s.node_name != k.hostname():
        args.append(("hostname-override", s.node_name))
    names = {a for a, _ in s.kubelet_extra_args}
    if node_ip and "node-ip" not in names:
        pass  # like kubeadm: the kubelet picks its own address unless node-ip is given
    args += s.kubelet_extra_args
    return 'KUBELET_KUBEADM_ARGS="%s"\n' % " ".join("--%s=%s" % a for a in args)


def _kubelet_config(s):
    doc = {"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration",
           "authentication": {"x509": {"clientCAFile": PKI + "/ca.crt"}},
           "cgroupDriver": s.cgroup_driver, "clusterDNS": [_dns_ip(s.service_subnet)],
           "clusterDomain": s.dns_domain, "failSwapOn": s.fail_swap_on,
           "rotateCertificates": True, "staticPodPath": MANIFESTS}
    for key, val in (s.kubelet_config_doc or {}).items():
        if key not in ("apiVersion", "kind"):
            doc[key] = val
    return k.yaml_dump(doc)


def _dns_ip(cidr):
    a, b, c, _ = cidr.split("/")[0].split(".")
    return "%s.%s.%s.10" % (a, b, c)


def _static_manifest(comp, s, adv, ver):
    flags = {
        "kube-apiserver": ["--advertise-address=" + adv, "--secure-port=%d" % s.bind_port,
                           "--service-cluster-ip-range=" + s.service_subnet, "--client-ca-file=%s/ca.crt" % PKI,
                           "--tls-cert-file=%s/apiserver.crt" % PKI, "--tls-private-key-file=%s/apiserver.key" % PKI,
                           "--enable-bootstrap-token-auth=true", "--authorization-mode=Node,RBAC"],
        "kube-controller-manager": ["--kubeconfig=/etc/kubernetes/controller-manager.conf",
                                    "--cluster-signing-cert-file=%s/ca.crt" % PKI,
                                    "--cluster-signing-key-file=%s/ca.key" % PKI,
                                    "--service-cluster-ip-range=" + s.service_subnet,
                                    "--controllers=*,bootstrapsigner,tokencleaner"]
        + (["--allocate-node-cidrs=true", "--cluster-cidr=" + s.pod_subnet] if s.pod_subnet else []),
        "kube-scheduler": ["--kubeconfig=/etc/kubernetes/scheduler.conf"],
        "etcd": ["--advertise-client-urls=https://%s:2379" % adv, "--data-dir=/var/lib/etcd"],
    }[comp]
    image = "registry.k8s.io/etcd:3.6.4-0" if comp == "etcd" else "registry.k8s.io/%s:%s" % (comp, ver)
    return ("# Written by the PiCluster lab's stand-in kubeadm: the kubelet stand-in does not run it.\n"
            + k.yaml_dump({"apiVersion": "v1", "kind": "Pod",
                           "metadata": {"labels": {"component": comp, "tier": "control-plane"},
                                        "name": comp, "namespace": "kube-system"},
                           "spec": {"containers": [{"command": [comp] + flags, "image": image, "name": comp}],
                                    "hostNetwork": True, "priorityClassName": "system-node-critical"}}))


def _start_service(unit, script, pidname):
    """systemd on a node; a detached child process in the host tests."""
    if os.environ.get("STANDIN_NO_SYSTEMD"):
        pidfile = k.path("%s/%s.pid" % (STATE_DIR, pidname))
        _stop_pid(pidfile)
        os.makedirs(os.path.dirname(pidfile), exist_ok=True)
        logf = open(k.path("%s/%s.log" % (STATE_DIR, pidname)), "ab")
        p = subprocess.Popen([sys.executable, os.path.join(HERE, script)], stdout=logf, stderr=logf,
                             start_new_session=True, env=dict(os.environ))
        with open(pidfile, "w") as f:
            f.write(str(p.pid))
        return
    k.systemctl("daemon-reload")
    k.systemctl("enable", unit)
    k.systemctl("restart", unit)


def _stop_pid(pidfile):
    try:
        pid = int(open(pidfile).read().strip())
        os.kill(pid, 15)
        for _ in range(50):
            os.kill(pid, 0)
            time.sleep(0.1)
    except (OSError, ValueError):
        pass
    try:
        os.unlink(pidfile)
    except OSError:
        pass


def _split_endpoint(ep, default_port):
    ep = ep.strip()
    if ep.startswith("["):
        host, _, port = ep[1:].partition("]:")
        return host, int(port or default_port)
    host, _, port = ep.partition(":")
    return host, int(port or default_port)


def cmd_init(a):
    s = Settings()
    if a.config:
        mixed = [f for f in ("apiserver_advertise_address", "pod_network_cidr", "control_plane_endpoint",
                             "cri_socket", "node_name", "kubernetes_version", "service_cidr", "token",
                             "apiserver_bind_port")
                 if getattr(a, f, None) is not None]
        if mixed:
            fail("can not mix '--config' with arguments %s" % "[" + " ".join(x.replace("_", "-") for x in mixed) + "]")
        load_config(a.config, s, "InitConfiguration")
    else:
        s.advertise = a.apiserver_advertise_address
        s.bind_port = a.apiserver_bind_port or 6443
        s.pod_subnet = a.pod_network_cidr
        s.service_subnet = a.service_cidr or s.service_subnet
        s.cp_endpoint = a.control_plane_endpoint
        s.cri_socket = a.cri_socket
        s.node_name = a.node_name
        s.k8s_version = a.kubernetes_version
        if a.token:
            s.tokens = [{"token": a.token, "ttl": a.token_ttl or "24h0m0s"}]
    s.ignore |= {x.strip().lower() for x in ",".join(a.ignore_preflight_errors or []).split(",") if x.strip()}
    own = version()
    ver = s.k8s_version or own
    if not ver.startswith("v"):
        ver = "v" + ver
    if not re.fullmatch(r"v\d+\.\d+\.\d+", ver):
        fail('couldn\'t parse version "%s": the stand-in kubeadm cannot resolve version labels offline' % ver)
    kmin, vmin = int(own.split(".")[1]), int(ver.split(".")[1])
    if vmin > kmin:
        fail("this version of kubeadm only supports deploying clusters with the control plane version <= %s. "
             "Current version: %s" % (own, ver))
    if vmin < kmin - 1:
        fail("this version of kubeadm only supports deploying clusters with the control plane version >= 1.%d.0. "
             "Current version: %s" % (kmin - 1, ver))
    adv = s.advertise or k.default_address()
    if adv not in k.local_addresses():
        fail("unable to select an IP from the interfaces of this node for the advertise address %s: "
             "the address is not assigned to any interface" % adv)
    if s.pod_subnet and not re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", s.pod_subnet):
        fail('networking.podSubnet: Invalid value: "%s": couldn\'t parse subnet' % s.pod_subnet)
    endpoint, err = cri_endpoint(s)
    log("[init] Using Kubernetes version: %s" % ver)
    run_preflight("init", s, (endpoint, err))
    if a.phase_only:
        return
    name = s.node_name or k.hostname()
    cp_host, cp_port = _split_endpoint(s.cp_endpoint, s.bind_port) if s.cp_endpoint else (adv, s.bind_port)
    server = "https://%s:%d" % (cp_host, cp_port)

    # Certificates: a real CA and real serving/client certificates, made with openssl.
    log('[certs] Using certificateDir folder "%s"' % PKI)
    pki = k.path(PKI)
    os.makedirs(pki, exist_ok=True)
    ca_crt, ca_key = pki + "/ca.crt", pki + "/ca.key"
    if not os.path.exists(ca_crt):
        log('[certs] Generating "ca" certificate and key')
        k.make_ca(ca_crt, ca_key)
    else:
        log("[certs] Using existing ca certificate authority")
    dns = [name, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
           "kubernetes.default.svc." + s.dns_domain]
    ips = [_service_ip(s.service_subnet), adv]
    for extra in [cp_host] + [str(x) for x in s.cert_sans]:
        (ips if re.fullmatch(r"[\d.]+", extra) else dns).append(extra)
    dns, ips = list(dict.fromkeys(dns)), list(dict.fromkeys(ips))
    log('[certs] Generating "apiserver" certificate and key')
    log("[certs] apiserver serving cert is signed for DNS names [%s] and IPs [%s]" % (" ".join(dns), " ".join(ips)))
    k.gen_rsa_key(pki + "/apiserver.key")
    k.write_atomic(PKI + "/apiserver.crt", k.sign_csr(
        k.make_csr(pki + "/apiserver.key", "kube-apiserver"), ca_crt, ca_key, sans=["DNS:" + d for d in dns]
        + ["IP:" + i for i in ips], server=True).decode())
    log('[certs] Generating "sa" key and public key')
    k.gen_rsa_key(pki + "/sa.key")
    k.write_atomic(PKI + "/sa.pub", k.openssl("pkey", "-in", pki + "/sa.key", "-pubout").decode())
    ca_pem = open(ca_crt).read()

    log('[kubeconfig] Using kubeconfig folder "/etc/kubernetes"')
    for conf, cn, org in (("admin.conf", "kubernetes-admin", "kubeadm:cluster-admins"),
                          ("super-admin.conf", "kubernetes-super-admin", "system:masters"),
                          ("kubelet.conf", "system:node:" + name, "system:nodes"),
                          ("controller-manager.conf", "system:kube-controller-manager", None),
                          ("scheduler.conf", "system:kube-scheduler", None)):
        log('[kubeconfig] Writing "%s" kubeconfig file' % conf)
        keyf = pki + "/.%s.key" % conf
        cert = _client_cert(ca_crt, ca_key, keyf, cn, org)
        key = open(keyf).read()
        os.unlink(keyf)
        user = cn if not cn.startswith("system:node:") else cn
        _write_kubeconfig("/etc/kubernetes/" + conf, k.kubeconfig_doc(
            s.cluster_name, server if conf in ("admin.conf", "super-admin.conf") else "https://%s:%d"
            % (adv, s.bind_port), ca_pem, user, cert.decode(), key))

    log('[control-plane] Using manifest folder "%s"' % MANIFESTS)
    for comp in CP_COMPONENTS:
        log('[control-plane] Creating static Pod manifest for "%s"' % comp)
        k.write_atomic("%s/%s.yaml" % (MANIFESTS, comp), _static_manifest(comp, s, adv, ver), 0o600)

    log('[kubelet-start] Writing kubelet environment file with flags to file "%s"' % KUBELET_FLAGS)
    k.write_atomic(KUBELET_FLAGS, _kubelet_flags(s, endpoint, adv))
    log('[kubelet-start] Writing kubelet configuration to file "%s"' % KUBELET_CONFIG)
    kubelet_cfg = _kubelet_config(s)
    k.write_atomic(KUBELET_CONFIG, kubelet_cfg)

    tokens = s.tokens or [{"token": k.new_token(), "ttl": "24h0m0s"}]
    now = time.time()
    state = {"nodes": {}, "tokens": {}, "objects": {}, "version": ver, "podSubnet": s.pod_subnet,
             "serviceSubnet": s.service_subnet, "created": now,
             "clusterInfoKubeconfig": k.yaml_dump(k.kubeconfig_doc(s.cluster_name, server, ca_pem, "")),
             "configmaps": {"kubelet-config": kubelet_cfg,
                            "kubeadm-config": k.yaml_dump({"apiVersion": "kubeadm.k8s.io/v1beta4",
                                                           "kind": "ClusterConfiguration",
                                                           "clusterName": s.cluster_name,
                                                           "controlPlaneEndpoint": s.cp_endpoint or "",
                                                           "kubernetesVersion": ver,
                                                           "networking": {"dnsDomain": s.dns_domain,
                                                                          "podSubnet": s.pod_subnet or "",
                                                                          "serviceSubnet": s.service_subnet}})}}
    for t in tokens:
        if not t.get("token"):
            # As kubeadm's dynamic defaults: a bootstrapTokens entry without a token gets a generated one.
            t["token"] = k.new_token()
        m = k.TOKEN_RE.match(str(t.get("token", "")))
        if not m:
            fail('bootstrapTokens[0].token: Invalid value: "%s": the bootstrap token is invalid' % t.get("token"))
        ttl = k.parse_duration(t.get("ttl", "24h0m0s"))
        state["tokens"][m.group(1)] = {"secret": m.group(2), "expires": now + ttl if ttl else None,
                                       "usages": t.get("usages") or ["signing", "authentication"],
                                       "description": t.get("description", ""),
                                       "groups": ["system:bootstrappers:kubeadm:default-node-token"]}
    os.makedirs(k.path(STATE_DIR), exist_ok=True)
    k.write_atomic(STATE_DIR + "/state.json", json.dumps(state, indent=1), 0o600)
    k.write_atomic(STATE_DIR + "/apiserver.json", json.dumps({
        # kube-apiserver binds every address (no --bind-address), so the lab's forward to the uplink reaches it;
        # the host tests keep to the fake node's own address on loopback.
        "bindAddress": "0.0.0.0" if k.ROOT == "/" else adv, "port": s.bind_port, "certFile": PKI + "/apiserver.crt",
        "keyFile": PKI + "/apiserver.key", "caFile": PKI + "/ca.crt", "caKeyFile": PKI + "/ca.key",
        "version": ver}, indent=1), 0o600)

    log("[kubelet-start] Starting the kubelet")
    _start_service("standin-apiserver.service", "apiserver.py", "apiserver")
    log("[api-check] Waiting for a healthy API server. This can take up to 4m0s")
    t0 = time.monotonic()
    direct = k.ApiClient("https://%s:%d" % (adv, s.bind_port), ca_pem, *admin_material(), timeout=5)
    while True:
        try:
            direct.get("/readyz")
            break
        except (OSError, k.ApiError, http.client.HTTPException, ssl.SSLError) as e:
            if time.monotonic() - t0 > 60:
                fail("the API server is not healthy after 1m0s: %s" % e, "wait-control-plane")
            time.sleep(0.5)
    log("[api-check] The API server is healthy after %.6fs" % (time.monotonic() - t0))
    log("[mark-control-plane] Marking the node %s as control-plane by adding the labels: "
        "[node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]" % name)
    taints = s.taints if s.taints is not None else [{"key": "node-role.kubernetes.io/control-plane",
                                                     "effect": "NoSchedule"}]
    log("[mark-control-plane] Marking the node %s as control-plane by adding the taints [%s]" % (
        name, " ".join("%s:%s" % (t.get("key"), t.get("effect")) for t in taints)))
    try:
        direct.request("POST", "/api/v1/nodes", {
            "metadata": {"name": name, "annotations": {"kubeadm.alpha.kubernetes.io/cri-socket": endpoint}},
            "spec": {"taints": taints}, "standin": {"roles": ["control-plane"]},
            "status": {"addresses": [{"type": "InternalIP", "address": adv}, {"type": "Hostname", "address": name}]}})
    except k.ApiError as e:
        # The kubelet (restarted by systemd once kubelet.conf exists) may register the node first, as a real
        # kubelet does: then mark it, as real kubeadm always does.
        if e.status != 409:
            raise
        direct.request("PATCH", "/api/v1/nodes/" + name, {"spec": {"taints": taints},
                                                           "standin": {"roles": ["control-plane"]}},
                       content_type="application/strategic-merge-patch+json")
    _start_service("kubelet.service", "kubelet.py", "kubelet")
    first = next(iter(state["tokens"].items()))
    log("[bootstrap-token] Using token: %s.%s" % (first[0], first[1]["secret"]))
    log("[bootstrap-token] Configured RBAC rules to allow Node Bootstrap tokens to get nodes")
    log('[bootstrap-token] Creating the "cluster-info" ConfigMap in the "kube-public" namespace')
    log("[addons] Applied essential addon: CoreDNS")
    log("[addons] Applied essential addon: kube-proxy")
    log("""
Your Kubernetes control-plane has initialized successfully!

To start using your cluster, you need to run the following as a regular user:

  mkdir -p $HOME/.kube
  sudo cp -i /etc/kubernetes/admin.conf $HOME/.kube/config
  sudo chown $(id -u):$(id -g) $HOME/.kube/config

Alternatively, if you are the root user, you can run:

  export KUBECONFIG=/etc/kubernetes/admin.conf

You should now deploy a pod network to the cluster.
Run "kubectl apply -f [podnetwork].yaml" with one of the options listed at:
  https://kubernetes.io/docs/concepts/cluster-administration/addons/

Then you can join any number of worker nodes by running the following on each as root:
""")
    log("kubeadm join %s:%d --token %s.%s \\\n\t--discovery-token-ca-cert-hash %s " % (
        cp_host, cp_port, first[0], first[1]["secret"], k.spki_sha256(ca_pem.encode())))


def admin_material():
    kc = k.Kubeconfig.load(ADMIN_CONF)
    return kc._client_material()


# ---------------------------------------------------------------- join
def _discover(endpoint, token_id, secret, hashes, unsafe, timeout):
    url = "/api/v1/namespaces/kube-public/configmaps/cluster-info"
    server = "https://" + endpoint
    deadline = time.monotonic() + timeout
    log("[discovery] Trying to connect to API Server \"%s\"" % endpoint)
    while True:
        problem = None
        try:
            ci = k.ApiClient(server, insecure=True, timeout=min(10, max(1, timeout))).get(url)
        except k.ApiError as e:
            problem = 'failed to request the cluster-info ConfigMap: %s' % e
        except (OSError, http.client.HTTPException, ssl.SSLError) as e:
            problem = k.describe_conn_error(server, url + "?timeout=10s", e)
            log("[discovery] Failed to request cluster-info, will try again: %s" % problem)
        else:
            data = ci.get("data") or {}
            sig = data.get("jws-kubeconfig-" + token_id)
            if sig is None:
                problem = 'could not find a JWS signature in the cluster-info ConfigMap for token ID "%s"' % token_id
                log('[discovery] The cluster-info ConfigMap does not yet contain a JWS signature for token ID "%s", '
                    'will try again' % token_id)
            else:
                kc_text = data.get("kubeconfig", "")
                if not k.jws_verify(sig, kc_text, token_id, secret):
                    fail("couldn't validate the identity of the API Server: failed to verify JWS signature of "
                         "received cluster info object, can't trust this API Server", "preflight")
                kc = k.Kubeconfig(k.yaml_load(kc_text), "cluster-info")
                if not unsafe:
                    actual = k.spki_sha256(kc.ca_pem.encode())
                    if actual not in hashes:
                        fail('couldn\'t validate the identity of the API Server: cluster CA found in cluster-info '
                             'ConfigMap is invalid: none of the public keys "%s" are pinned' % actual, "preflight")
                # Second fetch over TLS verified against the now-trusted CA, as kubeadm does.
                try:
                    again = k.ApiClient(server, kc.ca_pem, timeout=10).get(url)
                except (OSError, http.client.HTTPException, ssl.SSLError, k.ApiError) as e:
                    fail("couldn't validate the identity of the API Server: %s" % e, "preflight")
                if (again.get("data") or {}).get("kubeconfig") != kc_text:
                    fail("couldn't validate the identity of the API Server: cluster-info changed between requests",
                         "preflight")
                log("[discovery] Cluster info signature and contents are valid and TLS certificate validates "
                    "against pinned roots, will use API Server \"%s\"" % endpoint)
                return kc
        if time.monotonic() >= deadline:
            fail("couldn't validate the identity of the API Server: %s" % problem, "preflight")
        time.sleep(min(5, max(0.5, deadline - time.monotonic())))


def cmd_join(a):
    s = Settings()
    if a.config:
        load_config(a.config, s, "JoinConfiguration")
        disc = (s.join.get("discovery") or {})
        bt = disc.get("bootstrapToken") or {}
        endpoint = bt.get("apiServerEndpoint")
        token = bt.get("token") or disc.get("tlsBootstrapToken")
        hashes = bt.get("caCertHashes") or []
        unsafe = bool(bt.get("unsafeSkipCAVerification"))
        given = (s.join.get("timeouts") or {}).get("discovery") or disc.get("timeout")
        timeout = k.parse_duration(given) if given else None
    else:
        endpoint = a.endpoint
        token = a.token or a.discovery_token
        hashes = a.discovery_token_ca_cert_hash or []
        unsafe = a.discovery_token_unsafe_skip_ca_verification
        timeout = None
        s.node_name = a.node_name
        s.cri_socket = a.cri_socket
    if timeout is None:
        timeout = k.parse_duration(os.environ.get("STANDIN_DISCOVERY_TIMEOUT") or "30s")
    s.ignore |= {x.strip().lower() for x in ",".join(a.ignore_preflight_errors or []).split(",") if x.strip()}
    if a.control_plane:
        fail("the stand-in kubeadm does not support joining additional control-plane nodes")
    if not endpoint:
        fail("discovery.bootstrapToken.apiServerEndpoint: Invalid value: \"\": the API server endpoint is required")
    m = k.TOKEN_RE.match(token or "")
    if not m:
        fail('discovery.bootstrapToken.token: Invalid value: "%s": the bootstrap token is invalid' % (token or ""))
    if not hashes and not unsafe:
        fail('discovery.bootstrapToken: Invalid value: "": using token-based discovery without caCertHashes can be '
             'unsafe. Set unsafeSkipCAVerification as true in your kubeadm config file or pass '
             '--discovery-token-unsafe-skip-ca-verification flag to continue')
    for h in hashes:
        if not re.fullmatch(r"sha256:[0-9a-f]{64}", h):
            fail('invalid hash "%s", expected "format:hex-value"' % h)
    endpoint_cri, err = cri_endpoint(s)
    run_preflight("join", s, (endpoint_cri, err))
    if a.phase_only:
        return
    kc = _discover(endpoint, m.group(1), m.group(2), hashes, unsafe, timeout)
    name = s.node_name or k.hostname()
    boot = k.ApiClient(kc.server, kc.ca_pem, token=token, timeout=10)
    log("[preflight] Reading configuration from the \"kubeadm-config\" ConfigMap in namespace \"kube-system\"...")
    try:
        kubelet_cfg = boot.get("/api/v1/namespaces/kube-system/configmaps/kubelet-config")["data"]["kubelet"]
        existing = boot.get("/api/v1/nodes")["items"]
    except k.ApiError as e:
        fail("unable to fetch the kubeadm-config ConfigMap: %s" % e, "preflight")
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        fail("unable to fetch the kubeadm-config ConfigMap: %s" % e, "preflight")
    for n in existing:
        if n["metadata"]["name"] == name and n["status"]["conditions"][0]["status"] == "True":
            fail('a Node with name "%s" and status "Ready" already exists in the cluster. You must delete the '
                 'existing Node or change the name of this new joining Node' % name, "kubelet-start")
    log('[kubelet-start] Writing kubelet configuration to file "%s"' % KUBELET_CONFIG)
    k.write_atomic(KUBELET_CONFIG, kubelet_cfg)
    log('[kubelet-start] Writing kubelet environment file with flags to file "%s"' % KUBELET_FLAGS)
    k.write_atomic(KUBELET_FLAGS, _kubelet_flags(s, endpoint_cri, None))
    k.write_atomic(PKI + "/ca.crt", kc.ca_pem)
    # TLS bootstrap (done here rather than by the kubelet): CSR authenticated with the bootstrap token.
    pki = k.path("/var/lib/kubelet/pki")
    os.makedirs(pki, exist_ok=True)
    keyf = pki + "/kubelet-client.key.tmp"
    k.gen_ec_key(keyf)
    csr = k.make_csr(keyf, "system:node:" + name, "system:nodes")
    log("[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap")
    try:
        res = boot.request("POST", "/apis/certificates.k8s.io/v1/certificatesigningrequests", {
            "apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
            "spec": {"request": k.b64(csr), "signerName": "kubernetes.io/kube-apiserver-client-kubelet",
                     "usages": ["digital signature", "client auth"]}})
    except k.ApiError as e:
        fail("error uploading crisocket: %s" % e if e.status != 401 else "Unauthorized", "kubelet-start")
    cert = k.unb64(res["status"]["certificate"]).decode()
    current = "/var/lib/kubelet/pki/kubelet-client-current.pem"
    k.write_atomic(current, cert + open(keyf).read(), 0o600)
    os.unlink(keyf)
    _write_kubeconfig(KUBELET_CONF, k.kubeconfig_doc("default-cluster", kc.server, kc.ca_pem,
                                                     "default-auth", cert_file=current, key_file=current))
    node = k.Kubeconfig.load(KUBELET_CONF).client(timeout=10)
    try:
        node.request("POST", "/api/v1/nodes", {
            "metadata": {"name": name, "annotations": {"kubeadm.alpha.kubernetes.io/cri-socket": endpoint_cri}},
            "status": {"addresses": [{"type": "Hostname", "address": name}]}})
    except k.ApiError as e:
        if e.status != 409:
            fail(str(e), "kubelet-start")
    log("[kubelet-start] Starting the kubelet")
    _start_service("kubelet.service", "kubelet.py", "kubelet")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        try:
            if node.get("/api/v1/nodes/" + name)["status"]["conditions"][0]["status"] != "Unknown":
                break
        except (OSError, k.ApiError, http.client.HTTPException, ssl.SSLError):
            pass
        time.sleep(1)
    else:
        fail("timed out waiting for the kubelet to post node status; see 'journalctl -xeu kubelet'",
             "kubelet-wait-bootstrap")
    log("""
This node has joined the cluster:
* Certificate signing request was sent to apiserver and a response was received.
* The Kubelet was informed of the new secure connection details.

Run 'kubectl get nodes' on the control-plane to see this node join the cluster.
""")


# ---------------------------------------------------------------- token
def _admin(a):
    try:
        if a.kubeconfig:  # a path the user gave is taken as is (never mapped into STANDIN_ROOT)
            with open(a.kubeconfig, encoding="utf-8") as f:
                return k.Kubeconfig(k.yaml_load(f.read()), a.kubeconfig)
        return k.Kubeconfig.load(ADMIN_CONF)
    except (FileNotFoundError, OSError):
        fail("failed to load admin kubeconfig: open %s: no such file or directory" % (a.kubeconfig or ADMIN_CONF))


def _join_command(kc, token):
    ep = kc.server.split("://", 1)[1].rstrip("/")
    return "kubeadm join %s --token %s --discovery-token-ca-cert-hash %s " % (
        ep, token, k.spki_sha256(kc.ca_pem.encode()))


def cmd_token(a):
    kc = _admin(a)
    api = kc.client()
    try:
        if a.token_cmd == "create":
            token = a.token or k.new_token()
            if not k.TOKEN_RE.match(token):
                fail('token "%s" was not of form "\\A([a-z0-9]{6})\\.([a-z0-9]{16})\\z"' % token)
            api.request("POST", "/standin/v1/bootstraptokens", {
                "token": token, "ttl": k.parse_duration(a.ttl), "description": a.description or "",
                "usages": (a.usages or "signing,authentication").split(",")})
            print(_join_command(kc, token) if a.print_join_command else token)
        elif a.token_cmd == "list":
            items = api.get("/standin/v1/bootstraptokens")["items"]
            if items:
                print("%-24s %-7s %-22s %-24s %-27s %s" % ("TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION",
                                                           "EXTRA GROUPS"))
            for t in items:
                left = max(0, (t["expires"] - time.time())) if t.get("expires") else None
                ttl = "<forever>" if left is None else "%dh" % (left // 3600) if left >= 3600 else "%dm" % (left // 60)
                print("%-24s %-7s %-22s %-24s %-27s %s" % (
                    t["id"] + "." + t["secret"], ttl, k.rfc3339(t["expires"]) if t.get("expires") else "<never>",
                    ",".join(t.get("usages", [])), t.get("description") or "<none>", ",".join(t.get("groups", []))))
        elif a.token_cmd == "delete":
            for t in a.tokens:
                tid = t.split(".")[0]
                api.request("DELETE", "/standin/v1/bootstraptokens/" + tid)
                print('bootstrap token "%s" deleted' % tid)
        elif a.token_cmd == "generate":
            print(k.new_token())
    except k.ApiError as e:
        fail(str(e))
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        fail("failed to list bootstrap tokens: %s" % e)


# ---------------------------------------------------------------- reset
def cmd_reset(a):
    if not a.force:
        sys.stderr.write("[reset] Are you sure you want to proceed? [y/N]: ")
        if sys.stdin.readline().strip().lower() != "y":
            fail("aborted reset operation")
    log("[preflight] Running pre-flight checks")
    log("[reset] Stopping the kubelet service")
    if os.environ.get("STANDIN_NO_SYSTEMD"):
        _stop_pid(k.path(STATE_DIR + "/kubelet.pid"))
        _stop_pid(k.path(STATE_DIR + "/apiserver.pid"))
    else:
        k.systemctl("stop", "kubelet.service")
        k.systemctl("disable", "--now", "standin-apiserver.service")
    log("[reset] Unmounting mounted directories in \"/var/lib/kubelet\"")
    for d in ("/var/lib/etcd", STATE_DIR, "/var/lib/kubelet/pki", MANIFESTS, PKI):
        full = k.path(d)
        if os.path.isdir(full):
            log("[reset] Deleting contents of %s" % d)
            for entry in os.listdir(full):
                p = os.path.join(full, entry)
                shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
    for f in (ADMIN_CONF, "/etc/kubernetes/super-admin.conf", KUBELET_CONF, "/etc/kubernetes/bootstrap-kubelet.conf",
              "/etc/kubernetes/controller-manager.conf", "/etc/kubernetes/scheduler.conf", KUBELET_CONFIG,
              KUBELET_FLAGS):
        if os.path.exists(k.path(f)):
            log("[reset] Deleting file: %s" % f)
            os.unlink(k.path(f))
    log("""
The reset process does not clean CNI configuration. To do so, you must remove /etc/cni/net.d

The reset process does not reset or clean up iptables rules or IPVS tables.

The reset process does not clean your kubeconfig files and you must remove them manually.
Please, check the contents of the $HOME/.kube/config file.""")


# ---------------------------------------------------------------- certs check-expiration
# What real kubeadm lists, in its order: (name, file under the cert dir or a kubeconfig under /etc/kubernetes, CA).
CERTS = (("admin.conf", "kubeconfig:admin.conf", "ca"), ("apiserver", "apiserver.crt", "ca"),
         ("apiserver-etcd-client", "apiserver-etcd-client.crt", "etcd-ca"),
         ("apiserver-kubelet-client", "apiserver-kubelet-client.crt", "ca"),
         ("controller-manager.conf", "kubeconfig:controller-manager.conf", "ca"),
         ("etcd-healthcheck-client", "etcd/healthcheck-client.crt", "etcd-ca"), ("etcd-peer", "etcd/peer.crt", "etcd-ca"),
         ("etcd-server", "etcd/server.crt", "etcd-ca"), ("front-proxy-client", "front-proxy-client.crt", "front-proxy-ca"),
         ("scheduler.conf", "kubeconfig:scheduler.conf", "ca"), ("super-admin.conf", "kubeconfig:super-admin.conf", "ca"))
CAS = (("ca", "ca.crt"), ("etcd-ca", "etcd/ca.crt"), ("front-proxy-ca", "front-proxy-ca.crt"))


def _cert_pem(cert_dir, where):
    """The certificate's PEM, or None when its file (or the kubeconfig's client certificate) is absent."""
    if where.startswith("kubeconfig:"):
        try:
            with open(k.path("/etc/kubernetes/" + where.split(":", 1)[1]), encoding="utf-8") as f:
                doc = k.yaml_load(f.read()) or {}
        except OSError:
            return None
        users = doc.get("users") or []
        data = (users[0].get("user") or {}).get("client-certificate-data") if users else None
        return base64.b64decode(data) if data else None
    try:
        with open(os.path.join(k.path(cert_dir), where), "rb") as f:
            return f.read()
    except OSError:
        return None


def _not_after(pem):
    """notAfter as a Unix time, read with openssl as every other certificate fact of the stand-ins."""
    out = k.openssl("x509", "-noout", "-enddate", stdin=pem).decode().strip()
    return calendar.timegm(time.strptime(out.split("=", 1)[1].replace("  ", " "), "%b %d %H:%M:%S %Y GMT"))


def _residual(seconds):
    """kubeadm's short human duration (duration.ShortHumanDuration)."""
    if seconds <= 0:
        return "<invalid>"
    for limit, unit, size in ((60, "s", 1), (3600, "m", 60), (48 * 3600, "h", 3600), (2 * 365 * 86400, "d", 86400)):
        if seconds < limit:
            return "%d%s" % (seconds // size, unit)
    return "%dy" % (seconds // (365 * 86400))


def cmd_certs(a):
    if a.certs_cmd != "check-expiration":
        fail("the stand-in kubeadm supports only `kubeadm certs check-expiration`")
    if a.output not in ("", "text", "json"):
        fail('unable to match a printer suitable for the output format "%s", allowed formats are: json,text' % a.output)
    now = time.time()

    def entry(name, pem, ca=None):
        e = {"name": name, "expirationDate": None, "residualTime": 0, "externallyManaged": False, "missing": pem is None}
        if ca:
            e["caName"] = ca
        if pem is not None:
            end = _not_after(pem)
            e["expirationDate"], e["residualTime"] = k.rfc3339(end), int(end - now)
        return e

    certs = [entry(n, _cert_pem(a.cert_dir, w), ca) for n, w, ca in CERTS]
    cas = [entry(n, _cert_pem(a.cert_dir, w)) for n, w in CAS]
    if a.output == "json":
        print(json.dumps({"kind": "CertificateExpirationInfo", "apiVersion": "output.kubeadm.k8s.io/v1alpha3",
                          "certificates": certs, "certificateAuthorities": cas}, indent=4))
        return

    def when(e):
        return time.strftime("%b %d, %Y %H:%M UTC", time.gmtime(calendar.timegm(time.strptime(e["expirationDate"], "%Y-%m-%dT%H:%M:%SZ"))))

    log("[check-expiration] Reading configuration from the files on this node (the stand-in does not ask the cluster)...")
    rows = [("CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY", "EXTERNALLY MANAGED")]
    rows += [("!MISSING! " + e["name"], "", "", "", "") if e["missing"] else
             (e["name"], when(e), _residual(e["residualTime"]), e["caName"], "no") for e in certs]
    print("\n" + "\n".join("%-26s %-24s %-15s %-23s %s" % r for r in rows).rstrip() + "\n")
    rows = [("CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED")]
    rows += [("!MISSING! " + e["name"], "", "", "") if e["missing"] else
             (e["name"], when(e), _residual(e["residualTime"]), "no") for e in cas]
    print("\n".join("%-23s %-24s %-15s %s" % r for r in rows))


# ---------------------------------------------------------------- CLI
def cmd_version(a):
    v = version()
    if a.output == "short":
        print(v)
    elif a.output == "json":
        print(json.dumps({"clientVersion": {"major": "1", "minor": v.split(".")[1], "gitVersion": v,
                                            "platform": "linux/" + k.machine_arch()}}, indent=2))
    else:
        print('kubeadm version: &version.Info{Major:"1", Minor:"%s", GitVersion:"%s", Platform:"linux/%s"}'
              % (v.split(".")[1], v, k.machine_arch()))


def _config_version(file):
    """kubernetesVersion of a --config file's ClusterConfiguration, as `kubeadm config images pull --config` reads it."""
    if not file:
        return None
    try:
        with open(file, encoding="utf-8") as f:
            docs = [d for d in k.yaml_load_all(f.read()) if d]
    except OSError as e:
        fail("unable to read config from %s [%s]" % (file, e.strerror))
    except k.YamlError as e:
        fail("error converting YAML to JSON: %s" % e)
    for d in docs:
        if d.get("kind") == "ClusterConfiguration" and d.get("kubernetesVersion"):
            return str(d["kubernetesVersion"])
    return None


def cmd_config(a):
    if a.config_cmd != "images" or a.images_cmd not in ("list", "pull"):
        fail("the stand-in kubeadm supports only `kubeadm config images list|pull`")
    ver = a.kubernetes_version or _config_version(a.config) or version()
    images = ["registry.k8s.io/%s:%s" % (c, ver) for c in ("kube-apiserver", "kube-controller-manager",
                                                            "kube-scheduler", "kube-proxy")]
    images += ["registry.k8s.io/coredns/coredns:v1.12.1", pause_image(),
               "registry.k8s.io/etcd:3.6.4-0"]
    for img in images:
        # Faked: nothing is pulled (no registry in the lab); the list is kubeadm's for this version.
        print(img if a.images_cmd == "list" else "[config/images] Pulled " + img)


def parser():
    p = argparse.ArgumentParser(prog="kubeadm", description="stand-in kubeadm (PiCluster test lab)")
    sub = p.add_subparsers(dest="cmd")

    def common(sp):
        sp.add_argument("--config")
        sp.add_argument("--ignore-preflight-errors", action="append")
        sp.add_argument("--cri-socket")
        sp.add_argument("--node-name")
        sp.add_argument("--v", "-v")
        sp.add_argument("--skip-phases")
        sp.add_argument("--dry-run", action="store_true")

    for name in ("init", "join"):
        sp = sub.add_parser(name)
        common(sp)
        sp.add_argument("phase", nargs="*")
        if name == "init":
            sp.add_argument("--apiserver-advertise-address")
            sp.add_argument("--apiserver-bind-port", type=int)
            sp.add_argument("--pod-network-cidr")
            sp.add_argument("--service-cidr")
            sp.add_argument("--control-plane-endpoint")
            sp.add_argument("--kubernetes-version")
            sp.add_argument("--token")
            sp.add_argument("--token-ttl")
            sp.add_argument("--upload-certs", action="store_true")
            sp.add_argument("--skip-token-print", action="store_true")
        else:
            sp.add_argument("--token")
            sp.add_argument("--discovery-token")
            sp.add_argument("--discovery-token-ca-cert-hash", action="append")
            sp.add_argument("--discovery-token-unsafe-skip-ca-verification", action="store_true")
            sp.add_argument("--control-plane", action="store_true")
            sp.add_argument("--certificate-key")
    tp = sub.add_parser("token")
    tsub = tp.add_subparsers(dest="token_cmd")
    tc = tsub.add_parser("create")
    tc.add_argument("token", nargs="?")
    tc.add_argument("--ttl", default="24h0m0s")
    tc.add_argument("--print-join-command", action="store_true")
    tc.add_argument("--description")
    tc.add_argument("--usages")
    tsub.add_parser("list")
    td = tsub.add_parser("delete")
    td.add_argument("tokens", nargs="+")
    tsub.add_parser("generate")
    for t in (tp,):
        t.add_argument("--kubeconfig")
    rp = sub.add_parser("reset")
    rp.add_argument("-f", "--force", action="store_true")
    rp.add_argument("--cri-socket")
    rp.add_argument("--v", "-v")
    rp.add_argument("--ignore-preflight-errors", action="append")
    cp = sub.add_parser("config")
    csub = cp.add_subparsers(dest="config_cmd")
    ip = csub.add_parser("images")
    ip.add_argument("images_cmd", nargs="?")
    ip.add_argument("--kubernetes-version")
    ip.add_argument("--config")
    ip.add_argument("--cri-socket")
    ce = sub.add_parser("certs")
    cesub = ce.add_subparsers(dest="certs_cmd")
    cx = cesub.add_parser("check-expiration")
    cx.add_argument("--cert-dir", default=PKI)
    cx.add_argument("--config")
    cx.add_argument("--kubeconfig")
    cx.add_argument("-o", "--output", "--experimental-output", default="")
    vp = sub.add_parser("version")
    vp.add_argument("-o", "--output", default="")
    return p


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    # `kubeadm token --kubeconfig x create`: argparse wants parent options before the subcommand.
    if argv[:1] == ["token"]:
        for i, x in enumerate(argv):
            if x.startswith("--kubeconfig"):
                take = 1 if "=" in x else 2
                argv = argv[:1] + argv[i:i + take] + argv[1:i] + argv[i + take:]
                break
    a = parser().parse_args(argv)
    if a.cmd in ("init", "join"):
        words = list(a.phase)
        a.phase_only = words[:1] == ["phase"]
        if a.phase_only:
            if words[:2] != ["phase", "preflight"]:
                fail("the stand-in kubeadm supports only `kubeadm %s phase preflight` among the phases" % a.cmd)
            words = words[2:]
        a.endpoint = words[0] if words else None
        if a.cmd == "init" and words:
            fail('unknown command "%s" for "kubeadm init"' % words[0])
        return cmd_init(a) if a.cmd == "init" else cmd_join(a)
    if a.cmd == "token":
        if not a.token_cmd:
            fail("missing subcommand; \"token\" is not meant to be run on its own")
        return cmd_token(a)
    if a.cmd == "reset":
        return cmd_reset(a)
    if a.cmd == "version":
        return cmd_version(a)
    if a.cmd == "config":
        return cmd_config(a)
    if a.cmd == "certs":
        return cmd_certs(a)
    parser().print_help()
    return 0


if __name__ == "__main__":
    main()
