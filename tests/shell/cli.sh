#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The conventions users of other command-line tools expect from smalld,
# smallctl and smallprobe: long options beside the short ones (--help,
# --version, --config, --check, --log-level, --socket, --json, ...),
# `smallctl help [COMMAND]`, and every long option documented in the manual.
source "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "python3 not available"
version=$(sed -n 's/^project(smalld VERSION \([0-9.]*\).*/\1/p' "$SMALLD_SOURCE_DIR/CMakeLists.txt")
man=$SMALLD_SOURCE_DIR/man

config_head >"$WORK/smalld.ini"
cat >>"$WORK/smalld.ini" <<INI
[echo]
tcp = 127.0.0.1:0
udp = 127.0.0.1:0
INI
printf '[echo]\nfrobnicate = yes\n' >"$WORK/bad.ini"

# --- smalld -------------------------------------------------------------
expect_run "smalld --version" 0 "smalld $version" "$SMALLD_BIN" --version
expect_run "smalld -V" 0 "smalld $version" "$SMALLD_BIN" -V
expect_run "smalld --help lists the long options" 0 \
  "usage: smalld *--config*--check*--log-level*--version*--help*" "$SMALLD_BIN" --help
expect_run "smalld --check --config FILE" 0 "configuration OK" \
  "$SMALLD_BIN" --check --config "$WORK/smalld.ini"
expect_run "smalld --config=FILE --check" 0 "configuration OK" \
  "$SMALLD_BIN" --config="$WORK/smalld.ini" --check
expect_run "smalld -t -c FILE (the short forms are kept)" 0 "configuration OK" \
  "$SMALLD_BIN" -t -c "$WORK/smalld.ini"
expect_run "smalld --check on a bad file exits 78 with FILE:LINE" 78 "*$WORK/bad.ini:2: *" \
  "$SMALLD_BIN" --check --config "$WORK/bad.ini"
expect_run "smalld --log-level with a bad level is a usage error (64)" 64 \
  "*--log-level*expected error, warning, notice, info or debug*" \
  "$SMALLD_BIN" --log-level=loud --check --config "$WORK/smalld.ini"
expect_run "smalld --log-level debug --check" 0 "configuration OK" \
  "$SMALLD_BIN" --log-level debug --check --config "$WORK/smalld.ini"
expect_run "smalld --frobnicate is a usage error (64)" 64 "*frobnicate*usage: smalld*" \
  "$SMALLD_BIN" --frobnicate
expect_run "smalld --config without a file is a usage error (64)" 64 "*config*usage: smalld*" \
  "$SMALLD_BIN" --config

# --- smallctl (no daemon needed for these) -------------------------------
expect_run "smallctl --version" 0 "smallctl $version" "$SMALLCTL_BIN" --version
expect_run "smallctl --help lists options, commands and help" 0 \
  "usage: smallctl *--socket*--json*--version*--help*conn kill ID*help \[COMMAND\]*" \
  "$SMALLCTL_BIN" --help
expect_run "smallctl help is the same summary" 0 "usage: smallctl *conn kill ID*log-level LEVEL*" \
  "$SMALLCTL_BIN" help
expect_run "smallctl help conns" 0 "usage: smallctl conns"$'\n'"*session*" \
  "$SMALLCTL_BIN" help conns
expect_run "smallctl help conn (the commands under conn)" 0 "usage: smallctl conn kill ID"$'\n'"*" \
  "$SMALLCTL_BIN" help conn
expect_run "smallctl help conn kill says it needs admin" 0 "usage: smallctl conn kill ID*Admin:*" \
  "$SMALLCTL_BIN" help conn kill
expect_run "smallctl help sta (abbreviations as for the commands)" 0 "usage: smallctl status"$'\n'"*" \
  "$SMALLCTL_BIN" help sta
expect_run "smallctl help help" 0 "usage: smallctl help \[COMMAND\]"$'\n'"*" "$SMALLCTL_BIN" help help
expect_run "smallctl help frobnicate is a usage error (2)" 2 "*unknown command \"frobnicate\"*" \
  "$SMALLCTL_BIN" help frobnicate
expect_run "smallctl --frobnicate is a usage error (2)" 2 "*frobnicate*usage: smallctl*" \
  "$SMALLCTL_BIN" --frobnicate status
expect_run "smallctl --socket MISSING status: not running (3)" 3 "*cannot connect to $WORK/none*" \
  "$SMALLCTL_BIN" --socket "$WORK/none" status

# --- against a running daemon --------------------------------------------
start_daemon
expect_run "smallctl --socket=PATH --json status" 0 '{*"version":"'"$version"'"*"ok":true}' \
  "$SMALLCTL_BIN" --socket="$CONTROL_SOCKET" --json status
expect_run "smallctl --socket PATH status" 0 "*version*$version*" \
  "$SMALLCTL_BIN" --socket "$CONTROL_SOCKET" status
expect_run "smallctl -s PATH -j listeners (the short forms are kept)" 0 '{"data":[{*"ok":true}' \
  "$SMALLCTL_BIN" -s "$CONTROL_SOCKET" -j listeners
tcp_port=$(port echo tcp)
udp_port=$(port echo udp)
[ -n "$tcp_port" ] && [ -n "$udp_port" ] || fail "no echo ports in smallctl -j listeners"

# --- smallprobe ----------------------------------------------------------
expect_run "smallprobe --version" 0 "smallprobe $version" "$SMALLPROBE_BIN" --version
expect_run "smallprobe echo --version (options after the mode)" 0 "smallprobe $version" \
  "$SMALLPROBE_BIN" echo --version
expect_run "smallprobe --help" 0 "usage: smallprobe*" "$SMALLPROBE_BIN" --help
expect_run "smallprobe echo with long options" 0 '{*"mode":"echo"*"connections":2*"ops":20,*' \
  "$SMALLPROBE_BIN" echo --connections 2 --count 20 --size 16 --pipeline 1 --timeout 30s --json \
  "127.0.0.1:$tcp_port"
expect_run "smallprobe --udp echo with long options" 0 '{*"proto":"udp"*"ops":10,*' \
  "$SMALLPROBE_BIN" --udp --connections=1 --count=10 --size=16 --timeout=30s --json echo "127.0.0.1:$udp_port"
expect_run "smallprobe echo --unit ms: the latencies in ms" 0 '*latency      p50 [0-9]*.[0-9][0-9][0-9] ms  p99 *ms  p99.9 *ms  max *ms*' \
  "$SMALLPROBE_BIN" echo --unit ms --count 20 --timeout 30s "127.0.0.1:$tcp_port"
expect_run "smallprobe echo --unit min is a usage error (2)" 2 "*--unit: expected us, ms or s*" \
  "$SMALLPROBE_BIN" echo --unit min "127.0.0.1:$tcp_port"
expect_run "smallprobe --frobnicate is a usage error (2)" 2 "*frobnicate*" \
  "$SMALLPROBE_BIN" echo --frobnicate "127.0.0.1:$tcp_port"
expect_run "smallprobe stamp --frobnicate is a usage error (2)" 2 "*frobnicate*usage: smallprobe stamp*" \
  "$SMALLPROBE_BIN" stamp --frobnicate 127.0.0.1
expect_run "smallprobe -j stamp: stamp's options follow it, and the error says so (2)" 2 \
  "*stamp takes its options after the mode*" "$SMALLPROBE_BIN" -j stamp 127.0.0.1

# --- every long option a tool lists is in its manual ------------------------
for tool in smalld:"$SMALLD_BIN":smalld.8 smallctl:"$SMALLCTL_BIN":smallctl.1 \
            smallprobe:"$SMALLPROBE_BIN":smallprobe.1; do
  IFS=: read -r name bin page <<<"$tool"
  longs=$("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
  [ -n "$longs" ] || fail "$name --help lists no long option"
  for opt in $longs; do
    grep -qE "^\.(It|Op|Oo|Oc).* Fl Fl ${opt#--}( |$)" "$man/$page" ||
      fail "$name --help lists $opt, but $page does not document it (.It Fl Fl ${opt#--})"
  done
  ok "$page documents $name's long options: $(echo $longs)"
done
echo "cli: passed"
