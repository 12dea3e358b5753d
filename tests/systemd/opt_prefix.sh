#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# An install with the prefix /opt/smalld-lab (systemd.opt_build made it) works
# out of the box in the lab (its /opt is an overlay): the units it installs
# start smalld on the config it installs, `smallctl status` with no -s finds
# the daemon (smallctl's compiled-in socket and the shipped smalld.ini's
# socket line are one CMake value, under the units' RuntimeDirectory), and
# `systemctl reload` (ExecReload= smallctl reload) applies a valid change.
source "$(dirname "$0")/lib.sh"
require_lab
prefix=/opt/smalld-lab
build=$SMALLD_BUILD_DIR/deb-usr
[ -x "$build/daemon/smalld" ] && [ -x "$build/smallctl/smallctl" ] && [ -x "$build/probe/smallprobe" ] ||
  fail "no /opt build: systemd.opt_build did not run or failed ($build)"
grep -qx 'CMAKE_INSTALL_PREFIX:PATH=/opt/smalld-lab' "$build/CMakeCache.txt" ||
  fail "$build is not configured for $prefix (systemd.opt_build did not run last)"
unitdir=$(sed -n 's/^SMALLD_SYSTEMD_UNITDIR:[A-Z]*=//p' "$build/CMakeCache.txt")
CONFIG=$(sed -n 's/^#define SMALLD_CONFIG_PATH "\(.*\)"$/\1/p' "$build/generated/build_config.h")
[ -n "$CONFIG" ] || fail "no SMALLD_CONFIG_PATH in $build/generated/build_config.h"
lab_up

lab cmake --install "$build" >"$LAB_STATE/install.log" 2>&1 ||
  { cat "$LAB_STATE/install.log"; fail "cmake --install of the /opt build failed"; }
case $unitdir in
  /etc/systemd/system | /usr/local/lib/systemd/system | /usr/lib/systemd/system | /lib/systemd/system) ;;
  *) lab sh -c "ln -sf '$unitdir'/smalld*.s* /run/systemd/system/" ;;
esac
lab systemctl daemon-reload
lab test -f "$CONFIG" || fail "the install put no config at $CONFIG"
ok "installed under $prefix (units in $unitdir, config $CONFIG)"

lab systemctl start smalld.service || { journal | tail -20; fail "systemctl start smalld failed"; }
pid=$(prop smalld.service MainPID)
expect "echo answers on the shipped config" "len=1 b'x'" tcp 127.0.0.1 7 x

# smallctl as a user runs it: the installed binary, no -s.
smallctl=$(lab sh -c "ls $prefix/bin/smallctl $prefix/sbin/smallctl 2>/dev/null | head -n 1")
[ -n "$smallctl" ] || fail "no smallctl installed under $prefix"
out=$(lab "$smallctl" status 2>&1) || fail "$smallctl status (no -s) failed: $out"
grep -q "running" <<<"$out" || fail "$smallctl status does not say running: $out"
ok "$smallctl status, with its compiled-in socket, answers: $(head -n 1 <<<"$out")"

{ lab cat "$CONFIG"; printf '\n[echo-opt]\ntype = echo\ntcp = 127.0.0.1:7007\n'; } >"$LAB_STATE/new.ini"
put_config <"$LAB_STATE/new.ini"
lab systemctl reload smalld.service || { journal | tail -20; fail "systemctl reload failed on a valid config"; }
expect "echo-opt answers right after systemctl reload returned" "len=1 b'x'" tcp 127.0.0.1 7007 x
[ "$(prop smalld.service MainPID)" = "$pid" ] || fail "MainPID changed on reload"
ok "systemctl reload (ExecReload=$(prop smalld.service ExecReload | grep -o 'path=[^ ;]*' | head -n 1)) applied the change"
lab systemctl stop smalld.service
ok "stopped"
