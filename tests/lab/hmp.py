#!/usr/bin/env python3
"""Sends one command to a qemu human monitor (HMP) UNIX socket and prints its output.

Waits for the command to finish (the next "(qemu) " prompt), which `socat` would not.
Exit status 1 when the output looks like an error (savevm/loadvm report errors as text).
Usage: hmp.py SOCKET COMMAND [TIMEOUT_SECONDS]
"""
import socket
import sys
import time

PROMPT = b"(qemu) "


def read_until_prompt(sock: socket.socket, deadline: float) -> bytes:
    data = b""
    while not data.endswith(PROMPT):
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def main() -> int:
    path, command = sys.argv[1], sys.argv[2]
    timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 300
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(path)
    read_until_prompt(sock, deadline)
    sock.sendall(command.encode() + b"\n")
    out = read_until_prompt(sock, deadline).decode("utf-8", "replace")
    sock.close()
    # The monitor echoes the command line (with terminal escapes) before the output.
    lines = [line.rstrip("\r") for line in out.replace("\x1b[K", "").replace("\x1b[D", "").split("\n")]
    body = [line for line in lines[1:] if not line.startswith("(qemu)")]
    text = "\n".join(body).strip()
    if text:
        print(text)
    lowered = text.lower()
    return 1 if any(w in lowered for w in ("error", "could not", "failed", "does not exist")) else 0


if __name__ == "__main__":
    sys.exit(main())
