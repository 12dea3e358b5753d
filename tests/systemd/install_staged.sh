#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A staged install (DESTDIR and --prefix, as packaging tools do it) of a
# build with a prefix other than /usr: every file, units and configuration
# included, lands under the new prefix inside DESTDIR, none beside it.
set -euo pipefail
: "${SMALLD_BUILD_DIR:?}"
stage=$(mktemp -d /tmp/smalld-stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$SMALLD_BUILD_DIR/CMakeCache.txt")
[ "$prefix" != /usr ] || { echo "SKIP: this build has prefix /usr, where /etc and /lib stay absolute"; exit 77; }
DESTDIR=$stage cmake --install "$SMALLD_BUILD_DIR" --prefix /staged >"$stage.log" 2>&1 ||
  { cat "$stage.log"; rm -f "$stage.log"; echo "FAIL: cmake --install failed"; exit 1; }
rm -f "$stage.log"
outside=$(cd "$stage" && find . -type f ! -path './staged/*')
[ -z "$outside" ] || { echo "FAIL: installed outside the prefix:"; echo "$outside"; exit 1; }
for file in etc/smalld/smalld.ini lib/systemd/system/smalld.service lib/systemd/system/smalld.socket sbin/smalld; do
  [ -f "$stage/staged/$file" ] || { echo "FAIL: /staged/$file not installed"; exit 1; }
done
echo "ok - $(cd "$stage" && find . -type f | wc -l) files, all under the staged prefix"

# Any prefix, /opt's included (where GNUInstallDirs would put run-time state
# in /var/run/opt/NAME): smallctl's compiled-in socket and the installed
# smalld.ini's socket line are one value, under the units' RuntimeDirectory.
installed_socket=$(sed -n 's/^socket = //p' "$stage/staged/etc/smalld/smalld.ini")
built_socket=$(sed -n 's/^#define SMALLD_CONTROL_SOCKET "\(.*\)"$/\1/p' "$SMALLD_BUILD_DIR/generated/build_config.h")
[ "$installed_socket" = "$built_socket" ] ||
  { echo "FAIL: the installed smalld.ini says socket = $installed_socket, smallctl's default is $built_socket"; exit 1; }
opt=$stage/opt-build
cmake -S "$SMALLD_SOURCE_DIR" -B "$opt" -DCMAKE_INSTALL_PREFIX=/opt/smalld-x \
  -DSMALLD_TESTS=OFF >"$stage.log" 2>&1 || { cat "$stage.log"; echo "FAIL: configuring for /opt/smalld-x"; exit 1; }
rm -f "$stage.log"
grep -qx '#define SMALLD_CONTROL_SOCKET "/run/smalld/control.sock"' "$opt/generated/build_config.h" ||
  { echo "FAIL: a build for /opt/smalld-x has $(grep CONTROL_SOCKET "$opt/generated/build_config.h")"; exit 1; }
grep -qx 'socket = /run/smalld/control.sock' "$opt/generated/smalld.ini" ||
  { echo "FAIL: a build for /opt/smalld-x installs smalld.ini with $(grep '^socket' "$opt/generated/smalld.ini")"; exit 1; }
echo "ok - smallctl and the installed smalld.ini agree on $built_socket; so does a build for /opt/smalld-x"
