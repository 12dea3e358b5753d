#!/bin/bash
# The Debian package: cpack -G DEB builds it (Depends from dpkg-shlibdeps,
# the configuration as a conffile, maintainer scripts); dpkg -i inside the lab
# (its /usr, /etc and /var are overlays, so the host's dpkg database is never
# touched) installs, enables and starts it; dpkg -r stops it and keeps the
# configuration; dpkg -P removes that too.
source "$(dirname "$0")/lib.sh"
command -v cpack >/dev/null || skip "cpack not available"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps not available (apt-get install dpkg-dev)"
lab_up

pkgdir=$LAB_STATE/pkg
cpack -G DEB --config "$SMALLD_BUILD_DIR/CPackConfig.cmake" -B "$pkgdir" >"$LAB_STATE/cpack.log" 2>&1 ||
  { tail -30 "$LAB_STATE/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$pkgdir"/*.deb | head -1)
[ -f "$deb" ] || fail "cpack made no .deb"
ok "built $(basename "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
echo "    Depends: $depends"
[[ $depends == *libevent* ]] || fail "Depends lacks libevent (shlibdeps off?)"
control=$(dpkg-deb --ctrl-tarfile "$deb" | tar -t)
[[ $control == *conffiles* ]] || fail "no conffiles in the package"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
[ "$conffiles" = "$CONFIG" ] || fail "conffiles lists '$conffiles', expected $CONFIG"
ok "Depends from shlibdeps; conffile $CONFIG"

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
lab test ! -e "$SMALLD_SBINDIR/smalld" || fail "dpkg -r left the binary"
ok "dpkg -r stopped the service, kept $CONFIG"
lab dpkg -P smalld >"$LAB_STATE/dpkg.log" 2>&1 || { cat "$LAB_STATE/dpkg.log"; fail "dpkg -P failed"; }
lab test ! -e "$CONFIG" || fail "dpkg -P left $CONFIG"
lab test ! -e /etc/systemd/system/multi-user.target.wants/smalld.service || fail "purge left the enablement symlink"
ok "dpkg -P removed the configuration and the enablement"
echo "deb: passed"
