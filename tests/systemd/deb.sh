#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian package, as a distribution builds it: a scratch build with
# -DCMAKE_INSTALL_PREFIX=/usr (Debian policy keeps /usr/local out of
# packages), then cpack -G DEB (Depends from dpkg-shlibdeps, the configuration
# as a conffile, units where systemd's pkg-config file says, maintainer
# scripts with dh_installsystemd's semantics, copyright, changelog, bash
# completion). In the lab (its /usr, /etc and /var are overlays, so the host's
# dpkg database is never touched) the package goes through what an admin does
# to it: install (enabled and started), reinstall (restarted), disable and
# choose socket activation, upgrade to a newer build (still disabled, the
# socket still enabled), remove (stopped, configuration kept), purge (all
# gone, drop-ins included). lintian must report no error.
source "$(dirname "$0")/lib.sh"
command -v cpack >/dev/null || skip "cpack not available"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps not available (apt-get install dpkg-dev)"
command -v lintian >/dev/null || skip "lintian not available (tools/deps --test)"
require_lab
# The scratch build lives beside the normal one and is reused: a rerun
# compiles only what changed. Only the installed programs are built.
scratch=$SMALLD_BUILD_DIR/deb-usr
{ cmake -S "$SMALLD_SOURCE_DIR" -B "$scratch" -DCMAKE_INSTALL_PREFIX=/usr -DSMALLD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMALLD_DEBIAN_BUILDFLAGS=ON &&
  cmake --build "$scratch" -j2 --target smalld smallctl smallprobe; } >"$scratch.log" 2>&1 ||
  { tail -30 "$scratch.log"; fail "the scratch build with prefix /usr failed"; }
grep -q '"/run/smalld/control.sock"' "$scratch/generated/build_config.h" ||
  fail "the /usr build's default control socket is not /run/smalld/control.sock (RuntimeDirectory=smalld)"
CONFIG=/etc/smalld/smalld.ini
SBINDIR=/usr/sbin
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

pkgdir=$scratch-pkg
rm -rf "$pkgdir"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$scratch/CMakeCache.txt")
# make_deb VERSION: the package of this build, as VERSION, in $pkgdir/VERSION.
make_deb() {
  { cmake "$scratch" -DSMALLD_DEB_VERSION="$1" &&
    cpack -G DEB --config "$scratch/CPackConfig.cmake" -B "$pkgdir/$1"; } >"$scratch.log" 2>&1 ||
    { tail -30 "$scratch.log" >&2; fail "cpack -G DEB of version $1 failed" >&2; }
  ls "$pkgdir/$1/smalld_$1"_*.deb 2>/dev/null | head -1
}
deb=$(make_deb "$version")
[ -f "$deb" ] || fail "cpack made no .deb for $version"
newer=$(make_deb "$version+1")
[ -f "$newer" ] || fail "cpack made no .deb for $version+1"
cmake "$scratch" -DSMALLD_DEB_VERSION="$version" >/dev/null
ok "built $(basename "$deb") and $(basename "$newer") with prefix /usr"
depends=$(dpkg-deb -f "$deb" Depends)
echo "    Depends: $depends"
for lib in libevent libinih libsystemd; do
  [[ $depends == *$lib* ]] || fail "Depends lacks $lib (shlibdeps off?)"
done
control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
[[ $control == *conffiles* ]] || fail "no conffiles in the package"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
[ "$conffiles" = "$CONFIG" ] || fail "conffiles lists '$conffiles', expected $CONFIG"
ok "Depends has libevent, libinih and libsystemd; conffile $CONFIG"
completions=$(pkg-config --variable=completionsdir bash-completion 2>/dev/null ||
  echo /usr/share/bash-completion/completions)
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for file in ".$CONFIG" ".$SBINDIR/smalld" ./usr/bin/smallctl ".$unitdir/smalld.service" \
            ".$unitdir/smalld.socket" ".$unitdir/smalld-echo.socket" ./usr/share/man/man8/smalld.8.gz \
            ./usr/share/doc/smalld/copyright ./usr/share/doc/smalld/changelog.gz \
            ./usr/share/doc/smalld/NEWS.gz ./usr/share/doc/smalld/examples/prometheus/smalld-alerts.yml \
            ./usr/share/doc/smalld/examples/grafana/smalld-dashboard.json \
            ".$completions/smalld" ".$completions/smallctl" ".$completions/smallprobe"; do
  grep -qxF "$file" <<<"$contents" || fail "the package lacks $file"
done
if grep -E '^\./usr/local/' <<<"$contents"; then fail "the package installs into /usr/local"; fi
grep -qxF ".$CONFIG.d/" <<<"$contents" || fail "the package lacks the drop-in directory $CONFIG.d/"
if grep -E "^\.$CONFIG\.d/." <<<"$contents"; then fail "the drop-in directory $CONFIG.d/ is not empty"; fi
ok "the drop-in directory $CONFIG.d/ is shipped, empty"
ok "files: $CONFIG, $SBINDIR/smalld, units in $unitdir, manuals, copyright, changelog, NEWS, contrib/ as examples, completions in $completions; nothing in /usr/local"

# lintian, as a user: it warns when run as root. Its whole output is shown.
chmod -R a+rX "$pkgdir"
lint_rc=0
lint=$(setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME=/tmp \
  lintian -I --fail-on error --no-cfg "$deb" 2>&1) || lint_rc=$?
echo "    lintian $(basename "$deb"):"
sed 's/^/      /' <<<"${lint:-(no output)}"
grep -q 'License: BSD-2-Clause' <<<"$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/share/doc/smalld/copyright)" ||
  fail "the package's copyright file does not grant BSD-2-Clause"
[ $lint_rc = 0 ] || fail "lintian reports errors (exit $lint_rc)"
if grep -q '^E: ' <<<"$lint"; then fail "lintian reports errors"; fi
if grep -q 'hardening-' <<<"$lint"; then fail "lintian: the binaries lack hardening (dpkg-buildflags)"; fi
ok "lintian: no errors, no hardening tags (built with dpkg-buildflags, hardening=+all)"

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
