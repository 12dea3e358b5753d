#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# smallctl top against a real smalld: without a terminal one snapshot (the
# rates over one second) and exit 0; on a terminal (script(1) gives it one)
# the screen is redrawn every second, COUNT times. Two sessions held open
# show in the OPEN column.
source "$(dirname "$0")/lib.sh"
command -v script >/dev/null || skip "script(1) not available (bsdutils)"
command -v python3 >/dev/null || skip "python3 not available"

config_head >"$WORK/smalld.ini"
cat >>"$WORK/smalld.ini" <<INI
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
[discard]
tcp = 127.0.0.1:0
INI
start_daemon
echo_port=$(port echo tcp)

# Two echo sessions held open for the whole test.
python3 - "$echo_port" "$WORK/held" <<'PY' &
import socket, sys, time, os
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) for _ in range(2)]
open(sys.argv[2], "w").close()
for _ in range(600):
    if not os.path.exists(sys.argv[2]): break
    time.sleep(0.1)
PY
HOLDER=$!
on_exit() {
  local rc=$?
  rm -f "$WORK/held"
  wait "$HOLDER" 2>/dev/null || true
  (exit $rc)
  cleanup
}
trap on_exit EXIT
for _ in $(seq 100); do [ -f "$WORK/held" ] && break; sleep 0.2; done
[ -f "$WORK/held" ] || fail "the two echo sessions did not open"
for _ in $(seq 100); do
  [ "$("$SMALLCTL_BIN" -s "$CONTROL_SOCKET" -j stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["conn"]["current"])')" = 2 ] && break
  sleep 0.2
done

run_cmd out rc "$SMALLCTL_BIN" -s "$CONTROL_SOCKET" top
[ "$rc" = 0 ] || fail "smallctl top without a tty: exit $rc: $out"
[[ $out == "smalld up "*", 2 TCP sessions open, rates per second over "* ]] ||
  fail "top header: $out"
[[ $out == *$'\n'"INSTANCE  TYPE     PROTO  OPEN  SESS/S"* ]] || fail "top columns: $out"
grep -Eq '^echo +echo +tcp +2 ' <<<"$out" || fail "echo tcp row with 2 open: $out"
grep -Eq '^echo +echo +udp +- ' <<<"$out" || fail "echo udp row: $out"
grep -Eq '^discard +discard +tcp +0 ' <<<"$out" || fail "discard row: $out"
[[ $out != *$'\033'* ]] || fail "escape sequences without a terminal"
ok "smallctl top without a tty: one snapshot, 2 open on echo tcp"

# On a terminal: COUNT frames, each after clearing the screen, then exit 0.
run_cmd out rc script -qec "$SMALLCTL_BIN -s $CONTROL_SOCKET top 3" /dev/null
[ "$rc" = 0 ] || fail "smallctl top 3 on a tty: exit $rc: $out"
frames=$(grep -o $'\033\\[H\033\\[2J' <<<"$out" | wc -l)
[ "$frames" = 3 ] || fail "expected 3 redraws, saw $frames: $out"
headers=$(grep -c 'rates per second over' <<<"$out")
[ "$headers" = 3 ] || fail "expected 3 screens, saw $headers"
ok "smallctl top 3 on a tty: 3 screens, each redrawn in place"

expect_run "top with a bad COUNT" 2 "*COUNT must be a positive number*" \
  "$SMALLCTL_BIN" -s "$CONTROL_SOCKET" top zero
expect_run "top without a daemon" 3 "*is smalld running?*" \
  "$SMALLCTL_BIN" -s "$WORK/none.sock" top
