#!/bin/bash
# The Debian package, as a distribution builds it: a scratch build with
# -DCMAKE_INSTALL_PREFIX=/usr (Debian policy keeps /usr/local out of
# packages), then cpack -G DEB (Depends from dpkg-shlibdeps, the configuration
# as a conffile, units where systemd's pkg-config file says, maintainer
# scripts); dpkg -i inside the lab (its /usr, /etc and /var are overlays, so
# the host's dpkg database is never touched) installs, enables and starts it;
# dpkg -r stops it and keeps the configuration; dpkg -P removes that too.
source "$(dirname "$0")/lib.sh"
command -v cpack >/dev/null || skip "cpack not available"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps not available (apt-get install dpkg-dev)"
require_lab
# The scratch build lives beside the normal one and is reused: a rerun
# compiles only what changed. Only the installed programs are built.
scratch=$SMALLD_BUILD_DIR/deb-usr
{ cmake -S "$SMALLD_SOURCE_DIR" -B "$scratch" -DCMAKE_INSTALL_PREFIX=/usr -DSMALLD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
  cmake --build "$scratch" -j2 --target smalld smallctl smallprobe; } >"$scratch.log" 2>&1 ||
  { tail -30 "$scratch.log"; fail "the scratch build with prefix /usr failed"; }
grep -q '"/run/smalld/control.sock"' "$scratch/generated/build_config.h" ||
  fail "the /usr build's default control socket is not /run/smalld/control.sock (RuntimeDirectory=smalld)"
lab_up

CONFIG=/etc/smalld/smalld.ini
SBINDIR=/usr/sbin
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)

pkgdir=$LAB_STATE/pkg
cpack -G DEB --config "$scratch/CPackConfig.cmake" -B "$pkgdir" >"$LAB_STATE/cpack.log" 2>&1 ||
  { tail -30 "$LAB_STATE/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$pkgdir"/*.deb | head -1)
[ -f "$deb" ] || fail "cpack made no .deb"
ok "built $(basename "$deb") with prefix /usr"
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
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for file in ".$CONFIG" ".$SBINDIR/smalld" ./usr/bin/smallctl ".$unitdir/smalld.service" \
            ".$unitdir/smalld.socket" ".$unitdir/smalld-echo.socket" ./usr/share/man/man8/smalld.8; do
  grep -qxF "$file" <<<"$contents" || fail "the package lacks $file"
done
if grep -E '^\./usr/local/' <<<"$contents"; then fail "the package installs into /usr/local"; fi
ok "files: $CONFIG, $SBINDIR/smalld, units in $unitdir, manuals; nothing in /usr/local"

# The lab's /tmp is its own tmpfs: hand the package over through a pipe.
lab sh -c 'cat > /tmp/smalld.deb' < "$deb"
lab dpkg -i /tmp/smalld.deb >"$LAB_STATE/dpkg.log" 2>&1 || { cat "$LAB_STATE/dpkg.log"; fail "dpkg -i failed"; }
ok "dpkg -i installed it (in the lab's overlay)"
[ "$(prop smalld.service UnitFileState)" = enabled ] || fail "postinst did not enable smalld.service"
wait_until 15 "smalld.service started by postinst" is_active smalld.service
expect "echo answers after dpkg -i" "len=1 b'x'" tcp 127.0.0.1 7 x
[[ $(lab dpkg-query -W -f='${Conffiles}\n' smalld) == *"$CONFIG"* ]] || fail "dpkg does not know $CONFIG as a conffile"
ok "postinst enabled and started smalld.service; dpkg records the conffile"

lab dpkg -r smalld >"$LAB_STATE/dpkg.log" 2>&1 || { cat "$LAB_STATE/dpkg.log"; fail "dpkg -r failed"; }
[ "$(prop smalld.service ActiveState)" != active ] || fail "prerm did not stop smalld.service"
lab test -f "$CONFIG" || fail "dpkg -r removed the conffile"
lab test ! -e "$SBINDIR/smalld" || fail "dpkg -r left the binary"
ok "dpkg -r stopped the service, kept $CONFIG"
lab dpkg -P smalld >"$LAB_STATE/dpkg.log" 2>&1 || { cat "$LAB_STATE/dpkg.log"; fail "dpkg -P failed"; }
lab test ! -e "$CONFIG" || fail "dpkg -P left $CONFIG"
lab test ! -e /etc/systemd/system/multi-user.target.wants/smalld.service || fail "purge left the enablement symlink"
ok "dpkg -P removed the configuration and the enablement"
echo "deb: passed"
