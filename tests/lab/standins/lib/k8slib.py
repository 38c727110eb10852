"""Shared pieces of the PiCluster lab stand-ins for kubeadm, kubelet and kubectl.

Standard library only (the node image has python3 but no extra modules); certificates
are made with the `openssl` command, which the kubeadm stand-in package depends on.
Every file path goes through `path()` so the host unit tests can run the stand-ins
against a temporary root (STANDIN_ROOT) instead of the real `/`.
"""
import base64
import calendar
import hashlib
import hmac
import http.client
import json
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("STANDIN_ROOT", "/")


def path(p):
    """Map an absolute node path into STANDIN_ROOT (identity on a real node)."""
    return os.path.join(ROOT, p.lstrip("/")) if ROOT != "/" else p


def read(p, default=None):
    try:
        with open(path(p), encoding="utf-8") as f:
            return f.read()
    except OSError:
        return default


def write_atomic(p, text, mode=0o644):
    """Write through a temp file and rename so readers never see half a file."""
    full = path(p)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(full), prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, full)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def die(msg, code=1):
    sys.stderr.write(msg.rstrip("\n") + "\n")
    sys.exit(code)


# ---------------------------------------------------------------- YAML subset
class YamlError(ValueError):
    pass


def _scalar(s):
    s = s.strip()
    if s == "" or s == "~" or s == "null":
        return None
    if s[0] in "\"'":
        q = s[0]
        end = s.rfind(q)
        if end <= 0:
            raise YamlError("unterminated string: " + s)
        body = s[1:end]
        if q == '"':
            return json.loads('"' + body + '"')
        return body.replace("''", "'")
    if s[0] == "[" and s.endswith("]"):
        inner = s[1:-1].strip()
        return [_scalar(x) for x in _split_flow(inner)] if inner else []
    if s[0] == "{" and s.endswith("}"):
        inner = s[1:-1].strip()
        out = {}
        for item in _split_flow(inner) if inner else []:
            k, _, v = item.partition(":")
            out[_scalar(k)] = _scalar(v)
        return out
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if re.fullmatch(r"[-+]?[0-9]+", s):
        return int(s)
    if re.fullmatch(r"[-+]?[0-9]*\.[0-9]+", s):
        return float(s)
    return s


def _split_flow(s):
    parts, depth, cur, quote = [], 0, "", None
    for ch in s:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            cur += ch
        elif ch in "[{":
            depth += 1
            cur += ch
        elif ch in "]}":
            depth -= 1
            cur += ch
        elif ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _strip_comment(line):
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def _split_key(text):
    """Split 'key: value' outside quotes; None when the line is not a mapping entry."""
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and i == 0:
            quote = ch
        elif ch == ":" and (i + 1 == len(text) or text[i + 1] == " "):
            return _scalar(text[:i]), text[i + 1:].strip()
    return None


class _Parser:
    def __init__(self, lines):
        self.lines = lines  # list of (indent, text, raw)
        self.i = 0

    def peek(self):
        # Blank and comment-only lines matter only inside literal blocks.
        while self.i < len(self.lines) and not self.lines[self.i][1]:
            self.i += 1
        return self.lines[self.i] if self.i < len(self.lines) else None

    def parse_block(self, indent):
        first = self.peek()
        if first is None or first[0] < indent:
            return None
        if first[1].startswith("- ") or first[1] == "-":
            return self.parse_seq(first[0])
        return self.parse_map(first[0])

    def parse_value(self, rest, parent_indent, seq_parent=False):
        if rest in ("|", "|-", "|+", ">", ">-", ">+"):
            return self.parse_literal(parent_indent, rest)
        if rest == "":
            nxt = self.peek()
            if nxt is None:
                return None
            # A sequence may sit at the same indent as its parent key.
            if nxt[0] > parent_indent or (nxt[0] == parent_indent and not seq_parent
                                          and (nxt[1].startswith("- ") or nxt[1] == "-")):
                return self.parse_block(nxt[0])
            return None
        return _scalar(rest)

    def parse_literal(self, parent_indent, style):
        out = []
        block_indent = None
        while self.i < len(self.lines):
            _, _, raw = self.lines[self.i]
            ind = len(raw) - len(raw.lstrip())
            if raw.strip() and ind <= parent_indent:
                break
            if block_indent is None and raw.strip():
                block_indent = ind
            out.append(raw[block_indent:] if block_indent is not None else "")
            self.i += 1
        text = "\n".join(out)
        if style.startswith(">"):
            text = " ".join(x for x in out if x)
        if style.endswith("-"):
            return text.rstrip("\n")
        return text.rstrip("\n") + "\n"

    def parse_map(self, indent):
        out = {}
        while True:
            cur = self.peek()
            if cur is None or cur[0] < indent:
                return out
            if cur[0] > indent:
                raise YamlError("bad indentation near: " + cur[1])
            if cur[1].startswith("- "):
                return out
            kv = _split_key(cur[1])
            if kv is None:
                raise YamlError("expected 'key: value' near: " + cur[1])
            self.i += 1
            out[kv[0]] = self.parse_value(kv[1], indent)

    def parse_seq(self, indent):
        out = []
        while True:
            cur = self.peek()
            if cur is None or cur[0] != indent or not (cur[1].startswith("- ") or cur[1] == "-"):
                return out
            rest = cur[1][2:].strip() if cur[1] != "-" else ""
            if rest and _split_key(rest) is not None and not rest.startswith(("[", "{", '"', "'")):
                # "- key: value" starts a mapping whose keys sit at indent+2.
                child = indent + 2 + (len(cur[1][2:]) - len(cur[1][2:].lstrip()))
                self.lines[self.i] = (child, rest, " " * child + rest)
                out.append(self.parse_map(child))
            else:
                self.i += 1
                out.append(self.parse_value(rest, indent, seq_parent=True))


def yaml_load_all(text):
    """Parse the YAML subset kubeadm configs and kubeconfigs use; multi-document with '---'."""
    docs, cur = [], []
    for raw in text.splitlines() + ["---"]:
        if raw.rstrip() == "---" or raw.startswith("--- "):
            lines = []
            for r in cur:
                s = _strip_comment(r.replace("\t", "  "))
                lines.append((len(s) - len(s.lstrip()), s.strip(), r))
            if any(ln[1] for ln in lines):
                docs.append(_Parser(lines).parse_block(0))
            cur = []
        elif raw.startswith("%") or raw.strip() == "...":
            continue
        else:
            cur.append(raw)
    return docs


def yaml_load(text):
    docs = yaml_load_all(text)
    return docs[0] if docs else None


def yaml_dump(obj, indent=0):
    """Emit YAML for dicts/lists/scalars (enough for kubeconfigs and configs we write)."""
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)) and v:
                out.append(f"{pad}{k}:")
                out.append(yaml_dump(v, indent + (2 if isinstance(v, dict) else 0)).rstrip("\n"))
            else:
                out.append(f"{pad}{k}: {_dump_scalar(v)}")
    elif isinstance(obj, list):
        for v in obj:
            if isinstance(v, dict) and v:
                body = yaml_dump(v, indent + 2).rstrip("\n")
                out.append(pad + "- " + body[indent + 2:])
            else:
                out.append(f"{pad}- {_dump_scalar(v)}")
    else:
        out.append(pad + _dump_scalar(obj))
    return "\n".join(out) + "\n"


def _dump_scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    s = str(v)
    if s == "" or re.search(r"[:#\[\]{},&*!|>'\"%@`]|^[-?\s]|\s$", s) or _scalar(s) != s:
        return json.dumps(s)
    return s


# ---------------------------------------------------------------- crypto via openssl
def openssl(*args, stdin=None):
    r = subprocess.run(["openssl", *args], input=stdin, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (args[0], r.stderr.decode(errors="replace").strip()))
    return r.stdout


def gen_rsa_key(key_path):
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key_path)
    os.chmod(key_path, 0o600)


def gen_ec_key(key_path):
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key_path)
    os.chmod(key_path, 0o600)


def make_ca(cert_path, key_path, cn="kubernetes", days=3650):
    gen_rsa_key(key_path)
    openssl("req", "-x509", "-new", "-key", key_path, "-subj", "/CN=" + cn, "-days", str(days),
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
            "-out", cert_path)


def make_csr(key_path, cn, org=None):
    subj = "/O=%s/CN=%s" % (org, cn) if org else "/CN=" + cn
    return openssl("req", "-new", "-key", key_path, "-subj", subj)


def sign_csr(csr_pem, ca_cert, ca_key, days=365, sans=None, server=False):
    """Sign a CSR with the cluster CA, keeping the CSR's subject (as the kube CSR signer does)."""
    with tempfile.TemporaryDirectory() as d:
        csr = os.path.join(d, "req.csr")
        ext = os.path.join(d, "ext.cnf")
        with open(csr, "wb") as f:
            f.write(csr_pem)
        lines = ["basicConstraints=critical,CA:FALSE",
                 "keyUsage=critical,digitalSignature,keyEncipherment",
                 "extendedKeyUsage=" + ("serverAuth" if server else "clientAuth")]
        if sans:
            lines.append("subjectAltName=" + ",".join(sans))
        with open(ext, "w") as f:
            f.write("\n".join(lines) + "\n")
        return openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-set_serial", str(secrets.randbits(63)), "-days", str(days),
                       "-extfile", ext)


def csr_subject(csr_pem):
    out = openssl("req", "-noout", "-subject", "-nameopt", "RFC2253", stdin=csr_pem).decode()
    return _parse_rfc2253(out.split("=", 1)[1].strip() if out.startswith("subject=") else out)


def _parse_rfc2253(s):
    out = {}
    for part in re.split(r"(?<!\\),", s):
        k, _, v = part.strip().partition("=")
        out.setdefault(k, []).append(v.replace("\\", ""))
    return out


def spki_sha256(cert_pem):
    """sha256 of the certificate's DER SubjectPublicKeyInfo: what --discovery-token-ca-cert-hash pins."""
    pub = openssl("x509", "-noout", "-pubkey", stdin=cert_pem)
    der = openssl("pkey", "-pubin", "-outform", "DER", stdin=pub)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def unb64(s):
    return base64.b64decode(s)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jws_detached(payload, token_id, token_secret):
    """Detached JWS (HS256) over the cluster-info kubeconfig, as the bootstrap signer writes it."""
    header = b64url(json.dumps({"alg": "HS256", "kid": token_id}, separators=(",", ":")).encode())
    signing_input = header + "." + b64url(payload.encode())
    sig = hmac.new(token_secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return header + ".." + b64url(sig)


def jws_verify(detached, payload, token_id, token_secret):
    header, _, sig = detached.partition("..")
    if not hmac.compare_digest(detached, jws_detached(payload, token_id, token_secret)):
        return False
    return bool(header and sig)


TOKEN_RE = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")
_TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"


def new_token():
    pick = lambda n: "".join(secrets.choice(_TOKEN_CHARS) for _ in range(n))  # noqa: E731
    return pick(6) + "." + pick(16)


def parse_duration(s):
    """Go-style duration (24h0m0s, 30s, 5m, 0 = never) -> seconds."""
    s = str(s).strip()
    if s in ("0", "0s"):
        return 0
    total, found = 0.0, False
    for num, unit in re.findall(r"([0-9.]+)(h|ms|m|s)", s):
        found = True
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[unit]
    if not found:
        raise ValueError("invalid duration %r" % s)
    return total


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def human_age(timestamp, now=None):
    """Age of an RFC 3339 timestamp as kubectl's AGE column writes it (apimachinery's duration.HumanDuration)."""
    try:
        t = calendar.timegm(time.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ"))
    except (ValueError, TypeError):
        return "<unknown>"
    seconds = int((time.time() if now is None else now) - t)
    if seconds < -1:
        return "<invalid>"
    if seconds < 120:
        return "%ds" % max(seconds, 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400

    def two(big, unit, small, small_unit):
        return "%d%s" % (big, unit) + ("%d%s" % (small, small_unit) if small else "")
    if minutes < 10:
        return two(minutes, "m", seconds % 60, "s")
    if minutes < 180:
        return "%dm" % minutes
    if hours < 8:
        return two(hours, "h", minutes % 60, "m")
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        return two(days, "d", hours % 24, "h")
    if hours < 24 * 365 * 2:
        return "%dd" % days
    if hours < 24 * 365 * 8:
        return two(days // 365, "y", days % 365, "d")
    return "%dy" % (days // 365)


# ---------------------------------------------------------------- kubeconfig + HTTPS client
class ApiError(Exception):
    def __init__(self, status, message, body=None):
        super().__init__(message)
        self.status = status
        self.body = body


def kubeconfig_doc(cluster, server, ca_pem, user, cert_pem=None, key_pem=None, token=None,
                   cert_file=None, key_file=None):
    u = {}
    if cert_file:
        u = {"client-certificate": cert_file, "client-key": key_file}
    elif cert_pem:
        u = {"client-certificate-data": b64(cert_pem), "client-key-data": b64(key_pem)}
    if token:
        u["token"] = token
    ctx = user + "@" + cluster
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"certificate-authority-data": b64(ca_pem), "server": server},
                      "name": cluster}],
        "contexts": [{"context": {"cluster": cluster, "user": user}, "name": ctx}],
        "current-context": ctx,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": user, "user": u}],
    }


class Kubeconfig:
    def __init__(self, doc, origin="kubeconfig"):
        if not isinstance(doc, dict):
            raise ValueError("%s is not a kubeconfig" % origin)
        ctx_name = doc.get("current-context")
        ctxs = {c["name"]: c.get("context", {}) for c in doc.get("contexts") or []}
        ctx = ctxs.get(ctx_name) or (next(iter(ctxs.values())) if ctxs else {})
        clusters = {c["name"]: c.get("cluster", {}) for c in doc.get("clusters") or []}
        users = {u["name"]: u.get("user", {}) or {} for u in doc.get("users") or []}
        cl = clusters.get(ctx.get("cluster")) or (next(iter(clusters.values())) if clusters else {})
        self.user = users.get(ctx.get("user"), {})
        self.server = cl.get("server")
        if not self.server:
            raise ValueError("invalid configuration: no server found for cluster in %s" % origin)
        if cl.get("certificate-authority-data"):
            self.ca_pem = unb64(cl["certificate-authority-data"]).decode()
        elif cl.get("certificate-authority"):
            self.ca_pem = read(cl["certificate-authority"])
        else:
            self.ca_pem = None
        self.insecure = bool(cl.get("insecure-skip-tls-verify"))

    @classmethod
    def load(cls, p):
        text = read(p)
        if text is None:
            raise FileNotFoundError(p)
        return cls(yaml_load(text), p)

    def _client_material(self):
        u = self.user
        if u.get("client-certificate-data"):
            return unb64(u["client-certificate-data"]), unb64(u["client-key-data"])
        if u.get("client-certificate"):
            with open(path(u["client-certificate"]), "rb") as f:
                cert = f.read()
            with open(path(u.get("client-key") or u["client-certificate"]), "rb") as f:
                key = f.read()
            return cert, key
        return None, None

    def client(self, timeout=10):
        cert, key = self._client_material()
        return ApiClient(self.server, self.ca_pem, cert, key, self.user.get("token"),
                         insecure=self.insecure, timeout=timeout)


class ApiClient:
    def __init__(self, server, ca_pem=None, cert_pem=None, key_pem=None, token=None,
                 insecure=False, timeout=10):
        m = re.match(r"^https://(\[[^\]]+\]|[^:/]+)(?::(\d+))?/?$", server or "")
        if not m:
            raise ValueError("unsupported server URL %r" % server)
        self.server = server.rstrip("/")
        self.host = m.group(1).strip("[]")
        self.port = int(m.group(2) or 443)
        self.token = token
        self.timeout = timeout
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if insecure or not ca_pem:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        else:
            ctx.load_verify_locations(cadata=ca_pem if isinstance(ca_pem, str) else ca_pem.decode())
        if cert_pem:
            with tempfile.TemporaryDirectory() as d:
                cf, kf = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
                for fn, data in ((cf, cert_pem), (kf, key_pem)):
                    fd = os.open(fn, os.O_WRONLY | os.O_CREAT, 0o600)
                    os.write(fd, data if isinstance(data, bytes) else data.encode())
                    os.close(fd)
                ctx.load_cert_chain(cf, kf)
        self.ctx = ctx

    def request(self, method, url, body=None, content_type="application/json"):
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=self.timeout)
        headers = {"Accept": "application/json", "User-Agent": "standin"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        data = None
        if body is not None:
            data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        try:
            conn.request(method, url, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
        finally:
            conn.close()
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {"message": raw.decode(errors="replace")}
        if resp.status >= 400:
            msg = doc.get("message") if isinstance(doc, dict) else None
            raise ApiError(resp.status, msg or resp.reason, doc)
        return doc

    def get(self, url):
        return self.request("GET", url)


def describe_conn_error(server, url, exc):
    """Render a connection failure the way client-go does, for kubeadm/kubectl-like errors."""
    if isinstance(exc, socket.timeout) or "timed out" in str(exc):
        reason = "i/o timeout"
    elif isinstance(exc, ConnectionRefusedError):
        reason = "connect: connection refused"
    elif isinstance(exc, OSError) and exc.errno == 113:
        reason = "connect: no route to host"
    elif isinstance(exc, OSError) and exc.errno == 101:
        reason = "connect: network is unreachable"
    elif isinstance(exc, ssl.SSLError):
        return 'Get "%s%s": tls: %s' % (server, url, exc.reason or exc)
    else:
        reason = str(exc)
    hostport = server.split("://", 1)[-1]
    return 'Get "%s%s": dial tcp %s: %s' % (server, url, hostport, reason)


# ---------------------------------------------------------------- node facts
def local_addresses():
    """IPv4 addresses on this node (from `ip -o -4 addr`, or /proc in the host tests)."""
    fake = os.environ.get("STANDIN_ADDRESSES")
    if fake is not None:
        return [a for a in fake.split(",") if a]
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True, text=True).stdout
    except OSError:
        return ["127.0.0.1"]
    return re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out)


def default_address():
    """The address kubeadm picks by default: the one on the default-route interface."""
    fake = os.environ.get("STANDIN_ADDRESSES")
    if fake is not None:
        return fake.split(",")[0]
    try:
        out = subprocess.run(["ip", "-o", "-4", "route", "get", "1.1.1.1"], capture_output=True,
                             text=True).stdout
        m = re.search(r"src (\d+\.\d+\.\d+\.\d+)", out)
        if m:
            return m.group(1)
    except OSError:
        pass
    addrs = [a for a in local_addresses() if not a.startswith("127.")]
    return addrs[0] if addrs else "127.0.0.1"


def hostname():
    return os.environ.get("STANDIN_HOSTNAME") or socket.gethostname()


def systemctl(*args):
    """Run systemctl; in the host tests (STANDIN_NO_SYSTEMD=1) it is a no-op that reports success."""
    if os.environ.get("STANDIN_NO_SYSTEMD"):
        return 0
    try:
        return subprocess.run(["systemctl", *args], capture_output=True).returncode
    except OSError:
        return 127


def os_image():
    text = read("/etc/os-release", "") or ""
    m = re.search(r'^PRETTY_NAME="?([^"\n]*)', text, re.M)
    return m.group(1) if m else "Linux"


def machine_arch():
    m = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(m, m)
