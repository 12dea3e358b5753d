#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# systemctl reload (ExecReload= smallctl reload, synchronous) with a valid
# changed configuration and with a broken one: the service stays active with
# the same PID; a valid change is applied by the time systemctl returns, and
# its diff is in the journal; a broken one makes systemctl reload fail, with
# every FILE:LINE error in the journal and the running configuration kept;
# StatusText says why; RELOADING=1 and STOPPING=1 reach the manager.
source "$(dirname "$0")/lib.sh"
lab_up
install_build
# At debug level the manager logs every notification it gets, with its fields.
lab systemctl log-level debug

base=$SMALLD_SOURCE_DIR/etc/smalld.ini
lines=$(wc -l < "$base")
lab systemctl start smalld.service || fail "systemctl start smalld failed"
pid=$(prop smalld.service MainPID)
if ASK_DEADLINE=1 ask tcp 127.0.0.1 7007 x >/dev/null 2>&1; then fail "7007 answers before the reload"; fi

# A valid change: a second echo instance.
{ cat "$base"; printf '\n[echo-lab]\ntype = echo\ntcp = 127.0.0.1:7007\n'; } | put_config
lab systemctl reload smalld.service || fail "systemctl reload failed (valid config)"
# Synchronous: applied when systemctl returns, no waiting.
expect "echo-lab answers right after systemctl reload returned" "len=1 b'x'" tcp 127.0.0.1 7007 x
# The journal may lag a moment behind.
wait_until $PATIENCE "the diff in the journal" journal_has "added instance [echo-lab] of type echo"
is_active smalld.service || fail "not active after a valid reload"
[ "$(prop smalld.service MainPID)" = "$pid" ] || fail "MainPID changed on reload"
ok "valid reload applied: echo-lab answers, same PID $pid"

# A broken change: two errors, at known lines, in a new section.
bad1=$((lines + 8)) bad2=$((lines + 9))
{ cat "$base"; printf '\n[echo-lab]\ntype = echo\ntcp = 127.0.0.1:7007\n[echo-lab2]\ntype = echo\ntcp = 127.0.0.1:7008\nrate = fast\nno_such_key = 1\n'; } | put_config
if out=$(lab systemctl reload smalld.service 2>&1); then
  fail "systemctl reload succeeded on a broken config"
fi
echo "$out" | sed 's/^/    /'
ok "systemctl reload failed on the broken config"
# ExecReload='s own output (smallctl's) is in the journal too, where
# "systemctl status" shows it.
wait_until $PATIENCE "smallctl's report of the failed reload in the journal" \
  journal_has "smallctl: reload failed with 2 errors"
journal | grep -F "smallctl: reload failed" | tail -1 | sed 's/^/    /'
wait_until $PATIENCE "the error for line $bad1 in the journal" journal_has "$CONFIG:$bad1:"
journal_has "$CONFIG:$bad2:" || fail "no error for line $bad2 (every error must be reported)"
journal | grep -F "$CONFIG:" | sed 's/^/    /'
ok "broken reload: errors at $CONFIG:$bad1 and :$bad2 in the journal"
status=$(prop smalld.service StatusText)
[[ $status == "reload failed: $CONFIG:$bad1:"* ]] || fail "StatusText after the failed reload: '$status'"
ok "StatusText: $status"
journal_has "(RELOADING=1" || fail "the manager got no RELOADING=1"
journal | grep -F "(RELOADING=1" | tail -1 | grep -q "MONOTONIC_USEC=[0-9]" ||
  fail "RELOADING=1 came without MONOTONIC_USEC="
ok "the manager got RELOADING=1 with MONOTONIC_USEC="
sleep 0.5
is_active smalld.service || fail "not active after a broken reload"
[ "$(prop smalld.service MainPID)" = "$pid" ] || fail "MainPID changed on a broken reload"
expect "old config kept: echo-lab still answers" "len=1 b'x'" tcp 127.0.0.1 7007 x
expect "old config kept: echo still answers" "len=1 b'x'" tcp 127.0.0.1 7 x
if ASK_DEADLINE=1 ask tcp 127.0.0.1 7008 x >/dev/null 2>&1; then fail "echo-lab2 from the broken config is served"; fi
ok "echo-lab2 from the broken config is not served"
lab systemctl stop smalld.service
journal_has "(STOPPING=1" || fail "the manager got no STOPPING=1 on stop"
ok "the manager got STOPPING=1 on stop"
echo "reload: passed"
