#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A mesh of 8 smalld processes, end to end in real namespaces (issue 24):
# each node in a network namespace of its own (held by a `sleep` the test
# ends by PID), a veth pair from it to one bridge in the test's own namespace
# (the script runs itself again under `unshare --net`), 10.24.0.N/24; each
# node reflects STAMP and its stamp-sender measures the other 7 every 20 ms:
# 56 paths. Node n8's link has a tbf rate limit both ways. The path n1 -> n2
# goes through a user-space relay in a namespace of its own (mesh_relay.py):
# it holds forward packets 5 ms, drops 5% of the replies, and logs every
# packet with its kernel receive and transmit times: the ground truth.
# A real Prometheus (Debian's) in the bridge's namespace scrapes the 8 nodes
# (a `node` label per target) and loads contrib/prometheus/smalld-mesh-rules.yml
# with the loss alerts' `for: 5m` cut to 2s (a copy: CI cannot wait 5 min).
# Through its HTTP API the test finds:
#   - 56 paths (node x peer), each with packets sent and received;
#   - n1 -> n2: forward p50 (Prometheus: the bucket holding the relay's
#     logged hold p50 plus the bare path; the daemon's own p50 in
#     `smallctl peers -j`: within 5 us, issue 22's bound) and lost backward
#     equal to the relay's logged drops, exactly (Prometheus once it scraped
#     the settled counter, and the daemon's /metrics), no other loss;
#   - every other path: no loss at all;
#   - the loss-ratio rule above 1% and the backward-loss alert firing for
#     n1 -> n2 and for no other path, no forward-loss alert anywhere.
# The bare path: the relay first holds 1 ms and drops nothing (phase 0);
# the daemon's p50 less the relay's logged hold p50 then is the path's own.
# Every wait is bounded; nothing is timed. Needs root, unshare, nsenter, ip,
# tc (tbf), python3, curl and prometheus; otherwise it skips (77), which
# SMALLD_REQUIRE_LAB=1 (CI) turns into a failure (lib.sh).
source "$(dirname "$0")/lib.sh"
SMALLD=${SMALLD_BIN:-$SMALLD_BUILD_DIR/daemon/smalld}
SMALLCTL=${SMALLCTL_BIN:-$SMALLD_BUILD_DIR/smallctl/smallctl}
if [ -z "${MESH_OWN_NETNS:-}" ]; then
  [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, veth, tc)"
  for tool in unshare nsenter ip tc python3 curl prometheus; do
    command -v "$tool" >/dev/null || skip "$tool not available"
  done
  unshare --net true 2>/dev/null || skip "unshare --net is not permitted here"
  [ -x "$SMALLD" ] || fail "no daemon binary at $SMALLD; build first"
  MESH_OWN_NETNS=1 exec unshare --net bash "$0" "$@"
fi

NODES=8
HOLD_MS=5
BOUND_US=5
WORK=$(mktemp -d /tmp/smalld-mesh.XXXXXX)
HOLDERS=() # the sleeps that hold the nodes' and the relay's namespaces
PIDS=()    # every other process this test started
on_exit() {
  local rc=$? pid
  set +e
  for pid in "${PIDS[@]}" "${HOLDERS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}" "${HOLDERS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ $rc != 0 ] && [ $rc != 77 ]; then
    for f in "$WORK"/n*/smalld.log "$WORK/relay.err" "$WORK/prometheus.log"; do
      [ -s "$f" ] && { echo "--- $f (last 8 lines) ---"; tail -8 "$f"; }
    done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap on_exit EXIT

# A namespace held by a sleep (ended by PID in on_exit): HOLDER is its PID.
HOLDER=""
new_netns() {
  unshare --net sleep 600 &
  local holder=$! i
  HOLDERS+=("$holder")
  HOLDER=$holder
  for i in $(seq 100); do
    [ -n "$(readlink /proc/$holder/ns/net 2>/dev/null)" ] &&
      [ "$(readlink /proc/$holder/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.1
  done
}
in_ns() { local holder=$1; shift; nsenter --net="/proc/$holder/ns/net" "$@"; }

# The bridge, in this script's own namespace; Prometheus lives here too.
ip link set lo up
ip link add mesh0 type bridge || skip "no bridge in this kernel"
ip addr add 10.24.0.254/24 dev mesh0
ip link set mesh0 up
# attach HOLDER ADDRESS NAME: a veth from the namespace to the bridge.
attach() {
  ip link add "v$3" type veth peer name eth0 netns "$1" || skip "no veth here"
  ip link set "v$3" master mesh0 up
  in_ns "$1" ip addr add "$2/24" dev eth0
  in_ns "$1" ip link set lo up
  in_ns "$1" ip link set eth0 up
}
NS=()
for i in $(seq $NODES); do
  new_netns
  NS[i]=$HOLDER
  attach "$HOLDER" "10.24.0.$i" "n$i"
done
new_netns
RELAY_NS=$HOLDER
attach "$RELAY_NS" 10.24.0.100 relay
# n8's link: 10 Mbit/s each way, burst one MTU.
tc qdisc replace dev vn8 root tbf rate 10mbit burst 1514 latency 100ms || skip "tbf is not available"
in_ns "${NS[8]}" tc qdisc replace dev eth0 root tbf rate 10mbit burst 1514 latency 100ms
ok "8 nodes and a relay on one bridge; tbf 10 Mbit/s on n8's link"

# The relay: n1's packets for n2 go to 10.24.0.100:862, on to 10.24.0.2:862.
realtime=()
chrt -f 10 true 2>/dev/null && realtime=(chrt -f 10)
# nsenter, not in_ns (a function: a subshell of its own), so that $! is the
# relay itself (nsenter and chrt exec it), for SIGUSR1 and the cleanup.
nsenter --net="/proc/$RELAY_NS/ns/net" "${realtime[@]}" python3 -u "$HERE/mesh_relay.py" --listen 10.24.0.100:862 \
  --reflector 10.24.0.2:862 --hold-ms $HOLD_MS --drop-backward 0.05 --log "$WORK/relay.log" \
  --max-seconds 300 2>"$WORK/relay.err" &
RELAY_PID=$!
PIDS+=("$RELAY_PID")
relay_phase() { kill -USR1 "$RELAY_PID"; wait_until 10 "relay phase $1" grep -q "^P $1 " "$WORK/relay.log"; }

# Each node: its reflector first; once all 8 answer, a reload adds the
# stamp-sender to the 7 others (no packet goes to a reflector not yet up).
for i in $(seq $NODES); do
  mkdir -p "$WORK/n$i"
  cat >"$WORK/n$i/smalld.ini" <<INI
[daemon]
log_connections = no
[control]
socket = $WORK/n$i/control.sock
[metrics]
listen = 10.24.0.$i:9470
allow = 10.24.0.0/24
[stamp]
udp = 10.24.0.$i:862
mode = stateful
INI
  nsenter --net="/proc/${NS[i]}/ns/net" "$SMALLD" -c "$WORK/n$i/smalld.ini" >"$WORK/n$i/smalld.log" 2>&1 &
  PIDS+=("$!")
done
for i in $(seq $NODES); do
  wait_until "$PATIENCE" "n$i's control socket" "$SMALLCTL" -s "$WORK/n$i/control.sock" status
done
ok "8 smalld reflectors answering"
# 60-byte packets: room for the Direct Measurement TLV, whose counts split
# the loss by direction.
for i in $(seq $NODES); do
  peers=""
  for j in $(seq $NODES); do
    [ "$i" = "$j" ] && continue
    address=10.24.0.$j
    [ "$i" = 1 ] && [ "$j" = 2 ] && address=10.24.0.100
    peers+="${peers:+, }n$j $address"
  done
  cat >>"$WORK/n$i/smalld.ini" <<INI
[mesh]
type = stamp-sender
peers = $peers
interval = 20ms
size = 60
timeout = 1s
window = 4s
INI
  out=$("$SMALLD" -t -c "$WORK/n$i/smalld.ini" 2>&1) || fail "smalld -t refused n$i's configuration: $out"
done
for i in $(seq $NODES); do
  out=$("$SMALLCTL" -s "$WORK/n$i/control.sock" reload 2>&1) || fail "n$i's reload: $out"
done
ok "a stamp-sender on each node, to the 7 others"

cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $WORK/mesh-rules.yml
scrape_configs:
  - job_name: smalld
    static_configs:
$(for i in $(seq $NODES); do printf '      - targets: ["10.24.0.%s:9470"]\n        labels: {node: n%s}\n' "$i" "$i"; done)
YML
sed 's/for: 5m/for: 2s/' "$SMALLD_SOURCE_DIR/contrib/prometheus/smalld-mesh-rules.yml" >"$WORK/mesh-rules.yml"
grep -q 'for: 2s' "$WORK/mesh-rules.yml" || fail "the mesh rules have no 'for: 5m' to shorten"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address=10.24.0.254:9090 --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=("$!")
PROM=http://10.24.0.254:9090
wait_until $PATIENCE "prometheus ready" curl -sf --max-time 5 "$PROM/-/ready"
ok "prometheus ready, scraping 8 targets"

# promql QUERY [TIME]: the query API's answer (JSON); empty when it failed.
promql() {
  curl -sS --max-time 10 -G "$PROM/api/v1/query" --data-urlencode "query=$1" \
    ${2:+--data-urlencode "time=$2"} 2>/dev/null || true
}
# check PYTHON-CONDITION JSON: r maps "node>peer[/direction]" to the value.
check() {
  python3 -c '
import json, sys
doc = json.loads(sys.argv[2])
r = {}
for s in doc["data"]["result"]:
    m = s["metric"]
    key = m.get("node", "") + ">" + m.get("peer", "")
    if "direction" in m: key += "/" + m["direction"]
    r[key] = float(s["value"][1])
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$1" "$2" 2>/dev/null
}
# until_prom WHAT QUERY CONDITION: polls (PATIENCE seconds) until it holds.
LAST=""
until_prom() {
  local what=$1 query=$2 cond=$3 end=$((SECONDS + PATIENCE))
  while :; do
    LAST=$(promql "$query")
    [ -n "$LAST" ] && check "$cond" "$LAST" && return 0
    [ $SECONDS -lt $end ] || fail "$what: not within ${PATIENCE}s; last answer: $LAST"
    sleep 0.5
  done
}
PAIRS="{'n%d>n%d' % (i, j) for i in range(1, 9) for j in range(1, 9) if i != j}"
until_prom "56 paths, each answered" 'smalld_stamp_peer_received_total{job="smalld"} > 0' \
  "set(r) == $PAIRS"
until_prom "56 paths up" 'smalld_stamp_peer_up{job="smalld"} == 1' "set(r) == $PAIRS"
ok "56 paths (8 x 7), every one sending, answered and up"

# The daemon's own p50 of n1 -> n2's forward delay over its window, in
# microseconds, from smallctl -j peers (a JSON list, the contract; its
# forward_p50_seconds); "-" if none.
daemon_p50_us() {
  "$SMALLCTL" -s "$WORK/n1/control.sock" -j peers 2>/dev/null | python3 -c '
import json, sys
doc = json.load(sys.stdin)
rows = [r for r in (doc["data"] if isinstance(doc, dict) else doc) if r.get("peer") == "n2"]
v = rows[0].get("forward_p50_seconds") if rows else None
print("-" if v is None else v * 1e6)' 2>/dev/null || echo -
}
# relay_p50_us PHASE END_NS: the relay's logged forward hold p50 (us) of the
# packets of PHASE whose reply it passed back in the 4 s before END_NS: the
# packets in the daemon's window when it is read just after END_NS.
relay_p50_us() {
  python3 -c '
import sys
phase, end = sys.argv[2], int(sys.argv[3])
back, holds = {}, []
rows = [line.split() for line in open(sys.argv[1])]
for f in rows:
    if f[0] == "B": back[f[2]] = int(f[4])
for f in rows:
    if f[0] == "F" and f[1] == phase and end - 4_000_000_000 <= back.get(f[2], 0) <= end:
        if f[5] != "1": sys.exit("a hold not from kernel times: " + " ".join(f))
        holds.append((int(f[4]) - int(f[3])) / 1e3)
holds.sort()
print("%.2f %d" % (holds[len(holds) // 2], len(holds)))' "$WORK/relay.log" "$@"
}
now_ns() { date +%s%N; }

# Phase 0: the bare path, over a whole window (4 s) of the daemon's.
sleep 5
end=$(now_ns)
bare_daemon=$(daemon_p50_us)
read -r bare_hold bare_n < <(relay_p50_us 0 "$end")
relay_phase 1
phase1_start=$(date +%s.%N)
# Phase 1: the hold and the drops, 12 s.
sleep 12
end=$(now_ns)
held_daemon=$(daemon_p50_us)
read -r held held_n < <(relay_p50_us 1 "$end")
phase1_end=$(date +%s.%N)
relay_phase 2
[ -n "$bare_hold" ] && [ -n "$held" ] || fail "the relay logged no forward packet in phase 0 or 1"
drops=$(grep -c '^D ' "$WORK/relay.log" || true)
passed_back=$(grep -c '^B ' "$WORK/relay.log" || true)
echo "relay: bare hold p50 $bare_hold us ($bare_n packets); held p50 $held us ($held_n packets);" \
  "$drops replies dropped, $passed_back passed back"
[ "$drops" -gt 0 ] || fail "the relay dropped no reply in phase 1"

# Forward delay, as Prometheus has it over phase 1: its p50 lies in the
# bucket that holds the relay's hold plus the bare path (bucket resolution).
range=$(python3 -c "print(int(float('$phase1_end') - float('$phase1_start')) - 2)")
answer=$(promql "histogram_quantile(0.5, sum by (le) (increase(smalld_stamp_peer_forward_delay_seconds_bucket{job=\"smalld\",node=\"n1\",peer=\"n2\"}[${range}s])))" "$phase1_end")
prom_p50=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["data"]["result"][0]["value"][1])' "$answer" 2>/dev/null) ||
  fail "no forward delay p50 for n1 -> n2 in prometheus: $answer"
python3 - "$prom_p50" "$held" "$bare_daemon" "$bare_hold" <<'PY' || fail "prometheus's forward p50 $prom_p50 s is not in the bucket of the relay's hold"
import sys
bounds = [1e-05, 2.5e-05, 5e-05, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
p50, held = float(sys.argv[1]), float(sys.argv[2]) / 1e6
bare = 0.0
if sys.argv[3] != "-": bare = (float(sys.argv[3]) - float(sys.argv[4])) / 1e6
want = held + bare
upper = next(b for b in bounds if want <= b)
lower = max([0.0] + [b for b in bounds if b < want])
print("prometheus: n1 -> n2 forward p50 %.6f s; the relay's hold %.6f s + bare %.6f s = %.6f s, bucket (%g, %g]"
      % (p50, held, bare, want, lower, upper))
sys.exit(0 if lower <= p50 <= upper else 1)
PY
ok "prometheus: n1 -> n2's forward p50 in the bucket of the relay's logged hold plus the bare path"

# Loss: n1 -> n2's backward loss equals the relay's drops once the replies
# after the last drop attributed it; nothing else lost anywhere.
until_prom "n1 -> n2 lost backward = the relay's $drops drops, nothing else lost" \
  'sum by (node, peer, direction) (smalld_stamp_peer_lost_total{job="smalld"})' \
  "all(v == 0 for k, v in r.items() if not k.startswith('n1>n2/')) and
   r.get('n1>n2/backward') == $drops and
   all(v == 0 for k, v in r.items() if k.startswith('n1>n2/') and k != 'n1>n2/backward')"
python3 -c 'import json,sys
r = json.loads(sys.argv[1])["data"]["result"]
zero = {(s["metric"]["node"], s["metric"]["peer"]) for s in r} - {("n1", "n2")}
print("prometheus: n1 -> n2 lost %s; %d other paths, every direction 0" % (", ".join(
    "%s %s" % (s["metric"]["direction"], s["value"][1]) for s in r
    if (s["metric"]["node"], s["metric"]["peer"]) == ("n1", "n2")), len(zero)))' "$LAST"
metrics=$(curl -sS --max-time 10 http://10.24.0.1:9470/metrics) || fail "n1's /metrics did not answer"
exact=$(grep -E '^smalld_stamp_peer_lost_total\{' <<<"$metrics" | grep -F 'peer="n2"' | grep -F 'direction="backward"' |
  awk '{ s += $NF } END { print s + 0 }')
echo "n1's /metrics: lost backward to n2: $exact; the relay's log: $drops dropped"
[ "$exact" = "$drops" ] || fail "n1's own counter says $exact lost backward, the relay dropped $drops"
ok "n1 -> n2: $drops lost backward, as the relay logged (prometheus and /metrics); 55 paths lost nothing"

# The rules: the loss ratio above 1% and the backward-loss alert firing for
# n1 -> n2 only; no forward-loss alert.
until_prom "the loss ratio above 1% on n1 -> n2 backward only" \
  'path:smalld_stamp_peer_lost:ratio_5m > 0.01' "set(r) == {'n1>n2/backward'}"
until_prom "SmalldPathLossBackward firing for n1 -> n2 only" \
  'ALERTS{alertname=~"SmalldPathLoss.*", alertstate="firing"}' "set(r) == {'n1>n2/backward'}"
ok "SmalldPathLossBackward fires for n1 -> n2 and no other path"
alerts=$(promql 'ALERTS{alertname=~"SmalldPathLoss.*"}')
check "set(r) == {'n1>n2/backward'}" "$alerts" || fail "a loss alert other than n1 -> n2's: $alerts"
python3 -c 'import json,sys
names = {s["metric"]["alertname"] for s in json.loads(sys.argv[1])["data"]["result"]}
sys.exit(0 if names == {"SmalldPathLossBackward"} else 1)' "$alerts" || fail "not only the backward-loss alert: $alerts"
ok "no forward-loss alert, pending or firing"

# The daemon's own p50 (smallctl peers -j, over its 4 s window): within 5 us.
if [ "$held_daemon" = - ] || [ "$bare_daemon" = - ]; then
  fail "smallctl peers -j gives no forward p50 for n1 -> n2 (bare: $bare_daemon, held: $held_daemon)"
fi
python3 - "$held_daemon" "$held" "$bare_daemon" "$bare_hold" "$BOUND_US" <<'PY' || fail "the daemon's forward p50 is off"
import sys
measured, held, bare_measured, bare_hold, bound = map(float, sys.argv[1:])
bare = bare_measured - bare_hold
want = held + bare
print("daemon: n1 -> n2 forward p50 %.2f us; relay hold p50 %.2f us + bare path %.2f us "
      "(%.2f us measured less %.2f us held) = %.2f us; off by %+.2f us"
      % (measured, held, bare, bare_measured, bare_hold, want, measured - want))
sys.exit(0 if abs(measured - want) <= bound else 1)
PY
ok "smallctl peers: n1 -> n2's forward p50 within ${BOUND_US} us of the relay's hold plus the bare path"

echo "mesh: passed"
