#!/usr/bin/env python3
"""A minimal SNTP server for the lab nodes: answers on 127.0.0.1:123 with the host's clock.

qemu user networking maps 10.0.2.2 to the host's loopback, so the nodes reach it as 10.0.2.2:123
(their image names it as systemd-timesyncd's fallback server). A real NTP server is not reachable here,
and nodes must not talk to public hosts. Usage: ntpserver.py [PORT]
"""
import socket
import struct
import sys
import time

NTP_EPOCH_OFFSET = 2208988800  # 1900-01-01 to 1970-01-01


def ntp_timestamp(t: float) -> int:
    return (int(t) + NTP_EPOCH_OFFSET) << 32 | int((t % 1) * (1 << 32))


def main() -> int:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 123
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    while True:
        data, addr = sock.recvfrom(512)
        received = time.time()
        if len(data) < 48 or (data[0] & 0x7) != 3:  # client requests only
            continue
        version = (data[0] >> 3) & 0x7
        poll = data[2]
        reply = struct.pack(
            "!BBbbII4sQ8sQQ",
            (0 << 6) | (version << 3) | 4,  # no leap warning, client's version, mode 4 (server)
            2, poll, -20,                   # stratum 2, precision about 1 us
            0, 0x10,                        # root delay, root dispersion (tiny: the host is the reference)
            b"LOCL",
            ntp_timestamp(received - 16),   # reference time: recently "synchronised"
            data[40:48],                    # origin = the client's transmit timestamp
            ntp_timestamp(received),
            ntp_timestamp(time.time()),
        )
        sock.sendto(reply, addr)


if __name__ == "__main__":
    sys.exit(main())
