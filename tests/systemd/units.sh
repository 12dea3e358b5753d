#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The installed units pass systemd-analyze verify, and smalld.service's
# exposure (systemd-analyze security) is at most 1.5.
source "$(dirname "$0")/lib.sh"
lab_up
install_build

dir=$SMALLD_SYSTEMD_UNITDIR
units=(smalld.service smalld.socket smalld-echo.socket smalld-discard.socket
       smalld-chargen.socket smalld-qotd.socket smalld-daytime.socket smalld-time.socket
       smalld-stamp.socket)
paths=()
for unit in "${units[@]}"; do
  lab test -f "$dir/$unit" || fail "$dir/$unit not installed"
  paths+=("$dir/$unit")
done
ok "all ${#units[@]} units installed in $dir"
lab test -f "$CONFIG" || fail "$CONFIG not installed"
lab "$SMALLD_SBINDIR/smalld" -t -c "$CONFIG" || fail "the installed configuration does not check out"
ok "smalld -t accepts the installed $CONFIG"

out=$(lab systemd-analyze verify "${paths[@]}" 2>&1) || { echo "$out"; fail "systemd-analyze verify failed"; }
[ -z "$out" ] || { echo "$out"; fail "systemd-analyze verify printed warnings"; }
ok "systemd-analyze verify: clean (binaries and man pages found)"

line=$(lab systemd-analyze security --offline=true "$dir/smalld.service" 2>&1 | grep 'Overall exposure level') ||
  fail "no exposure level from systemd-analyze security"
score=$(sed -n 's/.*smalld.service: \([0-9.]*\).*/\1/p' <<<"$line")
echo "    $line"
awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 1.5) }' || fail "exposure $score is above 1.5"
ok "exposure $score <= 1.5"
echo "units: passed"
