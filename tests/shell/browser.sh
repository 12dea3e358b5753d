#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The live page in a real browser (Debian's chromium, headless, through
# chromedriver and python3-selenium): the daemon on loopback with a [metrics]
# listener, a known load, the page's exact counters, more load and the page
# following it without a reload, a refusal by reason (daytime admits only
# 192.0.2.0/24, so loopback is refused), the event stream's events, a UDP
# flood against a rate-limited echo instance whose drops the page shows
# first (badge and dropped column in the viewport at 1280 and 800 px), the
# peers panel once a reload adds a stamp-sender, and
# screenshots saved in the build tree (artifacts/live-page*.png). Skipped when
# the browser is missing, except under SMALLD_REQUIRE_LAB=1 (.ci/run), where
# that is a failure: CI installs it (tools/deps --test).
source "$(dirname "$0")/lib.sh"
missing() {
  if [ "${SMALLD_REQUIRE_LAB:-0}" = 1 ]; then fail "cannot run (SMALLD_REQUIRE_LAB=1): $*"; fi
  skip "$*"
}
[ -x /usr/bin/chromium ] || missing "chromium is not installed (tools/deps --test)"
[ -x /usr/bin/chromedriver ] || missing "chromium-driver is not installed (tools/deps --test)"
# selenium is Debian's python3-selenium: the system's python, whatever is first on PATH.
PY=/usr/bin/python3
"$PY" -c 'import selenium' 2>/dev/null || missing "python3-selenium is not installed (tools/deps --test)"

config_head metrics >"$WORK/smalld.ini"
cat >>"$WORK/smalld.ini" <<INI
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
rate = 0/s
[daytime]
tcp = 127.0.0.1:0
allow = 192.0.2.0/24
[flood]
type = echo
udp = 127.0.0.1:0
rate = 1/s
[stamp]
udp = 127.0.0.1:0
INI
start_daemon
metrics=""
for _ in $(seq 100); do
  metrics=$(sed -n 's|.*metrics: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$WORK/smalld.log" | head -1)
  [ -n "$metrics" ] && break
  sleep 0.2
done
[ -n "$metrics" ] || fail "smalld logged no metrics port"
tcp=$(port echo tcp)
udp=$(port echo udp)
daytime=$(port daytime tcp)
flood=$(port flood udp)
# The stamp-sender the page's script adds later (a reload): its own
# reflector, and a UDP port nothing listens on (daytime is TCP only).
stamp=$(port stamp udp)
cat >"$WORK/add-mesh.sh" <<SH
printf '[mesh]\ntype = stamp-sender\npeers = self 127.0.0.1:$stamp, gone 127.0.0.1:$daytime\ninterval = 200ms\n' >>"$WORK/smalld.ini"
"$SMALLCTL_BIN" -s "$CONTROL_SOCKET" reload >/dev/null
SH
artifacts=${SMALLD_BUILD_DIR:-$WORK}/artifacts
mkdir -p "$artifacts"
rm -f "$artifacts"/live-page*.png
# chromium keeps its profile in HOME; a private one, removed with WORK.
export HOME=$WORK/home
mkdir -p "$HOME"
timeout 300 "$PY" "$SMALLD_SOURCE_DIR/tests/shell/live_page_browser.py" \
  "http://127.0.0.1:$metrics/" "$tcp" "$udp" "$daytime" "$artifacts/live-page.png" "$flood" "$WORK/add-mesh.sh" ||
  fail "the browser test failed (above)"
for shot in live-page live-page-1280 live-page-800; do
  [ -s "$artifacts/$shot.png" ] || fail "no screenshot at $artifacts/$shot.png"
  ok "screenshot saved: $artifacts/$shot.png"
done
