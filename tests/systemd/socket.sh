#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Socket activation: smalld.socket pulls in one socket unit per instance;
# the first connection starts smalld.service, which takes the descriptors by
# FileDescriptorName= instead of binding, and serves TCP and UDP on them.
source "$(dirname "$0")/lib.sh"
lab_up
install_build

lab systemctl start smalld.socket || fail "systemctl start smalld.socket failed"
for unit in smalld.socket smalld-echo.socket smalld-discard.socket smalld-chargen.socket \
            smalld-qotd.socket smalld-daytime.socket smalld-time.socket smalld-stamp.socket; do
  is_active $unit || fail "$unit is not active"
done
ok "smalld.socket and the seven instance sockets are listening"
[ "$(prop smalld.service ActiveState)" = inactive ] || fail "smalld.service started before any connection"
ok "smalld.service still inactive"

# The first connection starts the service; it is queued meanwhile.
expect "first connection (echo tcp 127.0.0.1) answered" "len=5 b'hello'" tcp 127.0.0.1 7 hello
is_active smalld.service || fail "smalld.service not active after the first connection"
triggered=$(prop smalld.service TriggeredBy)
ok "smalld.service started by the connection (TriggeredBy: $triggered)"
expect "echo tcp ::1 through the socket unit" "len=5 b'hello'" tcp ::1 7 hello
expect "echo udp 127.0.0.1 through the socket unit" "len=4 b'ping'" udp 127.0.0.1 7 ping
expect "time udp ::1 through the socket unit" "len=4 *" udp ::1 37 x
expect "daytime tcp through the socket unit" "len=*20[0-9][0-9]*" tcp 127.0.0.1 13
expect "status tcp through smalld.socket" "len=[1-9]*" tcp 127.0.0.1 9007
# A 44-byte STAMP test packet (all zeros: sequence 0, no timestamp) comes
# back as a 44-byte reflector packet.
expect "stamp udp ::1 through smalld-stamp.socket" "len=44 *" udp ::1 862 -z 44
journal_has "echo: listening on tcp 0.0.0.0:7 (systemd)" ||
  fail "the daemon does not report echo's descriptor as coming from systemd"
if journal | grep -E "^[a-z0-9_-]+: listening on (tcp|udp) " | grep -v "(systemd)"; then
  fail "with every socket unit running, the daemon still bound listeners of its own"
fi
ok "all 30 listeners taken from systemd, none bound by the daemon"
if ctl=$(lab_smallctl); then
  origins=$(lab "$ctl" -j listeners | python3 -c 'import json,sys; print(" ".join(sorted({l["origin"] for l in json.load(sys.stdin)["data"]})))')
  [ "$origins" = systemd ] || fail "smallctl listeners shows origins '$origins', expected only systemd"
  ok "smallctl listeners: every listener's origin is systemd"
fi
pid=$(prop smalld.service MainPID)
fds=$(lab sh -c "ls -l /proc/$pid/fd" | grep -c socket || true)
ok "daemon holds $fds sockets"

# Without the daemon, the sockets stay with systemd and activate it again.
lab systemctl stop smalld.service
is_active smalld-echo.socket || fail "smalld-echo.socket stopped with the service"
expect "connection after stopping the service re-activates it" "len=1 b'x'" tcp 127.0.0.1 7 x
is_active smalld.service || fail "not re-activated"
ok "re-activated by a connection"
lab systemctl stop smalld.service smalld.socket
for unit in smalld.socket smalld-echo.socket smalld-time.socket; do
  [ "$(prop $unit ActiveState)" = inactive ] || fail "$unit still $(prop $unit ActiveState) after stopping smalld.socket"
done
ok "stopping smalld.socket stops the instance sockets (PartOf=)"
# Enabling smalld.socket enables the six instance sockets too (Also=).
lab systemctl enable smalld.socket 2>/dev/null
for unit in smalld.socket smalld-echo.socket smalld-time.socket; do
  [ "$(prop $unit UnitFileState)" = enabled ] || fail "$unit not enabled by 'systemctl enable smalld.socket'"
done
lab systemctl disable smalld.socket 2>/dev/null
ok "systemctl enable smalld.socket enables the instance sockets (Also=)"

# One instance from systemd, the others bound by the daemon itself.
lab systemctl start smalld-echo.socket
expect "echo through smalld-echo.socket alone" "len=1 b'x'" tcp 127.0.0.1 7 x
expect "discard bound by the daemon beside it" "len=0 b''" tcp 127.0.0.1 9 x
since=$(prop smalld.service ExecMainStartTimestamp)
lab journalctl --no-pager -o cat -u smalld.service --since "@$(date -d "$since" +%s)" > "$LAB_STATE/mixed.log"
grep -q "echo: listening on tcp 0.0.0.0:7 (systemd)" "$LAB_STATE/mixed.log" || fail "echo not from systemd in the mixed setup"
grep -q "discard: listening on tcp 0.0.0.0:9 (config)" "$LAB_STATE/mixed.log" || fail "discard not bound from the config in the mixed setup"
ok "mixed: echo from its socket unit, discard bound from the configuration"
lab systemctl stop smalld.service smalld-echo.socket
echo "socket: passed"
