#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The shipped Grafana dashboard and Prometheus alert rules only name metrics
# the daemon exports: a real smalld is scraped, and every metric selected by
# the dashboard's queries and the rules' expressions must be in the scrape.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not available"
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml not available"
contrib=$SMALLD_SOURCE_DIR/contrib

cat >"$WORK/smalld.ini" <<INI
[daemon]
log_connections = no
[control]
socket = $CONTROL_SOCKET
[metrics]
listen = 127.0.0.1:0
[echo]
tcp = 127.0.0.1:0
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
