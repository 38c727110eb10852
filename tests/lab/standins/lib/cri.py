"""A minimal CRI client: real gRPC calls over HTTP/2 on the runtime's unix socket.

The stand-ins ask the container runtime the same questions kubeadm and crictl ask
(runtime.v1.RuntimeService/Version and /Status), so "the runtime answers" means a real
containerd (or CRI-O) with its CRI service enabled answered, not merely that a socket file exists.
Standard library only: just enough HTTP/2 (no HPACK decoding; a response without a message is a
failure) and protobuf (varints and length-delimited fields).
"""
import os
import socket
import struct

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
KNOWN_SOCKETS = [
    "unix:///var/run/containerd/containerd.sock",
    "unix:///var/run/crio/crio.sock",
    "unix:///var/run/cri-dockerd.sock",
]


class CriError(Exception):
    pass


def socket_path(endpoint):
    return endpoint[len("unix://"):] if endpoint.startswith("unix://") else endpoint


# ---------------------------------------------------------------- protobuf
def _varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def pb_field(num, value):
    if isinstance(value, bool):
        return _varint(num << 3) + _varint(int(value))
    if isinstance(value, int):
        return _varint(num << 3) + _varint(value)
    data = value.encode() if isinstance(value, str) else value
    return _varint((num << 3) | 2) + _varint(len(data)) + data


def pb_decode(buf):
    """Decode one message level into {field: [values]}; length-delimited values stay bytes."""
    out, i = {}, 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, i = _read_varint(buf, i)
        elif wt == 2:
            n, i = _read_varint(buf, i)
            val, i = buf[i:i + n], i + n
        elif wt == 1:
            val, i = buf[i:i + 8], i + 8
        elif wt == 5:
            val, i = buf[i:i + 4], i + 4
        else:
            raise CriError("unsupported protobuf wire type %d" % wt)
        out.setdefault(num, []).append(val)
    return out


def _read_varint(buf, i):
    n, shift = 0, 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def _s(msg, num, default=""):
    v = msg.get(num)
    return v[0].decode(errors="replace") if v else default


# ---------------------------------------------------------------- HTTP/2 + gRPC
def _hpack_literal(name, value):
    def s(x):
        x = x.encode()
        return (bytes([len(x)]) if len(x) < 127 else bytes([127]) + _varint(len(x) - 127)) + x
    return b"\x00" + s(name) + s(value)


def _frame(ftype, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise CriError("connection closed by the runtime")
        buf += chunk
    return buf


def grpc_call(endpoint, method, request=b"", timeout=5):
    """Unary gRPC call; returns the response message bytes or raises CriError."""
    path = socket_path(endpoint)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        try:
            s.connect(path)
        except FileNotFoundError:
            raise CriError('dial unix %s: connect: no such file or directory' % path)
        except ConnectionRefusedError:
            raise CriError('dial unix %s: connect: connection refused' % path)
        except PermissionError:
            raise CriError('dial unix %s: connect: permission denied' % path)
        headers = b"".join(_hpack_literal(k, v) for k, v in [
            (":method", "POST"), (":scheme", "http"), (":path", method), (":authority", "localhost"),
            ("content-type", "application/grpc"), ("te", "trailers")])
        body = b"\x00" + struct.pack(">I", len(request)) + request
        s.sendall(PREFACE + _frame(SETTINGS, 0, 0) + _frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 24))
                  + _frame(HEADERS, 0x4, 1, headers) + _frame(DATA, 0x1, 1, body))
        data = b""
        while True:
            hdr = _recv_exact(s, 9)
            length = struct.unpack(">I", b"\x00" + hdr[:3])[0]
            ftype, flags = hdr[3], hdr[4]
            stream = struct.unpack(">I", hdr[5:9])[0] & 0x7FFFFFFF
            payload = _recv_exact(s, length) if length else b""
            if ftype == SETTINGS and not flags & 0x1:
                s.sendall(_frame(SETTINGS, 0x1, 0))
            elif ftype == PING and not flags & 0x1:
                s.sendall(_frame(PING, 0x1, 0, payload))
            elif ftype == GOAWAY:
                raise CriError("the runtime closed the connection (GOAWAY)")
            elif stream == 1 and ftype == RST_STREAM:
                raise CriError("the runtime reset the %s call" % method)
            elif stream == 1 and ftype == DATA:
                if flags & 0x8:  # padded
                    payload = payload[1:len(payload) - payload[0]]
                data += payload
                if length:
                    s.sendall(_frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", length))
                              + _frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", length)))
                if flags & 0x1:
                    break
            elif stream == 1 and ftype == HEADERS and flags & 0x1:
                break
    except socket.timeout:
        raise CriError("timed out waiting for the runtime on %s" % path)
    except OSError as e:
        raise CriError("dial unix %s: %s" % (path, e.strerror or e))
    finally:
        s.close()
    if len(data) < 5:
        service = method.rsplit("/", 1)[0].lstrip("/")
        raise CriError('rpc error: no response to %s (code = Unimplemented desc = unknown service %s?)'
                       % (method, service))
    n = struct.unpack(">I", data[1:5])[0]
    return data[5:5 + n]


def _call_any(endpoint, name, request=b"", timeout=5):
    """Try CRI v1, then v1alpha2 (older runtimes), as crictl does."""
    try:
        return grpc_call(endpoint, "/runtime.v1.RuntimeService/" + name, request, timeout), "v1"
    except CriError as first:
        if "no response" not in str(first):
            raise
        try:
            return grpc_call(endpoint, "/runtime.v1alpha2.RuntimeService/" + name, request, timeout), "v1alpha2"
        except CriError:
            raise first


def version(endpoint, timeout=5):
    raw, _ = _call_any(endpoint, "Version", pb_field(1, "0.1.0"), timeout)
    m = pb_decode(raw)
    return {"version": _s(m, 1), "runtimeName": _s(m, 2), "runtimeVersion": _s(m, 3),
            "runtimeApiVersion": _s(m, 4)}


def status(endpoint, verbose=True, timeout=5):
    raw, _ = _call_any(endpoint, "Status", pb_field(1, verbose), timeout)
    m = pb_decode(raw)
    conditions = []
    for st in m.get(1, []):
        for c in pb_decode(st).get(1, []):
            cm = pb_decode(c)
            conditions.append({"type": _s(cm, 1), "status": bool(cm.get(2, [0])[0]),
                               "reason": _s(cm, 3), "message": _s(cm, 4)})
    info = {}
    for entry in m.get(2, []):
        em = pb_decode(entry)
        info[_s(em, 1)] = _s(em, 2)
    return {"conditions": conditions, "info": info}


def list_containers(endpoint, timeout=5):
    raw, _ = _call_any(endpoint, "ListContainers", b"", timeout)
    out = []
    for c in pb_decode(raw).get(1, []):
        cm = pb_decode(c)
        meta = pb_decode(cm.get(3, [b""])[0])
        image = pb_decode(cm.get(4, [b""])[0])
        state = cm.get(6, [0])[0]
        out.append({"id": _s(cm, 1), "podSandboxId": _s(cm, 2), "name": _s(meta, 1),
                    "attempt": meta.get(2, [0])[0], "image": _s(image, 1),
                    "state": ["CONTAINER_CREATED", "CONTAINER_RUNNING", "CONTAINER_EXITED",
                              "CONTAINER_UNKNOWN"][state if state < 4 else 3],
                    "createdAt": cm.get(7, [0])[0]})
    return out


def detect_endpoint(configured=None):
    """kubeadm's rule: a configured socket wins; otherwise exactly one known socket must exist."""
    if configured:
        return configured if "://" in configured else "unix://" + configured, None
    from k8slib import path  # noqa: late import keeps this module usable alone
    found = [e for e in KNOWN_SOCKETS if os.path.exists(path(socket_path(e)))]
    if len(found) > 1 and not (len(found) == 2 and _same_file(found)):
        return None, ("found multiple CRI endpoints on the host. Please define which one do you wish to use "
                      "by setting the 'criSocket' field in the kubeadm configuration file: %s" % ", ".join(found))
    return (found[0] if found else KNOWN_SOCKETS[0]), None


def _same_file(endpoints):
    try:
        return os.path.samefile(socket_path(endpoints[0]), socket_path(endpoints[1]))
    except OSError:
        return False
