#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The build that systemd.opt_prefix installs: the programs configured
# with -DCMAKE_INSTALL_PREFIX=/opt/smalld-lab, where GNUInstallDirs alone
# would put the control socket in /var/run/opt/smalld-lab and the shipped
# smalld.ini would say /run/smalld. It needs no lab, so it runs beside the
# other tests (a CTest fixture). It reuses systemd.package_build's scratch
# build once the packages are made: reconfigured for the new prefix, only
# the few files that hold installed paths (generated/build_config.h) are
# compiled again, not the whole daemon. The paths cached for /usr go first
# (-U), so they are computed for /opt; package_build does the same back.
source "$(dirname "$0")/lib.sh"
scratch=$SMALLD_BUILD_DIR/deb-usr
[ -f "$SMALLD_BUILD_DIR/deb-usr-pkg/built.env" ] ||
  fail "systemd.package_build did not run or failed: no build to reuse in $scratch"
{ cmake -S "$SMALLD_SOURCE_DIR" -B "$scratch" -U 'SMALLD_*' -DCMAKE_INSTALL_PREFIX=/opt/smalld-lab \
    -DSMALLD_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMALLD_DEBIAN_BUILDFLAGS=ON &&
  cmake --build "$scratch" -j2 --target smalld smallctl smallprobe; } >"$scratch-opt.log" 2>&1 ||
  { tail -30 "$scratch-opt.log"; fail "the scratch build with prefix /opt/smalld-lab failed"; }
ok "built smalld, smallctl and smallprobe for /opt/smalld-lab in $scratch"
