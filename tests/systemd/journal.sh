#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Under systemd the log lines are journal entries with smalld's fields: after
# an echo session, `journalctl SMALLD_INSTANCE=echo` returns its open and
# close lines, with SMALLD_PEER, SMALLD_SESSION, SMALLD_REASON and PRIORITY,
# and the message text is the one the plain log has; start, reload and stop
# entries carry their MESSAGE_ID.
source "$(dirname "$0")/lib.sh"
lab_up
install_build

lab systemctl start smalld.service || fail "systemctl start smalld failed"
expect "echo tcp 127.0.0.1" "len=7 b'hello\\\\r\\\\n'" tcp 127.0.0.1 7 $'hello\r\n'

query() { lab journalctl --no-pager -o json SMALLD_INSTANCE=echo "$@"; }
wait_until 20 "the echo session's close line under SMALLD_INSTANCE=echo" \
  sh -c "\"$LAB_TOOL\" run \"$LAB_STATE\" journalctl -o cat SMALLD_INSTANCE=echo | grep -q 'closed: echo'"
query >"$LAB_STATE/echo.json"
echo "journalctl SMALLD_INSTANCE=echo -o cat:"
lab journalctl --no-pager -o cat SMALLD_INSTANCE=echo | sed 's/^/    /'
python3 - "$LAB_STATE/echo.json" <<'PY' || fail "journal fields (see above)"
import json, re, sys
entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
opened = [e for e in entries if re.match(r"session \d+ open: echo ", e.get("MESSAGE", ""))]
closed = [e for e in entries if re.match(r"session \d+ closed: echo ", e.get("MESSAGE", ""))]
if not opened or not closed:
    sys.exit(f"open and close lines expected; got {[e.get('MESSAGE') for e in entries]}")
o, c = opened[-1], closed[-1]
for e in (o, c):
    peer = e.get("SMALLD_PEER", "")
    if not re.fullmatch(r"127\.0\.0\.1:\d+", peer):
        sys.exit(f"SMALLD_PEER {peer!r} in {e.get('MESSAGE')!r}")
    if peer not in e["MESSAGE"]:
        sys.exit(f"the message does not name the peer {peer}: {e['MESSAGE']!r}")
    if e.get("PRIORITY") != "6":
        sys.exit(f"PRIORITY {e.get('PRIORITY')!r}, expected 6 (info)")
    if e.get("_SYSTEMD_UNIT") != "smalld.service":
        sys.exit(f"_SYSTEMD_UNIT {e.get('_SYSTEMD_UNIT')!r}")
    if e["MESSAGE"].startswith("<"):
        sys.exit(f"a priority prefix in the message: {e['MESSAGE']!r}")
session = re.match(r"session (\d+)", c["MESSAGE"]).group(1)
if o.get("SMALLD_SESSION") != session or c.get("SMALLD_SESSION") != session:
    sys.exit(f"SMALLD_SESSION {o.get('SMALLD_SESSION')}/{c.get('SMALLD_SESSION')}, expected {session}")
if not c.get("SMALLD_REASON") or not c["MESSAGE"].endswith(": " + c["SMALLD_REASON"]):
    sys.exit(f"SMALLD_REASON {c.get('SMALLD_REASON')!r} for {c['MESSAGE']!r}")
print(f"ok - open:  SMALLD_SESSION={o['SMALLD_SESSION']} SMALLD_PEER={o['SMALLD_PEER']} {o['MESSAGE']!r}")
print(f"ok - close: SMALLD_REASON={c['SMALLD_REASON']!r} SMALLD_PEER={c['SMALLD_PEER']} {c['MESSAGE']!r}")
PY
# Lines without a session carry no session fields, and -u still finds all.
journal_has "smalld ready" || fail "the ready line is not in journalctl -u smalld"
all=$(lab journalctl --no-pager -o json -u smalld.service)
ready=$(grep -m1 '"smalld ready' <<<"$all" || true)
[ -n "$ready" ] && [[ $ready != *SMALLD_INSTANCE* ]] || fail "the ready line: $ready"
ok "daemon-wide lines carry no SMALLD_INSTANCE"

# Start, reload and stop entries carry their fixed MESSAGE_ID
# (daemon/base/log_journal.h, listed in smalld(8)).
message_id() { grep -o "$1 = \"[0-9a-f]*\"" "$SMALLD_SOURCE_DIR/daemon/base/log_journal.h" | grep -o '[0-9a-f]\{32\}'; }
has_id() {
  wait_until 20 "\"$2\" under MESSAGE_ID=$1" sh -c \
    "\"$LAB_TOOL\" run \"$LAB_STATE\" journalctl --no-pager -o cat -u smalld.service MESSAGE_ID=$1 | grep -q '$2'"
}
has_id "$(message_id kStarted)" "smalld ready"
lab systemctl reload smalld.service || fail "systemctl reload smalld failed"
has_id "$(message_id kReloaded)" "reload done"
lab systemctl stop smalld.service
has_id "$(message_id kStopped)" "smalld stopped"
ok "ready, reload done and stopped carry their MESSAGE_ID"
