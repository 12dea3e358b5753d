#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Install the build into a lab, start smalld.service with the shipped
# configuration, talk to every service over TCP and UDP, IPv4 and IPv6, check
# the status text and the journal's priorities, then stop it cleanly.
source "$(dirname "$0")/lib.sh"
lab_up
install_build

lab systemctl start smalld.service || fail "systemctl start smalld failed"
is_active smalld.service || fail "smalld.service is not active"
ok "smalld.service started (Type=notify: READY=1 received)"
status=$(prop smalld.service StatusText)
[ -n "$status" ] || fail "StatusText is empty: the daemon sends no STATUS="
ok "StatusText: $status"

for host in 127.0.0.1 ::1; do
  expect "echo tcp $host" "len=7 b'hello\\\\r\\\\n'" tcp $host 7 $'hello\r\n'
  expect "echo udp $host" "len=4 b'ping'" udp $host 7 ping
  expect "discard tcp $host" "len=0 b''" tcp $host 9 "dropped"
  if ASK_DEADLINE=1 ask udp $host 9 dropped >/dev/null 2>&1; then fail "discard udp $host replied"; fi
  ok "discard udp $host: no reply"
  expect "chargen tcp $host" "len=4096 b'*\\\\r\\\\n*"  tcp $host 19
  reply=$(ask udp $host 19 -n 100) || fail "chargen udp $host: no reply"
  n=${reply#len=}; n=${n%% *}
  [ "$n" -le 100 ] || fail "chargen udp $host: $n bytes for a 100-byte request (cap 100)"
  ok "chargen udp $host: $n bytes"
  expect "qotd tcp $host" "len=[1-9]*" tcp $host 17
  expect "qotd udp $host (512-byte request)" "len=[1-9]*" udp $host 17 -n 512
  expect "daytime tcp $host" "len=*20[0-9][0-9]*" tcp $host 13
  expect "daytime udp $host" "len=*20[0-9][0-9]*" udp $host 13 -n 64
  expect "time tcp $host" "len=4 *" tcp $host 37
  expect "time udp $host" "len=4 *" udp $host 37 x
  expect "status tcp $host" "len=[1-9]*" tcp $host 9007
  reply=$(ask udp $host 9007 -n 100) || fail "status udp $host: no reply"
  [[ $reply == len=@([1-9]|[1-9][0-9]|100)\ * ]] || fail "status udp $host: over the cap: ${reply:0:60}"
  ok "status udp $host: ${reply%% *}"
done

# The control socket in RuntimeDirectory=: root may use it, others may not
# (mode 0660, owned by the dynamic user).
if ctl=$(lab_smallctl); then
  lab "$ctl" status >/dev/null || fail "smallctl status failed as root"
  rc=0; lab setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" status >/dev/null 2>&1 || rc=$?
  [ $rc = 4 ] || fail "smallctl status as nobody: exit $rc, expected 4 (permission denied)"
  ok "control socket /run/smalld/control.sock: root gets status, nobody exit 4"
else
  echo "note: smallctl not in this build; control socket not checked"
fi

# Connection log lines reach the journal with their priority (the daemon
# writes <N> prefixes on JOURNAL_STREAM; journald turns them into PRIORITY).
wait_until $PATIENCE "a connection log line from 127.0.0.1 in the journal" \
  sh -c "\"$LAB_TOOL\" run \"$LAB_STATE\" journalctl -u smalld.service -o cat | grep -Eq '127\.0\.0\.1:[0-9]{5}'"
lab journalctl --no-pager -u smalld.service -o json > "$LAB_STATE/journal.json"
python3 - "$LAB_STATE/journal.json" <<'PY' || fail "journal priorities (see above)"
import json, re, sys
entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
daemon = [e for e in entries if e.get("_COMM") == "smalld" and isinstance(e.get("MESSAGE"), str)]
if not daemon:
    sys.exit("no journal entries from the daemon")
prefixed = [e["MESSAGE"] for e in daemon if e["MESSAGE"][:1] == "<" and e["MESSAGE"][2:3] == ">"]
if prefixed:
    sys.exit(f"priority prefix not parsed by journald: {prefixed[0]!r}")
# A connection line names the peer with its ephemeral port (5 digits).
conn = [e for e in daemon if re.search(r"127\.0\.0\.1:\d{5}", e["MESSAGE"])]
if not conn:
    sys.exit("no connection log line naming a peer 127.0.0.1:PORT")
prios = sorted({e.get("PRIORITY") for e in daemon})
print(f"ok - journal: {len(daemon)} daemon lines, priorities {prios}; e.g. "
      f"PRIORITY={conn[0].get('PRIORITY')} {conn[0]['MESSAGE']!r}")
if conn[0].get("PRIORITY") != "6":
    sys.exit(f"connection line has PRIORITY={conn[0].get('PRIORITY')}, expected 6 (info)")
PY

lab systemctl stop smalld.service
[ "$(prop smalld.service ActiveState)" = inactive ] || fail "not inactive after stop"
result=$(prop smalld.service Result)
[ "$result" = success ] || fail "stop result: $result (expected success: exit 0 on SIGTERM)"
code=$(prop smalld.service ExecMainStatus)
[ "$code" = 0 ] || fail "exit status after SIGTERM: $code"
ok "stopped cleanly (Result=success, exit 0)"

# [control] group under the shipped sandbox: with the group added by a
# drop-in (SupplementaryGroups=), the daemon chowns its socket to it.
sed 's/^group =.*/group = adm/' "$SMALLD_SOURCE_DIR/etc/smalld.ini" | put_config
lab sh -c 'mkdir -p /etc/systemd/system/smalld.service.d &&
  printf "[Service]\nSupplementaryGroups=adm\n" > /etc/systemd/system/smalld.service.d/group.conf'
lab systemctl daemon-reload
lab systemctl start smalld.service || fail "smalld with [control] group = adm did not start"
sleep 0.5
is_active smalld.service || fail "smalld with [control] group = adm is $(prop smalld.service ActiveState)"
group=$(lab stat -c %G /run/smalld/control.sock) || fail "no control socket"
[ "$group" = adm ] || fail "control socket group is $group, expected adm"
ok "group = adm with SupplementaryGroups=adm: active, control socket group adm"
lab systemctl stop smalld.service
lab rm -r /etc/systemd/system/smalld.service.d
put_config < "$SMALLD_SOURCE_DIR/etc/smalld.ini"
lab systemctl daemon-reload
echo "lifecycle: passed"
