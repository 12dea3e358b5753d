#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Decodes smalld's STAMP replies with a decoder nobody here wrote: Debian's
python3-scapy (scapy.contrib.stamp, RFC 8762/8972 unauthenticated layouts
and the TLV header with its U, M and I flags), field by field; the
authenticated layout and the TLV values, which scapy lacks, by the RFCs'
offsets, with the HMACs checked by Python's hmac module. Every RFC 8972 TLV
goes through the reflector; the reply's DSCP and TTL are read with
IP_RECVTOS and IP_RECVTTL.

  stamp_scapy.py PORT4 PORT6 AUTH_PORT OPTIONAL_PORT KEY_FILE

Exit 0: every check passed (each printed); 1: a check failed; 77: no scapy.
"""
import hashlib
import hmac
import socket
import struct
import sys
import time

try:
    from scapy.contrib.stamp import STAMPSessionReflectorTestUnauthenticated, STAMPTestTLV
except ImportError:
    print("SKIP: python3-scapy is not installed (tools/deps)")
    sys.exit(77)

port4, port6, auth_port, optional_port = (int(a) for a in sys.argv[1:5])
key = open(sys.argv[5], "rb").read()
if key.endswith(b"\n"):
    key = key[:-1]
failures = 0
NTP_UNIX = 2208988800


def check(what, ok):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


# How long to wait: PATIENCE for a reply we expect (only a hang trips it, on a
# loaded machine too), QUIET where no reply is the expected outcome.
PATIENCE = 30
QUIET = 0.5
IP_RECVTTL = getattr(socket, "IP_RECVTTL", 12)  # Linux's; Python does not name it


def sender_socket(family, timeout):
    """A socket to the loopback address of `family`, sending with TTL 255."""
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    if family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    return s, host


def exchange(request, port, family=socket.AF_INET, timeout=PATIENCE):
    s, host = sender_socket(family, timeout)
    before = time.time()
    s.sendto(request, (host, port))
    try:
        reply, _ = s.recvfrom(65536)
    except socket.timeout:
        reply = None
    after = time.time()
    s.close()
    return reply, before, after


def ntp_to_unix(ts):
    return (ts >> 32) - NTP_UNIX + (ts & 0xFFFFFFFF) / 2**32


def decode(reply):
    # The base packet. scapy 2.5's TLV list takes its length from the parent
    # UDP header, which is not set while it dissects (AttributeError on
    # pkt.parent), so the TLVs are decoded by tlvs() below.
    return STAMPSessionReflectorTestUnauthenticated(reply[:44])


def tlvs(reply):
    """scapy's STAMPTestTLV, one after another, over the bytes past the base."""
    rest, found = reply[44:], []
    while len(rest) >= 4:
        tlv = STAMPTestTLV(rest)
        found.append(tlv)
        rest = rest[4 + tlv.len:]
    return found


def sender(seq, ts, err, ssid, size=44, tail=b""):
    head = struct.pack(">IQHH", seq, ts, err, ssid)
    return head + bytes(size - len(head) - len(tail)) + tail


def check_unauthenticated(name, request, reply, before, after, seq, ts, err, ssid, size,
                          tail=None):
    check(f"{name}: a reply came", reply is not None)
    if reply is None:
        return
    check(f"{name}: reply is {size} bytes (got {len(reply)})", len(reply) == size)
    r = decode(reply)
    check(f"{name}: seq {r.seq} == {seq} (stateless)", r.seq == seq)
    check(f"{name}: seq_sender {r.seq_sender} == {seq}", r.seq_sender == seq)
    check(f"{name}: ssid {r.ssid:#x} reflected", r.ssid == ssid)
    ts_sender = struct.unpack(">Q", reply[28:36])[0]
    check(f"{name}: ts_sender copied", ts_sender == ts)
    check(f"{name}: err_estimate_sender copied",
          bytes(r.err_estimate_sender) == struct.pack(">H", err))
    check(f"{name}: mbz1 0, mbz2 0", r.mbz1 == 0 and r.mbz2 == 0)
    check(f"{name}: ttl_sender {r.ttl_sender} == 255 on loopback", r.ttl_sender == 255)
    e = r.err_estimate
    check(f"{name}: Z bit {e.Z} is NTP", e.Z == 0)
    check(f"{name}: multiplier {e.multiplier} is not 0", e.multiplier != 0)
    t2 = ntp_to_unix(struct.unpack(">Q", reply[16:24])[0])
    t3 = ntp_to_unix(struct.unpack(">Q", reply[4:12])[0])
    check(f"{name}: T2 within the exchange ({before:.6f} <= {t2:.6f} <= {after:.6f})",
          before - 0.001 <= t2 <= after + 0.001)
    check(f"{name}: T2 <= T3 <= receive ({t3 - t2:.9f} s processing)",
          t2 <= t3 <= after + 0.001)
    if tail is None:
        check(f"{name}: bytes past the base returned unchanged", reply[44:] == request[44:])
    else:
        check(f"{name}: bytes past the base as expected", reply[44:] == tail)


# Unauthenticated, IPv4 and IPv6.
ts = (int(time.time()) + NTP_UNIX) << 32
for family, port, name in ((socket.AF_INET, port4, "ipv4"), (socket.AF_INET6, port6, "ipv6")):
    req = sender(1001, ts, 0x8001, 0x4242)
    reply, b, a = exchange(req, port, family)
    check_unauthenticated(f"unauthenticated {name}", req, reply, b, a, 1001, ts, 0x8001, 0x4242, 44)

# Padded to 1000 bytes (RFC 8762 4.2.1: zeros; scapy reads zeros as empty TLVs).
pad = bytes(956)
req = sender(7, ts, 0x0102, 9, size=1000, tail=pad)
reply, b, a = exchange(req, port4)
check_unauthenticated("padded", req, reply, b, a, 7, ts, 0x0102, 9, 1000)

# RFC 8972 TLVs (an Extra Padding TLV, type 1, and an unknown one): the
# padding returned unchanged, the unknown one with U set, and scapy parses
# them as TLVs.
pattern = bytes((i * 7) & 0xFF for i in range(400))
tlv_bytes = struct.pack(">BBH", 0, 1, len(pattern)) + pattern + struct.pack(">BBH", 0, 200, 4) + b"abcd"
req = sender(8, ts, 0x0001, 10, size=44 + len(tlv_bytes), tail=tlv_bytes)
reply, b, a = exchange(req, port4)
u_set = bytearray(tlv_bytes)
u_set[4 + len(pattern)] = 0x80
check_unauthenticated("tlv", req, reply, b, a, 8, ts, 0x0001, 10, 44 + len(tlv_bytes), bytes(u_set))
if reply:
    found = tlvs(reply)
    types = [t.type for t in found]
    check(f"tlv: scapy sees TLV types {types}", types == [1, 200])
    check("tlv: values intact", [bytes(t.value) for t in found] == [pattern, b"abcd"])
    # scapy 2.5 names the flag bits from the least significant ("UMIRRRRR"),
    # so it prints RFC 8972's U (the most significant bit, 0x80) as "R":
    # the value is checked.
    check(f"tlv: scapy reads flags {[int(t.flags) for t in found]}: U (0x80) on type 200 only",
          [int(t.flags) for t in found] == [0, 0x80])

# TWAMP-Light: a 14-byte sender packet gets the 44-byte base reply.
req = struct.pack(">IQH", 55, ts, 0x8001)
reply, b, a = exchange(req, port4)
check("twamp-light: a reply came", reply is not None)
if reply is not None:
    check(f"twamp-light: 44 bytes (got {len(reply)})", len(reply) == 44)
    r = decode(reply)
    check("twamp-light: seq and seq_sender", r.seq == 55 and r.seq_sender == 55)
    check("twamp-light: ssid 0 (the request had none)", r.ssid == 0)
    check("twamp-light: ts_sender copied", struct.unpack(">Q", reply[28:36])[0] == ts)

# Shorter than 14 bytes: no reply.
reply, _, _ = exchange(b"\x00" * 13, port4, timeout=QUIET)
check("13 bytes: no reply", reply is None)


# Authenticated (RFC 8762 4.2.2 and 4.3.2): scapy has no such layout.
def auth_sender(seq, ts, err, ssid, extra=b"", use_key=key):
    p = bytearray(112)
    struct.pack_into(">I", p, 0, seq)
    struct.pack_into(">QHH", p, 16, ts, err, ssid)
    p[96:112] = hmac.new(use_key, bytes(p[:96]), hashlib.sha256).digest()[:16]
    return bytes(p) + extra


for port, name in ((auth_port, "auth required"), (optional_port, "auth optional")):
    req = auth_sender(77, ts, 0x8003, 0x0505, extra=b"TLV-tail")
    reply, b, a = exchange(req, port)
    check(f"{name}: a reply came", reply is not None)
    if reply is None:
        continue
    check(f"{name}: 120 bytes (got {len(reply)})", len(reply) == 120)
    expected = hmac.new(key, reply[:96], hashlib.sha256).digest()[:16]
    check(f"{name}: HMAC verified by Python's hmac", hmac.compare_digest(expected, reply[96:112]))
    seq, = struct.unpack_from(">I", reply, 0)
    t3, err, ssid = struct.unpack_from(">QHH", reply, 16)
    t2, = struct.unpack_from(">Q", reply, 32)
    sseq, = struct.unpack_from(">I", reply, 48)
    sts, serr = struct.unpack_from(">QH", reply, 64)
    ttl = reply[80]
    check(f"{name}: seq, seq_sender 77", seq == 77 and sseq == 77)
    check(f"{name}: ssid reflected", ssid == 0x0505)
    check(f"{name}: sender timestamp and error estimate copied", sts == ts and serr == 0x8003)
    check(f"{name}: ttl 255", ttl == 255)
    check(f"{name}: MBZ fields zero",
          reply[4:16] == bytes(12) and reply[28:32] == bytes(4) and reply[40:48] == bytes(8)
          and reply[52:64] == bytes(12) and reply[74:80] == bytes(6) and reply[81:96] == bytes(15))
    check(f"{name}: T2 <= T3 within the exchange",
          b - 0.001 <= ntp_to_unix(t2) <= ntp_to_unix(t3) <= a + 0.001)
    check(f"{name}: tail returned unchanged", reply[112:] == b"TLV-tail")

req = auth_sender(78, ts, 0, 1, use_key=b"not the key")
reply, _, _ = exchange(req, auth_port, timeout=QUIET)
check("auth required, wrong key: no reply", reply is None)
reply, _, _ = exchange(req, optional_port)
check("auth optional, wrong key: answered unauthenticated (44-byte layout, 112 bytes)",
      reply is not None and len(reply) == 112 and decode(reply).seq == 78)
reply, _, _ = exchange(sender(79, ts, 0, 1), auth_port, timeout=QUIET)
check("auth required, unauthenticated packet: no reply", reply is None)


def tlv(kind, value, flags=0):
    return struct.pack(">BBH", flags, kind, len(value)) + value


def exchange_header(request, port, family=socket.AF_INET, tos=None):
    """The reply and the DSCP/ECN byte and TTL it arrived with (recvmsg)."""
    s, host = sender_socket(family, PATIENCE)
    if family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        s.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
        if tos is not None:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, tos)
    else:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVTCLASS, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVHOPLIMIT, 1)
        if tos is not None:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, tos)
    s.bind((host, 0))
    s.sendto(request, (host, port))
    got_tos = got_ttl = None
    try:
        reply, ancillary, _, _ = s.recvmsg(65536, 256)
        for level, kind, data in ancillary:
            if (level, kind) == (socket.IPPROTO_IP, socket.IP_TOS):
                got_tos = data[0]
            elif (level, kind) in ((socket.IPPROTO_IP, socket.IP_TTL),
                                   (socket.IPPROTO_IPV6, socket.IPV6_HOPLIMIT)):
                got_ttl = struct.unpack("=i", data[:4])[0]
            elif (level, kind) == (socket.IPPROTO_IPV6, socket.IPV6_TCLASS):
                got_tos = struct.unpack("=i", data[:4])[0]
    except socket.timeout:
        reply = None
    local_port = s.getsockname()[1]
    s.close()
    return reply, got_tos, got_ttl, local_port


EF = 46 << 2

# Every RFC 8972 TLV through the reflector, sent with DSCP EF: Extra Padding
# (1), Location (2) with IPv4 and IP Address sub-TLVs and a MAC one,
# Timestamp Information (3), Class of Service (4) asking for AF11 with ECN 1,
# Direct Measurement (5), Access Report (6), Follow-Up Telemetry (7), an HMAC
# TLV (8, unauthenticated: as sent) and an unknown type (201).
location = struct.pack(">HH", 0, 0) + tlv(8, bytes(4)) + tlv(5, bytes(4)) + tlv(7, bytes(16)) \
    + tlv(1, bytes(6))
every = [(1, bytes(20)), (2, location), (3, bytes(4)), (4, bytes([10 << 2 | 1, 0, 0, 0])),
         (5, struct.pack(">III", 9, 0, 0)), (6, bytes([0x20, 1, 0, 0])), (7, bytes(16)),
         (8, bytes(range(16))), (201, b"zzzz")]
tail = b"".join(tlv(k, v) for k, v in every)
req = sender(9, ts, 0x0001, 11, size=44 + len(tail), tail=tail)
reply, tos, ttl, sport = exchange_header(req, port4, tos=EF)
check("every tlv: a reply came", reply is not None)
if reply is not None:
    found = tlvs(reply)
    check(f"every tlv: scapy sees types {[t.type for t in found]}",
          [t.type for t in found] == [k for k, _ in every])
    flags = {t.type: int(t.flags) for t in found}
    check(f"every tlv: no U, M or I on RFC 8972 types ({flags})",
          all(flags[k] == 0 for k in range(1, 9)))
    check("every tlv: U on the unknown type 201", flags.get(201) == 0x80)
    value = {t.type: bytes(t.value) for t in found}
    check("every tlv: padding, access report, hmac as sent",
          all(value[k] == v for k, v in every if k in (1, 6, 8)))
    # Timestamp Information: the reflector's sync source (NTP 1 or free
    # running 5) and its methods for T2 and T3 (hardware 1, software 2).
    sync_in, method_in, sync_out, method_out = value[3]
    check(f"timestamp info filled: sync {sync_in}/{sync_out}, methods {method_in}/{method_out}",
          sync_in in (1, 5) and sync_out == sync_in and method_in in (1, 2) and method_out == 2)
    # Follow-Up Telemetry: the session's previous reply; this is its first,
    # so the sequence number and timestamp are zero.
    check(f"follow-up: no previous reply, zeros ({value[7].hex()})", value[7][:12] == bytes(12))
    loc = value[2]
    dport, lport = struct.unpack_from(">HH", loc, 0)
    check(f"location: ports {dport} <- {lport} are the request's ({port4} <- {sport})",
          dport == port4 and lport == sport)
    lo = socket.inet_aton("127.0.0.1")
    check("location: Source and Destination IPv4 Address 127.0.0.1",
          loc[8:12] == lo and loc[16:20] == lo)
    check("location: Source IP Address, 16 bytes, IPv4-mapped",
          loc[24:40] == bytes(10) + b"\xff\xff" + lo)
    check(f"location: the MAC sub-TLV gets U ({loc[40]:#x})", loc[40] == 0x80)
    cos = value[4]
    check(f"class of service: DSCP1 10 ECN1 1 kept ({cos[0]:#x})", cos[0] == 10 << 2 | 1)
    check(f"class of service: DSCP2 {cos[1] >> 2} ECN2 {cos[1] & 3} = EF 0 received",
          cos[1] == EF and cos[2] >> 6 == 0)
    check(f"class of service: the reply's TOS {tos} is DSCP 10 ECN 1", tos == (10 << 2 | 1))
    check(f"reply TTL {ttl} is 255", ttl == 255)
    sseq, rrx, rtx = struct.unpack(">III", value[5])
    check(f"direct measurement: S_TX {sseq} as sent (stateless: R_RX R_TX {rrx} {rtx})",
          sseq == 9 and rrx == 0 and rtx == 0)

# No Class of Service TLV: DSCP EF in, EF out (reflect_dscp = yes), IPv4 and IPv6.
for family, port, name in ((socket.AF_INET, port4, "ipv4"), (socket.AF_INET6, port6, "ipv6")):
    reply, tos, ttl, _ = exchange_header(sender(10, ts, 0x0001, 12), port, family, tos=EF)
    check(f"dscp {name}: EF in, reply TOS {tos} (EF is {EF})", reply is not None and tos == EF)
    check(f"dscp {name}: reply TTL / hop limit {ttl} is 255", ttl == 255)

# Authenticated, with TLVs and an HMAC TLV over them (RFC 8972 4.8): the
# reply's HMAC TLV verifies over the reply's sequence number and TLVs; a
# wrong one comes back with I on every TLV.
def tlv_hmac(seq, tlvs_before, use_key=key):
    return hmac.new(use_key, struct.pack(">I", seq) + tlvs_before, hashlib.sha256).digest()[:16]


for wrong in (False, True):
    before = tlv(4, bytes([EF, 0, 0, 0])) + tlv(1, bytes(8))
    extra = before + tlv(8, tlv_hmac(80, before, b"wrong" if wrong else key))
    req = auth_sender(80, ts, 0, 3, extra=extra)
    reply, _, _ = exchange(req, auth_port)
    name = "hmac tlv, " + ("wrong" if wrong else "right")
    check(f"{name}: a reply came", reply is not None)
    if reply is None:
        continue
    rest = reply[112:]
    found = []
    while len(rest) >= 4:
        t = STAMPTestTLV(rest)
        found.append(t)
        rest = rest[4 + t.len:]
    want = 0x20 if wrong else 0
    check(f"{name}: I flags {[int(t.flags) for t in found]} all {want:#x}",
          [int(t.flags) for t in found] == [want] * 3)
    seq, = struct.unpack_from(">I", reply, 0)
    cover = reply[112:112 + len(before)]
    check(f"{name}: reply HMAC TLV verifies over seq {seq} and the TLVs before it",
          bytes(found[2].value) == tlv_hmac(seq, cover))
    check(f"{name}: base HMAC verifies",
          hmac.new(key, reply[:96], hashlib.sha256).digest()[:16] == reply[96:112])

print(f"{failures} failed")
sys.exit(1 if failures else 0)
