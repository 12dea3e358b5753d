#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Watchdog: with WatchdogSec=4s and the daemon's test-only stall hook
# (SMALLD_TEST_STALL_SIGNAL=1: SIGUSR2 makes the event loop sleep forever),
# systemd must notice the missing pings, kill the daemon and restart it.
source "$(dirname "$0")/lib.sh"
lab_up
install_build

lab mkdir -p /run/systemd/system/smalld.service.d
lab sh -c 'cat > /run/systemd/system/smalld.service.d/watchdog-test.conf' <<'EOF2'
[Service]
Environment=SMALLD_TEST_STALL_SIGNAL=1
WatchdogSec=4s
EOF2
lab systemctl daemon-reload
lab systemctl start smalld.service || fail "systemctl start smalld failed"
pid=$(prop smalld.service MainPID)
restarts=$(prop smalld.service NRestarts)
[ "$(prop smalld.service WatchdogUSec)" = 4s ] || fail "drop-in not applied: WatchdogUSec=$(prop smalld.service WatchdogUSec)"
# Pinging works: the service outlives a watchdog period. The daemon pings
# every 2 s (half of WatchdogSec): a loaded machine has 2 s of slack.
sleep 5
[ "$(prop smalld.service MainPID)" = "$pid" ] || fail "restarted without a stall: the daemon does not ping (WATCHDOG=1)"
ok "alive after 5s with WatchdogSec=4s (pid $pid)"

lab systemctl kill --kill-who=main -s SIGUSR2 smalld.service
restarted() {
  local now
  now=$(prop smalld.service NRestarts)
  [ "$now" -gt "$restarts" ] && is_active smalld.service &&
    [ "$(prop smalld.service MainPID)" != "$pid" ]
}
wait_until $PATIENCE "a watchdog restart (NRestarts > $restarts, new MainPID, active)" restarted
journal | grep -i watchdog | sed 's/^/    /' || true
journal_has "watchdog timeout" ||
  fail "restarted, but the journal shows no watchdog timeout"
ok "stalled loop killed by the watchdog and restarted: pid $pid -> $(prop smalld.service MainPID), NRestarts $(prop smalld.service NRestarts)"
expect "echo answers after the restart" "len=1 b'x'" tcp 127.0.0.1 7 x
lab systemctl stop smalld.service
echo "watchdog: passed"
