#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A real Prometheus (Debian's prometheus package) scrapes two smalld processes
# on loopback and evaluates the shipped alert rules; the test reads the
# results back through Prometheus's HTTP query API: both targets up, told
# apart by Prometheus's own `instance` label (no exported_instance: smalld's
# label is `service`), the exact counters of a known load, and the rules
# loaded and healthy. Bounds, not speed: every wait is up to 60 s.
source "$(dirname "$0")/lib.sh"
command -v prometheus >/dev/null || skip "prometheus is not installed (tools/deps --test)"
command -v python3 >/dev/null || skip "python3 not available"
PROM_PID=""
PEER_PID=""
stop_extra() {
  for pid in $PROM_PID $PEER_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in $PROM_PID $PEER_PID; do wait "$pid" 2>/dev/null || true; done
}
on_exit() {
  local rc=$?
  stop_extra
  if [ $rc != 0 ] && [ $rc != 77 ] && [ -f "$WORK/prometheus.log" ]; then
    echo "--- prometheus's log (last 20 lines) ---"; tail -20 "$WORK/prometheus.log"
  fi
  (exit $rc)
  cleanup
}
trap on_exit EXIT

write_ini() {  # write_ini FILE SOCKET
  CONTROL_SOCKET=$2 config_head metrics >"$1"
  cat >>"$1" <<INI
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
max_connections = 50
INI
}
metrics_port_of() {  # metrics_port_of LOG
  local p
  for _ in $(seq 100); do
    p=$(sed -n 's|.*metrics: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$1" | head -1)
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.2
  done
  return 1
}

# Daemon A through lib.sh, daemon B beside it with its own socket.
write_ini "$WORK/smalld.ini" "$CONTROL_SOCKET"
start_daemon
write_ini "$WORK/b.ini" "$WORK/b.sock"
"$SMALLD_BIN" -c "$WORK/b.ini" >"$WORK/b.log" 2>&1 &
PEER_PID=$!
port_a=$(metrics_port_of "$WORK/smalld.log") || fail "daemon A logged no metrics port"
port_b=$(metrics_port_of "$WORK/b.log") || fail "daemon B logged no metrics port: $(cat "$WORK/b.log")"

# A known load on A only: 3 TCP echo sessions of 1000 bytes, 4 UDP echoes.
echo_port=$(port echo tcp)
udp_port=$(port echo udp)
python3 - "$echo_port" "$udp_port" <<'PY' || fail "the echo load did not complete"
import socket, sys
tcp, udp = int(sys.argv[1]), int(sys.argv[2])
for _ in range(3):
    with socket.create_connection(("127.0.0.1", tcp), timeout=20) as s:
        s.sendall(b"x" * 1000)
        got = b""
        while len(got) < 1000:
            chunk = s.recv(4096)
            if not chunk: sys.exit("echo closed early")
            got += chunk
for _ in range(4):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(20)
        s.sendto(b"hello", ("127.0.0.1", udp))
        s.recvfrom(100)
PY
ok "load: 3 TCP sessions, 4 datagrams on daemon A"

# Prometheus on a free port: --web.listen-address cannot take port 0, so a
# port the kernel just handed out is tried, and another if that one is taken.
cat >"$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $SMALLD_SOURCE_DIR/contrib/prometheus/smalld-alerts.yml
scrape_configs:
  - job_name: smalld
    static_configs:
      - targets: ["127.0.0.1:$port_a", "127.0.0.1:$port_b"]
YML
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
started=""
for attempt in 1 2 3 4 5; do
  prom_port=$(free_port)
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn \
    >"$WORK/prometheus.log" 2>&1 &
  PROM_PID=$!
  for _ in $(seq 150); do
    if curl -sf --max-time 5 "http://127.0.0.1:$prom_port/-/ready" >/dev/null 2>&1; then
      started=yes; break
    fi
    kill -0 "$PROM_PID" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$started" ] && break
  kill "$PROM_PID" 2>/dev/null || true; wait "$PROM_PID" 2>/dev/null || true; PROM_PID=""
  grep -q 'address already in use' "$WORK/prometheus.log" || fail "prometheus did not start (try $attempt)"
done
[ -n "$started" ] || fail "prometheus found no free port in 5 tries"
ok "prometheus $(prometheus --version 2>&1 | head -1 | cut -d' ' -f3) ready on 127.0.0.1:$prom_port"

# query_until PROMQL PYTHON-CONDITION WHAT: polls the query API (up to 60 s)
# until the condition holds for `r`, the result by instance.
query_until() {
  local promql=$1 cond=$2 what=$3 out="" deadline=$((SECONDS + 60))
  while [ $SECONDS -lt $deadline ]; do
    out=$(curl -sS --max-time 5 -G "http://127.0.0.1:$prom_port/api/v1/query" \
      --data-urlencode "query=$promql" 2>&1) || out=""
    if [ -n "$out" ] && python3 -c '
import json, sys
doc = json.loads(sys.argv[1])
r = {}
for s in doc["data"]["result"]:
    m = s["metric"]
    if "exported_instance" in m: sys.exit("exported_instance present: %r" % m)
    r[m.get("instance", "")] = float(s["value"][1])
sys.exit(0 if eval(sys.argv[2]) else 1)' "$out" "$cond" 2>"$WORK/cond.err"; then
      return 0
    fi
    grep -q exported_instance "$WORK/cond.err" && fail "$what: $(cat "$WORK/cond.err")"
    sleep 0.5
  done
  fail "$what: not seen within 60 s; last answer: $out"
}
a="127.0.0.1:$port_a" b="127.0.0.1:$port_b"
query_until 'up{job="smalld"}' "r == {'$a': 1, '$b': 1}" "both targets up"
ok "up == 1 for both targets, told apart by instance ($a, $b)"
query_until 'smalld_sessions_total{job="smalld",service="echo",proto="tcp"}' \
  "r == {'$a': 3, '$b': 0}" "sessions_total 3 on A and 0 on B"
ok "smalld_sessions_total{service=\"echo\"}: 3 on A, 0 on B"
query_until 'smalld_read_bytes_total{job="smalld",service="echo",proto="tcp"}' \
  "r == {'$a': 3000, '$b': 0}" "read_bytes_total"
query_until 'smalld_datagrams_in_total{job="smalld",service="echo"}' \
  "r == {'$a': 4, '$b': 0}" "datagrams_in_total"
query_until 'smalld_session_duration_seconds_count{job="smalld",service="echo"}' \
  "r == {'$a': 3, '$b': 0}" "session duration histogram"
ok "read_bytes_total 3000, datagrams_in_total 4, 3 session durations on A; zeros on B"
query_until 'process_open_fds{job="smalld"} / process_max_fds{job="smalld"}' \
  "len(r) == 2 and all(0 < v < 1 for v in r.values())" "process fds"
query_until 'smalld_max_connections{job="smalld",service="echo"}' \
  "r == {'$a': 50, '$b': 50}" "max_connections"
ok "process_open_fds / process_max_fds and max_connections on both"

# The shipped rules are loaded and evaluate without error against real data.
deadline=$((SECONDS + 60))
while [ $SECONDS -lt $deadline ]; do
  rules=$(curl -sS --max-time 5 "http://127.0.0.1:$prom_port/api/v1/rules" 2>/dev/null) || rules=""
  if [ -n "$rules" ] && python3 -c '
import json, sys
rules = [r for g in json.loads(sys.argv[1])["data"]["groups"] for r in g["rules"]]
bad = [(r["name"], r.get("lastError")) for r in rules if r.get("health") != "ok"]
sys.exit(0 if len(rules) == 5 and not bad else 1)' "$rules"; then
    break
  fi
  rules=""
  sleep 0.5
done
[ -n "$rules" ] || fail "the alert rules were not all evaluated healthy within 60 s"
ok "5 alert rules loaded and healthy in prometheus"
