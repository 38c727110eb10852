#!/usr/bin/env python3
"""The lab's private LAN: a userspace Ethernet switch on a UNIX socket.

qemu nodes join with `-netdev stream,addr.type=unix,addr.path=SOCKET` (qemu's stream framing:
each frame is preceded by its length as a 4-byte big-endian integer). Frames are switched by
learned MAC address (unknown and broadcast destinations are flooded). Nothing here touches a
real network interface, so the segment exists only between the lab's qemu processes.

Usage: lanswitch.py SOCKET_PATH
"""
import os
import selectors
import socket
import struct
import sys


def main() -> int:
    path = sys.argv[1]
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    sel = selectors.DefaultSelector()
    sel.register(server, selectors.EVENT_READ)
    buffers: dict[socket.socket, bytearray] = {}
    mac_table: dict[bytes, socket.socket] = {}

    def drop(conn: socket.socket) -> None:
        sel.unregister(conn)
        buffers.pop(conn, None)
        outbufs.pop(conn, None)
        for mac in [m for m, c in mac_table.items() if c is conn]:
            del mac_table[mac]
        conn.close()

    outbufs: dict[socket.socket, bytearray] = {}

    def send(conn: socket.socket, frame: bytes) -> None:
        # Queue instead of blocking: a paused node (savevm, SIGSTOP) must not stall the segment.
        out = outbufs.setdefault(conn, bytearray())
        if len(out) > 4 * 1024 * 1024:
            return  # a full port drops frames, like a real switch
        out += struct.pack(">I", len(frame)) + frame
        sel.modify(conn, selectors.EVENT_READ | selectors.EVENT_WRITE)

    while True:
        for key, events in sel.select():
            sock = key.fileobj
            if sock is not server and sock not in buffers:
                continue  # dropped earlier in this round
            if sock is server:
                conn, _ = server.accept()
                conn.setblocking(False)
                sel.register(conn, selectors.EVENT_READ)
                buffers[conn] = bytearray()
                continue
            assert isinstance(sock, socket.socket)
            if events & selectors.EVENT_WRITE:
                out = outbufs.get(sock, bytearray())
                try:
                    sent = sock.send(out)
                    del out[:sent]
                except BlockingIOError:
                    pass
                except OSError:
                    drop(sock)
                    continue
                if not out:
                    sel.modify(sock, selectors.EVENT_READ)
                if not events & selectors.EVENT_READ:
                    continue
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                drop(sock)
                continue
            buf = buffers[sock]
            buf += data
            while len(buf) >= 4:
                (length,) = struct.unpack(">I", buf[:4])
                if len(buf) < 4 + length:
                    break
                frame = bytes(buf[4:4 + length])
                del buf[:4 + length]
                if length < 14:
                    continue
                dst, src = frame[0:6], frame[6:12]
                mac_table[src] = sock
                out = mac_table.get(dst)
                if out is not None and not (dst[0] & 1):
                    if out is not sock:
                        send(out, frame)
                else:
                    for other in list(buffers):
                        if other is not sock:
                            send(other, frame)


if __name__ == "__main__":
    sys.exit(main())
