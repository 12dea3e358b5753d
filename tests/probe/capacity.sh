#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# smallprobe stamp measures bandwidth per direction on a real kernel shaper,
# and its size sweep's decomposition names the rate a serialising relay
# applies. The script runs itself again in a network namespace of its own
# (the sender's side), makes a second one (the reflector's, held by a
# `sleep` it ends by PID) and joins them with a veth pair, 10.201.0.1 to
# 10.201.0.2; smalld's stateful reflector runs in the second.
#   - tbf 50 Mbit/s forward (cap0's egress), 10 Mbit/s backward (cap1's),
#     burst one MTU: both capacities within 10%, both exact.
#   - swapped, 10 forward and 50 backward: forward within 10%; backward a
#     lower bound (the replies leave already spaced by the forward
#     bottleneck), at most 10% above the forward figure it inherits.
#   - unshaped, through a relay written here that holds each datagram for
#     its size x 1000 ns/byte in each direction: --sizes' fit has a slope of
#     2000 ns/byte within 5%, R² near 1, and names 8 Mbit/s.
# Bands, not speeds: a shaper's configured rate is the truth compared with.
# Few trains, each run bounded (lib.sh's run_cmd); nothing is timed.
if [ -z "${CAPACITY_OWN_NETNS:-}" ]; then
  for tool in unshare nsenter ip tc python3; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not available"; exit 77; }
  done
  unshare --net true 2>/dev/null || { echo "SKIP: unshare --net is not permitted here"; exit 77; }
  CAPACITY_OWN_NETNS=1 exec unshare --net bash "$0" "$@"
fi
source "$(dirname "$0")/../shell/lib.sh"

# Our own processes, ended by PID whatever happens (then lib.sh's cleanup).
OWN_PIDS=()
end_own() {
  local rc=$? pid
  set +e
  for pid in "${OWN_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${OWN_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  (exit $rc)
  cleanup
}
trap end_own EXIT

# The reflector's namespace: held by a sleep that unshare execs into.
unshare --net sleep 300 &
PEER=$!
OWN_PIDS+=("$PEER")
for _ in $(seq 100); do
  [ "$(readlink /proc/$PEER/ns/net 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] &&
    [ -n "$(readlink /proc/$PEER/ns/net 2>/dev/null)" ] && break
  sleep 0.1
done
in_peer() { nsenter --net="/proc/$PEER/ns/net" "$@"; }
ip link add name cap0 type veth peer name cap1 netns "$PEER" || skip "no veth here"
ip addr add 10.201.0.1/24 dev cap0
ip link set lo up
ip link set cap0 up
in_peer ip addr add 10.201.0.2/24 dev cap1
in_peer ip link set lo up
in_peer ip link set cap1 up

config_head >"$WORK/smalld.ini"
printf '[stamp]\nudp = 10.201.0.2:862\nmode = stateful\n' >>"$WORK/smalld.ini"
# smalld in the reflector's namespace (nsenter execs it: $! is smalld).
printf '#!/bin/sh\nexec nsenter --net=/proc/%s/ns/net "%s" "$@"\n' "$PEER" "$SMALLD_BIN" \
  >"$WORK/smalld-in-peer"
chmod +x "$WORK/smalld-in-peer"
SMALLD_BIN=$WORK/smalld-in-peer start_daemon

# shape FORWARD BACKWARD (Mbit/s): tbf on each side's egress, burst one MTU.
shape() {
  tc qdisc replace dev cap0 root tbf rate "$1mbit" burst 1514 latency 200ms ||
    skip "tbf is not available"
  in_peer tc qdisc replace dev cap1 root tbf rate "$2mbit" burst 1514 latency 200ms
}

# field JSON PATH...: a value from smallprobe's -j object ("missing" if absent).
field() {
  python3 -c 'import json,sys
o = json.loads(sys.argv[1])
for k in sys.argv[2:]: o = o[k]
print(o)' "$@" 2>/dev/null || echo "missing"
}

# near VALUE EXPECTED PERCENT: VALUE within PERCENT% of EXPECTED.
near() {
  python3 -c 'import sys
v, e, p = map(float, sys.argv[1:])
sys.exit(0 if abs(v - e) <= e * p / 100 else 1)' "$1" "$2" "$3" 2>/dev/null
}

# Six trains of ten 1500-byte packets (the MTU filled), 50 ms apart: the
# slowest train drains in 12 ms.
TRAINS=(stamp --train 10 -n 60 -i 50ms -w 5s)

# --- 50 forward, 10 backward: both exact ------------------------------------
shape 50 10
run_cmd out rc "$SMALLPROBE_BIN" "${TRAINS[@]}" -j 10.201.0.2
[ "$rc" = 0 ] || fail "trains 50/10: exit $rc: $out"
fwd=$(field "$out" capacity forward bps) bwd=$(field "$out" capacity backward bps)
echo "tbf 50 forward, 10 backward: forward $fwd bit/s, backward $bwd bit/s," \
  "$(field "$out" capacity trains_used) of $(field "$out" capacity trains) trains"
near "$fwd" 50e6 10 || fail "forward $fwd bit/s, tbf 50 Mbit/s: $out"
near "$bwd" 10e6 10 || fail "backward $bwd bit/s, tbf 10 Mbit/s: $out"
[ "$(field "$out" capacity forward bound)" = exact ] && [ "$(field "$out" capacity backward bound)" = exact ] ||
  fail "50/10: both directions measured, yet a bound is not exact: $out"
[ "$(field "$out" capacity packet_bytes)" = 1500 ] || fail "trains do not fill the MTU: $out"
ok "tbf 50/10: forward $fwd and backward $bwd bit/s, both exact"

# --- 10 forward, 50 backward: backward hidden, a lower bound ----------------
shape 10 50
run_cmd out rc "$SMALLPROBE_BIN" "${TRAINS[@]}" -j 10.201.0.2
[ "$rc" = 0 ] || fail "trains 10/50: exit $rc: $out"
fwd=$(field "$out" capacity forward bps) bwd=$(field "$out" capacity backward bps)
echo "tbf 10 forward, 50 backward: forward $fwd bit/s, backward >= $bwd bit/s"
near "$fwd" 10e6 10 || fail "forward $fwd bit/s, tbf 10 Mbit/s: $out"
[ "$(field "$out" capacity forward bound)" = exact ] || fail "10/50: forward is not exact: $out"
[ "$(field "$out" capacity backward bound)" = lower ] ||
  fail "10/50: the backward link is hidden by the forward one, yet not a lower bound: $out"
near "$bwd" "$fwd" 10 || fail "10/50: the lower bound $bwd is not the forward spacing's $fwd: $out"
[[ $(field "$out" capacity backward reason) == *"forward bottleneck"* ]] ||
  fail "10/50: the lower bound does not say why: $out"
run_cmd out rc "$SMALLPROBE_BIN" "${TRAINS[@]}" --report 0 10.201.0.2
[[ $out == *"capacity: "*" trains of 10 packets whole, 1500 bytes each (IP)"* &&
   $out == *"    forward     "*" Mbit/s"* &&
   $out == *"    backward >= "*" Mbit/s   lower bound: "*"the forward bottleneck"* ]] ||
  fail "10/50: the summary's capacity lines are missing: $out"
ok "tbf 10/50: forward $fwd bit/s exact, backward >= $bwd bit/s, and the summary says why"

# --- the size sweep through a serialising relay -----------------------------
# Each datagram is held for its UDP payload x 1000 ns (8 Mbit/s), one at a
# time, in each direction: 2000 ns per byte of the round trip. It busy-waits
# (a sleep is late by more than the smallest hold) and ends within 60 s.
tc qdisc del dev cap0 root
in_peer tc qdisc del dev cap1 root
python3 -u -c '
import select, socket, sys, time
ns_per_byte = 1000
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.bind(("10.201.0.1", 0))
reflector = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
reflector.connect(("10.201.0.2", 862))
print(client.getsockname()[1], flush=True)
sender = None
end = time.monotonic() + 60
while time.monotonic() < end:
    ready, _, _ = select.select([client, reflector], [], [], 0.5)
    for s in ready:
        data, source = s.recvfrom(65536)
        start = time.perf_counter_ns()
        while time.perf_counter_ns() - start < len(data) * ns_per_byte:
            pass
        if s is client:
            sender = source
            reflector.send(data)
        elif sender:
            client.sendto(data, sender)
' >"$WORK/relay.port" &
OWN_PIDS+=("$!")
for _ in $(seq 100); do [ -s "$WORK/relay.port" ] && break; sleep 0.1; done
relay_port=$(cat "$WORK/relay.port")
[ -n "$relay_port" ] || fail "the relay did not start"
run_cmd out rc "$SMALLPROBE_BIN" stamp --sizes 64,256,512,1024,1400 -n 60 -i 10ms -w 5s -j \
  "10.201.0.1:$relay_port"
[ "$rc" = 0 ] || fail "size sweep through the relay: exit $rc: $out"
slope=$(field "$out" decomposition transmission_ns_per_byte)
echo "relay 2000 ns/byte: fit $slope ns/byte, R² $(field "$out" decomposition_fit r2)," \
  "residual $(field "$out" decomposition_fit residual_us) us," \
  "rate $(field "$out" decomposition_fit rate_bps) bit/s"
near "$slope" 2000 5 || fail "the relay holds 2000 ns/byte, the fit says $slope: $out"
[ "$(field "$out" decomposition_fit monotonic)" = True ] || fail "relay: minima not monotonic: $out"
near "$(field "$out" decomposition_fit rate_bps)" 8e6 5 ||
  fail "relay: the fit does not name 8 Mbit/s: $out"
[ "$(field "$out" decomposition_fit reason)" = None ] || fail "relay: a reason beside a rate: $out"
ok "size sweep through a 2000 ns/byte relay: $slope ns/byte, 8 Mbit/s each way"
echo "capacity: passed"
