#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""A user-space STAMP relay for tests/systemd/mesh.sh: one path of the mesh
(a sender -> this relay -> a reflector) goes through it. It holds forward
packets (sender to reflector) for a fixed time, drops a seeded random share
of the backward ones (replies), and logs every packet with its own kernel
receive time (SO_TIMESTAMPNS) and kernel transmit time (SO_TIMESTAMPING,
software, from the error queue): the log is the ground truth the daemon's
figures are compared with, whatever the machine's load did to the timers.

Phases, advanced by SIGUSR1 (the phase a packet saw is in its log line):
  0 bare: a short hold (--bare-hold-ms), no drop: the path's own delay is
    the measured one less the logged hold (a hold, not none: a spun release
    keeps the hold's spread small, where a relay passing packets on at once
    would add its own wake-up latency's)
  1 held: forward packets held --hold-ms, --drop-backward of replies dropped
  2 clean: the hold stays, no more drops (so that every drop is attributed
    by the replies after it)
Log lines (CLOCK_REALTIME nanoseconds; kernel 1 when both times are the
kernel's, 0 when one is a clock reading):
  F PHASE SEQ RX_NS TX_NS KERNEL   a forward packet passed on (PHASE: when it came)
  B PHASE SEQ RX_NS TX_NS KERNEL   a reply passed on
  D PHASE SEQ RX_NS                a reply dropped
  P PHASE NS                       a phase began
SEQ is the sender's sequence number (a reply's at byte 24: unauthenticated
STAMP). Ends by itself after --max-seconds (a hang guard).
"""
import argparse
import collections
import random
import select
import signal
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
SO_TIMESTAMPING = getattr(socket, "SO_TIMESTAMPING", 37)
TX_SOFTWARE, SOFTWARE, OPT_TSONLY = 1 << 1, 1 << 4, 1 << 11


def address(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def timestamped(sock):
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, TX_SOFTWARE | SOFTWARE | OPT_TSONLY)
    return sock


def receive(sock):
    """A datagram, its source and its kernel receive time (or the clock's)."""
    data, ancillary, _, source = sock.recvmsg(65536, 256, socket.MSG_DONTWAIT)
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
            sec, nsec = struct.unpack("qq", value[:16])
            return data, source, sec * 1_000_000_000 + nsec, True
    return data, source, time.time_ns(), False


def transmit(sock, data, to):
    """Sends; the kernel's transmit time (at most 100 ms for it), or the clock's."""
    before = time.time_ns()
    sock.sendto(data, to)
    end = time.monotonic() + 0.1
    while time.monotonic() < end:
        try:
            _, ancillary, _, _ = sock.recvmsg(64, 256, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            select.select([], [], [sock], 0.001)
            continue
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPING and len(value) >= 16:
                sec, nsec = struct.unpack("qq", value[:16])
                return sec * 1_000_000_000 + nsec, True
    return before, False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=address, required=True)
    ap.add_argument("--reflector", type=address, required=True)
    ap.add_argument("--hold-ms", type=float, required=True)
    ap.add_argument("--bare-hold-ms", type=float, default=1.0)
    ap.add_argument("--drop-backward", type=float, required=True)
    ap.add_argument("--seed", type=int, default=24)
    ap.add_argument("--log", required=True)
    ap.add_argument("--max-seconds", type=float, default=300)
    args = ap.parse_args()

    phase = [0]
    pending_phase = [False]
    signal.signal(signal.SIGUSR1, lambda *_: pending_phase.__setitem__(0, True))
    chance = random.Random(args.seed)
    hold_ns = [int(args.bare_hold_ms * 1e6), int(args.hold_ms * 1e6)]
    client_side = timestamped(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    client_side.bind(args.listen)
    reflector_side = timestamped(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    reflector_side.bind((args.listen[0], 0))
    log = open(args.log, "w", buffering=1)
    log.write("P 0 %d\n" % time.time_ns())
    client = None
    held = collections.deque()  # (release_ns, phase, seq, rx_ns, kernel, data)
    end = time.monotonic() + args.max_seconds
    while time.monotonic() < end:
        if pending_phase[0]:
            pending_phase[0] = False
            phase[0] += 1
            log.write("P %d %d\n" % (phase[0], time.time_ns()))
        wait = 0.05
        if held:
            wait = max(0.0, min(wait, (held[0][0] - time.time_ns()) / 1e9 - 0.0002))
        try:
            ready, _, _ = select.select([client_side, reflector_side], [], [], wait)
        except InterruptedError:
            ready = []
        for sock in ready:
            try:
                data, source, rx_ns, kernel = receive(sock)
            except BlockingIOError:
                continue
            if sock is client_side:
                if len(data) < 4:
                    continue
                client = source
                seq = struct.unpack_from("!I", data, 0)[0]
                release = rx_ns + hold_ns[min(phase[0], 1)]
                held.append((release, phase[0], seq, rx_ns, kernel, data))
            elif client is not None and len(data) >= 28:
                seq = struct.unpack_from("!I", data, 24)[0]
                if phase[0] == 1 and chance.random() < args.drop_backward:
                    log.write("D %d %d %d\n" % (phase[0], seq, rx_ns))
                    continue
                tx_ns, tx_kernel = transmit(client_side, data, client)
                log.write("B %d %d %d %d %d\n" % (phase[0], seq, rx_ns, tx_ns,
                                                  int(kernel and tx_kernel)))
        # Release what is due: the last 200 us are spun, not slept.
        while held and held[0][0] - time.time_ns() <= 200_000:
            release, seen, seq, rx_ns, kernel, data = held.popleft()
            while time.time_ns() < release:
                pass
            tx_ns, tx_kernel = transmit(reflector_side, data, args.reflector)
            log.write("F %d %d %d %d %d\n" % (seen, seq, rx_ns, tx_ns,
                                              int(kernel and tx_kernel)))
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
