#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package in the lab (its /usr, /etc and /var are overlays, so the
# host's dpkg database is never touched): what systemd.package_build made
# (tests/systemd/package_build.sh: a scratch build with prefix /usr, cpack -G
# DEB, lintian) goes through what an admin does to it: install (enabled and
# started), reinstall (restarted), disable and choose socket activation,
# upgrade to a newer build (still disabled, the socket still enabled), remove
# (stopped, configuration kept), purge (all gone, drop-ins included).
source "$(dirname "$0")/lib.sh"
require_lab
built=$SMALLD_BUILD_DIR/deb-usr-pkg/built.env
[ -f "$built" ] || fail "no packages: systemd.package_build did not run or failed ($built)"
# shellcheck source=/dev/null
source "$built"
[ -f "$deb" ] && [ -f "$newer" ] || fail "the packages in $built are gone"
CONFIG=/etc/smalld/smalld.ini
SBINDIR=/usr/sbin
lab_up

# The lab's /tmp is its own tmpfs: hand the packages over through a pipe.
lab sh -c 'cat > /tmp/smalld.deb' < "$deb"
lab sh -c 'cat > /tmp/smalld-newer.deb' < "$newer"
dpkg_in_lab() {
  lab dpkg "$@" >"$LAB_STATE/dpkg.log" 2>&1 || { cat "$LAB_STATE/dpkg.log"; fail "dpkg $* failed"; }
}
installed_version() { lab dpkg-query -W -f='${Version}' smalld; }

dpkg_in_lab -i /tmp/smalld.deb
ok "dpkg -i installed $version (in the lab's overlay)"
[ "$(prop smalld.service UnitFileState)" = enabled ] || fail "postinst did not enable smalld.service"
wait_until $PATIENCE "smalld.service started by postinst" is_active smalld.service
expect "echo answers after dpkg -i" "len=1 b'x'" tcp 127.0.0.1 7 x
[[ $(lab dpkg-query -W -f='${Conffiles}\n' smalld) == *"$CONFIG"* ]] || fail "dpkg does not know $CONFIG as a conffile"
ok "postinst enabled and started smalld.service on the first installation; dpkg records the conffile"

before=$(prop smalld.service InvocationID)
dpkg_in_lab -i /tmp/smalld.deb
wait_until $PATIENCE "smalld.service active after the reinstall" is_active smalld.service
[ "$(prop smalld.service InvocationID)" != "$before" ] || fail "the reinstall did not restart smalld.service"
[ "$(prop smalld.service UnitFileState)" = enabled ] || fail "the reinstall changed the enablement"
ok "reinstalling restarts smalld.service, still enabled"

# The admin prefers socket activation of echo and disables the service.
lab systemctl disable --now smalld.service >/dev/null 2>&1 || fail "systemctl disable --now smalld.service failed"
lab systemctl enable --now smalld-echo.socket >/dev/null 2>&1 || fail "systemctl enable --now smalld-echo.socket failed"
[ "$(prop smalld.service UnitFileState)" = disabled ] || fail "systemctl disable did not disable smalld.service"
wait_until $PATIENCE "smalld.service stopped" eval '! is_active smalld.service'
ok "the admin disabled smalld.service and enabled smalld-echo.socket"
echo "    \$ dpkg -i smalld_$version+1 (upgrade from $version)"
dpkg_in_lab -i /tmp/smalld-newer.deb
sed 's/^/      /' "$LAB_STATE/dpkg.log"
[ "$(installed_version)" = "$version+1" ] || fail "dpkg did not upgrade to $version+1: $(installed_version)"
state=$(prop smalld.service UnitFileState)
echo "    smalld.service after the upgrade: UnitFileState=$state ActiveState=$(prop smalld.service ActiveState)"
[ "$state" = disabled ] || fail "the upgrade re-enabled smalld.service ($state): the admin disabled it"
! is_active smalld.service || fail "the upgrade started smalld.service, which the admin disabled"
[ "$(prop smalld-echo.socket UnitFileState)" = enabled ] || fail "the upgrade changed smalld-echo.socket's enablement"
is_active smalld-echo.socket || fail "smalld-echo.socket is not listening after the upgrade"
expect "echo answers through the socket unit after the upgrade" "len=1 b'y'" tcp 127.0.0.1 7 y
ok "upgrade to $version+1: smalld.service still disabled and not started, smalld-echo.socket still enabled"

# An admin's drop-in, which the purge must take along.
lab sh -c "mkdir -p '$CONFIG.d' && printf '[daytime]\n' > '$CONFIG.d/local.ini'"
dpkg_in_lab -r smalld
[ "$(prop smalld.service ActiveState)" != active ] || fail "prerm did not stop smalld.service"
[ "$(prop smalld-echo.socket ActiveState)" != active ] || fail "prerm did not stop smalld-echo.socket"
lab test -f "$CONFIG" || fail "dpkg -r removed the conffile"
lab test ! -e "$SBINDIR/smalld" || fail "dpkg -r left the binary"
ok "dpkg -r stopped the service and the socket, kept $CONFIG"
dpkg_in_lab -P smalld
confdir=$(dirname "$CONFIG")
lab test ! -e "$confdir" || fail "dpkg -P left $confdir: $(lab find "$confdir")"
left=$(lab sh -c 'find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
  /var/lib/systemd/deb-systemd-helper-masked -name "*smalld*" 2>/dev/null' || true)
[ -z "$left" ] || fail "purge left: $left"
ok "dpkg -P removed $confdir (drop-ins included), the enablement links and deb-systemd-helper's state"
echo "deb: passed"
