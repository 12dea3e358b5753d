#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""ask.py - one small-services exchange, with a deadline, for the systemd tests.

  ask.py tcp HOST PORT [SEND]      connect, send SEND and half-close (if SEND
                                   is given), print what arrives until close or
                                   4 KiB or the deadline
  ask.py udp HOST PORT SEND        send one datagram, print the reply
  ask.py udp HOST PORT -n N        same, with a datagram of N bytes of 'x'
  ask.py udp HOST PORT -z N        same, with a datagram of N zero bytes

Prints "len=N" and Python's repr of the reply, so binary replies (time) and
CR/LF are visible. Exits 1 on no reply before the deadline (ASK_DEADLINE
seconds, 30 by default: long enough for a loaded machine; a check that
expects no reply sets ASK_DEADLINE=1).
"""
import os
import socket
import sys

DEADLINE = float(os.environ.get("ASK_DEADLINE", "30"))
LIMIT = 4096


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp(host, port, send):
    with socket.create_connection((host, port), timeout=DEADLINE) as s:
        if send:
            s.sendall(send)
            s.shutdown(socket.SHUT_WR)
        reply = b""
        try:
            while len(reply) < LIMIT:
                chunk = s.recv(LIMIT - len(reply))
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            pass  # endless services (chargen) are cut here
        return reply


def udp(host, port, send):
    with socket.socket(family(host), socket.SOCK_DGRAM) as s:
        s.settimeout(DEADLINE)
        s.sendto(send, (host, port))
        try:
            return s.recv(65536)
        except socket.timeout:
            return None


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    proto, host, port = argv[1], argv[2], int(argv[3])
    if len(argv) >= 6 and argv[4] == "-n":
        send = b"x" * int(argv[5])
    elif len(argv) >= 6 and argv[4] == "-z":
        send = bytes(int(argv[5]))
    else:
        send = argv[4].encode() if len(argv) >= 5 else b""
    try:
        reply = tcp(host, port, send) if proto == "tcp" else udp(host, port, send)
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if reply is None:
        print("error: no reply", file=sys.stderr)
        return 1
    print(f"len={len(reply)} {reply!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
