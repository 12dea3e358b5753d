#!/bin/bash
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
