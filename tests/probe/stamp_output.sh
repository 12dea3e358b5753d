#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# smallprobe stamp's output reads like ping and iperf3, against a real smalld:
# with no reply (unauthenticated packets to an instance that requires
# authentication answers none) every delay is "-" and the reflector's kind
# "unknown", never 0.0 or "stateless"; --key-file alone sends 128-byte
# packets (the 112-byte authenticated base and the Direct Measurement TLV;
# 112 with --no-counters) where it was a usage error; the
# summary has min/avg/max/mdev in a unit, -u fixes it, -j adds avg and mdev;
# the interval lines count the packets of their interval only; --histogram
# counts every reply; --samples writes a row per packet (CSV, JSON lines, and
# on stdout with nothing else there); --tlv sends every RFC 8972 TLV and
# prints what came back (U on an unknown type, the DSCP asked for, TTL 255,
# the reply's HMAC TLV verified). Every run is bounded (lib.sh's
# run_cmd, 60 s); nothing is timed.
source "$(dirname "$0")/../shell/lib.sh"
command -v python3 >/dev/null || skip "python3 not available"

printf 'a shared secret for the test\n' >"$WORK/stamp.key"
chmod 600 "$WORK/stamp.key"
config_head >"$WORK/smalld.ini"
cat >>"$WORK/smalld.ini" <<INI
[stamp]
udp = 127.0.0.1:0
rate = 0/s
[stamp-auth]
type = stamp
udp = 127.0.0.1:0
rate = 0/s
auth = required
key_file = $WORK/stamp.key
INI
start_daemon
plain=127.0.0.1:$(port stamp udp)
auth=127.0.0.1:$(port stamp-auth udp)

# json EXPRESSION JSON: a Python expression over the object o.
json() {
  python3 -c 'import json,sys
o = json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2" 2>/dev/null || echo "unparsable"
}

# --- no reply: "-" and "unknown", no made-up zeros --------------------------
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 5 -i 10ms -w 1s --report 0 "$auth"
[ "$rc" = 1 ] || fail "no reply: exit $rc, expected 1: $out"
[[ $out == *"sent 5, received 0, lost 5 (100%)"* ]] || fail "no reply: no loss line: $out"
[[ $out == *"stateful/stateless reflector: unknown"* ]] ||
  fail "no reply: the reflector's kind is not unknown: $out"
[[ $out == *"stateless reflector)"* ]] && fail "no reply: the reflector is called stateless: $out"
[[ $out == *"rtt min/avg/max/mdev = -"* && $out == *"IPDV -, RFC 3550 -"* &&
   $out == *"min network rtt - "* ]] || fail "no reply: a delay without data is not -: $out"
# A zero such as 0.0 or 0.000 (not inside 127.0.0.1).
[[ $out =~ (^|[^0-9.])0\.0+([^0-9.]|$) ]] && fail "no reply: a zero delay made up: $out"
ok "no reply: every delay -, the reflector's kind unknown"

# --- --key-file alone: 156-byte authenticated packets ----------------------
bytes_read() {
  "$SMALLCTL_BIN" -s "$CONTROL_SOCKET" -j stats |
    python3 -c 'import json,sys
print(json.load(sys.stdin)["data"]["instances"]["stamp-auth"]["udp"]["read_bytes_total"])'
}
before=$(bytes_read)
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 5 -i 10ms -w 5s -j --key-file "$WORK/stamp.key" "$auth"
[ "$rc" = 0 ] || fail "--key-file alone: exit $rc, expected 0: $out"
[ "$(json 'o["received"], o["auth_failures"]' "$out")" = "(5, 0)" ] ||
  fail "--key-file alone: not 5 authenticated replies: $out"
read_now=$(bytes_read)
[ $((read_now - before)) = 780 ] || fail "--key-file alone: smalld read $((read_now - before)) bytes, not 5 x 156"
before=$read_now
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 5 -i 10ms -w 5s -j --no-counters --key-file "$WORK/stamp.key" "$auth"
[ "$(json 'o["received"], o["auth_failures"]' "$out")" = "(5, 0)" ] ||
  fail "--key-file --no-counters: not 5 authenticated replies: $out"
read_now=$(bytes_read)
[ $((read_now - before)) = 700 ] || fail "--no-counters: smalld read $((read_now - before)) bytes, not 5 x 140"
ok "--key-file alone: 5 packets of 156 bytes (140 with --no-counters), all answered"
expect_run "--key-file with -s 64 is a usage error (2)" 2 "*112*usage: smallprobe stamp*" \
  "$SMALLPROBE_BIN" stamp -s 64 --key-file "$WORK/stamp.key" "$auth"

# --- the summary: min/avg/max/mdev in a unit, -u, -j avg and mdev ----------
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 5 -i 10ms -w 5s --report 0 "$plain"
[ "$rc" = 0 ] || fail "summary: exit $rc: $out"
[[ $out =~ rtt\ min/avg/max/mdev\ =\ [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+\ (us|ms|s)$'\n' ]] ||
  fail "summary: no ping-like rtt line: $out"
[[ $out =~ delay\ \((us|ms|s)\)\ +min\ +avg\ +p50\ +p90\ +p99\ +max\ +mdev ]] ||
  fail "summary: the table has no avg and mdev: $out"
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 5 -i 10ms -w 5s --report 0 -u ms "$plain"
[[ $out =~ rtt\ min/avg/max/mdev\ =\ [0-9]+\.[0-9]{3}/[0-9.]+/[0-9.]+/[0-9.]+\ ms && $out == *"delay (ms)"* ]] ||
  fail "-u ms: the delays are not in ms: $out"
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 5 -i 10ms -w 5s -j "$plain"
[ "$(json 'o["rtt"]["min"] <= o["rtt"]["avg"] <= o["rtt"]["max"] and o["rtt"]["mdev"] >= 0' "$out")" = True ] ||
  fail "-j: rtt has no avg and mdev: $out"
ok "summary: min/avg/max/mdev, -u ms, -j avg and mdev"

# --- interval lines: of their interval alone ---------------------------------
# Six packets 300 ms apart, a line every 500 ms: the lines' sent add up to 6.
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 6 -i 300ms -w 5s --report 500ms "$plain"
[ "$rc" = 0 ] || fail "intervals: exit $rc: $out"
sum=$(grep '^\[' <<<"$out" | sed -n 's/.* sent \([0-9]*\), received \([0-9]*\),.*/\1 \2/p' |
  awk '{ s += $1; r += $2; n++ } END { print n, s, r }')
read -r lines sent received <<<"$sum"
[ "${lines:-0}" -ge 2 ] || fail "intervals: fewer than 2 interval lines: $out"
[ "$sent" = 6 ] && [ "$received" = 6 ] ||
  fail "intervals: the lines' sent add up to $sent, received to $received, not 6 and 6: $out"
ok "intervals: $lines lines whose sent and received add up to the run's 6"

# --- --histogram: every reply in a bucket -----------------------------------
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 5 -i 10ms -w 5s --report 0 --histogram "$plain"
[[ $out == *"rtt histogram (5 replies):"* ]] || fail "--histogram: no heading: $out"
counted=$(grep -E '^ +[0-9.]+ - [0-9.]+ (us|ms|s) +\|#* *\| [0-9]+$' <<<"$out" | awk '{ s += $NF } END { print s }')
[ "$counted" = 5 ] || fail "--histogram: its buckets count $counted replies, not 5: $out"
ok "--histogram: 5 replies in its buckets"

# --- --samples: a row per packet, lost ones with empty T2-T4 ------------------
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 4 -i 10ms -w 1s --samples "$WORK/lost.csv" "$auth"
[ "$(head -n 1 "$WORK/lost.csv")" = "seq,size,t1_ns,t2_ns,t3_ns,t4_ns,ttl,copies" ] &&
  [ "$(grep -c '^[0-3],88,[0-9]*,,,,,0$' "$WORK/lost.csv")" = 4 ] ||
  fail "--samples CSV: not 4 rows of lost packets: $(cat "$WORK/lost.csv")"
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 4 -i 10ms -w 5s --samples "$WORK/run.jsonl" "$plain"
python3 - "$WORK/run.jsonl" <<'PY' || fail "--samples JSON lines: $(cat "$WORK/run.jsonl")"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert [r["seq"] for r in rows] == [0, 1, 2, 3], rows
assert all(r["t1_ns"] <= r["t4_ns"] and r["t2_ns"] <= r["t3_ns"] for r in rows), rows
PY
out=$(timeout 60 "$SMALLPROBE_BIN" stamp -n 3 -i 10ms -w 5s --samples - "$plain" 2>"$WORK/stderr")
[ "$(wc -l <<<"$out")" = 4 ] && [ "$(grep -c '^[0-2],88,[0-9]*,[0-9]*,[0-9]*,[0-9]*,255,1$' <<<"$out")" = 3 ] ||
  fail "--samples -: stdout is not the header and 3 rows: $out"
grep -q "rtt min/avg/max/mdev" "$WORK/stderr" || fail "--samples -: the summary is not on stderr"
ok "--samples: CSV with lost rows, JSON lines, and - alone on stdout"

# --- --tlv: every RFC 8972 TLV, and what the reflector said ------------------
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 3 -i 10ms -w 5s --report 0 \
  --tlv padding=8,location,cos=ef,access-report --tlv timestamp-info,follow-up,type=200 "$plain"
[ "$rc" = 0 ] || fail "--tlv: exit $rc: $out"
for want in "last reply: DSCP 46 ECN 0, TTL 255" "tlv extra-padding: 8 bytes" \
  "tlv location: reflector saw source port " "destination port ${plain##*:}, source 127.0.0.1, destination 127.0.0.1" \
  "tlv class-of-service: asked DSCP 46 ECN 0, reflector received DSCP 0 ECN 0, RP 0: used" \
  "tlv direct-measurement: S_TX 3, R_RX 0, R_TX 0" "tlv access-report: id 2, return code 1" \
  "tlv timestamp-information" "tlv follow-up-telemetry" "tlv type 200 U: not recognised by the reflector"; do
  [[ $out == *"$want"* ]] || fail "--tlv: no \"$want\": $out"
done
run_cmd out rc "$SMALLPROBE_BIN" stamp -n 2 -i 10ms -w 5s -j --key-file "$WORK/stamp.key" --tlv cos=af11:1,hmac "$auth"
[ "$(json 'o["reply_dscp"], o["reply_ecn"], o["reply_ttl"]' "$out")" = "(10, 1, 255)" ] ||
  fail "--tlv -j: reply DSCP/ECN/TTL not (10, 1, 255): $out"
[ "$(json 'o["tlvs"][-1]' "$out")" = "hmac: verified" ] || fail "--tlv hmac: not verified: $out"
ok "--tlv: every TLV sent, U on type 200, DSCP asked for and TTL 255 back, HMAC TLV verified"
echo "stamp_output: passed"
