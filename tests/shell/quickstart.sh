#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/quickstart as a newcomer runs it (sudo, no SUDO_USER -> nobody), on
# this build (BUILD=), in private mount, network and PID namespaces so that
# the shipped ports and /run/smalld are its own: smalld serves the shipped
# etc/smalld.ini on the well-known ports, runs as nobody with no capability
# but CAP_NET_BIND_SERVICE, answers smallctl on the shipped control socket, and
# the script says where to look next.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (tools/quickstart binds ports below 1024)"
command -v setpriv >/dev/null || skip "setpriv(1) not available"
unshare --mount --net --pid --fork true 2>/dev/null || skip "unshare --mount --net --pid is not permitted here"
# tools/deps must find everything installed: this test installs nothing.
"$SMALLD_SOURCE_DIR/tools/deps" --list >/dev/null
missing=$(for p in $("$SMALLD_SOURCE_DIR/tools/deps" --list); do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"; done)
[ -z "$missing" ] || skip "build dependencies not installed: $missing (tools/deps)"

cat >"$WORK/inside.sh" <<'INSIDE'
set -euo pipefail
mount --make-rprivate /
mount -t tmpfs tmpfs /run
ip link set lo up
cd "$SMALLD_SOURCE_DIR"
env -u SUDO_USER BUILD="$SMALLD_BUILD_DIR" tools/quickstart >"$WORK/quickstart.out" 2>"$WORK/smalld.log" &
socket=/run/smalld/control.sock
for i in $(seq 300); do  # a minute: a loaded machine may be slow to start it
  "$SMALLCTL_BIN" -s $socket status >/dev/null 2>&1 && break
  kill -0 $! 2>/dev/null || { echo "FAIL: tools/quickstart exited: $(cat "$WORK/quickstart.out" "$WORK/smalld.log")"; exit 1; }
  sleep 0.2
done
"$SMALLCTL_BIN" -s $socket -j status >"$WORK/status.json" ||
  { echo "FAIL: smallctl status on $socket did not answer within 60 s"; exit 1; }
pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["pid"])' "$WORK/status.json")
grep -E '^(Uid|Gid|CapEff|CapPrm|CapAmb):' /proc/$pid/status >"$WORK/proc.status"
timeout 60 "$SMALLPROBE_BIN" echo -n 20 -s 8 -w 30s --json 127.0.0.1:7 >"$WORK/probe.json" ||
  { echo "FAIL: smallprobe echo on port 7: $(cat "$WORK/probe.json")"; exit 1; }
"$SMALLCTL_BIN" -s $socket -j listeners >"$WORK/listeners.json"
kill -TERM $pid
wait
INSIDE
timeout 90 unshare --mount --net --pid --fork --mount-proc \
  env WORK="$WORK" SMALLD_SOURCE_DIR="$SMALLD_SOURCE_DIR" SMALLD_BUILD_DIR="$SMALLD_BUILD_DIR" \
  SMALLCTL_BIN="$SMALLCTL_BIN" SMALLPROBE_BIN="$SMALLPROBE_BIN" bash "$WORK/inside.sh" ||
  fail "the quick start in its namespaces failed (exit $?); its output:"$'\n'"$(cat "$WORK/quickstart.out" 2>/dev/null)"
ok "tools/quickstart served, smallctl answered on /run/smalld/control.sock, smallprobe echoed on port 7"

nobody_uid=$(id -u nobody)
grep -qE "^Uid:\s+$nobody_uid\s+$nobody_uid\s+$nobody_uid\s+$nobody_uid$" "$WORK/proc.status" ||
  fail "smalld does not run as nobody ($nobody_uid): $(cat "$WORK/proc.status")"
# CAP_NET_BIND_SERVICE is capability 10: the mask 0x400, and nothing else.
for set in CapEff CapPrm CapAmb; do
  grep -qE "^$set:\s+0000000000000400$" "$WORK/proc.status" ||
    fail "smalld's $set is not CAP_NET_BIND_SERVICE alone: $(grep "^$set" "$WORK/proc.status")"
done
ok "smalld ran as nobody, holding CAP_NET_BIND_SERVICE and no other capability"
python3 - "$WORK/listeners.json" "$SMALLD_SOURCE_DIR/etc/smalld.ini" <<'PY' || fail "the quick start did not serve the shipped configuration"
import json, re, sys
listening = {(l["instance"], l["proto"], l["port"]) for l in json.load(open(sys.argv[1]))["data"]}
shipped, section = set(), None
for line in open(sys.argv[2]):
    m = re.match(r"\[([a-z0-9_-]+)\]", line)
    if m: section = m.group(1); continue
    m = re.match(r"(tcp|udp)\s*=\s*(.+)", line)
    if m and section:
        for addr in m.group(2).split(","):
            shipped.add((section, m.group(1), int(addr.strip().rsplit(":", 1)[1])))
missing = shipped - listening
if missing: print("not listening:", sorted(missing)); sys.exit(1)
print("ok - every listener of etc/smalld.ini is open:", len(shipped), "instance/protocol/port triples")
PY
out=$(cat "$WORK/quickstart.out")
for hint in "smallctl status" "smallprobe echo" "as user nobody" "CAP_NET_BIND_SERVICE" "man -l man/smalld.8"; do
  [[ $out == *"$hint"* ]] || fail "tools/quickstart does not say \"$hint\"; it said:"$'\n'"$out"
done
ok "the quick start says where to look next:"
sed 's/^/    /' <<<"$out"
echo "quickstart: passed"
