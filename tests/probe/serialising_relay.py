#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""probe.capacity's bottleneck: a UDP relay between smallprobe and a STAMP
reflector that serialises each direction as a link of NS_PER_BYTE would.

    serialising_relay.py LISTEN_ADDRESS REFLECTOR_ADDRESS NS_PER_BYTE LOG

Prints the port it listens on (LISTEN_ADDRESS, kernel-chosen), relays until
SIGTERM or 60 s, then writes LOG: one line per datagram it sent
("forward|backward SEQUENCE BYTES RECEIVED DUE SENT", nanoseconds of
CLOCK_REALTIME) and, last, a JSON summary line (see summary()).

Each direction is a FIFO link of its own: a datagram leaves at
max(its arrival, the direction's previous departure) + its UDP payload x
NS_PER_BYTE. The arrival is the kernel's receive time (SO_TIMESTAMPNS), so
the relay's own wake-up and a datagram of the other direction it was busy
with do not lengthen the hold; the departure is read back as the kernel's
transmit time (SO_TIMESTAMPING), so the log says what the relay did, even
where it was late. It spins only while it holds a datagram.
"""
import json
import select
import signal
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = 35  # <asm-generic/socket.h>; Python's socket module lacks both
SO_TIMESTAMPING = 37
TX_SOFTWARE, SOFTWARE, OPT_TSONLY = 1 << 1, 1 << 4, 1 << 11
SENDER_SEQUENCE_IN_REPLY = 24  # RFC 8762 4.3, unauthenticated


def now():
    return time.clock_gettime_ns(time.CLOCK_REALTIME)


def timespec_ns(data):
    sec, nsec = struct.unpack("qq", data[:16])
    return sec * 1_000_000_000 + nsec


def receive(sock):
    """A datagram, its source and the kernel's receive time (else now)."""
    data, ancillary, _, source = sock.recvmsg(65536, 256, socket.MSG_DONTWAIT)
    for level, kind, value in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
            return data, source, timespec_ns(value)
    return data, source, now()


def transmit_time(sock, before):
    """The kernel's transmit time of the datagram sent after `before` (on
    loopback and veth it is queued before send returns; waits at most 10 ms,
    else `before`); an older one left in the queue is passed over."""
    for _ in range(20):
        try:
            _, ancillary, _, _ = sock.recvmsg(64, 256, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            select.select([], [], [], 0.0005)
            continue
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPING:
                if timespec_ns(value) >= before:
                    return timespec_ns(value)
    return before


def fit(points):
    """Least squares of us against bytes: slope (ns/byte), R²."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    total = sum((y - my) ** 2 for _, y in points)
    left = sum((y - my - slope * (x - mx)) ** 2 for x, y in points)
    return slope * 1000, 1 - left / total if total else 1.0


def summary(log, ns_per_byte):
    """What the relay did to the round trips it carried both ways: per size,
    the least round-trip hold (us; the sum of both directions' kernel
    receive-to-transmit times) and the intended one, and their line fitted
    as smallprobe fits its minima; and how late it sent, after the due time,
    at the worst (us)."""
    held = {"forward": {}, "backward": {}}
    late_us = 0.0
    for direction, sequence, size, received, due, sent in log:
        held[direction][sequence] = (size, sent - received)
        late_us = max(late_us, (sent - due) / 1000)
    least = {}
    for sequence, (size, forward) in held["forward"].items():
        if sequence in held["backward"]:
            total = (forward + held["backward"][sequence][1]) / 1000
            least[size] = min(least.get(size, total), total)
    out = {"round_trips": sum(1 for s in held["forward"] if s in held["backward"]),
           "late_us": round(late_us, 3),
           "least_us": {str(size): round(v, 3) for size, v in sorted(least.items())},
           "intended_us": {str(size): 2 * size * ns_per_byte / 1000 for size in sorted(least)},
           "slope": None, "r2": None, "monotonic": None}
    if len(least) >= 2:
        points = sorted(least.items())
        out["slope"], r2 = fit(points)
        out["slope"] = round(out["slope"], 4)
        out["r2"] = round(r2, 6)
        out["monotonic"] = all(a[1] <= b[1] for a, b in zip(points, points[1:]))
    return out


class Stopped(Exception):
    pass


def stop(*_):
    raise Stopped


def main():
    listen, reflector_address, ns_per_byte, log_path = sys.argv[1:5]
    ns_per_byte = int(ns_per_byte)
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.bind((listen, 0))
    reflector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    reflector.connect((reflector_address, 862))
    for s in (client, reflector):
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING, TX_SOFTWARE | SOFTWARE | OPT_TSONLY)
    signal.signal(signal.SIGTERM, stop)
    print(client.getsockname()[1], flush=True)

    log = []
    end = time.monotonic() + 60
    try:
        relay(client, reflector, ns_per_byte, log, end)
    except Stopped:
        pass
    with open(log_path, "w") as f:
        for entry in log:
            f.write(" ".join(map(str, entry)) + "\n")
        f.write(json.dumps(summary(log, ns_per_byte)) + "\n")


def relay(client, reflector, ns_per_byte, log, end):
    """Until `end` (time.monotonic()), logging each datagram sent to `log`."""
    sender = None
    held = {"forward": [], "backward": []}  # [due, data, received, sequence], in order
    free_at = {"forward": 0, "backward": 0}  # when each direction's link is free
    while time.monotonic() < end:
        wait = 0 if any(held.values()) else 0.5  # spins only while it holds a datagram
        ready, _, _ = select.select([client, reflector], [], [], wait)
        for s in ready:
            try:
                data, source, received = receive(s)
            except BlockingIOError:
                continue
            if s is client:
                sender, direction = source, "forward"
                sequence = data[:4]
            elif sender:
                direction = "backward"
                sequence = data[SENDER_SEQUENCE_IN_REPLY:SENDER_SEQUENCE_IN_REPLY + 4]
            else:
                continue
            due = max(received, free_at[direction]) + len(data) * ns_per_byte
            free_at[direction] = due
            held[direction].append([due, data, received, sequence])
        t = now()
        for direction, queue in held.items():
            while queue and queue[0][0] <= t:
                due, data, received, sequence = queue.pop(0)
                before = now()
                if direction == "forward":
                    reflector.send(data)
                else:
                    client.sendto(data, sender)
                sent = transmit_time(reflector if direction == "forward" else client, before)
                number = struct.unpack("!I", sequence)[0] if len(sequence) == 4 else -1
                log.append((direction, number, len(data), received, due, sent))
                t = now()


if __name__ == "__main__":
    main()
