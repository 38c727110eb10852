"""Stand-in CRI-O daemon (`/usr/bin/crio`, crio.service) for the lab's addons:/cri-o repository.

Real: listens on /var/run/crio/crio.sock and answers CRI RuntimeService Version, Status (RuntimeReady;
NetworkReady only when /etc/cni/net.d holds a network config, as CRI-O reports it), ListContainers and
ListPodSandbox over gRPC/HTTP2; reads cgroup_manager and pause_image from /etc/crio/crio.conf and
/etc/crio/crio.conf.d/*.conf and reports them in Status' info. Faked: it runs no containers.
Only the lab's own CRI clients (stand-in crictl/kubeadm/kubelet) talk to it: it decodes the literal,
non-Huffman header fields they send, not full HPACK.
"""
import glob
import json
import os
import re
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cri  # noqa: E402
import k8slib as k  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SOCKET = "/var/run/crio/crio.sock"


def version():
    try:
        with open(os.path.join(HERE, "VERSION")) as f:
            return f.read().strip().lstrip("v")
    except OSError:
        return "1.34.0"


def load_config():
    conf = {"cgroup_manager": "systemd", "pause_image": "registry.k8s.io/pause:3.10.1",
            "listen": SOCKET}
    files = [k.path("/etc/crio/crio.conf")] + sorted(glob.glob(k.path("/etc/crio/crio.conf.d/*.conf")))
    for f in files:
        try:
            text = open(f, encoding="utf-8").read()
        except OSError:
            continue
        for key, val in re.findall(r'^\s*(\w+)\s*=\s*"?([^"\n]*)"?\s*$', text, re.M):
            if key in conf:
                conf[key] = val
    return conf


def _literal_headers(block):
    """Decode 'literal without indexing, new name' fields (what the stand-in clients send)."""
    out, i = {}, 0
    while i < len(block):
        b = block[i]
        if b & 0x80:  # indexed field: not used by our clients' requests
            i += 1
            continue
        i += 1
        vals = []
        for _ in range(2):
            n = block[i] & 0x7F
            i += 1
            if n == 127:
                n, i = _hpack_int(block, i, 127)
            vals.append(block[i:i + n].decode(errors="replace"))
            i += n
        out[vals[0]] = vals[1]
    return out


def _hpack_int(block, i, base):
    n, shift = 0, 0
    while True:
        b = block[i]
        i += 1
        n += (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return base + n, i


def _lit(name, value):
    return cri._hpack_literal(name, value)


class Runtime:
    def __init__(self):
        self.conf = load_config()

    def network_ready(self):
        d = k.path("/etc/cni/net.d")
        return os.path.isdir(d) and any(f.endswith((".conf", ".conflist", ".json")) for f in os.listdir(d))

    def handle(self, method, request):
        name = method.rsplit("/", 1)[-1]
        if name == "Version":
            return (cri.pb_field(1, "0.1.0") + cri.pb_field(2, "cri-o") + cri.pb_field(3, version())
                    + cri.pb_field(4, "v1"))
        if name == "Status":
            net = self.network_ready()
            conds = cri.pb_field(1, cri.pb_field(1, "RuntimeReady") + cri.pb_field(2, True))
            conds += cri.pb_field(1, cri.pb_field(1, "NetworkReady") + cri.pb_field(2, net) + (
                b"" if net else cri.pb_field(3, "NetworkPluginNotReady")
                + cri.pb_field(4, "Network plugin returns error: No CNI configuration file in /etc/cni/net.d/. "
                                  "Has your network provider started?")))
            info = json.dumps({"cgroup_manager": self.conf["cgroup_manager"],
                               "pause_image": self.conf["pause_image"], "sandboxImage": self.conf["pause_image"],
                               "systemdCgroup": self.conf["cgroup_manager"] == "systemd"})
            entry = cri.pb_field(1, "config") + cri.pb_field(2, info)
            return cri.pb_field(1, conds) + cri.pb_field(2, entry)
        if name in ("ListContainers", "ListPodSandbox"):
            return b""
        return None


def serve_conn(conn, rt):
    try:
        if cri._recv_exact(conn, 24) != cri.PREFACE:
            return
        conn.sendall(cri._frame(cri.SETTINGS, 0, 0))
        streams = {}
        while True:
            hdr = cri._recv_exact(conn, 9)
            length = struct.unpack(">I", b"\x00" + hdr[:3])[0]
            ftype, flags = hdr[3], hdr[4]
            sid = struct.unpack(">I", hdr[5:9])[0] & 0x7FFFFFFF
            payload = cri._recv_exact(conn, length) if length else b""
            if ftype == cri.SETTINGS and not flags & 0x1:
                conn.sendall(cri._frame(cri.SETTINGS, 0x1, 0))
            elif ftype == cri.PING and not flags & 0x1:
                conn.sendall(cri._frame(cri.PING, 0x1, 0, payload))
            elif ftype == cri.HEADERS:
                streams[sid] = [_literal_headers(payload).get(":path", ""), b""]
            elif ftype == cri.DATA and sid in streams:
                streams[sid][1] += payload
            if ftype in (cri.HEADERS, cri.DATA) and flags & 0x1 and sid in streams:
                path, body = streams.pop(sid)
                resp = rt.handle(path, body[5:])
                head = b"\x88" + _lit("content-type", "application/grpc")  # 0x88 = ":status: 200"
                if resp is None:
                    conn.sendall(cri._frame(cri.HEADERS, 0x5, sid, head + _lit("grpc-status", "12")
                                            + _lit("grpc-message", "unknown method %s" % path)))
                    continue
                msg = b"\x00" + struct.pack(">I", len(resp)) + resp
                conn.sendall(cri._frame(cri.HEADERS, 0x4, sid, head) + cri._frame(cri.DATA, 0, sid, msg)
                             + cri._frame(cri.HEADERS, 0x5, sid, _lit("grpc-status", "0")))
    except (cri.CriError, OSError):
        pass
    finally:
        conn.close()


def main(argv=None):
    rt = Runtime()
    path = k.path(rt.conf["listen"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    os.chmod(path, 0o660)
    srv.listen(16)
    sys.stderr.write("crio stand-in %s listening on %s (cgroup_manager=%s)\n" % (version(), path,
                                                                                rt.conf["cgroup_manager"]))
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_conn, args=(conn, rt), daemon=True).start()


if __name__ == "__main__":
    main()
