#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The shipped Grafana dashboards and Prometheus rules only name metrics the
# daemon exports: a real smalld is scraped, and every metric selected by the
# dashboards' queries and the rules' expressions must be in the scrape (or be
# recorded by the rules).
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not available"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml not available"
contrib=$SMALLD_SOURCE_DIR/contrib

config_head metrics >"$WORK/smalld.ini"
cat >>"$WORK/smalld.ini" <<INI
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
[stamp]
udp = 127.0.0.1:0
INI
start_daemon
metrics_port=$(sed -n 's|.*metrics: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/smalld.log" | head -1)
[ -n "$metrics_port" ] || fail "no metrics port in the log"
curl -sS --max-time 10 "http://127.0.0.1:$metrics_port/metrics" >"$WORK/scrape.txt" ||
  fail "scraping /metrics failed"
grep -q '^# TYPE smalld_sessions_total counter' "$WORK/scrape.txt" || fail "odd scrape"

out=$(python3 "$(dirname "$0")/promql_names.py" "$WORK/scrape.txt" \
  "$contrib/grafana/smalld-dashboard.json" "$contrib/prometheus/smalld-alerts.yml" 2>&1) ||
  fail "unknown metrics:"$'\n'"$out"
echo "$out"
ok "every metric the dashboard and the alert rules select is exported"

# The checker itself catches a misspelt metric.
sed 's/smalld_read_bytes_total/smalld_bytes_read_total/' \
  "$contrib/grafana/smalld-dashboard.json" >"$WORK/bad-dashboard.json"
if python3 "$(dirname "$0")/promql_names.py" "$WORK/scrape.txt" "$WORK/bad-dashboard.json" \
  >"$WORK/bad.out" 2>&1; then
  fail "a dashboard with an unknown metric passed"
fi
grep -q 'smalld_bytes_read_total is not exported' "$WORK/bad.out" || fail "$(cat "$WORK/bad.out")"
ok "a dashboard naming an unknown metric fails the check"

# The mesh's rules and dashboard (docs/mesh.md) name only the stamp-sender's
# families (the contract: smalld.ini(5), issue 24) and the rules' own records.
cat >"$WORK/mesh-contract.txt" <<'TYPES'
# TYPE smalld_stamp_peer_rtt_seconds histogram
# TYPE smalld_stamp_peer_network_rtt_seconds histogram
# TYPE smalld_stamp_peer_forward_delay_seconds histogram
# TYPE smalld_stamp_peer_backward_delay_seconds histogram
# TYPE smalld_stamp_peer_sent_total counter
# TYPE smalld_stamp_peer_received_total counter
# TYPE smalld_stamp_peer_lost_total counter
# TYPE smalld_stamp_peer_duplicates_total counter
# TYPE smalld_stamp_peer_reordered_total counter
# TYPE smalld_stamp_peer_reflector_resets_total counter
# TYPE smalld_stamp_peer_up gauge
# TYPE smalld_stamp_peer_hops gauge
# TYPE smalld_stamp_peer_clock_error_seconds gauge
# TYPE smalld_stamp_peer_propagation_seconds gauge
# TYPE smalld_stamp_peer_bottleneck_bits_per_second gauge
# TYPE smalld_stamp_sender_replies_dropped_total counter
TYPES
mesh_files=("$contrib/grafana/smalld-mesh-dashboard.json" "$contrib/prometheus/smalld-mesh-rules.yml")
out=$(python3 "$(dirname "$0")/promql_names.py" "$WORK/mesh-contract.txt" "${mesh_files[@]}" 2>&1) ||
  fail "the mesh files name unknown metrics:"$'\n'"$out"
echo "$out"
ok "every metric the mesh dashboard and rules select is a stamp-sender family or recorded"

sed 's/path:smalld_stamp_peer_rtt_seconds:p99_5m/path:smalld_stamp_peer_rtt_seconds:p99/' \
  "$contrib/grafana/smalld-mesh-dashboard.json" >"$WORK/bad-mesh.json"
if python3 "$(dirname "$0")/promql_names.py" "$WORK/mesh-contract.txt" "$WORK/bad-mesh.json" \
  "$contrib/prometheus/smalld-mesh-rules.yml" >"$WORK/bad-mesh.out" 2>&1; then
  fail "a mesh dashboard with an unknown recorded series passed"
fi
grep -q 'path:smalld_stamp_peer_rtt_seconds:p99 is not exported' "$WORK/bad-mesh.out" ||
  fail "$(cat "$WORK/bad-mesh.out")"
ok "a mesh dashboard naming a series no rule records fails the check"

# And against a real scrape, where this smalld has the stamp-sender: after a
# reload the daemon above probes its own [stamp]; once it has sent, its peer's
# families are in the scrape (whether or not the reflector answers itself).
stamp_port=$(port stamp udp)
[ -n "$stamp_port" ] || fail "no port for the stamp reflector"
cat >>"$WORK/smalld.ini" <<INI
[mesh]
type = stamp-sender
peers = self 127.0.0.1:$stamp_port
interval = 100ms
INI
run_cmd out rc "$SMALLD_BIN" -t -c "$WORK/smalld.ini"
if [ "$rc" != 0 ] && [[ $out == *'got "stamp-sender"'* ]]; then
  echo "note: this smalld has no stamp-sender type; the mesh files were checked against the contract only"
  exit 0
fi
[ "$rc" = 0 ] || fail "smalld -t refused the mesh config:"$'\n'"$out"
"$SMALLCTL_BIN" -s "$CONTROL_SOCKET" reload >/dev/null || fail "smallctl reload failed"
for _ in $(seq 150); do
  curl -sS --max-time 10 "http://127.0.0.1:$metrics_port/metrics" >"$WORK/mesh-scrape.txt" ||
    fail "scraping /metrics failed"
  grep -Eq '^smalld_stamp_peer_sent_total\{[^}]*peer="self"[^}]*\} [1-9]' "$WORK/mesh-scrape.txt" && break
  sleep 0.2
done
grep -Eq '^smalld_stamp_peer_sent_total\{[^}]*peer="self"[^}]*\} [1-9]' "$WORK/mesh-scrape.txt" ||
  fail "smalld_stamp_peer_sent_total for peer self did not count within 30 s"
out=$(python3 "$(dirname "$0")/promql_names.py" "$WORK/mesh-scrape.txt" "${mesh_files[@]}" 2>&1) ||
  fail "the mesh files name metrics a stamp-sender does not export:"$'\n'"$out"
ok "every metric the mesh dashboard and rules select is in a stamp-sender's scrape"
