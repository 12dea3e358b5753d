#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""A minimal TWAMP-Light reflector of the older kind, for smallprobe's
interop test: 41-byte replies (RFC 5357 4.2.1, no trailing MBZ), T3 equal
to T2 (one clock read), stateless. Prints its port, then serves COUNT
packets or stops after 30 s.

  twamp_light_reflector.py COUNT
"""
import socket
import struct
import sys
import time

count = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.setsockopt(socket.IPPROTO_IP, getattr(socket, "IP_RECVTTL", 12), 1)  # Linux: 12
print(s.getsockname()[1], flush=True)
s.settimeout(30)
deadline = time.time() + 30
served = 0
while served < count and time.time() < deadline:
    try:
        data, anc, _, peer = s.recvmsg(65536, 64)
    except socket.timeout:
        break
    ttl = 0
    for level, kind, value in anc:
        if level == socket.IPPROTO_IP and kind == socket.IP_TTL:
            ttl = struct.unpack("i", value[:4])[0]
    now = time.time()
    ts = ((int(now) + 2208988800) << 32) | int((now % 1) * 2**32)
    seq, sender_ts, sender_err = struct.unpack(">IQH", data[:14])
    reply = struct.pack(">IQHHQIQHHB", seq, ts, 0x0001, 0, ts, seq, sender_ts, sender_err, 0, ttl)
    assert len(reply) == 41
    s.sendto(reply, peer)
    served += 1
