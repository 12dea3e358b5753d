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
#     bottleneck), from the forward figure it inherits up to the link's 50
#     Mbit/s (10% either way), saying why; or, where a busy reflector sent
#     most trains back to back, exact and within 10% of 50 Mbit/s.
#   - unshaped, through serialising_relay.py, a link of 1000 ns/byte in
#     each direction: --sizes' fit has the slope of the round-trip holds the
#     relay logged (2000 ns/byte where it held each datagram as it intends)
#     within 5%, and where the relay's least holds grow with the size on a
#     line, names its rate (8 Mbit/s each way) within 5%.
# Bands, not speeds: a shaper's configured rate, or the relay's log, is the
# truth compared with.
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

# fields JSON PATH...: values of smallprobe's -j object, one line, in the
# order asked (a.b.c for nested keys; spaces in a value become _, None is
# JSON's null, "missing" an absent key): one python3 per run, not per value.
fields() {
  python3 -c 'import json,sys
o = json.loads(sys.argv[1])
def get(path):
    v = o
    for k in path.split("."):
        if not isinstance(v, dict) or k not in v: return "missing"
        v = v[k]
    return str(v).replace(" ", "_")
print(" ".join(get(p) for p in sys.argv[2:]))' "$@" 2>/dev/null || echo "unparsable"
}

# within LOW VALUE HIGH: LOW <= VALUE <= HIGH (numbers such as 9.5e6).
within() { awk -v l="$1" -v v="$2" -v h="$3" 'BEGIN { exit !(v + 0 >= l + 0 && v + 0 <= h + 0) }'; }

# Ten trains of ten 1500-byte packets (the MTU filled), 50 ms apart: the
# slowest train drains in 12 ms.
TRAINS=(stamp --train 10 -n 100 -i 50ms -w 5s)
CAPACITY=(capacity.forward.bps capacity.forward.bound capacity.backward.bps
  capacity.backward.bound capacity.backward.reason capacity.trains_used capacity.trains
  capacity.packet_bytes)

# measure FORWARD BACKWARD (Mbit/s): the links shaped so, the trains run; sets
# out and the capacity fields (fwd fwd_bound bwd bwd_bound reason used trains
# bytes), and says what it measured.
measure() {
  shape "$1" "$2"
  run_cmd out rc "$SMALLPROBE_BIN" "${TRAINS[@]}" -j 10.201.0.2
  [ "$rc" = 0 ] || fail "trains $1/$2: exit $rc: $out"
  read -r fwd fwd_bound bwd bwd_bound reason used trains bytes < <(fields "$out" "${CAPACITY[@]}")
  local why=""
  [ "$reason" = missing ] || why="; $reason"
  echo "tbf $1 forward, $2 backward: forward $fwd bit/s ($fwd_bound), backward $bwd bit/s" \
    "($bwd_bound), $used of $trains trains$why"
}

# --- 50 forward, 10 backward: both exact ------------------------------------
measure 50 10
within 45e6 "$fwd" 55e6 || fail "forward $fwd bit/s, tbf 50 Mbit/s: $out"
within 9e6 "$bwd" 11e6 || fail "backward $bwd bit/s, tbf 10 Mbit/s: $out"
[ "$fwd_bound" = exact ] && [ "$bwd_bound" = exact ] ||
  fail "50/10: both directions measured, yet a bound is not exact: $out"
[ "$bytes" = 1500 ] || fail "trains do not fill the MTU: $out"
ok "tbf 50/10: forward $fwd and backward $bwd bit/s, both exact"

# --- 10 forward, 50 backward: backward hidden, a lower bound ----------------
# The replies leave the reflector 1.2 ms apart, as the forward link spaced
# the requests, and the faster backward link keeps them so: all that is
# known is "at least 10 Mbit/s". Unless the reflector, busy (a loaded
# machine), answered most trains at once, back to back: then the backward
# link spaced them, and an exact figure must be its 50 Mbit/s.
measure 10 50
within 9e6 "$fwd" 11e6 || fail "forward $fwd bit/s, tbf 10 Mbit/s: $out"
[ "$fwd_bound" = exact ] || fail "10/50: forward is not exact: $out"
# A lower bound is at least what the forward spacing implies and never
# above the backward link (10% either way).
if [ "$bwd_bound" = lower ]; then
  within "$(awk -v f="$fwd" 'BEGIN { print f * 0.9 }')" "$bwd" 55e6 ||
    fail "10/50: the lower bound $bwd is below the forward $fwd or above 50 Mbit/s: $out"
  [[ $reason == *"forward_bottleneck"* ]] || fail "10/50: the lower bound does not say why: $out"
else
  [ "$bwd_bound" = exact ] && within 45e6 "$bwd" 55e6 ||
    fail "10/50: backward $bwd bit/s ($bwd_bound) is neither a lower bound nor tbf's 50 Mbit/s: $out"
  echo "(the reflector answered most trains back to back: the backward link measured exactly)"
fi
run_cmd out rc "$SMALLPROBE_BIN" "${TRAINS[@]}" --report 0 10.201.0.2
[[ $out == *"capacity: "*" trains of 10 packets whole, 1500 bytes each (IP)"* &&
   $out == *"    forward     "*" Mbit/s"* &&
   ($out == *"    backward >= "*" Mbit/s   lower bound: "*"the forward bottleneck"* ||
    $out == *"    backward    "*" Mbit/s"*) ]] ||
  fail "10/50: the summary's capacity lines are missing: $out"
ok "tbf 10/50: forward $fwd bit/s exact, backward $bwd bit/s $bwd_bound, and the summary says so"

# --- the size sweep through a serialising relay -----------------------------
# Each direction is a link of 8 Mbit/s (serialising_relay.py): a datagram is
# held for its UDP payload x 1000 ns after the link is free, from the
# kernel's receive time, so 2000 ns per byte of the round trip is what it
# intends. The truth compared with is what it did: its log's least
# round-trip hold per size (both directions' kernel receive-to-transmit
# times), fitted as smallprobe fits its minima; on a loaded machine
# smallprobe and an ASan smalld send in bursts that queue behind each other,
# and the log counts that as a link would. It spins while it holds a
# datagram, at a real-time priority where chrt(1) allows it, and ends within
# 60 s (or at our TERM, then writes its log).
tc qdisc del dev cap0 root
in_peer tc qdisc del dev cap1 root
realtime=()
chrt -f 10 true 2>/dev/null && realtime=(chrt -f 10)
"${realtime[@]}" python3 -u "$(dirname "$0")/serialising_relay.py" 10.201.0.1 10.201.0.2 1000 \
  "$WORK/relay.log" >"$WORK/relay.port" &
relay_pid=$!
OWN_PIDS+=("$relay_pid")
for _ in $(seq 100); do [ -s "$WORK/relay.port" ] && break; sleep 0.1; done
relay_port=$(cat "$WORK/relay.port")
[ -n "$relay_port" ] || fail "the relay did not start"
run_cmd out rc "$SMALLPROBE_BIN" stamp --sizes 64,256,512,1024,1400 -n 100 -i 5ms -w 5s -j \
  "10.201.0.1:$relay_port"
[ "$rc" = 0 ] || fail "size sweep through the relay: exit $rc: $out"
kill -TERM "$relay_pid"
wait "$relay_pid" || true
relay=$(tail -n 1 "$WORK/relay.log" 2>/dev/null) || fail "the relay wrote no log"
read -r held held_r2 held_monotonic round_trips late < <(fields "$relay" slope r2 monotonic \
  round_trips late_us)
read -r slope r2 residual monotonic rate reason < <(fields "$out" \
  decomposition.transmission_ns_per_byte decomposition_fit.r2 decomposition_fit.residual_us \
  decomposition_fit.monotonic decomposition_fit.rate_bps decomposition_fit.reason)
echo "relay: intends 2000 ns/byte, held $held ns/byte (R² $held_r2, $round_trips round trips," \
  "sent at most $late us late): $relay"
echo "smallprobe: fit $slope ns/byte, R² $r2, residual $residual us, rate $rate bit/s"
[ "$held" != None ] && [ "$held" != missing ] ||
  fail "the relay's log has no line of round trips to compare with: $relay"
held_rate=$(awk -v s="$held" 'BEGIN { print 16e9 / s }')
within "$(awk -v h="$held" 'BEGIN { print h * 0.95 }')" "$slope" \
  "$(awk -v h="$held" 'BEGIN { print h * 1.05 }')" ||
  fail "the relay held $held ns/byte, the fit says $slope: $out"
# smallprobe names a rate where its minima grow with the size and the line
# fits them (R² 0.9). It must where the relay's least holds clearly do (R²
# 0.99: none far enough off the line that the few us outside the relay
# could reorder two sizes or lower R² to 0.9); a relay that queued or sent
# late in every sample of a size (a CPU taken from it) is said, not checked.
if [ "$held_monotonic" = True ] && within 0.99 "$held_r2" 1; then
  [ "$monotonic" = True ] || fail "relay: minima not monotonic, the relay's are: $out"
  within "$(awk -v r="$held_rate" 'BEGIN { print r * 0.95 }')" "$rate" \
    "$(awk -v r="$held_rate" 'BEGIN { print r * 1.05 }')" ||
    fail "relay: the fit does not name the relay's $held_rate bit/s: $out"
  [ "$reason" = None ] || fail "relay: a reason beside a rate: $out"
else
  echo "(the relay's own least holds do not clearly grow with the size on a line: no rate checked)"
fi
ok "size sweep through a serialising relay: $slope ns/byte, the relay held $held ns/byte"
echo "capacity: passed"
